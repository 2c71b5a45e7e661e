/* pause.c — pod-pause, the pod's PID 1: holds the pod's namespaces and reaps every orphan in it.
 *
 * Kubernetes' pause.c, done right: all signals blocked and read from one signalfd (no async handler,
 * no periodic wake-up, no exit() from a handler); SIGCHLD reaps until nothing is left (signals
 * coalesce, so one SIGCHLD may stand for many exits); SIGTERM, SIGINT and SIGHUP end it with 0; any
 * other signal is read and dropped, so real-time signals cannot pile up in the queue. Started by
 * pod-init with its namespaces, hostname, loopback and /proc already set up (native/spawn.cc).
 * When not PID 1 it makes itself a child subreaper so that orphans still come to it.
 * See: signalfd(2), waitpid(2), prctl(2) PR_SET_CHILD_SUBREAPER, pid_namespaces(7). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "init.h"
#include "owners.h"
#include "sigset.h"

#define POD_PAUSE_VERSION "pod-pause 0.1.0\n"

static void say(const char *text) {
  ssize_t ignored = write(STDERR_FILENO, text, strlen(text));
  (void)ignored;
}

/* `pod-pause socket 4|6`, run inside a pod's namespaces: a TCP socket made there, handed over
 * stdout (a unix socket) with SCM_RIGHTS. Without root, Node cannot setns into the pod's network
 * namespace (it is owned by the pod's user namespace), so probes get their sockets this way. */
static int socket_main(const char *family) {
  int s = socket(strcmp(family, "6") == 0 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char byte = 0;
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr msg;
  struct cmsghdr *cmsg;
  if (s < 0) return 1;
  memset(&msg, 0, sizeof msg);
  memset(control, 0, sizeof control);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &s, sizeof(int));
  return sendmsg(1, &msg, 0) == 1 ? 0 : 1;
}

int enter_main(int argc, char **argv); /* enter.cc */

/* `--confine UID:GID`: what a process that every container of the pod may see must be (SECURITY.md §6):
 * no file system (chrooted into an empty, read-only tmpfs that is mounted nowhere, so /proc/1/root shows
 * nothing), no capabilities, no_new_privs, and the kubelet's pause user 65535 where the pod's user
 * namespace maps it (without root the pod maps one id: then it stays that id, capability-less). A
 * container's root cannot open /proc/<pause>/{root,exe,mem} of another uid without CAP_SYS_PTRACE.
 * It starts when pod-init, having opened the pod mount namespace's root through /proc/<pid>/root,
 * writes a byte on stdin; then 'R' on stdout tells pod-init the pause is confined; both pipes are
 * replaced by /dev/null. */
static int confine(const char *ids) {
  char go, *end;
  const char *step;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC), death_signal = 0;
  unsigned long uid = strtoul(ids, &end, 10), gid = *end == ':' ? strtoul(end + 1, NULL, 10) : uid;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct none[2];
  if (null < 0 || read(STDIN_FILENO, &go, 1) != 1) return 9;
  /* A change of uid clears the parent-death signal: read it now, set it again after. */
  if (prctl(PR_GET_PDEATHSIG, &death_signal, 0, 0, 0) < 0) return 9;
  if (enter_empty_root(&step) < 0)
    return strcmp(step, "fsopen(tmpfs)") == 0 ? 10 : strcmp(step, "fsconfig") == 0 ? 11 : 12;
  for (int cap = 0; cap < 64; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return 13;
  /* EPERM: setgroups is denied in a rootless pod's user namespace; EINVAL: the id is not mapped. */
  if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM) return 14;
  if (syscall(SYS_setresgid, gid, gid, gid) < 0 && errno != EINVAL) return 14;
  if (syscall(SYS_setresuid, uid, uid, uid) < 0 && errno != EINVAL) return 14;
  memset(none, 0, sizeof none);
  if (syscall(SYS_capset, &header, none) < 0) return 15;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return 16;
  if (death_signal != 0 && prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0) < 0) return 16;
  /* If pod-init died before that, nobody reads this pipe any more: EPIPE (SIGPIPE is blocked), exit. */
  if (write(STDOUT_FILENO, "R", 1) != 1 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0) return 17;
  close(null);
  return 0;
}

static void reap_zombies(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  sigset_t all;
  int sfd;
  struct signalfd_siginfo batch[32];

  /* Arguments: --version, "init" for the init mode (init.c), "guard" (guard.c), "socket", "enter", "owners" (owners.c),
   * or --confine. */
  if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
    say(POD_PAUSE_VERSION);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "init") == 0) return init_main(argc - 1, argv + 1);
  if (argc > 2 && strcmp(argv[1], "guard") == 0) {
    prctl(PR_SET_NAME, "pod-guard", 0, 0, 0);
    return guard_main(argc - 1, argv + 1);
  }
  /* Run from a sealed memfd (pod-init's copy), the kernel names us after the fd: say who we are. */
  prctl(PR_SET_NAME, "pod-pause", 0, 0, 0);
  if (argc > 2 && strcmp(argv[1], "socket") == 0) return socket_main(argv[2]);
  if (argc > 2 && strcmp(argv[1], "enter") == 0) return enter_main(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "owners") == 0) return owners_main(argc - 1, argv + 1);

  /* Block every signal and take them from a signalfd: pid 1 without this ignores SIGTERM. */
  if (block_every_signal(&all) < 0) return 2;
  sfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sfd < 0) return 3;

  if (argc > 2 && strcmp(argv[1], "--confine") == 0) {
    int failed = confine(argv[2]);
    if (failed != 0) return failed;
  }

  /* Outside a pid namespace of our own, orphans would go past us: become their reaper. */
  if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return 4;

  /* Do not keep the directory we were started in busy (catatonit #28). */
  if (chdir("/") < 0) return 5;

  /* Children that exited before the signalfd existed. */
  reap_zombies();

  for (;;) {
    ssize_t n = read(sfd, batch, sizeof batch);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 6;
    }
    for (ssize_t i = 0; i < n / (ssize_t)sizeof batch[0]; i++) {
      switch (batch[i].ssi_signo) {
        case SIGCHLD:
          reap_zombies();
          break;
        case SIGTERM:
        case SIGINT:
        case SIGHUP:
          return 0;
        default:
          break; /* dropped */
      }
    }
  }
}
