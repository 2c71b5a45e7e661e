// seccomp-load N FILE...: what the kernel takes to attach each seccomp filter (a struct sock_filter[] file),
// timed in fresh children around seccomp(SECCOMP_SET_MODE_FILTER) after no_new_privs, N rounds interleaved.
// Prints one JSON line per file: instructions, median and p90 wall time, median thread CPU time (µs).
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[1]), files = argc - 2;
  struct sock_fprog *progs = calloc((size_t)files, sizeof *progs);
  for (int f = 0; f < files; f++) {
    FILE *fp = fopen(argv[2 + f], "rb");
    if (fp == NULL) return perror(argv[2 + f]), 1;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    void *buf = malloc((size_t)size);
    if (fread(buf, 1, (size_t)size, fp) != (size_t)size) return 1;
    fclose(fp);
    progs[f].len = (unsigned short)(size / 8);
    progs[f].filter = buf;
  }
  long long *wall = calloc((size_t)n * files, sizeof *wall), *cpu = calloc((size_t)n * files, sizeof *cpu);
  for (int i = 0; i < n; i++) {
    for (int f = 0; f < files; f++) {
      int p[2];
      if (pipe(p) < 0) return 1;
      pid_t pid = fork();
      if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(1);
        long long w = clock_ns(CLOCK_MONOTONIC), c = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &progs[f]) < 0) _exit(1);
        long long d[2] = {clock_ns(CLOCK_MONOTONIC) - w, clock_ns(CLOCK_THREAD_CPUTIME_ID) - c};
        if (write(p[1], d, sizeof d) != sizeof d) _exit(1);
        _exit(0);
      }
      close(p[1]);
      long long d[2] = {-1, -1};
      if (read(p[0], d, sizeof d) != sizeof d) return fprintf(stderr, "%s: not loaded\n", argv[2 + f]), 1;
      close(p[0]);
      waitpid(pid, NULL, 0);
      wall[f * n + i] = d[0];
      cpu[f * n + i] = d[1];
    }
  }
  for (int f = 0; f < files; f++) {
    qsort(wall + f * n, n, sizeof *wall, cmp);
    qsort(cpu + f * n, n, sizeof *cpu, cmp);
    printf("{\"file\":\"%s\",\"instructions\":%d,\"us\":%.1f,\"p90Us\":%.1f,\"cpuUs\":%.1f}\n", argv[2 + f],
           progs[f].len, wall[f * n + n / 2] / 1e3, wall[f * n + n * 9 / 10] / 1e3, cpu[f * n + n / 2] / 1e3);
  }
  return 0;
}
