// spawn.cc — start a process in new or joined namespaces and report failures before execve.
//
// Two shapes (DESIGN.md A.1, A.2), both started from Node's main thread with every signal blocked:
//   direct:      clone3(CLONE_NEW* | CLONE_PIDFD) -> [parent writes id maps] -> setup -> execve
//   double fork: clone3() intermediate -> setns(pidfd, kinds) -> clone3(CLONE_PARENT) -> setup -> execve
// Either way the new process is a direct child of Node. Failures come back over a close-on-exec pipe
// (EOF = execve succeeded) and are thrown as PodSystemError with the step that failed.
// See: clone3(2), setns(2), user_namespaces(7) for the id maps, pidfd_open(2).
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "plan.h"
#include "spawn_util.h"
#include "steps.h"
#include "sys.h"

namespace podinit {

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Reads len bytes, or fewer at EOF; -1 on an error, -2 when the deadline (CLOCK_MONOTONIC ms) passed:
// a child's setup that hangs (a FIFO opened somewhere, a stuck mount) must not hold Node for ever.
ssize_t ReadFull(int fd, void* buf, size_t len, int64_t deadline) {
  size_t got = 0;
  while (got < len) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int64_t left = deadline - NowMs();
    int ready = left <= 0 ? 0 : poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return -2;
    ssize_t n = read(fd, static_cast<char*>(buf) + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? -1 : static_cast<ssize_t>(got);
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

void ReapSync(pid_t pid) {
  while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
}

// Reaps every child of ours in process group `group` (exit_signal 0 or not), until none is left.
void ReapGroup(pid_t group) {
  siginfo_t info;
  while (waitid(P_PGID, static_cast<id_t>(group), &info, WEXITED | __WALL) == 0 || errno == EINTR) {
  }
}

[[noreturn]] void ThrowReport(Napi::Env env, const ChildReport& report, pid_t pid) {
  SyscallFailure failure;
  failure.err = report.err;
  failure.step = StepName(report.step);
  failure.syscall = StepSyscall(report.step);
  failure.path = std::string(report.path, strnlen(report.path, sizeof report.path));
  failure.pid = pid;
  throw MakeSyscallError(env, failure);
}

int OpenChildPidfd(Napi::Env env, pid_t child) {
  int pidfd = sys_pidfd_open(child, 0);
  if (pidfd < 0) {
    int err = errno;
    kill(child, SIGKILL);
    ReapSync(child);
    ThrowErrno(env, err, "pidfd_open");
  }
  return pidfd;
}

[[noreturn]] void ThrowStep(Napi::Env env, int step, int err, const std::string& path, pid_t pid) {
  ChildReport report;
  memset(&report, 0, sizeof report);
  report.step = step;
  report.err = err;
  strncpy(report.path, path.c_str(), sizeof report.path - 1);
  ThrowReport(env, report, pid);
}

namespace {

// The plan as one flat blob (plan.h): pointer fields hold offsets from the blob's start, so it can be
// relocated where it is (this process's own spawns) or copied into `pod-pause enter` (joined spawns).
class Blob {
 public:
  Blob() { Put(nullptr, sizeof(ChildPlan)); }  // offset 0: the ChildPlan itself, filled in last
  size_t Put(const void* data, size_t size) {
    size_t at = (bytes_.size() + 15) & ~static_cast<size_t>(15);
    bytes_.resize(at + size);
    if (data != nullptr) memcpy(bytes_.data() + at, data, size);
    return at;
  }
  size_t Str(const std::string& s) { return Put(s.c_str(), s.size() + 1); }
  template <typename T>
  size_t Array(const std::vector<T>& items) {
    return items.empty() ? 0 : Put(items.data(), items.size() * sizeof(T));
  }
  ChildPlan* plan() { return reinterpret_cast<ChildPlan*>(bytes_.data()); }
  const std::vector<char>& bytes() const { return bytes_; }

 private:
  std::vector<char> bytes_;
};

template <typename T>
T AsOffset(size_t offset) {
  return reinterpret_cast<T>(static_cast<uintptr_t>(offset));
}

// What the parent keeps beside the blob: the id maps it writes, the setup deadline.
struct SpawnPlan {
  Blob blob;
  std::string uid_map, gid_map, setgroups;
  // newuidmap/newgidmap (shadow's setuid helpers): they write the maps of ranges in /etc/subuid and
  // /etc/subgid, which an unprivileged writer cannot; empty: the parent writes the maps itself.
  std::string uid_map_helper, gid_map_helper;
  int enter_fd = -1;  // a sealed pod-pause: joined spawns enter through it
  int timeout_ms = 10000;
  bool keeper = false;  // a joined spawn that stays: a container's keeper (keeper.cc)
};

bool Has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined() && !o.Get(key).IsNull();
}

std::string Str(const Napi::Object& o, const char* key) {
  return o.Get(key).As<Napi::String>().Utf8Value();
}
int64_t Int(const Napi::Object& o, const char* key, int64_t fallback) {
  return Has(o, key) ? o.Get(key).As<Napi::Number>().Int64Value() : fallback;
}
bool Bool(const Napi::Object& o, const char* key) {
  return Has(o, key) && o.Get(key).ToBoolean().Value();
}
uint64_t Mask(const Napi::Object& o, const char* key) {
  if (!Has(o, key)) return 0;
  bool lossless = false;
  return o.Get(key).As<Napi::BigInt>().Uint64Value(&lossless);
}

std::vector<std::string> StrArray(const Napi::Object& o, const char* key) {
  std::vector<std::string> out;
  if (!Has(o, key)) return out;
  Napi::Array a = o.Get(key).As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

std::vector<int64_t> IntArray(const Napi::Object& o, const char* key) {
  std::vector<int64_t> out;
  if (!Has(o, key)) return out;
  Napi::Array a = o.Get(key).As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  return out;
}

// Strings into the blob: their offsets, null-terminated when asked (argv, envp).
std::vector<uintptr_t> Strings(Blob& blob, const std::vector<std::string>& list, bool terminate) {
  std::vector<uintptr_t> out;
  for (const auto& s : list) out.push_back(blob.Str(s));
  if (terminate) out.push_back(0);
  return out;
}

size_t OptionalStr(Blob& blob, const Napi::Object& o, const char* key) {
  return Has(o, key) ? blob.Str(Str(o, key)) : 0;
}

// Options were validated by src/spawn.ts; this only copies them into the blob.
void BuildPlan(const Napi::Object& o, SpawnPlan& plan) {
  Blob& blob = plan.blob;
  ChildPlan c;
  memset(&c, 0, sizeof c);

  std::vector<uintptr_t> candidates = Strings(blob, StrArray(o, "candidates"), false);
  std::vector<uintptr_t> argv = Strings(blob, StrArray(o, "argv"), true);
  std::vector<uintptr_t> envp = Strings(blob, StrArray(o, "env"), true);
  c.exec_fd = static_cast<int>(Int(o, "execFd", -1));
  c.candidates = AsOffset<const char* const*>(blob.Array(candidates));
  c.candidate_count = static_cast<int>(candidates.size());
  c.argv = AsOffset<char* const*>(blob.Array(argv));
  c.envp = AsOffset<char* const*>(blob.Array(envp));
  c.cwd = AsOffset<const char*>(OptionalStr(blob, o, "cwd"));

  c.join_pidfd = static_cast<int>(Int(o, "joinPidfd", -1));
  c.join_flags = static_cast<int>(Int(o, "joinFlags", 0));
  c.clone_flags = static_cast<uint64_t>(Int(o, "cloneFlags", 0));
  c.unshare_flags = static_cast<int>(Int(o, "unshareFlags", 0));
  c.sync_fd = -1;
  c.become_ns_root = Bool(o, "becomeNsRoot");

  c.propagation = static_cast<unsigned long>(Int(o, "propagation", 0));
  c.mount_proc = Bool(o, "mountProc");
  std::vector<MountOp> mounts;
  if (Has(o, "mounts")) {
    Napi::Array a = o.Get("mounts").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object m = a.Get(i).As<Napi::Object>();
      MountOp op;
      memset(&op, 0, sizeof op);
      op.kind = static_cast<int>(Int(m, "kind", MOUNT_OP_MOUNT));
      op.source = AsOffset<const char*>(OptionalStr(blob, m, "source"));
      op.target = AsOffset<const char*>(blob.Str(Str(m, "target")));
      op.fstype = AsOffset<const char*>(OptionalStr(blob, m, "fstype"));
      op.flags = static_cast<unsigned long>(Int(m, "flags", 0));
      op.data = AsOffset<const char*>(OptionalStr(blob, m, "data"));
      op.beneath = AsOffset<const char*>(OptionalStr(blob, m, "beneath"));
      op.relative = AsOffset<const char*>(OptionalStr(blob, m, "relative"));
      op.optional = Bool(m, "optional");
      op.skip_unreachable = Bool(m, "skipUnreachable");
      op.fd = static_cast<int>(Int(m, "fd", -1));
      op.source_check = static_cast<int>(Int(m, "sourceCheck", MOUNT_CHECK_NONE));
      op.target_check = static_cast<int>(Int(m, "targetCheck", MOUNT_CHECK_NONE));
      mounts.push_back(op);
    }
  }
  c.mounts = AsOffset<const MountOp*>(blob.Array(mounts));
  c.mount_count = static_cast<int>(mounts.size());

  c.hostname = AsOffset<const char*>(OptionalStr(blob, o, "hostname"));
  c.loopback_up = Bool(o, "loopback");

  c.new_session = Bool(o, "newSession");
  c.new_process_group = Bool(o, "newProcessGroup");
  c.foreground = Bool(o, "foreground");
  c.controlling_tty = Bool(o, "controllingTerminal");
  c.set_ids = Has(o, "uid");
  c.uid = static_cast<uid_t>(Int(o, "uid", 0));
  c.gid = static_cast<gid_t>(Int(o, "gid", 0));
  c.set_groups = Has(o, "groups");
  std::vector<gid_t> groups;
  for (int64_t g : IntArray(o, "groups")) groups.push_back(static_cast<gid_t>(g));
  c.groups = AsOffset<const gid_t*>(blob.Array(groups));
  c.group_count = static_cast<int>(groups.size());
  c.no_new_privs = Bool(o, "noNewPrivs");
  c.set_caps = Has(o, "capabilities");
  if (c.set_caps) {
    Napi::Object caps = o.Get("capabilities").As<Napi::Object>();
    c.cap_last = static_cast<int>(Int(caps, "last", 40));
    c.cap_bounding = Mask(caps, "bounding");
    c.cap_permitted = Mask(caps, "permitted");
    c.cap_effective = Mask(caps, "effective");
    c.cap_inheritable = Mask(caps, "inheritable");
    c.cap_ambient = Mask(caps, "ambient");
  }
  if (Has(o, "seccomp")) {
    Napi::Buffer<char> bpf = o.Get("seccomp").As<Napi::Buffer<char>>();
    c.seccomp_filter = AsOffset<const void*>(blob.Put(bpf.Data(), bpf.Length()));
    c.seccomp_len = static_cast<int>(bpf.Length() / sizeof(struct sock_filter));
  }
  std::vector<int> cgroup_fds;
  for (int64_t fd : IntArray(o, "cgroupFds")) cgroup_fds.push_back(static_cast<int>(fd));
  c.cgroup_fds = AsOffset<const int*>(blob.Array(cgroup_fds));
  c.cgroup_count = static_cast<int>(cgroup_fds.size());
  c.cgroup_into_fd = static_cast<int>(Int(o, "cgroupIntoFd", -1));
  c.cgroup_into_index = static_cast<int>(Int(o, "cgroupIntoIndex", -1));
  c.cgroup_cloned_into = false;
  c.death_signal = static_cast<int>(Int(o, "deathSignal", 0));
  c.parent_pidfd = -1;

  sigemptyset(&c.exec_mask);
  for (int64_t s : IntArray(o, "mask")) sigaddset(&c.exec_mask, static_cast<int>(s));
  std::vector<int> ignored;
  for (int64_t s : IntArray(o, "ignore")) ignored.push_back(static_cast<int>(s));
  c.ignored_signals = AsOffset<const int*>(blob.Array(ignored));
  c.ignored_count = static_cast<int>(ignored.size());

  std::vector<int64_t> stdio = IntArray(o, "stdio");
  for (int i = 0; i < 3; i++) c.stdio[i] = i < static_cast<int>(stdio.size()) ? static_cast<int>(stdio[i]) : i;
  c.report_fd = -1;
  c.info_fd = -1;
  c.reported_fd = -1;
  c.reported_write_fd = -1;
  c.hold_before_report = Bool(o, "holdBeforeReport");
  *blob.plan() = c;

  if (Has(o, "uidMap")) plan.uid_map = Str(o, "uidMap");
  if (Has(o, "gidMap")) plan.gid_map = Str(o, "gidMap");
  if (Has(o, "setgroups")) plan.setgroups = Str(o, "setgroups");
  if (Has(o, "uidMapHelper")) plan.uid_map_helper = Str(o, "uidMapHelper");
  if (Has(o, "gidMapHelper")) plan.gid_map_helper = Str(o, "gidMapHelper");
  plan.enter_fd = static_cast<int>(Int(o, "enterFd", -1));
  plan.timeout_ms = static_cast<int>(Int(o, "setupTimeoutMs", 10000));
  plan.keeper = Has(o, "keeper") && o.Get("keeper").ToBoolean().Value();
}

int WriteProcFile(pid_t pid, const char* name, const std::string& content, std::string* path) {
  *path = "/proc/" + std::to_string(pid) + "/" + name;
  int fd = open(path->c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, content.data(), content.size());
  int err = n == static_cast<ssize_t>(content.size()) ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
}

// Parent side of a user namespace: setgroups, then the maps (write-once; an unprivileged writer may
// map only its own ids, and gid_map needs setgroups=deny first — pitfall 21).
// A map through its helper: `helper PID inside outside count...` (the map's lines as arguments), run
// and waited for here (the child waits for its maps); its stderr is the caller's. Any failure is EPERM.
int RunMapHelper(pid_t pid, const std::string& helper, const std::string& map, std::string* path) {
  *path = helper;
  std::vector<std::string> args = {helper, std::to_string(pid)};
  size_t at = 0;
  while (at < map.size()) {
    size_t start = map.find_first_not_of(" \n", at);
    if (start == std::string::npos) break;
    at = map.find_first_of(" \n", start);
    args.push_back(map.substr(start, at == std::string::npos ? std::string::npos : at - start));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t helper_pid;
  int err = posix_spawn(&helper_pid, helper.c_str(), nullptr, nullptr, argv.data(), environ);
  if (err != 0) return err;
  int status = 0;
  while (waitpid(helper_pid, &status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}

int WriteIdMaps(pid_t pid, const SpawnPlan& plan, std::string* path) {
  int err = 0;
  if (!plan.setgroups.empty()) err = WriteProcFile(pid, "setgroups", plan.setgroups, path);
  if (err == 0 && !plan.uid_map.empty())
    err = plan.uid_map_helper.empty() ? WriteProcFile(pid, "uid_map", plan.uid_map, path)
                                      : RunMapHelper(pid, plan.uid_map_helper, plan.uid_map, path);
  if (err == 0 && !plan.gid_map.empty())
    err = plan.gid_map_helper.empty() ? WriteProcFile(pid, "gid_map", plan.gid_map, path)
                                      : RunMapHelper(pid, plan.gid_map_helper, plan.gid_map, path);
  return err;
}

// Stacks of the vfork-style children, reused: a spawn runs on one thread from clone to execve (the
// CLONE_VFORK chain holds the caller until then), so one pair per thread is enough.
struct ChildStacks {
  void* intermediate = nullptr;
  void* child = nullptr;
};

void* MapStack() {
  void* p = mmap(nullptr, kChildStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p) + kChildStackSize;  // stacks grow down
}

bool GetStacks(ChildStacks* out) {
  static thread_local ChildStacks stacks;
  if (stacks.intermediate == nullptr) stacks.intermediate = MapStack();
  if (stacks.child == nullptr) stacks.child = MapStack();
  *out = stacks;
  return stacks.intermediate != nullptr && stacks.child != nullptr;
}

// What Node's vfork-style child needs to become `pod-pause enter` (prepared before the clone).
struct EnterContext {
  int exec_fd;
  char* const* argv;
  const int* keep;  // the plan's fds: they must survive the execve
  int keep_count;
  int report_fd;
  bool own_group;  // lead a process group of its own (not a keeper): see KillGroup
};

// Runs on its own stack in Node's memory, for microseconds: every fd but the plan's becomes
// close-on-exec (the fd table is this child's own copy), then the sealed pod-pause replaces it.
int EnterMain(void* arg) {
  const EnterContext& ctx = *static_cast<const EnterContext*>(arg);
  int err = 0;
  // Nothing of Node's but the plan's fds may reach the pod (kernels before 5.11 lack this: refused).
  if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) err = errno;
  for (int i = 0; err == 0 && i < ctx.keep_count; i++) fcntl(ctx.keep[i], F_SETFD, 0);
  static char* const no_env[] = {nullptr};
  // Its own process group, before anything can be cloned: the child it makes is born in it, so the group
  // reaches that child even while its pid is unknown to Node (KillGroup).
  if (err == 0 && ctx.own_group && setpgid(0, 0) < 0) err = errno;
  if (err == 0) {
    syscall(SYS_execveat, ctx.exec_fd, "", ctx.argv, no_env, AT_EMPTY_PATH);
    err = errno;
  }
  ChildReport report;
  memset(&report, 0, sizeof report);
  report.step = STEP_ENTER;
  report.err = err;
  ssize_t ignored = write(ctx.report_fd, &report, sizeof report);
  (void)ignored;
  _exit(127);
}

// The blob in a memfd for `pod-pause enter` to read.
int BlobFd(const Blob& blob) {
  int fd = static_cast<int>(syscall(SYS_memfd_create, "pod-init-plan", MFD_CLOEXEC));
  if (fd < 0) return -1;
  const std::vector<char>& bytes = blob.bytes();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnPlan plan;
  BuildPlan(info[0].As<Napi::Object>(), plan);
  ChildPlan& c = *plan.blob.plan();  // the blob no longer grows: this reference stays valid
  const bool join = c.join_pidfd >= 0;
  const bool userns = !join && (c.clone_flags & CLONE_NEWUSER) != 0;
  // A child that changes its ids must not share Node's memory: the kernel would mark that memory
  // (Node's own) non-dumpable. It gets a copy instead, like the user namespace case.
  const bool copy = !join && (userns || c.set_ids);
  if (join && plan.enter_fd < 0) ThrowErrno(env, EINVAL, "spawn", "a joined spawn needs enterFd (pod-pause)");
  if (plan.keeper && !join) ThrowErrno(env, EINVAL, "spawn", "a keeper joins a process (joinPidfd)");

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) ThrowErrno(env, errno, "pipe2");
  Fd report_r(p[0]), report_w(p[1]);
  c.report_fd = p[1];
  Fd sync_r, sync_w, info_r, info_w, parent_pidfd, blob_fd;
  if (userns) {
    if (pipe2(p, O_CLOEXEC) < 0) ThrowErrno(env, errno, "pipe2");
    sync_r.reset(p[0]);
    sync_w.reset(p[1]);
    c.sync_fd = p[0];
  }
  if (join) {
    if (pipe2(p, O_CLOEXEC) < 0) ThrowErrno(env, errno, "pipe2");
    info_r.reset(p[0]);
    info_w.reset(p[1]);
    c.info_fd = p[1];
  }
  if (c.death_signal != 0) {
    parent_pidfd.reset(sys_pidfd_open(getpid(), 0));
    c.parent_pidfd = parent_pidfd.get();
  }
  std::string blob_fd_text, keeper_fd_text;
  std::vector<int> keep;
  Fd keeper_mine, keeper_theirs;  // the keeper's control socket: our end, its end
  if (plan.keeper) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) ThrowErrno(env, errno, "socketpair");
    keeper_mine.reset(p[0]);
    keeper_theirs.reset(p[1]);
    keeper_fd_text = std::to_string(p[1]);
  }
  if (join) {
    blob_fd.reset(BlobFd(plan.blob));  // after the fds above are in the plan
    if (blob_fd.get() < 0) ThrowErrno(env, errno, "memfd_create");
    blob_fd_text = std::to_string(blob_fd.get());
    keep = {blob_fd.get(), c.report_fd, c.info_fd, c.join_pidfd};
    if (plan.keeper) keep.push_back(keeper_theirs.get());
    for (int fd : c.stdio)
      if (fd >= 0) keep.push_back(fd);
    if (c.parent_pidfd >= 0) keep.push_back(c.parent_pidfd);
    if (c.exec_fd >= 0) keep.push_back(c.exec_fd);
    const int* cgroup_fds =
        reinterpret_cast<const int*>(plan.blob.bytes().data() + reinterpret_cast<uintptr_t>(c.cgroup_fds));
    for (int i = 0; i < c.cgroup_count; i++) keep.push_back(cgroup_fds[i]);
    if (c.cgroup_into_fd >= 0) keep.push_back(c.cgroup_into_fd);
    // The detached trees of idmapped binds (MOUNT_OP_MOVE_MOUNT) travel into pod-pause enter too.
    const MountOp* ops =
        reinterpret_cast<const MountOp*>(plan.blob.bytes().data() + reinterpret_cast<uintptr_t>(c.mounts));
    for (int i = 0; i < c.mount_count; i++)
      if (ops[i].fd >= 0) keep.push_back(ops[i].fd);
  } else {
    RelocatePlan(&c);
  }
  char* enter_argv[] = {const_cast<char*>("pod-pause"),
                        const_cast<char*>("enter"),
                        const_cast<char*>(blob_fd_text.c_str()),
                        plan.keeper ? const_cast<char*>("keeper") : nullptr,
                        const_cast<char*>(keeper_fd_text.c_str()),
                        nullptr};
  EnterContext enter = {plan.enter_fd, enter_argv,  keep.data(), static_cast<int>(keep.size()),
                        c.report_fd,   !plan.keeper};

  ChildStacks stacks;
  if (!GetStacks(&stacks)) ThrowErrno(env, ENOMEM, "mmap");
  c.child_stack = stacks.child;
  // No Node or libuv handler may run in the child (pitfall 19); the child resets dispositions.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  pid_t pid = -1;
  if (join) {
    // Node's child only execs pod-pause enter (CLONE_VM|CLONE_VFORK: no copy of Node's page tables,
    // and Node waits only until that execve). exit_signal 0: no SIGCHLD reaches libuv for it.
    pid = clone(EnterMain, stacks.intermediate, CLONE_VM | CLONE_VFORK, &enter);
  } else if (!copy) {
    // Nothing for the parent to do between clone and execve: the vfork style again. Born in its cgroup v2
    // directory when it has one (CLONE_INTO_CGROUP, clone3 only), else clone() and a cgroup.procs write.
    if (c.cgroup_into_fd >= 0) {
      c.cgroup_cloned_into = true;  // shared memory: the child reads it as set here
      pid = clone3_run(c.clone_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD, SIGCHLD, c.cgroup_into_fd, &pidfd,
                       stacks.child, kChildStackSize, ChildMain, &c);
      if (pid < 0) c.cgroup_cloned_into = false;
    }
    if (pid < 0)
      pid = clone(ChildMain, stacks.child,
                  static_cast<int>(c.clone_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD), &c, &pidfd);
  } else {
    // A real (copy-on-write) fork: the parent writes the id maps while the child waits, or the child
    // changes its ids in memory of its own.
    if (c.cgroup_into_fd >= 0) {
      c.cgroup_cloned_into = true;  // before the fork: the child's copy has it
      pid = sys_clone3(c.clone_flags | CLONE_PIDFD, SIGCHLD, &pidfd, c.cgroup_into_fd);
      if (pid == 0) RunChild(c);
      if (pid < 0) c.cgroup_cloned_into = false;
    }
    if (pid < 0) {
      pid = sys_clone3(c.clone_flags | CLONE_PIDFD, SIGCHLD, &pidfd);
      if (pid == 0) RunChild(c);
    }
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  report_w.reset();
  info_w.reset();
  sync_r.reset();
  parent_pidfd.reset();
  blob_fd.reset();
  keeper_theirs.reset();
  if (pid < 0) ThrowStep(env, STEP_CLONE, clone_errno, "", 0);

  const int64_t deadline = NowMs() + plan.timeout_ms;
  pid_t child = pid;
  if (userns) {
    std::string path;
    int err = WriteIdMaps(pid, plan, &path);
    if (err != 0) {
      sys_pidfd_send_signal(pidfd, SIGKILL);
      close(pidfd);
      ReapSync(pid);
      ThrowStep(env, STEP_ID_MAP, err, path, pid);
    }
    char go = 'g';
    if (write(sync_w.get(), &go, 1) != 1) {
      // The child died before it read the byte; its report (if any) follows below.
    }
    sync_w.reset();
  }
  if (join) {
    int32_t g = 0;
    ssize_t n = ReadFull(info_r.get(), &g, sizeof g, deadline);
    if (plan.keeper) {
      // A keeper reports its own pid (it is our child: nothing of it is unknown here) and stays.
      if (n == -2) kill(pid, SIGKILL);
      if (n != sizeof g) ReapSync(pid);
      if (n == -2) ThrowStep(env, STEP_SETUP_TIMEOUT, ETIMEDOUT, "", pid);
    } else if (n == sizeof g) {
      ReapSync(pid);  // pod-pause enter exits right after writing
    } else {
      // Stuck (the deadline), failed or died before its report: it may have cloned the child already, whose
      // pid we may not know. Both are in its process group (the child cannot leave it unreported): kill the
      // group, then take a pid it reported before it died, then reap what is left of the group.
      kill(-pid, SIGKILL);
      ReapSync(pid);  // its writes are done: a reported pid is in the pipe now
      int32_t reported = 0;
      struct pollfd ready = {info_r.get(), POLLIN, 0};
      if (poll(&ready, 1, 0) == 1 &&
          read(info_r.get(), &reported, sizeof reported) == static_cast<ssize_t>(sizeof reported) && reported > 0) {
        kill(reported, SIGKILL);  // it may have left the group: unreaped, so its pid is still its own
        ReapSync(reported);
      }
      ReapGroup(pid);
      if (n == -2) ThrowStep(env, STEP_SETUP_TIMEOUT, ETIMEDOUT, "", pid);
    }
    child = n == sizeof g ? g : 0;
  }

  ChildReport report;
  ssize_t n = ReadFull(report_r.get(), &report, sizeof report, deadline);
  if (n == -2) {
    // The child's setup hangs: kill it (our own unreaped child, so its pid is still its own).
    if (child > 0) kill(child, SIGKILL);
    if (child > 0) ReapSync(child);
    if (pidfd >= 0) close(pidfd);
    ThrowStep(env, STEP_SETUP_TIMEOUT, ETIMEDOUT, "", child);
  }
  if (n == sizeof report) {
    if (child > 0) ReapSync(child);
    if (pidfd >= 0) close(pidfd);
    ThrowReport(env, report, child);
  }
  if (child <= 0) ThrowStep(env, STEP_CLONE_CHILD, ECHILD, "", 0);  // pod-pause enter died unreported
  if (n != 0) {
    // A read error or a cut report: the child's state is unknown, so it does not stay.
    int err = n < 0 ? errno : EIO;
    kill(child, SIGKILL);
    ReapSync(child);
    if (pidfd >= 0) close(pidfd);
    ThrowStep(env, STEP_CLONE_CHILD, err, "", child);
  }
  if (join) pidfd = OpenChildPidfd(env, child);

  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", child);
  result.Set("pidfd", pidfd);
  if (plan.keeper) result.Set("socket", keeper_mine.release());
  return result;
}

// A sealed, executable memfd copy of a file (pod-pause): what runs inside pods is never the file on
// disk, so nothing in a pod can write to it through /proc/<pid>/exe (CVE-2019-5736, runc's answer).
Napi::Value SealedExecutable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Fd file(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) ThrowErrno(env, errno, "open", path);
  struct stat st;
  if (fstat(file.get(), &st) < 0) ThrowErrno(env, errno, "fstat", path);
  // MFD_EXEC (Linux 6.3): executable even where vm.memfd_noexec=1 makes memfds non-executable by default.
  const unsigned int exec_flag = 0x0010U;
  Fd memfd(static_cast<int>(syscall(SYS_memfd_create, "pod-pause", MFD_CLOEXEC | MFD_ALLOW_SEALING | exec_flag)));
  if (memfd.get() < 0 && errno == EINVAL)
    memfd.reset(static_cast<int>(syscall(SYS_memfd_create, "pod-pause", MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (memfd.get() < 0) ThrowErrno(env, errno, "memfd_create", path);
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = sendfile(memfd.get(), file.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ThrowErrno(env, n < 0 ? errno : EIO, "sendfile", path);
  }
  if (fchmod(memfd.get(), 0555) < 0) ThrowErrno(env, errno, "fchmod", path);
  const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  if (fcntl(memfd.get(), F_ADD_SEALS, seals) < 0) ThrowErrno(env, errno, "fcntl", path);
  return Napi::Number::New(env, memfd.release());
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("sealedExecutable", Napi::Function::New(env, SealedExecutable, "sealedExecutable"));
  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("mount", static_cast<int>(MOUNT_OP_MOUNT));
  kinds.Set("mkdir", static_cast<int>(MOUNT_OP_MKDIR));
  kinds.Set("pivotRoot", static_cast<int>(MOUNT_OP_PIVOT_ROOT));
  kinds.Set("symlink", static_cast<int>(MOUNT_OP_SYMLINK));
  kinds.Set("file", static_cast<int>(MOUNT_OP_FILE));
  kinds.Set("write", static_cast<int>(MOUNT_OP_WRITE));
  kinds.Set("readOnlyRecursive", static_cast<int>(MOUNT_OP_READ_ONLY_RECURSIVE));
  kinds.Set("moveMount", static_cast<int>(MOUNT_OP_MOVE_MOUNT));
  exports.Set("mountOpKinds", kinds);
  Napi::Object checks = Napi::Object::New(env);
  checks.Set("devNull", static_cast<int>(MOUNT_CHECK_DEV_NULL));
  checks.Set("tmpfs", static_cast<int>(MOUNT_CHECK_TMPFS));
  checks.Set("proc", static_cast<int>(MOUNT_CHECK_PROC));
  checks.Set("sysfs", static_cast<int>(MOUNT_CHECK_SYSFS));
  exports.Set("mountChecks", checks);
}

}  // namespace podinit
