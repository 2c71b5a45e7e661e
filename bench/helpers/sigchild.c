/* sigchild.c — bench helper for signal-forward (INIT.md E.3): runs under an init; on SIGUSR1 its
 * handler writes a CLOCK_MONOTONIC stamp (ns, 8 bytes) to stdout. Writes a zero stamp once ready. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_signal(int sig) {
  struct timespec ts;
  int64_t ns;
  (void)sig;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (write(STDOUT_FILENO, &ns, sizeof ns) < 0) _exit(1);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  int64_t ready = 0;
  if (write(STDOUT_FILENO, &ready, sizeof ready) < 0) return 1;
  for (;;) pause();
}
