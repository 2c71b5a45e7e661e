// sys.h — raw syscalls glibc 2.36 does not wrap (or wraps in ways the child must avoid).
#pragma once

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

// Syscall numbers and flags newer than glibc 2.36's headers (x86-64 and arm64 share these numbers).
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace podinit {

// clone3 without a new stack: the child continues on a copy of the caller's stack, like fork().
// With cgroup_fd >= 0 the child is born in that cgroup v2 directory (CLONE_INTO_CGROUP).
inline pid_t sys_clone3(uint64_t flags, uint64_t exit_signal, int* pidfd, int cgroup_fd = -1) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = exit_signal;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.cgroup = cgroup_fd >= 0 ? static_cast<uint64_t>(cgroup_fd) : 0;
  return static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof args));
}

// clone3 onto a stack of its own, the child running fn(arg) and exiting with its result: clone(2) with the
// clone3-only CLONE_INTO_CGROUP (cgroup_fd >= 0, Linux >= 5.7), which glibc's and musl's clone() cannot pass.
// Written for x86-64 only (the child must leave the syscall on its new stack without touching the caller's
// frame): elsewhere -1 with ENOSYS, and callers fall back to clone() and a cgroup.procs write.
inline pid_t clone3_run(uint64_t flags, uint64_t exit_signal, int cgroup_fd, int* pidfd, void* stack_top,
                        size_t stack_size, int (*fn)(void*), void* arg) {
#if defined(__x86_64__)
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = exit_signal;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.stack = reinterpret_cast<uint64_t>(stack_top) - stack_size;
  args.stack_size = stack_size;
  args.cgroup = cgroup_fd >= 0 ? static_cast<uint64_t>(cgroup_fd) : 0;
  long ret;
  // The child returns from the syscall with rax 0 on the new stack (16-byte aligned: `call` leaves it as a
  // function expects); syscall keeps every register but rax, rcx and r11, so fn and arg are still there.
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %[arg], %%rdi\n\t"
      "call *%[fn]\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit_nr], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "0"(static_cast<long>(SYS_clone3)), "D"(&args),
        "S"(sizeof args), [fn] "r"(fn), [arg] "r"(arg), [exit_nr] "i"(SYS_exit)
      : "rcx", "r11", "memory");
  if (ret < 0) {
    errno = static_cast<int>(-ret);
    return -1;
  }
  return static_cast<pid_t>(ret);
#else
  (void)flags, (void)exit_signal, (void)cgroup_fd, (void)pidfd, (void)stack_top, (void)stack_size, (void)fn, (void)arg;
  errno = ENOSYS;
  return -1;
#endif
}

inline int sys_pidfd_open(pid_t pid, unsigned int flags) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, flags));
}

inline int sys_pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int sys_pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(syscall(SYS_pivot_root, new_root, put_old));
}

inline int sys_close_range(unsigned int first, unsigned int last, unsigned int flags) {
  return static_cast<int>(syscall(SYS_close_range, first, last, flags));
}

}  // namespace podinit
