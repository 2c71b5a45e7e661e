// cgroup-move N V2DIR [V1DIR...]: what placing a new process in cgroups costs the kernel, per way of doing it,
// N rounds interleaved: a child forked and reaped with no cgroup step ("none"); one that writes "0" into the
// cgroup.procs of the v2 directory ("v2-write", a migration) or is born there with clone3 CLONE_INTO_CGROUP
// ("v2-into", no migration); one that writes "0" into every v1 directory's cgroup.procs ("v1-procs": the
// global cgroup_threadgroup_rwsem taken for writing each time) or `tasks` ("v1-tasks": the writing thread
// only, no global lock). Prints one JSON line per way: median and p90 of the whole fork-to-reap time in the
// parent, of the cgroup step's wall time in the child, and of its CPU time (the rest is sleeping or waiting).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum { NONE, V2_WRITE, V2_INTO, V1_PROCS, V1_TASKS, WAYS };
static const char *names[WAYS] = {"none", "v2-write", "v2-into", "v1-procs", "v1-tasks"};

static long long clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}
static long long now(void) { return clock_ns(CLOCK_MONOTONIC); }

static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[1]);
  int v2dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.procs", argv[2]);
  int v2procs = open(path, O_WRONLY | O_CLOEXEC);
  int v1procs[16], v1tasks[16], nv1 = 0;
  for (int i = 3; i < argc && nv1 < 16; i++, nv1++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", argv[i]);
    v1procs[nv1] = open(path, O_WRONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "%s/tasks", argv[i]);
    v1tasks[nv1] = open(path, O_WRONLY | O_CLOEXEC);
    if (v1procs[nv1] < 0 || v1tasks[nv1] < 0) return perror(argv[i]), 1;
  }
  if (v2dir < 0 || v2procs < 0) return perror(argv[2]), 1;
  size_t cells = (size_t)n * WAYS;
  long long *total = calloc(cells, sizeof *total), *step = calloc(cells, sizeof *step), *cpu = calloc(cells, sizeof *cpu);
  for (int i = 0; i < n; i++) {
    for (int way = 0; way < WAYS; way++) {
      int p[2];
      if (pipe(p) < 0) return 1;
      long long t0 = now();
      pid_t pid;
      if (way == V2_INTO) {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)v2dir;
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
      } else {
        pid = fork();
      }
      if (pid < 0) return perror("clone"), 1;
      if (pid == 0) {
        // The byte written, read once first: a forked child has no page-table entries for file-backed pages
        // yet, and the page fault of a string literal in .rodata would be timed as part of the first write.
        volatile char zero[1] = {'0'};
        const char *buf = (const char *)zero;
        (void)zero[0];
        long long a = now(), c = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        if (way == V2_WRITE && write(v2procs, buf, 1) != 1) _exit(1);
        for (int j = 0; way == V1_PROCS && j < nv1; j++)
          if (write(v1procs[j], buf, 1) != 1) _exit(1);
        for (int j = 0; way == V1_TASKS && j < nv1; j++)
          if (write(v1tasks[j], buf, 1) != 1) _exit(1);
        long long d[2] = {now() - a, clock_ns(CLOCK_THREAD_CPUTIME_ID) - c};
        if (write(p[1], d, sizeof d) != sizeof d) _exit(1);
        _exit(0);
      }
      close(p[1]);
      long long d[2] = {-1, -1};
      if (read(p[0], d, sizeof d) != sizeof d) return 1;
      close(p[0]);
      int status;
      waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fprintf(stderr, "%s failed\n", names[way]), 1;
      total[way * n + i] = now() - t0;
      step[way * n + i] = d[0];
      cpu[way * n + i] = d[1];
    }
  }
  for (int way = 0; way < WAYS; way++) {
    qsort(total + way * n, n, sizeof *total, cmp);
    qsort(step + way * n, n, sizeof *step, cmp);
    qsort(cpu + way * n, n, sizeof *cpu, cmp);
    printf("{\"way\":\"%s\",\"totalUs\":%.1f,\"totalP90Us\":%.1f,\"stepUs\":%.1f,\"stepP90Us\":%.1f,"
           "\"stepCpuUs\":%.1f}\n",
           names[way], total[way * n + n / 2] / 1e3, total[way * n + n * 9 / 10] / 1e3, step[way * n + n / 2] / 1e3,
           step[way * n + n * 9 / 10] / 1e3, cpu[way * n + n / 2] / 1e3);
  }
  return 0;
}
