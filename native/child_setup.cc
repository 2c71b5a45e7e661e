// child_setup.cc — what runs between clone and execve, in the child.
//
// Only async-signal-safe calls on the parent's prepared ChildPlan (plan.h): the child is a copy of a
// multithreaded process, or shares its memory outright (CLONE_VM, until execve): it writes nothing but
// its own stack. Every failure writes a ChildReport {step, errno, path} into the close-on-exec
// report pipe and _exit(127)s; a successful execve closes the pipe, which the parent reads as success
// (libuv's uv__process_child_init does the same). Order follows crun and DESIGN.md A.1/A.2/A.5.
// See: clone3(2), setns(2), unshare(2), mount(2), pivot_root(2), prctl(2), close_range(2).
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "exec_search.h"
#include "plan.h"
#include "sigset.h"
#include "steps.h"
#include "sys.h"

namespace podinit {

[[noreturn]] void WriteChildReport(int fd, int step, int err, const char* path) {
  ChildReport report;
  memset(&report, 0, sizeof report);
  report.step = step;
  report.err = err;
  if (path != nullptr) {
    size_t n = strlen(path);
    if (n >= sizeof report.path) n = sizeof report.path - 1;
    memcpy(report.path, path, n);
  }
  ssize_t ignored = write(fd, &report, sizeof report);
  (void)ignored;
  _exit(127);
}

[[noreturn]] static void child_fail(const ChildPlan& plan, int step, int err, const char* path) {
  WriteChildReport(plan.report_fd, step, err, path);
}

static void child_reset_signals() {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 32; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // fails only for invalid signals; nothing to report
  }
}

static void child_ignore_signals(const ChildPlan& plan) {
  struct sigaction ign;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  for (int i = 0; i < plan.ignored_count; i++) sigaction(plan.ignored_signals[i], &ign, nullptr);
}

static void child_wait_parent(const ChildPlan& plan) {
  if (plan.sync_fd < 0) return;
  char go = 0;
  ssize_t n;
  do {
    n = read(plan.sync_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  // EOF without the byte: the parent gave up (it reports its own error); leave quietly.
  if (n != 1) _exit(127);
}

// A bind remount (read-only, say) must keep the flags the kernel locked on the mount: inside a user
// namespace nosuid, nodev, noexec and the atime flags of a mount made outside it cannot be cleared,
// and asking to is EPERM (runc and crun add them the same way). statvfs is a plain statfs syscall.
static unsigned long mount_flags(const MountOp& op, const char* target) {
  unsigned long flags = op.flags;
  if ((flags & MS_REMOUNT) == 0 || (flags & MS_BIND) == 0) return flags;
  struct statvfs st;
  if (statvfs(target, &st) < 0) return flags;
  const struct {
    unsigned long st, ms;
  } locked[] = {{ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},           {ST_NOEXEC, MS_NOEXEC},
                {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
  for (const auto& f : locked)
    if (st.f_flag & f.st) flags |= f.ms;
  return flags;
}

constexpr unsigned MOVE_MOUNT_F_EMPTY_PATH_BIT = 0x00000004;  // linux/mount.h MOVE_MOUNT_F_EMPTY_PATH
constexpr unsigned MOVE_MOUNT_T_EMPTY_PATH_BIT = 0x00000040;  // linux/mount.h MOVE_MOUNT_T_EMPTY_PATH
constexpr uint64_t MOUNT_ATTR_RDONLY_BIT = 0x00000001;        // linux/mount.h MOUNT_ATTR_RDONLY

// "/proc/self/fd/<fd>" into buf, without snprintf (not async-signal-safe).
static void fd_path(char* buf, int fd) {
  static const char prefix[] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  memcpy(buf, prefix, sizeof prefix - 1);
  int at = sizeof prefix - 1;
  while (n > 0) buf[at++] = digits[--n];
  buf[at] = 0;
}

// A bind of `relative` beneath `beneath` (MountOp): 0, or the errno of the step that failed;
// ENOSYS when this kernel has no openat2 (the caller then binds `source` as it is).
static int mount_beneath(const MountOp& op, unsigned long flags, const char* target) {
  int root = open(op.beneath, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return errno;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, root, op.relative, &how, sizeof how));
  int err = fd < 0 ? errno : 0;
  close(root);
  if (fd < 0) return err;
  char path[32];
  fd_path(path, fd);
  err = mount(path, target, op.fstype, flags, op.data) < 0 ? errno : 0;
  close(fd);
  return err;
}

// MOUNT_OP_WRITE: `data` into an existing file, never through a symlink; with fstype "proc" the file
// must be on a procfs (a sysctl written through the pod's own /proc, CVE-2025-52881's lesson).
static int write_file(const MountOp& op) {
  int fd = open(op.target, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return errno;
  int err = 0;
  struct statfs fs;
  if (op.fstype != nullptr && strcmp(op.fstype, "proc") == 0 && (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC))
    err = EXDEV;
  size_t len = op.data != nullptr ? strlen(op.data) : 0;
  if (err == 0 && write(fd, op.data != nullptr ? op.data : "", len) != static_cast<ssize_t>(len))
    err = errno != 0 ? errno : EIO;
  close(fd);
  return err;
}

// The new root (the pivot-root step's target): the steps before it that act under it resolve their
// paths inside it, never through a symlink that leads out (a volume mounted inside another volume
// that a running container can write, an image's /etc -> /host/etc: CVE-2021-30465's class).
static const char* new_root(const ChildPlan& plan) {
  for (int i = 0; i < plan.mount_count; i++)
    if (plan.mounts[i].kind == MOUNT_OP_PIVOT_ROOT) return plan.mounts[i].target;
  return nullptr;
}

// `target` relative to `root` when it lies strictly under it, else null.
static const char* under_root(const char* root, const char* target) {
  if (root == nullptr) return nullptr;
  size_t n = strlen(root);
  while (n > 1 && root[n - 1] == '/') n--;
  if (strncmp(root, target, n) != 0 || target[n] != '/' || target[n + 1] == 0) return nullptr;
  return target + n + 1;
}

// An O_PATH fd of `relative` resolved inside `root` (openat2 RESOLVE_IN_ROOT: symlinks stay in the
// root, magic links refused); the parent directory only when `parent` (then *name is the last
// component). -1 and errno on failure; ENOSYS where openat2 is missing.
static int open_in_root(const char* root, const char* relative, bool parent, const char** name) {
  char buf[4096];
  const char* path = relative;
  if (parent) {
    const char* slash = strrchr(relative, '/');
    *name = slash == nullptr ? relative : slash + 1;
    size_t len = slash == nullptr ? 0 : static_cast<size_t>(slash - relative);
    if (len >= sizeof buf) {
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(buf, relative, len);
    buf[len] = 0;
    path = len == 0 ? "." : buf;
  }
  int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC | (parent ? O_DIRECTORY : 0);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, dir, path, &how, sizeof how));
  int err = errno;
  close(dir);
  errno = err;
  return fd;
}

// mkdir, a file or a symlink made in its parent directory resolved inside the root.
static int make_in_root(const MountOp& op, const char* root, const char* relative) {
  const char* name = nullptr;
  int dir = open_in_root(root, relative, true, &name);
  if (dir < 0) return errno;
  int err = 0;
  if (op.kind == MOUNT_OP_MKDIR) {
    if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST) err = errno;
  } else if (op.kind == MOUNT_OP_FILE) {
    // O_NOFOLLOW: no symlink as the file itself; O_NONBLOCK: a FIFO is ENXIO, not a hang.
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0)
      err = errno;
    else
      close(fd);
  } else if (symlinkat(op.source, dir, name) < 0 && errno != EEXIST) {
    err = errno;
  }
  close(dir);
  return err;
}

// An O_PATH fd of the absolute `path`, opened beneath `root` (a root pod-init made: the new root
// before pivot_root, "/" after it) without following a symlink or a magic link in any component.
// -1 and errno on failure.
static int open_no_symlinks(const char* root, const char* path) {
  const char* relative = under_root(root, path);
  if (relative == nullptr) {
    relative = path;
    root = "/";
    while (*relative == '/') relative++;
    if (*relative == 0) relative = ".";
  }
  int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, dir, relative, &how, sizeof how));
  int err = errno;
  close(dir);
  errno = err;
  return fd;
}

// 0 when the open file is what `check` (MountCheck) asks for; ENODEV for another file than the
// device 1:3, EXDEV for a file on another filesystem than the one named.
static int check_fd(int fd, int check) {
  if (check == MOUNT_CHECK_DEV_NULL) {
    struct stat st;
    if (fstat(fd, &st) < 0) return errno;
    return S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3 ? 0 : ENODEV;
  }
  struct statfs fs;
  if (fstatfs(fd, &fs) < 0) return errno;
  unsigned long want = check == MOUNT_CHECK_TMPFS  ? TMPFS_MAGIC
                       : check == MOUNT_CHECK_PROC ? PROC_SUPER_MAGIC
                                                   : SYSFS_MAGIC;
  return static_cast<unsigned long>(fs.f_type) == want ? 0 : EXDEV;
}

// A checked path: an fd (see open_no_symlinks) that passed check_fd, or -1 with *err set.
static int open_checked(const char* root, const char* path, int check, int* err) {
  int fd = open_no_symlinks(root, path);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  *err = check_fd(fd, check);
  if (*err == 0) return fd;
  close(fd);
  return -1;
}

// A mask or read-only remount (MountOp source_check/target_check): source and target are opened and
// checked by fd, then mounted through /proc/self/fd/N; an optional target that is gone is skipped.
static void mount_checked(const ChildPlan& plan, const MountOp& op, const char* root) {
  int err = 0;
  char target_path[32];
  const char* target = op.target;
  int target_fd = -1;
  if (op.target_check != MOUNT_CHECK_NONE) {
    target_fd = open_checked(root, op.target, op.target_check, &err);
    if (target_fd < 0 && err == ENOENT && op.optional) return;
    if (target_fd < 0) child_fail(plan, STEP_MASK_TARGET, err, op.target);
    fd_path(target_path, target_fd);
    target = target_path;
  }
  int source_fd = -1;
  char source_path[32];
  const char* source = op.source;
  if (op.source_check != MOUNT_CHECK_NONE) {
    if (op.source == nullptr) child_fail(plan, STEP_MASK_SOURCE, EINVAL, op.target);
    source_fd = open_checked(root, op.source, op.source_check, &err);
    if (source_fd < 0) child_fail(plan, STEP_MASK_SOURCE, err, op.source);
    fd_path(source_path, source_fd);
    source = source_path;
  }
  if (mount(source, target, op.fstype, mount_flags(op, target), op.data) < 0)
    child_fail(plan, STEP_MOUNT, errno, op.target);
  if (source_fd >= 0) close(source_fd);
  if (target_fd >= 0) close(target_fd);
}

static void child_mounts(const ChildPlan& plan) {
  const char* root = new_root(plan);
  bool pivoted = false;
  if (plan.propagation != 0 && mount(nullptr, "/", nullptr, MS_REC | plan.propagation, nullptr) < 0)
    child_fail(plan, STEP_MOUNT_PROPAGATION, errno, "/");
  if (plan.mount_proc && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0)
    child_fail(plan, STEP_MOUNT_PROC, errno, "/proc");
  for (int i = 0; i < plan.mount_count; i++) {
    const MountOp& op = plan.mounts[i];
    if (op.optional && op.kind != MOUNT_OP_MKDIR && op.kind != MOUNT_OP_FILE && op.kind != MOUNT_OP_SYMLINK) {
      struct stat st;
      if (lstat(op.target, &st) < 0 && errno == ENOENT) continue;
    }
    if (op.kind == MOUNT_OP_MOUNT && (op.source_check != MOUNT_CHECK_NONE || op.target_check != MOUNT_CHECK_NONE)) {
      mount_checked(plan, op, pivoted ? nullptr : root);
      continue;
    }
    const char* relative = pivoted ? nullptr : under_root(root, op.target);
    if (relative != nullptr && (op.kind == MOUNT_OP_MKDIR || op.kind == MOUNT_OP_FILE || op.kind == MOUNT_OP_SYMLINK)) {
      int err = make_in_root(op, root, relative);
      if (err == 0) continue;
      if (err != ENOSYS) child_fail(plan, op.kind == MOUNT_OP_SYMLINK ? STEP_SYMLINK : STEP_MKDIR, err, op.target);
      // No openat2 (Linux < 5.6): by path, below.
    }
    // A mount onto a path under the new root goes onto /proc/self/fd/N of that path resolved inside it.
    char fd_target[32];
    const char* target = op.target;
    int target_fd = -1;
    if (relative != nullptr &&
        (op.kind == MOUNT_OP_MOUNT || op.kind == MOUNT_OP_READ_ONLY_RECURSIVE || op.kind == MOUNT_OP_MOVE_MOUNT)) {
      target_fd = open_in_root(root, relative, false, nullptr);
      if (target_fd < 0 && errno == EACCES && op.skip_unreachable) continue;
      if (target_fd < 0 && errno != ENOSYS) child_fail(plan, STEP_MOUNT, errno, op.target);
      if (target_fd >= 0) {
        fd_path(fd_target, target_fd);
        target = fd_target;
      }
    }
    if (op.kind == MOUNT_OP_MKDIR) {
      if (mkdir(op.target, 0755) < 0 && errno != EEXIST) child_fail(plan, STEP_MKDIR, errno, op.target);
    } else if (op.kind == MOUNT_OP_FILE) {
      // O_NONBLOCK: a FIFO swapped in here is ENXIO, not a child stuck in open (and Node with it).
      int fd = open(op.target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
      if (fd < 0) child_fail(plan, STEP_MKDIR, errno, op.target);
      close(fd);
    } else if (op.kind == MOUNT_OP_READ_ONLY_RECURSIVE) {
      // recursiveReadOnly (Linux >= 5.12): the bind and every submount under it, in one call.
      struct {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
      } attr = {MOUNT_ATTR_RDONLY_BIT, 0, 0, 0};
      if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof attr) < 0 &&
          !(op.optional && (errno == ENOSYS || errno == EINVAL)))
        child_fail(plan, STEP_MOUNT, errno, op.target);
    } else if (op.kind == MOUNT_OP_MOVE_MOUNT) {
      // An idmapped bind (hostUsers: false): the tree the parent detached and idmapped, attached here.
      // Onto the target's fd when it was resolved inside the root (a path would not follow /proc/self/fd/N).
      int rc =
          target_fd >= 0
              ? static_cast<int>(syscall(SYS_move_mount, op.fd, "", target_fd, "",
                                         MOVE_MOUNT_F_EMPTY_PATH_BIT | MOVE_MOUNT_T_EMPTY_PATH_BIT))
              : static_cast<int>(syscall(SYS_move_mount, op.fd, "", AT_FDCWD, op.target, MOVE_MOUNT_F_EMPTY_PATH_BIT));
      if (rc < 0) child_fail(plan, STEP_MOVE_MOUNT, errno, op.target);
    } else if (op.kind == MOUNT_OP_WRITE) {
      int err = write_file(op);
      if (err != 0) child_fail(plan, STEP_WRITE_FILE, err, op.target);
    } else if (op.kind == MOUNT_OP_SYMLINK) {
      if (symlink(op.source, op.target) < 0 && errno != EEXIST) child_fail(plan, STEP_SYMLINK, errno, op.target);
    } else if (op.kind == MOUNT_OP_PIVOT_ROOT) {
      // The "." "." dance (runc, crun do_pivot): no directory for the old root is needed, and the
      // old root is detached from inside the new one. The new root must be a mount point.
      int old_root = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
      if (old_root < 0) child_fail(plan, STEP_PIVOT_ROOT, errno, "/");
      if (chdir(op.target) < 0) child_fail(plan, STEP_PIVOT_ROOT, errno, op.target);
      if (sys_pivot_root(".", ".") < 0) child_fail(plan, STEP_PIVOT_ROOT, errno, op.target);
      if (fchdir(old_root) < 0) child_fail(plan, STEP_PIVOT_ROOT, errno, op.target);
      if (mount(nullptr, ".", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
        child_fail(plan, STEP_PIVOT_ROOT, errno, op.target);
      if (umount2(".", MNT_DETACH) < 0) child_fail(plan, STEP_PIVOT_ROOT, errno, op.target);
      if (chdir("/") < 0) child_fail(plan, STEP_PIVOT_ROOT, errno, "/");
      close(old_root);
      pivoted = true;
    } else if (op.beneath != nullptr) {
      int err = mount_beneath(op, mount_flags(op, target), target);
      if (err == ENOSYS && mount(op.source, target, op.fstype, mount_flags(op, target), op.data) < 0)
        err = errno;
      else if (err == ENOSYS)
        err = 0;
      if (err != 0) child_fail(plan, STEP_MOUNT, err, err == EXDEV ? op.source : op.target);
    } else if (mount(op.source, target, op.fstype, mount_flags(op, target), op.data) < 0 &&
               !(errno == EACCES && op.skip_unreachable)) {
      child_fail(plan, STEP_MOUNT, errno, op.target);
    }
    if (target_fd >= 0) close(target_fd);
  }
}

// A new network namespace has "lo" down: connect(127.0.0.1) fails with ENETUNREACH (pitfall 28).
static int bring_loopback_up() {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(sock);
  errno = saved;
  return rc;
}

static void child_identity(const ChildPlan& plan) {
  if (plan.hostname != nullptr && sethostname(plan.hostname, strlen(plan.hostname)) < 0)
    child_fail(plan, STEP_SET_HOSTNAME, errno, plan.hostname);
  if (plan.loopback_up && bring_loopback_up() < 0) child_fail(plan, STEP_LOOPBACK, errno, "lo");
}

// Enter the cgroups first, before anything the child does can be charged elsewhere: writing "0" moves the
// writer (runc writes its init's pid before it runs). The fds are v1 `tasks` files (this child has one
// thread, so moving it moves the process, without the global cgroup_threadgroup_rwsem that a cgroup.procs
// write takes and whose writer waits for an RCU grace period) or a v2 cgroup.procs. A v2 cgroup the child
// was cloned into (CLONE_INTO_CGROUP) it is in already: no migration at all.
static void child_cgroups(const ChildPlan& plan) {
  for (int i = 0; i < plan.cgroup_count; i++) {
    if (plan.cgroup_cloned_into && i == plan.cgroup_into_index) continue;
    if (write(plan.cgroup_fds[i], "0", 1) != 1) child_fail(plan, STEP_CGROUP, errno, nullptr);
  }
}

static void child_session(const ChildPlan& plan) {
  if (plan.new_session && setsid() < 0) child_fail(plan, STEP_NEW_SESSION, errno, nullptr);
  // `exec -t`: the pty slave (stdin-to-be) is the new session's terminal, its group the foreground one,
  // so Ctrl-C typed on the client reaches the command through the pty (runc's console, setsid + TIOCSCTTY).
  if (plan.controlling_tty && ioctl(plan.stdio[0], TIOCSCTTY, 0) < 0)
    child_fail(plan, STEP_CONTROLLING_TTY, errno, nullptr);
  if (plan.new_process_group) {
    if (setpgid(0, 0) < 0) child_fail(plan, STEP_PROCESS_GROUP, errno, nullptr);
    // Take the terminal's foreground so job control works (tini, catatonit). SIGTTOU is at its
    // default and blocked here, so tcsetpgrp from a background group does not stop us.
    if (plan.foreground && isatty(0)) tcsetpgrp(0, getpgrp());
  }
}

// A joined spawn's child is born in its intermediate's process group (the intermediate leads it: EnterMain), so
// Node can kill and reap it by that group even when the intermediate died between its clone and its pid
// report, the one moment Node does not know the child's pid. So the child must not leave the group before the
// report: it waits for the intermediate's byte, written after the pid. EOF instead means the intermediate died
// unreported: nobody knows this child's pid, so it ends at once (Node reaps it by the group).
static void child_await_report(const ChildPlan& plan) {
  if (plan.reported_fd < 0) return;
  close(plan.reported_write_fd);
  char byte = 0;
  ssize_t n;
  do {
    n = read(plan.reported_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(127);
  close(plan.reported_fd);
}

static void child_load_seccomp(const ChildPlan& plan) {
  if (plan.seccomp_filter == nullptr) return;
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(plan.seccomp_len);
  prog.filter = static_cast<struct sock_filter*>(const_cast<void*>(plan.seccomp_filter));
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) child_fail(plan, STEP_SECCOMP, errno, nullptr);
}

// Before the id change: keep the permitted set across it and cut the bounding set (needs CAP_SETPCAP,
// which root still has here).
static void child_capabilities_before_ids(const ChildPlan& plan) {
  if (!plan.set_caps) return;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(plan, STEP_CAPABILITIES, errno, nullptr);
  for (int cap = 0; cap <= plan.cap_last && cap < 64; cap++) {
    if (plan.cap_bounding & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      child_fail(plan, STEP_CAPABILITIES, errno, nullptr);
  }
}

// After it: the sets themselves (effective was cleared by a change away from uid 0), then ambient.
static void child_capabilities_after_ids(const ChildPlan& plan) {
  if (!plan.set_caps) return;
  struct __user_cap_header_struct header;
  struct __user_cap_data_struct data[2];
  memset(&header, 0, sizeof header);
  memset(data, 0, sizeof data);
  header.version = _LINUX_CAPABILITY_VERSION_3;
  for (int i = 0; i < 2; i++) {
    data[i].effective = static_cast<uint32_t>(plan.cap_effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(plan.cap_permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(plan.cap_inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) < 0) child_fail(plan, STEP_CAPABILITIES, errno, nullptr);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    child_fail(plan, STEP_CAPABILITIES, errno, nullptr);
  for (int cap = 0; cap <= plan.cap_last && cap < 64; cap++) {
    if ((plan.cap_ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      child_fail(plan, STEP_CAPABILITIES, errno, nullptr);
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) child_fail(plan, STEP_CAPABILITIES, errno, nullptr);
}

static void child_ids(const ChildPlan& plan) {
  // Raw syscalls: glibc's setgroups()/setresuid() broadcast the change to every thread it knows of
  // (SIGSETXID); this copy of Node has only one thread but glibc's list still names Node's others.
  if (plan.set_groups && syscall(SYS_setgroups, plan.group_count, plan.groups) < 0)
    child_fail(plan, STEP_SET_GROUPS, errno, nullptr);
  if (plan.set_ids) {
    if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) < 0) child_fail(plan, STEP_SET_GID, errno, nullptr);
    if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) < 0) child_fail(plan, STEP_SET_UID, errno, nullptr);
  }
}

// The working directory is entered as the target user (its permission checks, not root's), and must
// lie inside the root: a directory reached through a leaked fd (/proc/self/fd/N, CVE-2024-21626) or
// outside a pivot_root reads back from getcwd as "(unreachable)/...", not an absolute path.
static void child_cwd(const ChildPlan& plan) {
  if (plan.cwd == nullptr) return;
  if (chdir(plan.cwd) < 0) child_fail(plan, STEP_CHDIR, errno, plan.cwd);
  char buf[4096];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0) child_fail(plan, STEP_VERIFY_CWD, errno, plan.cwd);  // ERANGE too: unverified is refused
  if (buf[0] != '/') child_fail(plan, STEP_VERIFY_CWD, EXDEV, plan.cwd);
}

static void child_death_signal(const ChildPlan& plan) {
  // After the id changes, which clear it. It follows the parent *thread*; the parent is Node's main
  // thread (CLONE_PARENT keeps it so for the double fork). The parent may already be gone: check
  // its pidfd (getppid() reads 0 across pid namespaces), as util-linux unshare --kill-child does.
  if (plan.death_signal != 0) {
    if (prctl(PR_SET_PDEATHSIG, plan.death_signal, 0, 0, 0) < 0) child_fail(plan, STEP_DEATH_SIGNAL, errno, nullptr);
    if (plan.parent_pidfd >= 0) {
      struct pollfd pfd = {plan.parent_pidfd, POLLIN, 0};
      if (poll(&pfd, 1, 0) > 0) _exit(127);
    }
  }
}

// Make plan.stdio[i] fd i. A source that is itself one of 0..2 (but not i) is moved out of the way
// first, so that dup2 never overwrites a source still needed. dup2 clears FD_CLOEXEC on the copy;
// a source already at i gets it cleared by hand: Node marks its own 0..2 close-on-exec (pitfall 17).
static void child_stdio(const ChildPlan& plan) {
  int fds[3] = {plan.stdio[0], plan.stdio[1], plan.stdio[2]};
  for (int i = 0; i < 3; i++) {
    if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i) {
      int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
      if (moved < 0) child_fail(plan, STEP_STDIO, errno, nullptr);
      for (int j = i + 1; j < 3; j++)
        if (fds[j] == fds[i]) fds[j] = moved;
      fds[i] = moved;
    }
  }
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 0) continue;
    if (fds[i] == i) {
      if (fcntl(i, F_SETFD, 0) < 0) child_fail(plan, STEP_STDIO, errno, nullptr);
    } else if (dup2(fds[i], i) < 0) {
      child_fail(plan, STEP_STDIO, errno, nullptr);
    }
  }
  // Everything else Node or another addon opened is closed by execve (runc CVE-2024-21626 class).
  if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) child_fail(plan, STEP_CLOSE_FDS, errno, nullptr);
}

[[noreturn]] static void child_exec(const ChildPlan& plan) {
  int err = ENOENT;
  const char* failed = plan.candidate_count > 0 ? plan.candidates[0] : "";
  sigprocmask(SIG_SETMASK, &plan.exec_mask, nullptr);
  if (plan.exec_fd >= 0) {
    syscall(SYS_execveat, plan.exec_fd, "", plan.argv, plan.envp, AT_EMPTY_PATH);
    err = errno;
    failed = plan.argv[0];
  }
  if (plan.exec_fd < 0) exec_candidates(plan.candidates, plan.candidate_count, plan.argv, plan.envp, &err, &failed);
  sigset_t all;
  fill_every_signal(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);  // the report must not be cut short by a signal
  child_fail(plan, STEP_EXEC, err, failed);
}

// See ChildPlan::become_ns_root. A setns() into a user namespace, or a clone with CLONE_NEWUSER, keeps
// the host uid (0); it gets capabilities in the namespace, but is unmapped there.
static void child_become_ns_root(const ChildPlan& plan) {
  if (!plan.become_ns_root) return;
  if (syscall(SYS_setresgid, 0, 0, 0) < 0) child_fail(plan, STEP_SET_GID, errno, nullptr);
  if (syscall(SYS_setresuid, 0, 0, 0) < 0) child_fail(plan, STEP_SET_UID, errno, nullptr);
}

void RunChild(const ChildPlan& plan) {
  // Signals stay blocked (the parent blocked them all before clone) until child_exec sets the mask.
  child_reset_signals();
  child_wait_parent(plan);
  child_cgroups(plan);
  child_become_ns_root(plan);
  if (plan.unshare_flags != 0 && unshare(plan.unshare_flags) < 0) child_fail(plan, STEP_UNSHARE, errno, nullptr);
  child_mounts(plan);
  child_identity(plan);
  child_await_report(plan);
  child_session(plan);
  // Order of runc's init (SECURITY.md §5): without no_new_privs the filter needs CAP_SYS_ADMIN, so it
  // goes in before the ids and capabilities change; the few calls after it are in every profile.
  if (!plan.no_new_privs) child_load_seccomp(plan);
  child_capabilities_before_ids(plan);
  child_ids(plan);
  child_cwd(plan);
  child_capabilities_after_ids(plan);
  if (plan.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(plan, STEP_NO_NEW_PRIVS, errno, nullptr);
  child_death_signal(plan);
  child_ignore_signals(plan);
  child_stdio(plan);
  if (plan.no_new_privs) child_load_seccomp(plan);
  child_exec(plan);
}

// What a keeper (keeper.cc) applies to itself once, after joining: everything of RunChild that a fork keeps —
// the cgroups (it is the only thread, so "0" moves it), the ids, capabilities, no_new_privs, the parent-death
// signal and the seccomp filter, in RunChild's order. Mounts, hostname, session, cwd and stdio are per spawn.
void ConfineSelf(const ChildPlan& plan) {
  child_reset_signals();
  child_ignore_signals(plan);
  child_cgroups(plan);
  child_become_ns_root(plan);
  if (!plan.no_new_privs) child_load_seccomp(plan);
  child_capabilities_before_ids(plan);
  child_ids(plan);
  child_capabilities_after_ids(plan);
  if (plan.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(plan, STEP_NO_NEW_PRIVS, errno, nullptr);
  child_death_signal(plan);
  if (plan.no_new_privs) child_load_seccomp(plan);
}

void RunIntermediate(ChildPlan& plan) {
  // One atomic setns for every kind (Linux >= 5.8): all or nothing (DESIGN.md A.2, pitfall 7/8).
  if (setns(plan.join_pidfd, plan.join_flags) < 0) child_fail(plan, STEP_JOIN_NAMESPACES, errno, nullptr);
  // exit_signal must be 0 with CLONE_PARENT (pitfall 9). The child's parent is Node, not us. It shares
  // this small process's memory (CLONE_VM) until execve, which outlives our exit. No CLONE_VFORK: Node
  // learns the child's pid at once, so a setup that hangs past the deadline is killed by pid, never
  // left running untracked. Born in its v2 cgroup when there is one (CLONE_INTO_CGROUP), else clone().
  const unsigned long flags = CLONE_PARENT | CLONE_VM | plan.clone_flags;
  // The child stays in our process group until the byte on this pipe (child_await_report). Close-on-exec:
  // the child closes its copies before execve anyway.
  int reported[2];
  if (pipe2(reported, O_CLOEXEC) < 0) child_fail(plan, STEP_CLONE_CHILD, errno, nullptr);
  plan.reported_fd = reported[0];
  plan.reported_write_fd = reported[1];
  pid_t child = -1;
  if (plan.cgroup_into_fd >= 0) {
    plan.cgroup_cloned_into = true;  // the child shares this memory: it reads the flag as set here
    child = clone3_run(flags, 0, plan.cgroup_into_fd, nullptr, plan.child_stack, kChildStackSize, ChildMain, &plan);
    if (child < 0) plan.cgroup_cloned_into = false;  // an older kernel, another arch: it writes cgroup.procs
  }
  if (child < 0) child = clone(ChildMain, plan.child_stack, static_cast<int>(flags), &plan);
  if (child < 0) child_fail(plan, STEP_CLONE_CHILD, errno, nullptr);
  if (plan.hold_before_report) raise(SIGSTOP);  // tests: hold the window between the clone and the report
  int32_t pid = child;
  if (write(plan.info_fd, &pid, sizeof pid) != static_cast<ssize_t>(sizeof pid)) _exit(127);
  char byte = 'r';
  ssize_t ignored = write(plan.reported_write_fd, &byte, 1);  // only now may the child leave our group
  (void)ignored;
  _exit(0);
}

int ChildMain(void* plan) {
  RunChild(*static_cast<const ChildPlan*>(plan));
}

int IntermediateMain(void* plan) {
  RunIntermediate(*static_cast<ChildPlan*>(plan));
}

}  // namespace podinit
