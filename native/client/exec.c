/* exec.c — `pod-init exec` without Node: what src/cli/exec-command.ts and src/ops/exec.ts do, for the
 * cases state.c finds plainly. The same steps in the same order: a pidfd of the container's process
 * checked against its recorded start time; a guard (`pod-pause guard`, so kill -9 of this client ends
 * the command and every descendant); the notes kubectl prints; a pty from the container's own devpts
 * for -t; the command entered through `pod-pause enter` run from a sealed memfd copy (a fresh,
 * non-dumpable process holding only the plan: nothing of this client reaches the container); stdio
 * handed over or relayed as exec-command.ts decides; signals forwarded; the exit code passed through.
 * Until the command runs, any failure returns to main.c, which execs the Node CLI with the same
 * arguments: its messages and exit codes are the ones users see. Between fork and exec only raw
 * system calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#define CLOSE_RANGE_CLOEXEC_FLAG (1U << 2)
#define STEP_ENTER_REPORTED 0x7fff /* the enter process could not be exec'd: reported like a step */

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static void say(const char *text) {
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t n = write(STDERR_FILENO, text + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += (size_t)n;
  }
}

/* Writes all of buf to fd (blocking, waiting out EAGAIN of a non-blocking description): 0 or -1. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return -1;
    buf += n, len -= (size_t)n;
  }
  return 0;
}

/* ---- pod-pause: a sealed memfd copy (src/native.ts sealedPause(), spawn.cc SealedExecutable) ---- */

static int sealed_pause(void) {
  char dir[4096], path[4200];
  ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
  char *slash;
  int file, memfd;
  struct stat st;
  off_t offset = 0;
  if (n <= 0) return -1;
  dir[n] = '\0';
  for (int i = 0; i < 2; i++) {
    if ((slash = strrchr(dir, '/')) == NULL) return -1;
    *slash = '\0';
  }
  snprintf(path, sizeof path, "%s/build/Release/pod-pause", dir);
  file = open(path, O_RDONLY | O_CLOEXEC);
  if (file < 0 || fstat(file, &st) < 0) {
    if (file >= 0) close(file);
    return -1;
  }
  /* MFD_EXEC (Linux 6.3): executable even where vm.memfd_noexec=1 makes memfds non-executable. */
  memfd = (int)syscall(SYS_memfd_create, "pod-pause", MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x0010U);
  if (memfd < 0 && errno == EINVAL)
    memfd = (int)syscall(SYS_memfd_create, "pod-pause", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0) return file; /* memfds may not be executed here: the file itself, read-only */
  while (offset < st.st_size) {
    ssize_t sent = sendfile(memfd, file, &offset, (size_t)(st.st_size - offset));
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      close(memfd);
      close(file);
      return -1;
    }
  }
  close(file);
  if (fchmod(memfd, 0555) < 0 ||
      fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    close(memfd);
    return -1;
  }
  return memfd;
}

/* ---- the guard (src/pod/pod-guard.ts): `pod-pause guard PID`, told "G", answering "R" ---- */

struct guard {
  pid_t pid;
  int to, from; /* its stdin (ours to write), its stdout */
};

static int start_guard(int pause, struct guard *g) {
  int in[2], out[2];
  char parent[32], *argv[] = {"pod-pause", "guard", parent, NULL}, tag[4200], *envp[2] = {NULL, NULL};
  const char *t = getenv("POD_INIT_TAG");
  sigset_t all, old;
  snprintf(parent, sizeof parent, "%d", (int)getpid());
  if (t != NULL) {
    snprintf(tag, sizeof tag, "POD_INIT_TAG=%s", t);
    envp[0] = tag;
  }
  if (pipe2(in, O_CLOEXEC) < 0) return -1;
  if (pipe2(out, O_CLOEXEC) < 0) {
    close(in[0]), close(in[1]);
    return -1;
  }
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  g->pid = fork();
  if (g->pid == 0) {
    /* The child: raw system calls only. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < 65; s++) sigaction(s, &dfl, NULL);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(127);
    setsid();
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC_FLAG);
    sigprocmask(SIG_SETMASK, &old, NULL);
    syscall(SYS_execveat, pause, "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(in[0]);
  close(out[1]);
  if (g->pid < 0) {
    close(in[1]), close(out[0]);
    return -1;
  }
  g->to = in[1];
  g->from = out[0];
  signal(SIGPIPE, SIG_IGN); /* EPIPE once it is gone: nothing more to tell it */
  return write_all(g->to, "G\n", 2);
}

/* Its answer to G: 0 for "R", -1 for anything else (it then exits, or is killed). */
static int guard_ready(struct guard *g) {
  char buf[256];
  size_t used = 0;
  while (used < sizeof buf - 1) {
    ssize_t n = read(g->from, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += (size_t)n;
    if (used >= 2 && buf[0] == 'R' && buf[1] == '\n') break;
    if (buf[0] != 'R') break;
  }
  close(g->from);
  g->from = -1;
  return used >= 2 && buf[0] == 'R' && buf[1] == '\n' ? 0 : -1;
}

/* A clean end: "X" (it exits and kills nothing); waited for when `wait` (Node goes on in this process). */
static void release_guard(struct guard *g, int wait) {
  if (g->pid <= 0) return;
  write_all(g->to, "X\n", 2);
  close(g->to);
  while (wait && waitpid(g->pid, NULL, 0) < 0 && errno == EINTR) {
  }
  g->pid = 0;
}

/* ---- the pty (native/pty.cc openPty): the container's own devpts, through /proc/PID/root ---- */

static int open_pty(pid_t pid, int rows, int cols, int *slave) {
  char root[64];
  struct open_how how;
  struct stat st;
  struct statfs fs;
  struct winsize size;
  int dir, master, unlock = 0;
  snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
  dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  memset(&how, 0, sizeof how);
  how.flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  master = (int)syscall(SYS_openat2, dir, "dev/pts/ptmx", &how, sizeof how);
  close(dir);
  if (master < 0) return -1;
  if (fstat(master, &st) < 0 || fstatfs(master, &fs) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 ||
      minor(st.st_rdev) != 2 || fs.f_type != DEVPTS_SUPER_MAGIC || ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
      (*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
    close(master);
    return -1;
  }
  memset(&size, 0, sizeof size);
  size.ws_row = (unsigned short)rows;
  size.ws_col = (unsigned short)cols;
  if (ioctl(master, TIOCSWINSZ, &size) < 0) {
    close(master), close(*slave);
    return -1;
  }
  return master;
}

/* exec-command.ts terminalSize(): the local terminal's (stdout, else stderr), else 24 x 80. */
static void terminal_size(int *rows, int *cols) {
  for (int fd = 1; fd <= 2; fd++) {
    struct winsize w;
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_row > 0 && w.ws_col > 0) {
      *rows = w.ws_row, *cols = w.ws_col;
      return;
    }
  }
  *rows = 24, *cols = 80;
}

/* ---- stdio (exec-command.ts handOver()): inherit, a FIFO reopened, or relayed ---- */

enum way { INHERIT, REOPENED, RELAY, DEV_NULL };

/* A terminal or a socket is relayed; a FIFO is handed over as a description of its own (opened again
 * through /proc: O_NONBLOCK, which a Node parent may have set on the shared one, is not carried over);
 * anything else (a file, /dev/null) is inherited. */
static enum way hand_over(int fd, int *out) {
  struct stat st;
  char path[64];
  *out = fd;
  if (fstat(fd, &st) < 0) return INHERIT;
  if (isatty(fd) || S_ISSOCK(st.st_mode)) return RELAY;
  if (!S_ISFIFO(st.st_mode)) return INHERIT;
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  *out = open(path, (fd == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
  return *out < 0 ? RELAY : REOPENED;
}

/* ---- the plan: namespaces, ids, capabilities, seccomp, cgroups (src/spawn.ts buildPlan()) ---- */

static int join_flags(pid_t pid) {
  static const struct {
    const char *kind;
    int flag;
  } kinds[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},   {"mnt", CLONE_NEWNS},    {"net", CLONE_NEWNET},
               {"pid", CLONE_NEWPID},       {"time", CLONE_NEWTIME}, {"user", CLONE_NEWUSER}, {"uts", CLONE_NEWUTS}};
  int flags = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    char theirs[64], ours[64];
    struct stat a, b;
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, kinds[i].kind);
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", kinds[i].kind);
    if (stat(theirs, &a) < 0 || stat(ours, &b) < 0) return -1;
    if (a.st_ino != b.st_ino) flags |= kinds[i].flag;
  }
  return flags;
}

static int cap_last(void) {
  char buf[16];
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return 40;
  buf[n] = '\0';
  return atoi(buf);
}

/* The paths execve tries (spawn.ts candidates(): execvp's rules, tried in the container's root). */
static char **candidates(const char *file, const char *search, int *count) {
  size_t parts = 1;
  char **list, *copy, *dir, *save = NULL;
  if (strchr(file, '/') != NULL) {
    list = calloc(1, sizeof *list);
    if (list != NULL) list[0] = (char *)file;
    *count = 1;
    return list;
  }
  for (const char *p = search; *p != '\0'; p++) parts += *p == ':';
  list = calloc(parts, sizeof *list);
  copy = strdup(search);
  if (list == NULL || copy == NULL) return NULL;
  *count = 0;
  /* strsep keeps empty entries ('' is '.') */
  save = copy;
  while ((dir = strsep(&save, ":")) != NULL) {
    size_t len = strlen(dir[0] == '\0' ? "." : dir) + strlen(file) + 2;
    list[*count] = malloc(len);
    if (list[*count] == NULL) return NULL;
    snprintf(list[*count], len, "%s/%s", dir[0] == '\0' ? "." : dir, file);
    (*count)++;
  }
  return list;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- entering: `pod-pause enter FD` (spawn.cc Spawn(), its joined branch) ---- */

/* Starts the command; its pid (a child of ours), or -1: it did not start (nothing runs). */
static pid_t enter(int pause, struct enter_plan *plan, const int *keep, int keep_count) {
  int report[2], info[2], memfd;
  char fd_text[16], *argv[] = {"pod-pause", "enter", fd_text, NULL}, *envp[] = {NULL};
  char *buf;
  size_t report_size = child_report_size();
  sigset_t all, old;
  pid_t pid;
  int32_t child = 0;
  ssize_t n;
  int timed_out = 0;
  if (pipe2(report, O_CLOEXEC) < 0) return -1;
  if (pipe2(info, O_CLOEXEC) < 0) {
    close(report[0]), close(report[1]);
    return -1;
  }
  plan->report_fd = report[1];
  plan->info_fd = info[1];
  memfd = plan_memfd(plan);
  if (memfd < 0) {
    close(report[0]), close(report[1]), close(info[0]), close(info[1]);
    return -1;
  }
  snprintf(fd_text, sizeof fd_text, "%d", memfd);
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if (pid == 0) {
    /* The child: every fd but the plan's close-on-exec, then the sealed pod-pause. Raw calls only. */
    int32_t failed[2] = {STEP_ENTER_REPORTED, 0};
    /* Its own process group first: the command it clones is born in it and stays until its pid is
     * reported (child_setup.cc child_await_report), so the group reaches it while its pid is unknown here. */
    if (setpgid(0, 0) == 0 && syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC_FLAG) == 0) {
      fcntl(memfd, F_SETFD, 0);
      fcntl(report[1], F_SETFD, 0);
      fcntl(info[1], F_SETFD, 0);
      for (int i = 0; i < keep_count; i++) fcntl(keep[i], F_SETFD, 0);
      syscall(SYS_execveat, pause, "", argv, envp, AT_EMPTY_PATH);
    }
    failed[1] = errno;
    n = write(report[1], failed, sizeof failed);
    (void)n;
    _exit(127);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(report[1]);
  close(info[1]);
  close(memfd);
  if (pid < 0) {
    close(report[0]), close(info[0]);
    return -1;
  }
  /* The report pipe first: its end (EOF) comes once pod-pause enter has exited and the command's
   * execve succeeded; a report means a step failed before (Node words it). Then the command's pid,
   * which pod-pause enter wrote before its exit. At most 10 s, as spawn.ts's setupTimeoutMs. */
  buf = malloc(report_size);
  n = 0;
  {
    int64_t deadline = now_ms() + 10000;
    while (buf != NULL && (size_t)n < report_size) {
      struct pollfd ready = {report[0], POLLIN, 0};
      int64_t left = deadline - now_ms();
      ssize_t got;
      if (left <= 0 || poll(&ready, 1, (int)left) == 0) {
        timed_out = 1;
        break;
      }
      got = read(report[0], buf + n, report_size - (size_t)n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      n += got;
    }
  }
  free(buf);
  close(report[0]);
  /* Stuck: kill its group, the command too if it was cloned and not yet reported (spawn.cc does the same). */
  if (timed_out) kill(-pid, SIGKILL);
  {
    /* Dead (its writes done: a reported pid is in the pipe), not yet reaped: its pid, the group's id, stays ours. */
    siginfo_t ended;
    while (waitid(P_PID, (id_t)pid, &ended, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
  }
  {
    struct pollfd ready = {info[0], POLLIN, 0};
    ssize_t got = poll(&ready, 1, 0) == 1 ? read(info[0], &child, sizeof child) : 0;
    if (got != (ssize_t)sizeof child) child = 0;
  }
  close(info[0]);
  if (child <= 0) kill(-pid, SIGKILL); /* a command cloned but never reported: still in the group */
  if (child > 0 && (n != 0 || timed_out)) {
    if ((size_t)n != report_size) kill(child, SIGKILL); /* stuck, or a cut report: its state is unknown */
    while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR) {
    }
  }
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  if (child <= 0 || n != 0 || timed_out) {
    siginfo_t left; /* whatever is left of the group */
    while (waitid(P_PGID, (id_t)pid, &left, WEXITED | __WALL) == 0 || errno == EINTR) {
    }
    return -1;
  }
  return child;
}

/* ---- relaying (exec-command.ts runPlain() / runWithPty()) ---- */

struct pump {
  int from, to;     /* -1: closed (to: gone, what comes is dropped) */
  int to_is_outer;  /* our own 1/2: blocking writes, the description is not ours to change */
  int close_at_end; /* a pipe to the command's stdin: closed at stdin's end (its EOF) */
  int eof_byte;     /* the pty: stdin's end is the terminal's end-of-file character, ^D */
  char buf[65536];
  size_t len, off;
};

static void pump_init(struct pump *p, int from, int to, int to_is_outer) {
  p->from = from, p->to = to, p->to_is_outer = to_is_outer;
  p->close_at_end = p->eof_byte = 0;
  p->len = p->off = 0;
}

static int forwarded(int signo) {
  return signo == SIGINT || signo == SIGTERM || signo == SIGHUP || signo == SIGQUIT;
}

struct session {
  int pidfd;
  int master; /* -t: the pty master, else -1 */
  struct pump pumps[3];
  int pump_count;
};

/* Reads what is ready on p->from into its buffer; 1 at its end. */
static int pump_read(struct pump *p) {
  ssize_t n = read(p->from, p->buf, sizeof p->buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return 1; /* EOF, or EIO of a pty whose every slave is closed */
  p->len = (size_t)n, p->off = 0;
  return 0;
}

static void pump_write(struct pump *p) {
  ssize_t n;
  if (p->to < 0) {
    p->len = p->off = 0;
    return;
  }
  if (p->to_is_outer) {
    if (write_all(p->to, p->buf + p->off, p->len - p->off) < 0) p->to = -1; /* gone: drop the rest */
    p->len = p->off = 0;
    return;
  }
  n = write(p->to, p->buf + p->off, p->len - p->off);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n < 0) {
    p->len = p->off = 0;
    if (p->close_at_end) close(p->to);
    p->to = -1;
    return;
  }
  p->off += (size_t)n;
  if (p->off == p->len) p->len = p->off = 0;
}

/* The source ended (only ever with an empty buffer): the command's stdin ends too. */
static void pump_end(struct pump *p) {
  p->from = -1;
  if (p->eof_byte && p->to >= 0) {
    p->buf[0] = 4;
    p->len = 1, p->off = 0;
  } else if (p->close_at_end && p->to >= 0) {
    close(p->to);
    p->to = -1;
  }
}

/* Runs the session to the command's end; its exit code (128 + N for signal N). */
static int run(struct session *s, int sigfd) {
  int code = -1;
  int64_t deadline = 0;
  for (;;) {
    struct pollfd fds[8];
    struct pump *owner[8];
    int nfds = 0, outputs_open = 0;
    fds[nfds] = (struct pollfd){sigfd, POLLIN, 0}, owner[nfds++] = NULL;
    if (code < 0) fds[nfds] = (struct pollfd){s->pidfd, POLLIN, 0}, owner[nfds++] = NULL;
    for (int i = 0; i < s->pump_count; i++) {
      struct pump *p = &s->pumps[i];
      if (code >= 0 && p->to_is_outer == 0) continue; /* the command is gone: its stdin no longer matters */
      if (p->to_is_outer && p->from >= 0) outputs_open++;
      if (p->len > 0)
        fds[nfds] = (struct pollfd){p->to, POLLOUT, 0}, owner[nfds++] = p;
      else if (p->from >= 0)
        fds[nfds] = (struct pollfd){p->from, POLLIN, 0}, owner[nfds++] = p;
    }
    if (code >= 0 && outputs_open == 0) break;
    int timeout = -1;
    if (code >= 0) {
      /* A background child may hold the output open: at most 500 ms more (exec-command.ts endOf()). */
      timeout = (int)(deadline - now_ms());
      if (timeout <= 0) break;
    }
    int ready = poll(fds, (nfds_t)nfds, timeout);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) break;
    for (int i = 0; i < nfds; i++) {
      if (fds[i].revents == 0) continue;
      if (i == 0) {
        struct signalfd_siginfo info;
        while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {
          if (forwarded((int)info.ssi_signo)) {
            syscall(SYS_pidfd_send_signal, s->pidfd, (int)info.ssi_signo, NULL, 0);
          } else if (info.ssi_signo == SIGWINCH && s->master >= 0) {
            struct winsize w;
            int rows, cols;
            terminal_size(&rows, &cols);
            memset(&w, 0, sizeof w);
            w.ws_row = (unsigned short)rows, w.ws_col = (unsigned short)cols;
            ioctl(s->master, TIOCSWINSZ, &w);
          }
        }
        continue;
      }
      if (owner[i] == NULL) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        while (waitid(P_PIDFD, (id_t)s->pidfd, &info, WEXITED | __WALL) < 0 && errno == EINTR) {
        }
        code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
        deadline = now_ms() + 500;
        continue;
      }
      struct pump *p = owner[i];
      if (p->len > 0)
        pump_write(p);
      else if (pump_read(p))
        pump_end(p);
      else if (p->len > 0 && (p->to_is_outer || p->to < 0))
        pump_write(p);
    }
  }
  return code < 0 ? 125 : code;
}

/* libuv's raw mode (Node's setRawMode(true)): no echo, no line editing, no signals from keys; output
 * processing kept. */
static void make_raw(struct termios *t) {
  t->c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
  t->c_oflag |= ONLCR;
  t->c_cflag |= CS8;
  t->c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
  t->c_cc[VMIN] = 1;
  t->c_cc[VTIME] = 0;
}

/* ---- the whole of it ---- */

void exec_fast(char **argv, int *quiet_done) {
  struct exec_args args;
  static struct target target;
  struct guard guard = {0, -1, -1};
  struct enter_plan plan;
  struct session s;
  sigset_t handled;
  int pause = -1, pidfd = -1, master = -1, slave = -1, use_tty, flags, sigfd, code;
  int cgroup_fds[64], keep[80], keep_count = 0, ways_fd[3], relay_fd[3] = {-1, -1, -1}, child_end[3] = {-1, -1, -1};
  enum way ways[3];
  char start[64], **cands, **env;
  int cand_count = 0, opened[3] = {-1, -1, -1}, devnull = -1;
  uint32_t no_groups[1] = {0};
  const char *search;
  pid_t pid;
  struct termios saved;
  int raw = 0;

  if (parse_exec_args(argv + 2, &args) < 0 || (pause = sealed_pause()) < 0) return;
  /* The guard first: it starts and confines itself while the state is read (src/ops/exec.ts does so too). */
  if (start_guard(pause, &guard) < 0) goto undo;
  if (find_target(&args, &target) < 0) goto undo;
  /* The container's process, held by a pidfd, then checked: from then on its pid cannot be recycled. */
  pidfd = (int)syscall(SYS_pidfd_open, target.spec.pid, 0);
  if (pidfd < 0 || process_start_time(target.spec.pid, start, sizeof start) < 0 ||
      strcmp(start, target.spec.start) != 0 || (flags = join_flags(target.spec.pid)) < 0)
    goto undo;
  use_tty = args.tty;
  if (use_tty && args.stdin_ && !isatty(0)) use_tty = 0; /* kubectl goes on without a terminal */

  /* Everything the command gets is opened before anything is printed. */
  memset(&plan, 0, sizeof plan);
  plan.cgroup_into_fd = plan.cgroup_into_index = -1;
  /* As src/spawn.ts: a v1 cgroup's `tasks` (the child has one thread: no global threadgroup lock), a v2
   * one's cgroup.procs, and the first v2 directory to be cloned into (CLONE_INTO_CGROUP). */
  for (int i = 0; i < target.spec.cgroup_count && i < 64; i++) {
    char path[4200];
    struct statfs fs;
    int v2 = statfs(target.spec.cgroups[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
    snprintf(path, sizeof path, "%s/%s", target.spec.cgroups[i], v2 ? "cgroup.procs" : "tasks");
    if ((cgroup_fds[i] = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
      for (int j = 0; j < i; j++) close(cgroup_fds[j]);
      plan.cgroup_count = 0;
      goto undo_cgroups;
    }
    plan.cgroup_count = i + 1;
    if (v2 && plan.cgroup_into_fd < 0) {
      plan.cgroup_into_fd = open(target.spec.cgroups[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (plan.cgroup_into_fd < 0) goto undo_cgroups;
      plan.cgroup_into_index = i;
    }
  }
  if (target.spec.cgroup_count > 64) goto undo_cgroups;
  env = target.spec.env;
  if (use_tty) {
    int rows, cols, has_term = 0;
    terminal_size(&rows, &cols);
    if ((master = open_pty(target.spec.pid, rows, cols, &slave)) < 0) goto undo_cgroups;
    for (int i = 0; i < target.spec.env_count; i++) has_term |= strncmp(env[i], "TERM=", 5) == 0;
    if (!has_term) env[target.spec.env_count] = "TERM=xterm", env[target.spec.env_count + 1] = NULL;
    plan.stdio[0] = plan.stdio[1] = plan.stdio[2] = slave;
    plan.controlling_tty = 1;
  } else {
    for (int fd = 0; fd < 3; fd++) {
      if (fd == 0 && !args.stdin_) {
        ways[0] = DEV_NULL;
        ways_fd[0] = devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) goto undo_stdio;
        continue;
      }
      ways[fd] = hand_over(fd, &ways_fd[fd]);
      if (ways[fd] == REOPENED) opened[fd] = ways_fd[fd];
      if (ways[fd] == RELAY) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) goto undo_stdio;
        child_end[fd] = fd == 0 ? p[0] : p[1];
        relay_fd[fd] = fd == 0 ? p[1] : p[0];
        ways_fd[fd] = child_end[fd];
        fcntl(relay_fd[fd], F_SETFL, O_NONBLOCK);
      }
    }
    for (int fd = 0; fd < 3; fd++) plan.stdio[fd] = ways_fd[fd];
  }
  if (guard_ready(&guard) < 0) goto undo_stdio;

  /* Committed: kubectl's notes, then the command (a failure now execs Node with --quiet). */
  if (args.tty && !use_tty && !args.quiet)
    say("Unable to use a TTY - input is not a terminal or the right kind of file\n");
  if (target.note[0] != '\0' && !args.quiet) {
    say(target.note);
    say("\n");
  }
  *quiet_done = (args.tty && !use_tty) || target.note[0] != '\0';

  search = NULL;
  for (int i = 0; i < target.spec.env_count; i++)
    if (strncmp(env[i], "PATH=", 5) == 0) search = env[i] + 5;
  if (search == NULL) search = getenv("PATH");
  if (search == NULL) search = default_path;
  cands = candidates(args.command[0], search, &cand_count);
  if (cands == NULL) goto undo_stdio;
  plan.candidates = (const char *const *)cands;
  plan.candidate_count = cand_count;
  plan.argv = args.command;
  plan.envp = env;
  plan.cwd = target.spec.cwd;
  plan.join_pidfd = pidfd;
  plan.join_flags = flags;
  plan.become_ns_root = geteuid() == 0 && (flags & CLONE_NEWUSER) != 0;
  if (target.spec.has_uid || target.spec.has_gid) {
    plan.set_ids = 1;
    plan.uid = target.spec.has_uid ? target.spec.uid : (uint32_t)geteuid();
    plan.gid = target.spec.has_gid ? target.spec.gid : target.spec.has_uid ? plan.uid : (uint32_t)getegid();
    plan.set_groups = 1;
    plan.groups = no_groups;
    plan.group_count = 0;
  }
  if (target.spec.has_groups) {
    plan.set_groups = 1;
    plan.groups = target.spec.groups;
    plan.group_count = target.spec.group_count;
  }
  plan.no_new_privs = target.spec.nnp;
  if (target.spec.has_caps) {
    plan.set_caps = 1;
    plan.cap_last = cap_last();
    memcpy(plan.caps, target.spec.caps, sizeof plan.caps);
  }
  plan.seccomp = target.spec.seccomp;
  plan.seccomp_len = target.spec.seccomp_len;
  plan.cgroup_fds = cgroup_fds;
  keep[keep_count++] = pidfd;
  for (int i = 0; i < 3; i++)
    if (plan.stdio[i] >= 0) keep[keep_count++] = plan.stdio[i];
  for (int i = 0; i < plan.cgroup_count; i++) keep[keep_count++] = cgroup_fds[i];
  if (plan.cgroup_into_fd >= 0) keep[keep_count++] = plan.cgroup_into_fd;

  /* Forwarded signals (and the terminal's size changes) are read from a signalfd from now on. */
  sigemptyset(&handled);
  sigaddset(&handled, SIGINT), sigaddset(&handled, SIGTERM), sigaddset(&handled, SIGHUP);
  sigaddset(&handled, SIGQUIT), sigaddset(&handled, SIGWINCH);
  sigprocmask(SIG_BLOCK, &handled, NULL);
  sigfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) goto undo_signals;
  pid = enter(pause, &plan, keep, keep_count);
  if (pid <= 0) {
    close(sigfd);
    goto undo_signals;
  }
  /* Started: the guard kills it (and its descendants) if this client dies from here on. */
  {
    char line[32];
    int len = snprintf(line, sizeof line, "P %d\n", (int)pid);
    write_all(guard.to, line, (size_t)len);
  }
  memset(&s, 0, sizeof s);
  s.pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* race-free: our own unreaped child */
  s.master = master;
  close(pidfd);
  close(pause);
  for (int i = 0; i < plan.cgroup_count; i++) close(cgroup_fds[i]);
  if (plan.cgroup_into_fd >= 0) close(plan.cgroup_into_fd);
  if (slave >= 0) close(slave);
  for (int fd = 0; fd < 3; fd++) {
    if (child_end[fd] >= 0) close(child_end[fd]);
    if (opened[fd] >= 0) close(opened[fd]);
  }
  if (devnull >= 0) close(devnull);
  if (use_tty) {
    fcntl(master, F_SETFL, O_NONBLOCK);
    pump_init(&s.pumps[s.pump_count++], master, 1, 1);
    if (args.stdin_) {
      struct pump *in = &s.pumps[s.pump_count++];
      pump_init(in, 0, master, 0);
      in->eof_byte = !isatty(0);
      if (isatty(0) && tcgetattr(0, &saved) == 0) {
        struct termios t = saved;
        make_raw(&t);
        raw = tcsetattr(0, TCSADRAIN, &t) == 0;
      }
    }
  } else {
    for (int fd = 0; fd < 3; fd++) {
      if (relay_fd[fd] < 0) continue;
      struct pump *p = &s.pumps[s.pump_count++];
      if (fd == 0)
        pump_init(p, 0, relay_fd[0], 0), p->close_at_end = 1;
      else
        pump_init(p, relay_fd[fd], fd, 1);
    }
  }
  if (s.pidfd < 0) {
    kill(pid, SIGKILL);
    code = 125;
  } else {
    code = run(&s, sigfd);
  }
  if (raw) tcsetattr(0, TCSADRAIN, &saved);
  /* The command has ended and been reaped: the guard has nothing left to kill. It exits at "X" on its
   * own (reaped by init); this client does not wait for that. */
  release_guard(&guard, 0);
  exit(code);

undo_signals:
  sigprocmask(SIG_UNBLOCK, &handled, NULL);
undo_stdio:
  if (master >= 0) close(master), close(slave);
  for (int fd = 0; fd < 3; fd++) {
    if (child_end[fd] >= 0) close(child_end[fd]), close(relay_fd[fd]);
    if (opened[fd] >= 0) close(opened[fd]);
  }
  if (devnull >= 0) close(devnull);
undo_cgroups:
  for (int i = 0; i < plan.cgroup_count; i++) close(cgroup_fds[i]);
  if (plan.cgroup_into_fd >= 0) close(plan.cgroup_into_fd);
undo:
  if (guard.from >= 0) close(guard.from);
  release_guard(&guard, 1);
  if (pidfd >= 0) close(pidfd);
  close(pause);
}
