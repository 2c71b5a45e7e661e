// plan.h — everything a new process needs, built in the parent before fork.
//
// After clone3 the child is a single-threaded copy of a multithreaded Node process: another thread
// may have held malloc's or stdio's locks at that instant, and glibc's fork handlers did not run. So
// the child reads this plain struct and makes raw syscalls only — no allocation, no C++ exceptions,
// no N-API, no stdio — until execve (DESIGN.md A.1, pitfall 34). Every pointer here points into
// storage owned by the parent's SpawnPlan (spawn.cc) that outlives the child's setup.
#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

namespace podinit {

enum MountKind : int {
  MOUNT_OP_MOUNT = 0,
  MOUNT_OP_MKDIR = 1,
  MOUNT_OP_PIVOT_ROOT = 2,
  MOUNT_OP_SYMLINK = 3,
  MOUNT_OP_FILE = 4,
  MOUNT_OP_WRITE = 5,  // write `data` into the existing file `target` (a sysctl); `fstype` "proc" = must be procfs
  MOUNT_OP_READ_ONLY_RECURSIVE = 6,  // mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY): `target` and every submount
  MOUNT_OP_MOVE_MOUNT = 7            // move_mount of the detached tree `fd` (idmapped by the parent) onto `target`
};

// What a masked or read-only path's mount checks by fd first (MountOp::source_check/target_check):
// the path is opened with openat2 beneath the current root without following any symlink or magic
// link, and must be this kind of file (CVE-2025-31133: a /dev/null made a symlink turns a mask into
// a bind of the attacker's choice; CVE-2025-52881: a mount or write redirected off procfs).
enum MountCheck : int {
  MOUNT_CHECK_NONE = 0,
  MOUNT_CHECK_DEV_NULL = 1,  // the character device 1:3
  MOUNT_CHECK_TMPFS = 2,     // on a tmpfs (the shared read-only tmpfs of masked directories)
  MOUNT_CHECK_PROC = 3,      // on a procfs
  MOUNT_CHECK_SYSFS = 4      // on a sysfs
};

struct MountOp {
  int kind;
  const char* source;  // may be null
  const char* target;  // the path acted on (also the reported path)
  const char* fstype;  // may be null
  unsigned long flags;
  const char* data;  // may be null
  // A bind whose source must stay inside a directory (a subPath in its volume): `beneath` is opened,
  // `relative` resolved under it with openat2(RESOLVE_BENEATH) and bound through /proc/self/fd/N, so a
  // symlink swapped in after pod-init's check cannot lead outside (EXDEV). `source` is the same path,
  // used as it is where openat2 is missing (ENOSYS, kernels before 5.6).
  const char* beneath;   // may be null
  const char* relative;  // with beneath
  // A target that does not exist (ENOENT) is skipped: a masked path this kernel lacks. With
  // MOUNT_OP_READ_ONLY_RECURSIVE: a kernel without mount_setattr is no failure (recursiveReadOnly: IfPossible).
  bool optional;
  // A target the child cannot reach (EACCES while resolving it): skipped. Only for the read-only remount of a
  // host submount: what the child's root, with every capability it will ever have, cannot reach, nothing in
  // the container can (a rootless host with another user's 0700 directory above a mount, e.g. podman's storage).
  bool skip_unreachable;
  // MOUNT_OP_MOVE_MOUNT: a detached mount the parent made (open_tree + mount_setattr MOUNT_ATTR_IDMAP
  // with the pod's user namespace, which only the initial user namespace can do); -1 otherwise.
  int fd;
  // MountCheck of `source` (step mask-source) and `target` (step mask-target); both are then mounted
  // through /proc/self/fd/N of the checked fds, never by path again.
  int source_check;
  int target_check;
};

struct ChildPlan {
  // What to run: candidates are tried in order (a PATH search done by TypeScript), or, when
  // exec_fd >= 0, that file descriptor (execveat AT_EMPTY_PATH: a sealed copy of pod-pause).
  int exec_fd;
  const char* const* candidates;
  int candidate_count;
  char* const* argv;
  char* const* envp;
  const char* cwd;  // null: keep the current directory

  // Namespaces. join_pidfd >= 0 selects the double fork: an intermediate setns()es into
  // join_flags of that process, then clone3(CLONE_PARENT | clone_flags) makes the real child.
  int join_pidfd;
  int join_flags;
  uint64_t clone_flags;  // CLONE_NEW* for the new process
  int unshare_flags;     // unshare()d by the child itself, e.g. CLONE_NEWNS for a private mount copy
  int sync_fd;           // read end: the parent has written the id maps (user namespaces), or -1
  // A user namespace made or joined by host root whose root is another host uid (a pod's own id range,
  // `hostUsers: false`): become its root (setresgid/setresuid 0) before the mounts, so what they make
  // is owned by an id mapped there (an unmapped creator is EOVERFLOW) and execve keeps the capabilities.
  bool become_ns_root;

  // Filesystem, in the child's namespaces.
  unsigned long propagation;  // MS_PRIVATE / MS_SLAVE applied recursively to "/", or 0
  bool mount_proc;            // a fresh procfs on /proc (the child must be inside its pid namespace)
  const MountOp* mounts;
  int mount_count;

  // Identity of the namespaces.
  const char* hostname;  // null: keep
  bool loopback_up;

  // Process attributes.
  bool new_session;
  bool new_process_group;
  bool foreground;       // with new_process_group: tcsetpgrp() on the terminal at fd 0
  bool controlling_tty;  // with new_session: stdio[0] (a pty slave) becomes its controlling terminal
  bool set_ids;
  uid_t uid;
  gid_t gid;
  bool set_groups;
  const gid_t* groups;
  int group_count;
  bool no_new_privs;
  // Capabilities (set_caps): the bounding set is cut before the id change (PR_SET_KEEPCAPS keeps the
  // permitted set across it), then capset() and the ambient set. Bit n = capability n.
  bool set_caps;
  int cap_last;  // /proc/sys/kernel/cap_last_cap, read by the parent
  uint64_t cap_bounding, cap_permitted, cap_effective, cap_inheritable, cap_ambient;
  // A seccomp filter (struct sock_filter[seccomp_len]) loaded last before execve with no_new_privs,
  // else before the id and capability changes (which then still hold CAP_SYS_ADMIN to load it).
  const void* seccomp_filter;
  int seccomp_len;
  // cgroup files (opened by the parent: v1 `tasks`, v2 cgroup.procs) the child writes "0" into before anything else.
  const int* cgroup_fds;
  int cgroup_count;
  // A cgroup v2 directory (an fd) the child is cloned into with clone3(CLONE_INTO_CGROUP): born there, it
  // never migrates, so cgroup_fds[cgroup_into_index] (the same cgroup's cgroup.procs) is not written. -1: none.
  // Whoever clones sets cgroup_cloned_into when that clone3 succeeded (else the write is the fallback).
  int cgroup_into_fd;
  int cgroup_into_index;
  bool cgroup_cloned_into;
  int death_signal;  // PR_SET_PDEATHSIG, 0 = none
  int parent_pidfd;  // pidfd of the expected parent, to close the PDEATHSIG race; -1 = none

  // Signals and files.
  sigset_t exec_mask;          // the signal mask execve starts with (usually empty)
  const int* ignored_signals;  // dispositions set to SIG_IGN after the reset to SIG_DFL
  int ignored_count;
  int stdio[3];       // fds to become 0, 1, 2 (may be 0, 1, 2 themselves)
  int report_fd;      // write end of the close-on-exec report pipe
  void* child_stack;  // top of the stack the container process starts on (it shares memory until execve)
  int info_fd;        // double fork only: the intermediate writes the child's pid here
  // Double fork only, set by the intermediate before its clone: the read end of the "reported" pipe. The child
  // waits on it before it may leave the intermediate's process group (child_await_report); -1 = no wait.
  int reported_fd;
  int reported_write_fd;    // the intermediate's end: one byte once the pid is in info_fd
  bool hold_before_report;  // tests only: the intermediate stops itself (SIGSTOP) between its clone and report
};

// The failure report: fixed size (< PIPE_BUF, so the write is atomic), read by the parent.
struct ChildReport {
  int32_t step;
  int32_t err;
  char path[256];
};

// Child side: writes a failure report to fd and exits 127 (raw calls only: a child between clone and execve).
[[noreturn]] void WriteChildReport(int fd, int step, int err, const char* path);

// A plan travels as one flat blob: pointers hold offsets from the ChildPlan's own address (0 = null),
// so the blob can be copied into another process (pod-pause enter, which runs a joined spawn without
// Node's memory) and made usable there with RelocatePlan (plan.cc). child_stack is set by whoever runs it.
void RelocatePlan(ChildPlan* plan);

// Child side (child_setup.cc). Both never return. Their int-returning forms are clone(2) entry points.
[[noreturn]] void RunChild(const ChildPlan& plan);
[[noreturn]] void RunIntermediate(ChildPlan& plan);
int ChildMain(void* plan);
// A keeper (keeper.cc): joins like RunIntermediate, confines itself as RunChild confines a child (ConfineSelf,
// child_setup.cc), then forks the spawns asked for on `sock` (a SOCK_SEQPACKET socket). Never returns.
void ConfineSelf(const ChildPlan& plan);
[[noreturn]] void RunKeeper(ChildPlan& plan, int sock);
int IntermediateMain(void* plan);

// Stack size of the vfork-style children (they run only the setup above, on no heap).
constexpr size_t kChildStackSize = 64 * 1024;

}  // namespace podinit
