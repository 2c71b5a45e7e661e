// keeper_client.cc — pod-init's side of a container's keeper (keeper.cc): `keeperSpawn(socket, request)`.
//
// Sends one request (strings and four fds: stdio and the write end of a report pipe) and waits, with a
// deadline, for the keeper's answer (the new process's pid, a child of ours by CLONE_PARENT) and then for
// EOF on the report pipe (its execve) — the same contract as spawn(): synchronous until execve, a failure
// before it thrown as a PodSystemError with the step, and a pidfd opened race-free on our own child.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "keeper.h"
#include "spawn_util.h"
#include "steps.h"
#include "sys.h"

namespace podinit {

namespace {

std::vector<std::string> Strings(const Napi::Object& o, const char* key) {
  std::vector<std::string> out;
  if (!o.Has(key)) return out;
  Napi::Array a = o.Get(key).As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

void Append(std::vector<char>* buf, const std::string& s) {
  buf->insert(buf->end(), s.c_str(), s.c_str() + s.size() + 1);
}

// Waits for the keeper's answer until the deadline: 1 when it came, 0 on time-out, -1 (errno) otherwise.
int ReceiveReply(int sock, KeeperReply* reply, int64_t deadline) {
  for (;;) {
    struct pollfd pfd = {sock, POLLIN, 0};
    int64_t left = deadline - NowMs();
    int ready = left <= 0 ? 0 : poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return 0;
    ssize_t n = recv(sock, reply, sizeof *reply, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == static_cast<ssize_t>(sizeof *reply)) return 1;
    errno = n < 0 ? errno : EPIPE;  // EOF: the keeper is gone
    return -1;
  }
}

Napi::Value KeeperSpawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  Napi::Object o = info[1].As<Napi::Object>();
  std::vector<std::string> candidates = Strings(o, "candidates"), argv = Strings(o, "argv"), envp = Strings(o, "env");
  Napi::Array stdio = o.Get("stdio").As<Napi::Array>();
  int timeout_ms = o.Has("setupTimeoutMs") ? o.Get("setupTimeoutMs").As<Napi::Number>().Int32Value() : 10000;
  bool has_cwd = o.Has("cwd") && o.Get("cwd").IsString();
  if (candidates.empty() || argv.empty() || stdio.Length() != 3)
    ThrowErrno(env, EINVAL, "keeperSpawn", "candidates, argv and three stdio fds");

  KeeperRequest header = {kKeeperMagic, has_cwd ? 1u : 0u, static_cast<uint32_t>(candidates.size()),
                          static_cast<uint32_t>(argv.size()), static_cast<uint32_t>(envp.size())};
  std::vector<char> buf(reinterpret_cast<const char*>(&header), reinterpret_cast<const char*>(&header) + sizeof header);
  if (has_cwd) Append(&buf, o.Get("cwd").As<Napi::String>().Utf8Value());
  for (const auto& s : candidates) Append(&buf, s);
  for (const auto& s : argv) Append(&buf, s);
  for (const auto& s : envp) Append(&buf, s);
  if (buf.size() > kKeeperMaxRequest || candidates.size() + argv.size() + envp.size() + 1 > kKeeperMaxStrings)
    ThrowErrno(env, E2BIG, "keeperSpawn", "the request is larger than a keeper takes");

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) ThrowErrno(env, errno, "pipe2");
  Fd report_r(p[0]), report_w(p[1]);
  int fds[kKeeperFds] = {stdio.Get(0u).As<Napi::Number>().Int32Value(), stdio.Get(1u).As<Napi::Number>().Int32Value(),
                         stdio.Get(2u).As<Napi::Number>().Int32Value(), report_w.get()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof fds)];
  memset(control, 0, sizeof control);
  struct iovec iov = {buf.data(), buf.size()};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
  ssize_t sent;
  do {
    sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(buf.size())) ThrowErrno(env, sent < 0 ? errno : EIO, "sendmsg", "keeper");
  report_w.reset();  // the child holds the only write end now: EOF at its execve

  // The answer comes from the keeper's child right after its clone: microseconds, unless the keeper is stuck
  // (stopped by someone who can signal it). Then pod-init does not wait the whole setup deadline.
  const int64_t deadline = NowMs() + timeout_ms;
  KeeperReply reply = {0, 0};
  int got = ReceiveReply(sock, &reply, std::min(deadline, NowMs() + kKeeperReplyMs));
  if (got == 0) ThrowStep(env, STEP_SETUP_TIMEOUT, ETIMEDOUT, "keeper", 0);
  if (got < 0) ThrowErrno(env, errno, "recv", "keeper");
  if (reply.pid <= 0) ThrowStep(env, STEP_CLONE_CHILD, reply.err != 0 ? reply.err : ECHILD, "", 0);
  pid_t child = reply.pid;

  ChildReport report;
  ssize_t n = ReadFull(report_r.get(), &report, sizeof report, deadline);
  if (n != 0) {
    // A setup that hangs, a failure reported, or a cut report: the child does not stay (our own, unreaped).
    if (n != static_cast<ssize_t>(sizeof report)) kill(child, SIGKILL);
    ReapSync(child);
    if (n == -2) ThrowStep(env, STEP_SETUP_TIMEOUT, ETIMEDOUT, "", child);
    if (n == static_cast<ssize_t>(sizeof report)) ThrowReport(env, report, child);
    ThrowStep(env, STEP_CLONE_CHILD, n < 0 ? errno : EIO, "", child);
  }
  int pidfd = OpenChildPidfd(env, child);
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", child);
  result.Set("pidfd", pidfd);
  return result;
}

}  // namespace

void InitKeeperClient(Napi::Env env, Napi::Object exports) {
  exports.Set("keeperSpawn", Napi::Function::New(env, KeeperSpawn, "keeperSpawn"));
}

}  // namespace podinit
