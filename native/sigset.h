/* sigset.h — signal sets that mean every signal, whatever the C library keeps for itself.
 *
 * pod-pause is linked against musl where it can be (scripts/build-pause.js). musl's sigfillset() leaves
 * out signals 32-34 (glibc's leaves out 32-33, which its sigprocmask() also refuses to block), and
 * sigprocmask()'s old mask comes back without them: an init built that way would die of `kill -34`
 * (SIGRTMIN under glibc, a real-time signal users send). These helpers fill and read the mask as the
 * kernel sees it. See: signal(7) "Real-time signals", rt_sigprocmask(2). */
#ifndef POD_INIT_SIGSET_H
#define POD_INIT_SIGSET_H

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Every signal (the kernel ignores SIGKILL and SIGSTOP in a blocked mask). */
static inline void fill_every_signal(sigset_t *set) {
  memset(set, 0xff, sizeof *set);
}

/* This thread's blocked mask, every bit the kernel has (the first 64 signals). */
static inline int read_signal_mask(sigset_t *set) {
  memset(set, 0, sizeof *set);
  return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, (void *)0, set, (size_t)8);
}

/* Blocks every signal in this thread, 32-34 included (glibc's sigprocmask() would leave out 32-33). */
static inline int block_every_signal(sigset_t *all) {
  fill_every_signal(all);
  return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, (void *)0, (size_t)8);
}

#endif
