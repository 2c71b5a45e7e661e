// syscalls.cc — thin, typed wrappers for namespace experiments, plus pidfd signalling.
//
// Each is one syscall in Node's own process, so the kernel's rules for a multithreaded caller apply:
// unshare(CLONE_NEWUSER) and setns(user|mnt) fail with EINVAL here (pitfalls 1-3), and
// unshare(CLONE_NEWNS) succeeds for the calling thread only (pitfall 4). src/syscalls.ts documents
// that and adds hints; the way to get those namespaces is spawn(), which does it in a child.
// See: unshare(2), setns(2), sethostname(2), mount(2), umount2(2), pivot_root(2), prctl(2),
// pidfd_open(2), pidfd_send_signal(2).
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "sys.h"

namespace podinit {

namespace {

int32_t IntArg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}
std::string StrArg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : std::string();
}
const char* OrNull(const Napi::CallbackInfo& info, size_t i, const std::string& s) {
  return info[i].IsString() ? s.c_str() : nullptr;
}

Napi::Value Unshare(const Napi::CallbackInfo& info) {
  if (unshare(IntArg(info, 0)) < 0) ThrowErrno(info.Env(), errno, "unshare");
  return info.Env().Undefined();
}

Napi::Value Setns(const Napi::CallbackInfo& info) {
  if (setns(IntArg(info, 0), IntArg(info, 1)) < 0) ThrowErrno(info.Env(), errno, "setns", StrArg(info, 2));
  return info.Env().Undefined();
}

Napi::Value Sethostname(const Napi::CallbackInfo& info) {
  std::string name = StrArg(info, 0);
  if (sethostname(name.c_str(), name.size()) < 0) ThrowErrno(info.Env(), errno, "sethostname", name);
  return info.Env().Undefined();
}

// mount(source | null, target, fstype | null, flags, data | null)
Napi::Value Mount(const Napi::CallbackInfo& info) {
  std::string source = StrArg(info, 0), target = StrArg(info, 1), fstype = StrArg(info, 2), data = StrArg(info, 4);
  unsigned long flags = static_cast<unsigned long>(info[3].As<Napi::Number>().Int64Value());
  if (mount(OrNull(info, 0, source), target.c_str(), OrNull(info, 2, fstype), flags, OrNull(info, 4, data)) < 0)
    ThrowErrno(info.Env(), errno, "mount", target);
  return info.Env().Undefined();
}

Napi::Value Umount(const Napi::CallbackInfo& info) {
  std::string target = StrArg(info, 0);
  if (umount2(target.c_str(), IntArg(info, 1)) < 0) ThrowErrno(info.Env(), errno, "umount2", target);
  return info.Env().Undefined();
}

Napi::Value PivotRoot(const Napi::CallbackInfo& info) {
  std::string new_root = StrArg(info, 0), put_old = StrArg(info, 1);
  if (sys_pivot_root(new_root.c_str(), put_old.c_str()) < 0) ThrowErrno(info.Env(), errno, "pivot_root", new_root);
  return info.Env().Undefined();
}

// prctl(option, arg2): returns the result (for the GET options, the value they report).
Napi::Value Prctl(const Napi::CallbackInfo& info) {
  int option = IntArg(info, 0);
  unsigned long arg2 = static_cast<unsigned long>(info[1].As<Napi::Number>().Int64Value());
  int out = 0;
  int rc;
  if (option == PR_GET_CHILD_SUBREAPER || option == PR_GET_PDEATHSIG) {
    rc = prctl(option, &out, 0, 0, 0);
  } else {
    rc = prctl(option, arg2, 0, 0, 0);
    out = rc;
  }
  if (rc < 0) ThrowErrno(info.Env(), errno, "prctl");
  return Napi::Number::New(info.Env(), out);
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int pidfd = sys_pidfd_open(IntArg(info, 0), 0);
  if (pidfd < 0) ThrowErrno(info.Env(), errno, "pidfd_open");
  return Napi::Number::New(info.Env(), pidfd);
}

// A TCP socket in the network namespace of the process behind `pidfd`, for probes that reach a pod's
// 127.0.0.1 from Node. A socket belongs to the namespace it was made in, whichever thread uses it; a
// short-lived thread of its own does setns(CLONE_NEWNET), which only changes that thread, and makes it.
Napi::Value SocketInNetns(const Napi::CallbackInfo& info) {
  const int pidfd = IntArg(info, 0);
  const int family = IntArg(info, 1) == 6 ? AF_INET6 : AF_INET;
  int fd = -1;
  int err = 0;
  const char* failed = nullptr;
  std::thread maker([&] {
    if (setns(pidfd, CLONE_NEWNET) < 0) {
      err = errno;
      failed = "setns";
      return;
    }
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      err = errno;
      failed = "socket";
    }
  });
  maker.join();
  if (failed != nullptr) ThrowErrno(info.Env(), err, failed);
  return Napi::Number::New(info.Env(), fd);
}

// A connected pair of unix stream sockets, both close-on-exec: [ours, theirs].
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) ThrowErrno(info.Env(), errno, "socketpair");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  out.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

// The file descriptor queued on unix socket `fd` with SCM_RIGHTS (without waiting), or -1 when none is.
Napi::Value ReceiveFd(const Napi::CallbackInfo& info) {
  char byte;
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(IntArg(info, 0), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0 && errno != EAGAIN) ThrowErrno(info.Env(), errno, "recvmsg");
  struct cmsghdr* cmsg = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  int fd = -1;
  if (cmsg != nullptr && cmsg->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return Napi::Number::New(info.Env(), fd);
}

// Returns false when the process is already gone (ESRCH), so a race with its exit is not an error.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  if (sys_pidfd_send_signal(IntArg(info, 0), IntArg(info, 1)) < 0) {
    if (errno == ESRCH) return Napi::Boolean::New(info.Env(), false);
    ThrowErrno(info.Env(), errno, "pidfd_send_signal");
  }
  return Napi::Boolean::New(info.Env(), true);
}

// [readFd, writeFd], both close-on-exec (spawn's stdio pipes; Node has no pipe(2) of its own).
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) ThrowErrno(info.Env(), errno, "pipe2");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, fds[0]);
  out.Set(1u, fds[1]);
  return out;
}

// execve(path, argv, env[, blockSignals]): replaces Node (all its threads) with the program; returns only
// on failure. Dispositions Node set to SIG_IGN (SIGPIPE, SIGXFSZ) would survive, so they are reset first.
// blockSignals: every signal is blocked in this thread first and stays blocked in the program, for one
// that reads them from a signalfd (pod-pause): as PID 1 of a namespace, a SIGTERM arriving between execve
// and its own sigprocmask would be dropped (an init ignores default-action signals; blocked ones stay pending).
Napi::Value Execve(const Napi::CallbackInfo& info) {
  std::string file = StrArg(info, 0);
  std::vector<std::string> strings;
  for (size_t a = 1; a <= 2; a++) {
    Napi::Array list = info[a].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) strings.push_back(list.Get(i).As<Napi::String>().Utf8Value());
  }
  uint32_t argc = info[1].As<Napi::Array>().Length();
  std::vector<char*> argv, envp;
  for (uint32_t i = 0; i < strings.size(); i++)
    (i < argc ? argv : envp).push_back(const_cast<char*>(strings[i].c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  bool block_signals = info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  sigset_t all, previous;
  sigfillset(&all);
  if (block_signals) pthread_sigmask(SIG_SETMASK, &all, &previous);
  for (int sig : {SIGPIPE, SIGXFSZ}) signal(sig, SIG_DFL);
  // Node marks its own 0, 1 and 2 close-on-exec (pitfall 17): the program would start without them.
  int fd_flags[3];
  for (int fd = 0; fd < 3; fd++) {
    fd_flags[fd] = fcntl(fd, F_GETFD);
    if (fd_flags[fd] >= 0) fcntl(fd, F_SETFD, fd_flags[fd] & ~FD_CLOEXEC);
  }
  execve(file.c_str(), argv.data(), envp.data());
  int err = errno;
  for (int fd = 0; fd < 3; fd++)
    if (fd_flags[fd] >= 0) fcntl(fd, F_SETFD, fd_flags[fd]);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  if (block_signals) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ThrowErrno(info.Env(), err, "execve", file);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  if (close(IntArg(info, 0)) < 0) ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

}  // namespace

void InitSyscalls(Napi::Env env, Napi::Object exports) {
  exports.Set("unshare", Napi::Function::New(env, Unshare, "unshare"));
  exports.Set("setns", Napi::Function::New(env, Setns, "setns"));
  exports.Set("sethostname", Napi::Function::New(env, Sethostname, "sethostname"));
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount", Napi::Function::New(env, Umount, "umount"));
  exports.Set("pivotRoot", Napi::Function::New(env, PivotRoot, "pivotRoot"));
  exports.Set("prctl", Napi::Function::New(env, Prctl, "prctl"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("socketInNetns", Napi::Function::New(env, SocketInNetns, "socketInNetns"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("receiveFd", Napi::Function::New(env, ReceiveFd, "receiveFd"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("execve", Napi::Function::New(env, Execve, "execve"));

  Napi::Object prctl = Napi::Object::New(env);
  prctl.Set("PR_SET_CHILD_SUBREAPER", PR_SET_CHILD_SUBREAPER);
  prctl.Set("PR_GET_CHILD_SUBREAPER", PR_GET_CHILD_SUBREAPER);
  prctl.Set("PR_SET_PDEATHSIG", PR_SET_PDEATHSIG);
  prctl.Set("PR_GET_PDEATHSIG", PR_GET_PDEATHSIG);
  prctl.Set("PR_SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS);
  prctl.Set("PR_GET_NO_NEW_PRIVS", PR_GET_NO_NEW_PRIVS);
  prctl.Set("PR_GET_DUMPABLE", PR_GET_DUMPABLE);
  exports.Set("prctlOptions", prctl);

  Napi::Object mf = Napi::Object::New(env);
  mf.Set("MS_RDONLY", static_cast<double>(MS_RDONLY));
  mf.Set("MS_NOSUID", static_cast<double>(MS_NOSUID));
  mf.Set("MS_NODEV", static_cast<double>(MS_NODEV));
  mf.Set("MS_NOEXEC", static_cast<double>(MS_NOEXEC));
  mf.Set("MS_REMOUNT", static_cast<double>(MS_REMOUNT));
  mf.Set("MS_BIND", static_cast<double>(MS_BIND));
  mf.Set("MS_MOVE", static_cast<double>(MS_MOVE));
  mf.Set("MS_REC", static_cast<double>(MS_REC));
  mf.Set("MS_PRIVATE", static_cast<double>(MS_PRIVATE));
  mf.Set("MS_SLAVE", static_cast<double>(MS_SLAVE));
  mf.Set("MS_SHARED", static_cast<double>(MS_SHARED));
  mf.Set("MNT_DETACH", static_cast<double>(MNT_DETACH));
  exports.Set("mountFlags", mf);
}

}  // namespace podinit
