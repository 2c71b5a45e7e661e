/* main.c — the `pod-init` command npm links (package.json "bin"): a small static program, so that
 * `pod-init exec` can run without starting Node (exec.c; issue 14's exec-latency target). Every other
 * verb, and every exec the native client leaves to the Node CLI, becomes `node <package>/pod-init.js
 * ARGS...` at once: one execve, found through /proc/self/exe (npm reaches this file through symlinks:
 * node_modules/.bin, a global bin directory, `npm link`). `node pod-init.js ...` works as before. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

/* The package directory: this program is <package>/bin/pod-init. */
static int package_dir(char *out, size_t size) {
  ssize_t n = readlink("/proc/self/exe", out, size - 1);
  char *slash;
  if (n <= 0 || (size_t)n >= size - 1) return -1;
  out[n] = '\0';
  for (int i = 0; i < 2; i++) {
    slash = strrchr(out, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
  }
  if (out[0] == '\0') snprintf(out, size, "/");
  return 0;
}

void exec_node(char **argv) {
  char dir[PATH_MAX], script[PATH_MAX + 16];
  int argc = 0;
  char **args;
  if (package_dir(dir, sizeof dir) < 0) {
    fprintf(stderr, "pod-init: cannot find its package directory through /proc/self/exe: %s\n", strerror(errno));
    exit(127);
  }
  snprintf(script, sizeof script, "%s/pod-init.js", dir);
  if (access(script, R_OK) < 0) {
    fprintf(stderr,
            "pod-init: %s: %s (this program must stay in its package, as bin/pod-init: link it, do not copy it)\n",
            script, strerror(errno));
    exit(127);
  }
  while (argv[argc] != NULL) argc++;
  args = calloc((size_t)argc + 2, sizeof *args);
  if (args == NULL) exit(127);
  args[0] = "node";
  args[1] = script;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execvp("node", args); /* as `#!/usr/bin/env node` finds it: the first node on PATH */
  fprintf(stderr, "pod-init: cannot start node (it runs %s): %s\n", script, strerror(errno));
  exit(127);
}

int main(int argc, char **argv) {
  (void)argc;
  if (argv[1] != NULL && strcmp(argv[1], "exec") == 0) {
    const char *off = getenv("POD_INIT_NATIVE_EXEC");
    int quiet_done = 0;
    if (off == NULL || strcmp(off, "0") != 0) exec_fast(argv, &quiet_done);
    if (quiet_done) {
      /* The client printed kubectl's notes already: Node must not print them again (-q). */
      int n = 0;
      char **again;
      while (argv[n] != NULL) n++;
      again = calloc((size_t)n + 2, sizeof *again);
      if (again == NULL) return 125;
      again[0] = argv[0], again[1] = argv[1], again[2] = "--quiet";
      for (int i = 2; i < n; i++) again[i + 1] = argv[i];
      exec_node(again);
    }
  }
  exec_node(argv);
}
