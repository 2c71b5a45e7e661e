/* orphans.c — bench helper for reap-10k (INIT.md E.2, method A). Run as the init's child in a fresh
 * pid namespace: makes N orphans (each forked by a short-lived middle process, which we reap), waits
 * until every one is reparented to PID 1, then releases them all at once and prints how long it took
 * until the init had reaped the last one (in ms, one line). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int parent_of(pid_t pid) {
  char path[64], buf[512];
  FILE *f;
  int ppid = -1;
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  f = fopen(path, "r");
  if (!f) return -1;
  if (fgets(buf, sizeof buf, f)) {
    char *p = buf;
    for (char *q = buf; *q; q++)
      if (*q == ')') p = q;
    sscanf(p + 2, "%*c %d", &ppid);
  }
  fclose(f);
  return ppid;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  int gate[2], report[2];
  pid_t *orphans = calloc((size_t)n, sizeof *orphans);
  if (pipe(gate) < 0 || pipe(report) < 0 || !orphans) return 1;
  for (int i = 0; i < n; i++) {
    pid_t middle = fork();
    if (middle == 0) {
      pid_t orphan = fork();
      if (orphan == 0) {
        char c;
        close(gate[1]);
        while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
      if (write(report[1], &orphan, sizeof orphan) != sizeof orphan) _exit(1);
      _exit(0);
    }
    if (middle < 0 || read(report[0], &orphans[i], sizeof orphans[i]) != sizeof orphans[i]) return 2;
    waitpid(middle, NULL, 0);
  }
  close(gate[0]);
  for (int i = 0; i < n; i++)
    while (parent_of(orphans[i]) != 1) usleep(100);
  double t0 = now_ms();
  close(gate[1]); /* every orphan exits now */
  for (int i = 0; i < n; i++)
    while (kill(orphans[i], 0) == 0) sched_yield();
  printf("%.3f\n", now_ms() - t0);
  return 0;
}
