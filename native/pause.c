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
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

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

static void reap_zombies(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  sigset_t all;
  int sfd;
  struct signalfd_siginfo batch[32];

  /* Arguments: --version, or "init" for the init mode (init.c); the pause takes no flags. */
  if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
    say(POD_PAUSE_VERSION);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "init") == 0) return init_main(argc - 1, argv + 1);
  if (argc > 2 && strcmp(argv[1], "socket") == 0) return socket_main(argv[2]);

  /* Block every signal and take them from a signalfd: pid 1 without this ignores SIGTERM. */
  sigfillset(&all);
  if (sigprocmask(SIG_SETMASK, &all, NULL) < 0) return 2;
  sfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sfd < 0) return 3;

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
