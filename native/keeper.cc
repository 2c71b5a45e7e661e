// keeper.cc — `pod-pause enter FD keeper SOCK`: a container's keeper, which makes exec probes' and hooks'
// processes by fork, so that they inherit the container's confinement instead of attaching it each time.
//
// A joined spawn attaches a seccomp filter and migrates into the container's cgroups for every process it
// makes: the kernel's price (~0.3 ms to attach any filter, ~0.4 ms for a v1 migration here) is paid per probe.
// A fork keeps both, and the namespaces, ids, capabilities and no_new_privs, for free. So the keeper enters
// the container once, the way RunIntermediate does (setns of every kind; setns into a pid namespace moves
// only its children, so the keeper stays in pod-init's and is not visible in the container's /proc), then
// confines *itself* exactly as RunChild confines a container's process (ConfineSelf), closes every fd but
// its socket, and answers requests: each one a fork (CLONE_PARENT: the new process is pod-init's child,
// waited for and signalled through its pidfd like any other spawn) that does only what is left — the
// parent-death signal, stdio, the working directory (entered as the user, verified), execve.
// It is exec'd first from pod-init's sealed memfd of pod-pause (spawn.cc EnterMain, enter.cc: non-dumpable,
// holding nothing of Node's), exits when pod-init closes the socket, and dies with pod-init (parent-death
// signal) and with the container (its cgroup). See: clone(2) CLONE_PARENT, setns(2), unix(7) SCM_RIGHTS.
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_search.h"
#include "plan.h"
#include "sigset.h"
#include "steps.h"
#include "sys.h"

namespace podinit {

namespace {

// One request at a time: the child reads it in our memory (CLONE_VM), and we wait for its execve (CLONE_VFORK).
alignas(16) char request_buf[kKeeperMaxRequest];
const char* slots[kKeeperMaxStrings + 2];
alignas(16) char child_stack[kChildStackSize];

struct Request {
  const char* cwd;
  const char* const* candidates;
  uint32_t candidate_count;
  char* const* argv;
  char* const* envp;
};

bool Parse(size_t n, Request* out) {
  KeeperRequest h;
  if (n < sizeof h) return false;
  memcpy(&h, request_buf, sizeof h);
  uint64_t strings = static_cast<uint64_t>(h.has_cwd != 0) + h.candidate_count + h.argc + h.envc;
  if (h.magic != kKeeperMagic || h.argc == 0 || h.candidate_count == 0 || strings > kKeeperMaxStrings) return false;
  char* p = request_buf + sizeof h;
  char* end = request_buf + n;
  const char** slot = slots;
  const char* cwd = nullptr;
  for (uint64_t i = 0; i < strings; i++) {
    char* zero = p < end ? static_cast<char*>(memchr(p, 0, static_cast<size_t>(end - p))) : nullptr;
    if (zero == nullptr) return false;
    if (i == 0 && h.has_cwd) {
      cwd = p;
    } else {
      *slot++ = p;
      // argv and envp end with a null pointer each: leave a slot after the last of each.
      uint64_t k = i - (h.has_cwd ? 1 : 0);
      if (k + 1 == static_cast<uint64_t>(h.candidate_count) + h.argc) *slot++ = nullptr;
    }
    p = zero + 1;
  }
  *slot = nullptr;
  out->cwd = cwd;
  out->candidates = slots;
  out->candidate_count = h.candidate_count;
  out->argv = const_cast<char* const*>(slots + h.candidate_count);
  out->envp = const_cast<char* const*>(slots + h.candidate_count + h.argc + 1);
  return true;
}

[[noreturn]] void Fail(int report_fd, int step, int err, const char* path) {
  WriteChildReport(report_fd, step, err, path);
}

// The forked process: a copy of the keeper (not of Node), already confined. Raw calls only.
[[noreturn]] void Child(const ChildPlan& plan, const Request& req, int* fds) {
  int report = fds[3];
  if (report < 3) {
    report = fcntl(report, F_DUPFD_CLOEXEC, 3);
    if (report < 0) _exit(127);
  }
  if (plan.death_signal != 0) {
    if (prctl(PR_SET_PDEATHSIG, plan.death_signal, 0, 0, 0) < 0) Fail(report, STEP_DEATH_SIGNAL, errno, nullptr);
    // Its parent is pod-init (CLONE_PARENT), which may have died since the request: its pidfd says so.
    if (plan.parent_pidfd >= 0) {
      struct pollfd pfd = {plan.parent_pidfd, POLLIN, 0};
      if (poll(&pfd, 1, 0) > 0) _exit(127);
    }
  }
  // stdio as child_stdio does it: a source in 0..2 but not at its place is moved out of the way first.
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 3 && fds[i] != i) {
      int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
      if (moved < 0) Fail(report, STEP_STDIO, errno, nullptr);
      for (int j = i + 1; j < 3; j++)
        if (fds[j] == fds[i]) fds[j] = moved;
      fds[i] = moved;
    }
  }
  for (int i = 0; i < 3; i++) {
    if (fds[i] == i) {
      if (fcntl(i, F_SETFD, 0) < 0) Fail(report, STEP_STDIO, errno, nullptr);
    } else if (dup2(fds[i], i) < 0) {
      Fail(report, STEP_STDIO, errno, nullptr);
    }
  }
  if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) Fail(report, STEP_CLOSE_FDS, errno, nullptr);
  if (req.cwd != nullptr) {
    if (chdir(req.cwd) < 0) Fail(report, STEP_CHDIR, errno, req.cwd);
    char buf[4096];
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    if (n < 0) Fail(report, STEP_VERIFY_CWD, errno, req.cwd);
    if (buf[0] != '/') Fail(report, STEP_VERIFY_CWD, EXDEV, req.cwd);
  }
  sigprocmask(SIG_SETMASK, &plan.exec_mask, nullptr);
  int err = ENOENT;
  const char* failed = req.candidates[0];
  exec_candidates(req.candidates, req.candidate_count, req.argv, req.envp, &err, &failed);
  sigset_t all;
  fill_every_signal(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  Fail(report, STEP_EXEC, err, failed);
}

struct ChildStart {
  const ChildPlan* plan;
  const Request* req;
  int fds[kKeeperFds];
  int sock;
  pid_t pid;  // CLONE_PARENT_SETTID: the kernel writes the child's pid (as we number it) before it runs
};

// The child answers pod-init itself, first thing: we are held until its execve (CLONE_VFORK), and pod-init
// must know its pid before anything in its setup can hang (a working directory on a stuck mount, say).
int ChildEntry(void* arg) {
  const ChildStart& start = *static_cast<const ChildStart*>(arg);
  int fds[kKeeperFds];
  memcpy(fds, start.fds, sizeof fds);  // moved around by Child: not in the memory we share
  KeeperReply reply = {start.pid, 0};
  if (send(start.sock, &reply, sizeof reply, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof reply)) _exit(127);
  Child(*start.plan, *start.req, fds);
}

// Every fd but those in keep (sorted, distinct) closed.
void CloseAllBut(const int* keep, int count) {
  unsigned first = 0;
  for (int i = 0; i < count; i++) {
    unsigned fd = static_cast<unsigned>(keep[i]);
    if (fd > first) sys_close_range(first, fd - 1, 0);
    first = fd + 1;
  }
  sys_close_range(first, ~0U, 0);
}

}  // namespace

void RunKeeper(ChildPlan& plan, int sock) {
  prctl(PR_SET_NAME, "pod-keeper", 0, 0, 0);  // in ps: not a pause
  if (setns(plan.join_pidfd, plan.join_flags) < 0) Fail(plan.report_fd, STEP_JOIN_NAMESPACES, errno, nullptr);
  ConfineSelf(plan);
  // Nothing but the socket, the two pipes to pod-init and its pidfd (for the children's parent-death check).
  int keep[4] = {sock, plan.report_fd, plan.info_fd, plan.parent_pidfd};
  int count = plan.parent_pidfd >= 0 ? 4 : 3;
  for (int i = 1; i < count; i++)  // insertion sort: four numbers
    for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  CloseAllBut(keep, count);
  if (fcntl(sock, F_SETFD, FD_CLOEXEC) < 0) Fail(plan.report_fd, STEP_CLOSE_FDS, errno, nullptr);
  if (plan.parent_pidfd >= 0 && fcntl(plan.parent_pidfd, F_SETFD, FD_CLOEXEC) < 0)
    Fail(plan.report_fd, STEP_CLOSE_FDS, errno, nullptr);
  // Ready: pod-init reads our pid, then EOF on the report pipe.
  int32_t self = static_cast<int32_t>(getpid());
  if (write(plan.info_fd, &self, sizeof self) != static_cast<ssize_t>(sizeof self)) _exit(127);
  close(plan.info_fd);
  close(plan.report_fd);

  for (;;) {
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kKeeperFds)];
    struct iovec iov = {request_buf, sizeof request_buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);  // pod-init closed its end, or is gone
    int fds[kKeeperFds];
    int nfds = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int count_in = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < count_in; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (nfds < kKeeperFds)
          fds[nfds++] = fd;
        else
          close(fd);
      }
    }
    Request req;
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || nfds != kKeeperFds || !Parse(static_cast<size_t>(n), &req)) {
      for (int i = 0; i < nfds; i++) close(fds[i]);
      KeeperReply reply = {0, EINVAL};
      if (send(sock, &reply, sizeof reply, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof reply)) _exit(0);
      continue;
    }
    // vfork-style, as RunIntermediate: no copy of our page tables, and we wait until its execve (or exit).
    // CLONE_PARENT: pod-init's child; the exit signal is then ours, 0, and pod-init waits with __WALL
    // through the child's pidfd.
    ChildStart start = {&plan, &req, {fds[0], fds[1], fds[2], fds[3]}, sock, 0};
    int pid = clone(ChildEntry, child_stack + sizeof child_stack,
                    CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_PARENT_SETTID, &start, &start.pid);
    int err = errno;
    for (int i = 0; i < nfds; i++) close(fds[i]);
    if (pid < 0) {
      KeeperReply reply = {0, err};
      if (send(sock, &reply, sizeof reply, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof reply)) _exit(0);
    }
  }
}

}  // namespace podinit
