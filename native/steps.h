// steps.h — the setup steps a child reports when it fails before execve.
//
// One table, shared by the child (which writes the index into the report pipe), the addon (which turns
// a report into an error) and src/errors.ts (which reads the names through `native.steps`). Each step
// names the syscall that failed, so an error reads "EACCES: permission denied, execve '/bin/x'" with
// step 'exec'.
#pragma once

namespace podinit {

#define POD_INIT_STEPS(X)                            \
  X(CLONE, "clone", "clone3")                        \
  X(ID_MAP, "id-map", "write")                       \
  X(WAIT_PARENT, "wait-parent", "read")              \
  X(JOIN_NAMESPACES, "join-namespaces", "setns")     \
  X(CLONE_CHILD, "clone-child", "clone3")            \
  X(CGROUP, "cgroup", "write")                       \
  X(UNSHARE, "unshare", "unshare")                   \
  X(MOUNT_PROPAGATION, "mount-propagation", "mount") \
  X(MOUNT_PROC, "mount-proc", "mount")               \
  X(MOUNT, "mount", "mount")                         \
  X(MOVE_MOUNT, "idmapped-mount", "move_mount")      \
  X(MKDIR, "mkdir", "mkdir")                         \
  X(SYMLINK, "symlink", "symlink")                   \
  X(WRITE_FILE, "write-file", "write")               \
  X(MASK_SOURCE, "mask-source", "openat2")           \
  X(MASK_TARGET, "mask-target", "openat2")           \
  X(PIVOT_ROOT, "pivot-root", "pivot_root")          \
  X(SET_HOSTNAME, "set-hostname", "sethostname")     \
  X(LOOPBACK, "loopback", "ioctl")                   \
  X(NEW_SESSION, "new-session", "setsid")            \
  X(CONTROLLING_TTY, "controlling-tty", "ioctl")     \
  X(PROCESS_GROUP, "process-group", "setpgid")       \
  X(CHDIR, "chdir", "chdir")                         \
  X(VERIFY_CWD, "verify-cwd", "getcwd")              \
  X(CAPABILITIES, "capabilities", "capset")          \
  X(SET_GROUPS, "set-groups", "setgroups")           \
  X(SET_GID, "set-gid", "setresgid")                 \
  X(SET_UID, "set-uid", "setresuid")                 \
  X(NO_NEW_PRIVS, "no-new-privs", "prctl")           \
  X(DEATH_SIGNAL, "death-signal", "prctl")           \
  X(SECCOMP, "seccomp", "seccomp")                   \
  X(STDIO, "stdio", "dup2")                          \
  X(CLOSE_FDS, "close-fds", "close_range")           \
  X(EXEC, "exec", "execve")                          \
  X(ENTER, "enter", "execveat")                      \
  X(SETUP_TIMEOUT, "setup-timeout", "poll")

enum Step : int {
#define POD_INIT_STEP_ENUM(id, name, syscall) STEP_##id,
  POD_INIT_STEPS(POD_INIT_STEP_ENUM)
#undef POD_INIT_STEP_ENUM
      STEP_COUNT
};

const char* StepName(int step);
const char* StepSyscall(int step);

}  // namespace podinit
