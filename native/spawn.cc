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
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "plan.h"
#include "steps.h"
#include "sys.h"

namespace podinit {

namespace {

// Owns every buffer the ChildPlan points into; lives on the parent's stack across the clone.
struct SpawnPlan {
  std::vector<std::string> strings;  // reserved up front: pointers into it must stay valid
  std::vector<const char*> candidates;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<MountOp> mounts;
  std::vector<gid_t> groups;
  std::vector<int> ignored;
  std::string uid_map, gid_map, setgroups;
  ChildPlan child;
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

const char* Keep(SpawnPlan& plan, const std::string& s) {
  plan.strings.push_back(s);
  return plan.strings.back().c_str();
}

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

size_t CountStrings(const Napi::Object& o) {
  size_t n = 16;
  for (const char* key : {"candidates", "argv", "env"})
    if (Has(o, key)) n += o.Get(key).As<Napi::Array>().Length();
  if (Has(o, "mounts")) n += 4 * o.Get("mounts").As<Napi::Array>().Length();
  return n;
}

// Options were validated by src/spawn.ts; this only copies them into plain C storage.
void BuildPlan(const Napi::Object& o, SpawnPlan& plan) {
  plan.strings.reserve(CountStrings(o));
  ChildPlan& c = plan.child;
  memset(&c, 0, sizeof c);

  for (const auto& s : StrArray(o, "candidates")) plan.candidates.push_back(Keep(plan, s));
  for (const auto& s : StrArray(o, "argv")) plan.argv.push_back(const_cast<char*>(Keep(plan, s)));
  plan.argv.push_back(nullptr);
  for (const auto& s : StrArray(o, "env")) plan.envp.push_back(const_cast<char*>(Keep(plan, s)));
  plan.envp.push_back(nullptr);
  c.candidates = plan.candidates.data();
  c.candidate_count = static_cast<int>(plan.candidates.size());
  c.argv = plan.argv.data();
  c.envp = plan.envp.data();
  c.cwd = Has(o, "cwd") ? Keep(plan, Str(o, "cwd")) : nullptr;

  c.join_pidfd = static_cast<int>(Int(o, "joinPidfd", -1));
  c.join_flags = static_cast<int>(Int(o, "joinFlags", 0));
  c.clone_flags = static_cast<uint64_t>(Int(o, "cloneFlags", 0));
  c.unshare_flags = static_cast<int>(Int(o, "unshareFlags", 0));
  c.sync_fd = -1;

  c.propagation = static_cast<unsigned long>(Int(o, "propagation", 0));
  c.mount_proc = Bool(o, "mountProc");
  if (Has(o, "mounts")) {
    Napi::Array a = o.Get("mounts").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object m = a.Get(i).As<Napi::Object>();
      MountOp op;
      op.kind = static_cast<int>(Int(m, "kind", MOUNT_OP_MOUNT));
      op.source = Has(m, "source") ? Keep(plan, Str(m, "source")) : nullptr;
      op.target = Keep(plan, Str(m, "target"));
      op.fstype = Has(m, "fstype") ? Keep(plan, Str(m, "fstype")) : nullptr;
      op.flags = static_cast<unsigned long>(Int(m, "flags", 0));
      op.data = Has(m, "data") ? Keep(plan, Str(m, "data")) : nullptr;
      op.beneath = Has(m, "beneath") ? Keep(plan, Str(m, "beneath")) : nullptr;
      op.relative = Has(m, "relative") ? Keep(plan, Str(m, "relative")) : nullptr;
      plan.mounts.push_back(op);
    }
  }
  c.mounts = plan.mounts.data();
  c.mount_count = static_cast<int>(plan.mounts.size());

  c.hostname = Has(o, "hostname") ? Keep(plan, Str(o, "hostname")) : nullptr;
  c.loopback_up = Bool(o, "loopback");

  c.new_session = Bool(o, "newSession");
  c.new_process_group = Bool(o, "newProcessGroup");
  c.foreground = Bool(o, "foreground");
  c.set_ids = Has(o, "uid");
  c.uid = static_cast<uid_t>(Int(o, "uid", 0));
  c.gid = static_cast<gid_t>(Int(o, "gid", 0));
  c.set_groups = Has(o, "groups");
  for (int64_t g : IntArray(o, "groups")) plan.groups.push_back(static_cast<gid_t>(g));
  c.groups = plan.groups.data();
  c.group_count = static_cast<int>(plan.groups.size());
  c.no_new_privs = Bool(o, "noNewPrivs");
  c.death_signal = static_cast<int>(Int(o, "deathSignal", 0));
  c.parent_pidfd = -1;

  sigemptyset(&c.exec_mask);
  for (int64_t s : IntArray(o, "mask")) sigaddset(&c.exec_mask, static_cast<int>(s));
  for (int64_t s : IntArray(o, "ignore")) plan.ignored.push_back(static_cast<int>(s));
  c.ignored_signals = plan.ignored.data();
  c.ignored_count = static_cast<int>(plan.ignored.size());

  std::vector<int64_t> stdio = IntArray(o, "stdio");
  for (int i = 0; i < 3; i++) c.stdio[i] = i < static_cast<int>(stdio.size()) ? static_cast<int>(stdio[i]) : i;
  c.report_fd = -1;
  c.info_fd = -1;

  if (Has(o, "uidMap")) plan.uid_map = Str(o, "uidMap");
  if (Has(o, "gidMap")) plan.gid_map = Str(o, "gidMap");
  if (Has(o, "setgroups")) plan.setgroups = Str(o, "setgroups");
}

ssize_t ReadFull(int fd, void* buf, size_t len) {
  size_t got = 0;
  while (got < len) {
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
int WriteIdMaps(pid_t pid, const SpawnPlan& plan, std::string* path) {
  int err = 0;
  if (!plan.setgroups.empty()) err = WriteProcFile(pid, "setgroups", plan.setgroups, path);
  if (err == 0 && !plan.uid_map.empty()) err = WriteProcFile(pid, "uid_map", plan.uid_map, path);
  if (err == 0 && !plan.gid_map.empty()) err = WriteProcFile(pid, "gid_map", plan.gid_map, path);
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

[[noreturn]] void ThrowReport(Napi::Env env, const ChildReport& report, pid_t pid) {
  SyscallFailure failure;
  failure.err = report.err;
  failure.step = StepName(report.step);
  failure.syscall = StepSyscall(report.step);
  failure.path = std::string(report.path, strnlen(report.path, sizeof report.path));
  failure.pid = pid;
  throw MakeSyscallError(env, failure);
}

[[noreturn]] void ThrowStep(Napi::Env env, int step, int err, const std::string& path, pid_t pid) {
  ChildReport report;
  memset(&report, 0, sizeof report);
  report.step = step;
  report.err = err;
  strncpy(report.path, path.c_str(), sizeof report.path - 1);
  ThrowReport(env, report, pid);
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnPlan plan;
  BuildPlan(info[0].As<Napi::Object>(), plan);
  ChildPlan& c = plan.child;
  const bool join = c.join_pidfd >= 0;
  const bool userns = !join && (c.clone_flags & CLONE_NEWUSER) != 0;

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) ThrowErrno(env, errno, "pipe2");
  Fd report_r(p[0]), report_w(p[1]);
  c.report_fd = p[1];
  Fd sync_r, sync_w, info_r, info_w, parent_pidfd;
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

  // No Node or libuv handler may run in the child (pitfall 19); the child resets dispositions.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  pid_t pid = -1;
  ChildStacks stacks;
  if (!GetStacks(&stacks)) ThrowErrno(env, ENOMEM, "mmap");
  c.child_stack = stacks.child;
  if (join) {
    // The intermediate shares Node's memory (CLONE_VM|CLONE_VFORK, like posix_spawn): no copy of Node's
    // page tables for a process that lives microseconds; Node's thread waits until it exits.
    // exit_signal 0: no SIGCHLD reaches libuv for it.
    pid = clone(IntermediateMain, stacks.intermediate, CLONE_VM | CLONE_VFORK, &c);
  } else if (!userns) {
    // Nothing for the parent to do between clone and execve: the vfork style again.
    pid = clone(ChildMain, stacks.child,
                static_cast<int>(c.clone_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD), &c, &pidfd);
  } else {
    // The parent writes the id maps while the child waits: a real (copy-on-write) fork.
    pid = sys_clone3(c.clone_flags | CLONE_PIDFD, SIGCHLD, &pidfd);
    if (pid == 0) RunChild(c);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  report_w.reset();
  info_w.reset();
  sync_r.reset();
  parent_pidfd.reset();
  if (pid < 0) ThrowStep(env, STEP_CLONE, clone_errno, "", 0);

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
    ssize_t n = ReadFull(info_r.get(), &g, sizeof g);
    ReapSync(pid);  // the intermediate: exits right after writing (or after failing)
    child = n == sizeof g ? g : 0;
  }

  ChildReport report;
  ssize_t n = ReadFull(report_r.get(), &report, sizeof report);
  if (n == sizeof report) {
    if (child > 0) ReapSync(child);
    if (pidfd >= 0) close(pidfd);
    ThrowReport(env, report, child);
  }
  if (child <= 0) ThrowStep(env, STEP_CLONE_CHILD, ECHILD, "", 0);  // intermediate died unreported
  if (join) {
    pidfd = sys_pidfd_open(child, 0);  // race-free: child is our own unreaped child
    if (pidfd < 0) ThrowErrno(env, errno, "pidfd_open");
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", child);
  result.Set("pidfd", pidfd);
  return result;
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  Napi::Object kinds = Napi::Object::New(env);
  kinds.Set("mount", static_cast<int>(MOUNT_OP_MOUNT));
  kinds.Set("mkdir", static_cast<int>(MOUNT_OP_MKDIR));
  kinds.Set("pivotRoot", static_cast<int>(MOUNT_OP_PIVOT_ROOT));
  kinds.Set("symlink", static_cast<int>(MOUNT_OP_SYMLINK));
  kinds.Set("file", static_cast<int>(MOUNT_OP_FILE));
  exports.Set("mountOpKinds", kinds);
}

}  // namespace podinit
