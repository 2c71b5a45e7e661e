/* guard.c — `pod-pause guard PID`: the watchdog that kills a pod when its pod-init dies.
 *
 * A container that changed its uid has lost its parent-death signal, and a hostPID pod has no pid
 * namespace to die with its pause: after `kill -9` of pod-init they would run on. One guard per pod,
 * a child of pod-init, notices pod-init's death at once — a pidfd of pod-init and EOF on its stdin (a
 * pipe only pod-init writes), no polling — and then kills the pod with what it was told:
 *   K DIR   a v2 cgroup of the pod: DIR/cgroup.kill is opened now, written "1" then;
 *   F DIR   the pod's v1 freezer cgroup: frozen, every task below killed, thawed;
 *   D DIR   a v1 cgroup of the pod to walk (cgroup.procs, recursively) and kill until empty;
 *   P PID   a process (the pause, or a hostPID container) to kill with every descendant: the tree is
 *           stopped (SIGSTOP) from the top before anything dies, so nothing is reparented away;
 *   G       confine yourself, answer "R\n" (or "E <line>\n" if a line before failed);
 *   X       pod-init ends cleanly: exit 0 and kill nothing.
 * Files are opened before G: then it chroots into an empty read-only tmpfs, keeps no capability but
 * CAP_KILL as root (kill(2) of other uids needs it; rootless it is the pod's own uid and needs
 * nothing, and its empty root comes from a user namespace of its own), sets no_new_privs and is not
 * dumpable, so a hostPID container cannot reach its fds or root through /proc.
 * See: pidfd_open(2), pidfd_send_signal(2), cgroups(7) freezer, proc(5) /proc/PID/task/TID/children. */
#define _GNU_SOURCE
#include "guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 32
#define MAX_TOLD 4096

static int kill_files[MAX_FDS], n_kill_files;
static int freezers[MAX_FDS], n_freezers;
static int walk_dirs[MAX_FDS], n_walk_dirs;
static int told_fds[MAX_TOLD];
static pid_t told_pids[MAX_TOLD];
static int n_told;
static int proc_fd = -1;

/* Pids gathered for one kill: a growing array. */
static pid_t *found;
static size_t n_found, cap_found;

static void remember(pid_t pid) {
  for (size_t i = 0; i < n_found; i++)
    if (found[i] == pid) return;
  if (n_found == cap_found) {
    size_t bigger = cap_found ? cap_found * 2 : 256;
    pid_t *grown = realloc(found, bigger * sizeof *grown);
    if (grown == NULL) return;
    found = grown;
    cap_found = bigger;
  }
  found[n_found++] = pid;
}

static void pause_ms(long ms) {
  struct timespec t = {0, ms * 1000000L};
  nanosleep(&t, NULL);
}

static int write_at_start(int fd, const char *text) {
  return pwrite(fd, text, strlen(text), 0) == (ssize_t)strlen(text) ? 0 : -1;
}

/* The pids in an open cgroup.procs (or children) file relative to dirfd. Calls each(pid); returns how many. */
static int each_pid_in(int dirfd, const char *file, void (*each)(pid_t)) {
  char buf[4096];
  int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC), count = 0;
  long value = 0;
  int digits = 0;
  ssize_t n;
  if (fd < 0) return 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        value = value * 10 + (buf[i] - '0');
        digits++;
      } else if (digits > 0) {
        each((pid_t)value), count++;
        value = 0, digits = 0;
      }
    }
  }
  if (digits > 0) each((pid_t)value), count++;
  close(fd);
  return count;
}

static void sigkill(pid_t pid) {
  kill(pid, SIGKILL);
}

/* Every task of a cgroup directory and its descendants: each(pid). Returns how many were seen. */
static int walk_cgroup(int dirfd, void (*each)(pid_t)) {
  int count = each_pid_in(dirfd, "cgroup.procs", each);
  int again = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = again < 0 ? NULL : fdopendir(again);
  struct dirent *entry;
  if (dir == NULL) {
    if (again >= 0) close(again);
    return count;
  }
  while ((entry = readdir(dir)) != NULL) {
    int child;
    if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    child = openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (child < 0) continue;
    count += walk_cgroup(child, each);
    close(child);
  }
  closedir(dir);
  return count;
}

/* Stops pid and, from the top down, every descendant (children read while their parent is stopped). */
static void stop_tree(pid_t pid) {
  char path[300];
  int task_dir;
  DIR *tasks;
  struct dirent *entry;
  size_t before = n_found;
  remember(pid);
  if (n_found == before) return; /* seen already */
  kill(pid, SIGSTOP);
  snprintf(path, sizeof path, "%d/task", (int)pid);
  task_dir = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  tasks = task_dir < 0 ? NULL : fdopendir(task_dir);
  if (tasks == NULL) {
    if (task_dir >= 0) close(task_dir);
    return;
  }
  while ((entry = readdir(tasks)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/children", entry->d_name);
    each_pid_in(dirfd(tasks), path, stop_tree);
  }
  closedir(tasks);
}

static int frozen(int state) {
  char buf[16];
  ssize_t n = pread(state, buf, sizeof buf - 1, 0);
  return n >= 6 && strncmp(buf, "FROZEN", 6) == 0;
}

/* pod-init is gone: kill everything of the pod it told about. */
static void kill_pod(void) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  /* v1: freeze first, so that nothing forks between reading the pids and killing them. */
  for (int i = 0; i < n_freezers; i++) write_at_start(freezers[i], "FROZEN");
  for (int i = 0; i < n_freezers; i++)
    for (int tries = 0; tries < 500 && !frozen(freezers[i]); tries++) {
      write_at_start(freezers[i], "FROZEN"); /* nudges tasks that were forking */
      pause_ms(1);
    }
  /* Told processes and their trees: stopped from the top, then killed together. One that has exited
   * (its pidfd is readable) is skipped: its pid may be someone else's by now. */
  for (int i = 0; i < n_told; i++) {
    struct pollfd p = {told_fds[i], POLLIN, 0};
    if (poll(&p, 1, 0) == 0) stop_tree(told_pids[i]);
  }
  for (int i = 0; i < n_told; i++) syscall(SYS_pidfd_send_signal, told_fds[i], SIGKILL, NULL, 0);
  for (size_t i = 0; i < n_found; i++) kill(found[i], SIGKILL);
  for (int i = 0; i < n_kill_files; i++) write_at_start(kill_files[i], "1");
  for (int i = 0; i < n_walk_dirs; i++) walk_cgroup(walk_dirs[i], sigkill);
  for (int i = 0; i < n_freezers; i++) write_at_start(freezers[i], "THAWED");
  /* Until the cgroups are empty (without a freezer: killed again as they fork), for at most 5 s. */
  for (;;) {
    int left = 0;
    for (int i = 0; i < n_walk_dirs; i++) left += walk_cgroup(walk_dirs[i], sigkill);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (left == 0 || now.tv_sec - start.tv_sec > 5) break;
    pause_ms(2);
  }
}

static int open_dir(const char *dir) {
  return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int open_in(const char *dir, const char *file, int flags) {
  int dfd = open_dir(dir), fd;
  if (dfd < 0) return -1;
  fd = openat(dfd, file, flags | O_CLOEXEC);
  close(dfd);
  return fd;
}

int enter_empty_root(const char **step) {
  int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC), mnt;
  *step = "fsopen(tmpfs)";
  if (fs < 0) return -1;
  *step = "fsconfig";
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    close(fs);
    return -1;
  }
  *step = "fsmount/chroot";
  mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  close(fs);
  if (mnt < 0) return -1;
  if (fchdir(mnt) < 0 || chroot(".") < 0 || chdir("/") < 0) {
    close(mnt);
    return -1;
  }
  close(mnt);
  return 0;
}

/* Rootless: a user namespace of its own (uid and gid mapped to themselves) gives it the right to chroot. */
static int own_user_namespace(void) {
  char map[64];
  int fd;
  unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) return -1;
  snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
  if ((fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, strlen(map)) < 0) return -1;
  close(fd);
  if ((fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, "deny", 4) < 0) return -1;
  close(fd);
  snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
  if ((fd = open("/proc/self/gid_map", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, strlen(map)) < 0) return -1;
  close(fd);
  return 0;
}

/* Empty root, CAP_KILL at most, no_new_privs, not dumpable. NULL, or the step that failed. */
static const char *confine_guard(void) {
  const char *step = "user namespace";
  int root = geteuid() == 0;
  unsigned keep = root ? 1u << CAP_KILL : 0;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct caps[2];
  if (!root && own_user_namespace() < 0) return step;
  if (enter_empty_root(&step) < 0) return step;
  for (int cap = 0; cap < 64; cap++)
    if ((cap >= 32 || !(keep & (1u << cap))) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return "dropping the bounding set";
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return "clearing ambient capabilities";
  memset(caps, 0, sizeof caps);
  caps[0].effective = caps[0].permitted = keep;
  if (syscall(SYS_capset, &header, caps) < 0) return "capset";
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return "no_new_privs";
  return NULL;
}

static void say_line(const char *a, const char *b) {
  char out[4200];
  int n = snprintf(out, sizeof out, "%s%s\n", a, b);
  if (n > 0 && write(STDOUT_FILENO, out, (size_t)n) < 0) {
    /* pod-init is gone: the next poll sees it */
  }
}

/* What failed before G (reported at G as "E <what>\nE <strerror>\n"): a line, or a step of the confinement. */
static char failed_what[4096], failed_error[128];

static void note_failure(const char *what) {
  if (failed_what[0] != '\0') return;
  snprintf(failed_error, sizeof failed_error, "%s", strerror(errno));
  snprintf(failed_what, sizeof failed_what, "%s", what);
}

/* One line from pod-init. 1: exit (X, or a failure reported at G); 0: go on. */
static int handle(char *line) {
  char *arg = line[0] != '\0' && line[1] == ' ' ? line + 2 : line + 1;
  int fd = -1;
  switch (line[0]) {
    case 'X':
      return 1;
    case 'K':
      if (n_kill_files < MAX_FDS && (fd = open_in(arg, "cgroup.kill", O_WRONLY)) >= 0) kill_files[n_kill_files++] = fd;
      if (n_walk_dirs < MAX_FDS && fd >= 0 && (fd = open_dir(arg)) >= 0) walk_dirs[n_walk_dirs++] = fd;
      break;
    case 'F':
      if (n_freezers < MAX_FDS && (fd = open_in(arg, "freezer.state", O_RDWR)) >= 0) freezers[n_freezers++] = fd;
      if (n_walk_dirs < MAX_FDS && fd >= 0 && (fd = open_dir(arg)) >= 0) walk_dirs[n_walk_dirs++] = fd;
      break;
    case 'D':
      if (n_walk_dirs < MAX_FDS && (fd = open_dir(arg)) >= 0) walk_dirs[n_walk_dirs++] = fd;
      break;
    case 'P': {
      pid_t pid = (pid_t)atoi(arg);
      /* A slot of a process that is gone (its pidfd is readable) is reused. */
      int slot = n_told;
      for (int i = 0; i < n_told; i++) {
        struct pollfd p = {told_fds[i], POLLIN, 0};
        if (poll(&p, 1, 0) == 1) {
          slot = i;
          break;
        }
      }
      if (slot == MAX_TOLD) return 0;
      /* Gone already (ESRCH): nothing to kill. pod-init tells only its own unreaped children. */
      if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) return 0;
      if (slot < n_told) close(told_fds[slot]);
      told_fds[slot] = fd;
      told_pids[slot] = pid;
      if (slot == n_told) n_told++;
      return 0;
    }
    case 'G': {
      const char *step = failed_what[0] == '\0' ? confine_guard() : NULL;
      if (step != NULL) note_failure(step);
      if (failed_what[0] == '\0') {
        say_line("R", "");
        return 0;
      }
      say_line("E ", failed_what);
      say_line("E ", failed_error);
      return 1;
    }
    default:
      errno = EINVAL;
  }
  if (fd < 0) note_failure(line);
  return 0;
}

/* pod-init is dead: read the lines still in the pipe (a P written just before its death) up to EOF. */
static void drain_lines(char *buf, size_t used) {
  /* Never block here: a write end left open elsewhere must not keep the pod alive. */
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf + used, 8191 - used);
    char *line = buf, *end;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    used += (size_t)n;
    buf[used] = '\0';
    while ((end = strchr(line, '\n')) != NULL) {
      *end = '\0';
      if (line[0] == 'P') handle(line);
      line = end + 1;
    }
    used = strlen(line);
    memmove(buf, line, used);
    if (used == 8191) used = 0;
  }
}

int guard_main(int argc, char **argv) {
  static char buf[8192];
  size_t used = 0;
  pid_t parent = argc > 1 ? (pid_t)atoi(argv[1]) : 0;
  int parent_fd = parent > 0 ? (int)syscall(SYS_pidfd_open, parent, 0) : -1;
  /* Never stopped or ended by the terminal's signals; EPIPE instead of SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  /* pod-init died before the pidfd was made: nothing was told yet, nothing to kill. */
  if (parent_fd < 0 || getppid() != parent) return 0;
  proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0 || chdir("/") < 0) return 2;
  for (;;) {
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {parent_fd, POLLIN, 0}};
    ssize_t n;
    char *line, *end;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 3;
    }
    if (fds[1].revents != 0) { /* pod-init exited: what it wrote just before still counts */
      drain_lines(buf, used);
      break;
    }
    if (fds[0].revents == 0) continue;
    n = read(STDIN_FILENO, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EOF: pod-init died (a clean end says X first) */
    used += (size_t)n;
    buf[used] = '\0';
    line = buf;
    while ((end = strchr(line, '\n')) != NULL) {
      *end = '\0';
      if (handle(line)) return failed_what[0] == '\0' ? 0 : 4;
      line = end + 1;
    }
    used = strlen(line);
    memmove(buf, line, used);
    if (used == sizeof buf - 1) used = 0; /* a line longer than the buffer: dropped */
  }
  kill_pod();
  return 0;
}
