/* init.c — pod-pause's init mode: PID 1 (or a subreaper) for one command, tini's job done better.
 *
 *   spawn CMD in its own process group (holding the terminal's foreground), with the signal mask and
 *   ignored dispositions this process inherited; block every signal here and read them from a
 *   signalfd, so no signal sent with kill(2) — SEGV, ABRT, real-time ones — can kill the init;
 *   forward each (to the group with -g) except SIGCHLD — job control's SIGTSTP, SIGTTIN and SIGTTOU
 *   too: blocked here they cannot stop the init, and they are the command's to act on; reap every zombie; exit
 *   with CMD's code, 128+n when signal n killed it, 127/126 when it could not be executed.
 *   --grace N: on SIGTERM/SIGINT (or when CMD exits), SIGTERM every descendant, wait up to N seconds
 *   for all of them, SIGKILL what is left, then exit — what tini's and dumb-init's users ask for.
 *
 * Logs go to stderr only. See: signalfd(2), waitpid(2), prctl(2), tcsetpgrp(3), INIT.md. */
#define _GNU_SOURCE
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sigset.h"

struct init_options {
  int subreaper; /* -1: on unless PID 1; 0 off; 1 on */
  int kill_group;
  unsigned char remap[256];
  long grace_ms; /* < 0: no grace shutdown */
  int verbosity;
  int death_signal;
  int warn_on_reap;
  char **command;
};

static int verbosity;

static void say(int level, const char *fmt, ...) {
  char line[512];
  va_list ap;
  int n;
  if (level > verbosity) return;
  n = snprintf(line, sizeof line, "pod-init: ");
  va_start(ap, fmt);
  n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  if (write(STDERR_FILENO, line, (size_t)n) < 0) { /* nothing better to do */
  }
}

static void usage(void) {
  say(0,
      "usage: pod-pause init [-s|--no-subreaper] [-g] [-e CODE]... [--grace SECONDS] [-p SIGNAL] [-w] [-v]... "
      "-- CMD [ARGS...]");
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int parse_signal(const char *text) {
  static const struct {
    const char *name;
    int number;
  } names[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
               {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"ALRM", SIGALRM},
               {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"WINCH", SIGWINCH}};
  char *end;
  long n;
  size_t i;
  if (strncmp(text, "SIG", 3) == 0) text += 3;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(text, names[i].name) == 0) return names[i].number;
  n = strtol(text, &end, 10);
  return (*text != '\0' && *end == '\0' && n > 0 && n < NSIG) ? (int)n : -1;
}

static int parse_options(int argc, char **argv, struct init_options *o) {
  static const struct option longs[] = {{"subreaper", no_argument, 0, 's'},
                                        {"no-subreaper", no_argument, 0, 'S'},
                                        {"kill-group", no_argument, 0, 'g'},
                                        {"remap-exit", required_argument, 0, 'e'},
                                        {"grace", required_argument, 0, 'G'},
                                        {"pdeath-signal", required_argument, 0, 'p'},
                                        {"warn-on-reap", no_argument, 0, 'w'},
                                        {"verbose", no_argument, 0, 'v'},
                                        {0, 0, 0, 0}};
  int c;
  char *end;
  memset(o, 0, sizeof *o);
  o->subreaper = -1;
  o->grace_ms = -1;
  optind = 1;
  /* "+": stop at the first non-option, so `pod-pause init sh -c x` needs no "--" (dumb-init's rule). */
  while ((c = getopt_long(argc, argv, "+sgve:p:w", longs, NULL)) != -1) {
    switch (c) {
      case 's':
        o->subreaper = 1;
        break;
      case 'S':
        o->subreaper = 0;
        break;
      case 'g':
        o->kill_group = 1;
        break;
      case 'v':
        o->verbosity++;
        break;
      case 'w':
        o->warn_on_reap = 1;
        break;
      case 'e': {
        long code = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end != '\0' || code < 0 || code > 255) {
          say(0, "--remap-exit: expected an exit code from 0 to 255, got '%s'", optarg);
          return -1;
        }
        o->remap[code] = 1;
        break;
      }
      case 'G': {
        double seconds = strtod(optarg, &end);
        if (*optarg == '\0' || *end != '\0' || seconds < 0 || seconds > 86400) {
          say(0, "--grace: expected seconds from 0 to 86400, got '%s'", optarg);
          return -1;
        }
        o->grace_ms = (long)(seconds * 1000);
        break;
      }
      case 'p':
        o->death_signal = parse_signal(optarg);
        if (o->death_signal < 0) {
          say(0, "-p: expected a signal name or number, got '%s'", optarg);
          return -1;
        }
        break;
      default:
        usage();
        return -1;
    }
  }
  if (optind >= argc) {
    say(0, "no command given");
    usage();
    return -1;
  }
  o->command = argv + optind;
  return 0;
}

/* The child: its own process group in the foreground, the inherited signal state, then exec. */
static void exec_command(char **command, const sigset_t *inherited_mask, const sigset_t *inherited_ignored,
                         int report_fd) {
  struct sigaction ign;
  int sig, err;
  setpgid(0, 0);
  if (isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpid()); /* SIGTTOU is blocked here: no stop */
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  for (sig = 1; sig < NSIG; sig++)
    if (sigismember(inherited_ignored, sig) == 1) sigaction(sig, &ign, NULL);
  sigprocmask(SIG_SETMASK, inherited_mask, NULL);
  execvp(command[0], command);
  err = errno;
  if (write(report_fd, &err, sizeof err) < 0) { /* the parent then sees EOF and a 127 exit */
  }
  _exit(127);
}

/* Calls visit(child, sig) for each direct child of pid (from /proc/PID/task/PID/children). */
static void for_each_child(pid_t pid, void (*visit)(pid_t, int), int sig) {
  char path[64], buf[4096];
  int fd;
  ssize_t n;
  char *p, *end;
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  for (p = buf; *p != '\0'; p = end) {
    long child = strtol(p, &end, 10);
    if (end == p) break;
    visit((pid_t)child, sig);
  }
}

static void signal_one(pid_t pid, int sig) {
  kill(pid, sig);
}

/* Freeze first so that it cannot fork while we walk below it, then kill. */
static void kill_tree(pid_t pid, int sig) {
  kill(pid, SIGSTOP);
  for_each_child(pid, kill_tree, sig);
  kill(pid, sig);
}

/* SIGKILL every descendant: as PID 1, everything in the pid namespace; otherwise walk the tree. */
static void kill_everything_left(int pid1) {
  if (pid1)
    kill(-1, SIGKILL);
  else
    for_each_child(getpid(), kill_tree, SIGKILL);
}

/* Signal what is left (our children: orphans come to us as PID 1 or subreaper). */
static void signal_everything_left(int pid1, int sig) {
  if (pid1)
    kill(-1, sig);
  else
    for_each_child(getpid(), signal_one, sig);
}

static int exit_code_of(int status, const struct init_options *o) {
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
  code &= 255;
  return o->remap[code] ? 0 : code;
}

int init_main(int argc, char **argv) {
  struct init_options o;
  sigset_t all, inherited_mask, inherited_ignored;
  struct signalfd_siginfo batch[32];
  struct sigaction current;
  int report[2], sfd, sig, err = 0, status = 0, child_done = 0, draining = 0, pid1;
  long deadline = -1;
  pid_t child, target;
  ssize_t n;

  pid_t parent_at_start = getppid();

  /* Parse command line arguments */
  if (parse_options(argc, argv, &o) < 0) return 2;
  verbosity = o.verbosity;
  pid1 = getpid() == 1;

  /* Parent death signal and subreaper. A parent that died before the prctl() would never send it:
   * compare the parent after it with the one we started with (prctl(2)'s own advice). */
  if (o.death_signal > 0) {
    if (prctl(PR_SET_PDEATHSIG, o.death_signal, 0, 0, 0) < 0)
      say(0, "warning: could not set the parent death signal: %s", strerror(errno));
    else if (getppid() != parent_at_start)
      kill(getpid(), o.death_signal);
  }
  if (!pid1 && o.subreaper != 0) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
      say(0, "warning: could not become a subreaper: %s", strerror(errno));
  } else if (!pid1) {
    say(0, "warning: not PID 1 and --no-subreaper: orphans will be reaped by someone else");
  }

  /* Remember the signal state to hand on, then block everything: signals are read from a signalfd */
  read_signal_mask(&inherited_mask);
  sigemptyset(&inherited_ignored);
  for (sig = 1; sig < NSIG; sig++)
    if (sigaction(sig, NULL, &current) == 0 && current.sa_handler == SIG_IGN) sigaddset(&inherited_ignored, sig);
  block_every_signal(&all);

  /* Spawn the command; an exec failure comes back over a close-on-exec pipe */
  if (pipe2(report, O_CLOEXEC) < 0) return 1;
  child = fork();
  if (child < 0) {
    say(0, "fork failed: %s", strerror(errno));
    return 1;
  }
  if (child == 0) exec_command(o.command, &inherited_mask, &inherited_ignored, report[1]);
  close(report[1]);
  while ((n = read(report[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (n == sizeof err) {
    say(0, "exec %s failed: %s", o.command[0], strerror(err));
    waitpid(child, NULL, 0);
    return err == ENOENT || err == ENOTDIR ? 127 : 126;
  }
  say(1, "started %s (pid %d)", o.command[0], child);
  target = o.kill_group ? -child : child;

  /* Keep nothing else open or busy: inherited fds belong to the command, "/" pins no mount */
  syscall(SYS_close_range, 3, ~0U, 0);
  if (chdir("/") < 0) { /* not fatal */
  }
  sfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sfd < 0) {
    say(0, "signalfd failed: %s", strerror(errno));
    kill(child, SIGKILL);
    return 1;
  }

  /* The loop: forward, reap, drain */
  for (;;) {
    struct pollfd pfd = {sfd, POLLIN, 0};
    int timeout = deadline < 0 ? -1 : (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0);
    int ready = poll(&pfd, 1, timeout);
    if (ready == 0) {
      say(1, "grace period over: killing what is left");
      kill_everything_left(pid1);
      deadline = -1;
      continue;
    }
    if (ready < 0) continue;
    n = read(sfd, batch, sizeof batch);
    if (n < 0) continue;
    for (ssize_t i = 0; i < n / (ssize_t)sizeof batch[0]; i++) {
      int signo = (int)batch[i].ssi_signo;
      if (signo == SIGCHLD) continue; /* reaped below, once per batch */
      if (!child_done) {
        say(2, "forwarding signal %d to %d", signo, target);
        kill(target, signo);
      }
      if ((signo == SIGTERM || signo == SIGINT) && o.grace_ms >= 0 && !draining) {
        draining = 1;
        deadline = now_ms() + o.grace_ms;
      }
    }
    for (;;) {
      int st;
      pid_t pid = waitpid(-1, &st, WNOHANG);
      if (pid <= 0) {
        if (pid < 0 && errno == ECHILD && child_done) return exit_code_of(status, &o); /* nothing left */
        break;
      }
      if (pid == child) {
        child_done = 1;
        status = st;
        say(1, "%s exited with %d", o.command[0], exit_code_of(st, &o));
        if (o.grace_ms < 0) return exit_code_of(status, &o); /* tini's rule: exit with it */
        if (!draining) {
          draining = 1;
          deadline = now_ms() + o.grace_ms;
          signal_everything_left(pid1, SIGTERM);
        }
      } else if (o.warn_on_reap) {
        say(0, "reaped zombie %d", pid);
      }
    }
  }
}
