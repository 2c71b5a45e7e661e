// exit.cc — ExitWatcher: an exit arrives on the event loop through the child's pidfd.
//
// uv_poll on the pidfd (readable when the process exits), then waitid(P_PIDFD, WNOHANG) for that one
// child. No thread per child, no SIGCHLD handler, no waitpid(-1): libuv's own children (child_process)
// are never touched (DESIGN.md A.3, pitfalls 15/16). The pidfd stays owned by the caller.
// See: pidfd_open(2), waitid(2), uv_poll_t.
#include <errno.h>
#include <linux/ioctl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <uv.h>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

// PIDFD_GET_INFO (Linux >= 6.13; PIDFD_INFO_EXIT >= 6.15) gives the exit status even after someone
// else reaped the child. Declared here: Debian 12's kernel headers predate it.
struct PidfdInfo {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
constexpr uint64_t kPidfdInfoExit = 1ULL << 3;
#define POD_INIT_PIDFD_GET_INFO _IOWR(0xFF, 11, PidfdInfo)

class ExitWatcher : public Napi::ObjectWrap<ExitWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ExitWatcher",
                       {InstanceMethod<&ExitWatcher::JsRef>("ref"), InstanceMethod<&ExitWatcher::JsUnref>("unref"),
                        InstanceMethod<&ExitWatcher::Close>("close")});
  }

  // new ExitWatcher(pidfd, onExit(exitCode | null, signal | null))
  explicit ExitWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExitWatcher>(info) {
    Napi::Env env = info.Env();
    pidfd_ = info[0].As<Napi::Number>().Int32Value();
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, pidfd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      ThrowErrno(env, -rc, "epoll_ctl");
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, OnReadable);
    Napi::ObjectWrap<ExitWatcher>::Ref();  // stay alive while watching, even if JS drops us
    napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
  }

  ~ExitWatcher() override { Stop(); }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    ExitWatcher* self = static_cast<ExitWatcher*>(handle->data);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc = status < 0 ? -1 : waitid(static_cast<idtype_t>(P_PIDFD), self->pidfd_, &si, WEXITED | WNOHANG | __WALL);
    if (rc == 0 && si.si_pid == 0) return;  // not exited yet (spurious wake-up)
    int exit_code = -1, signal = -1;
    if (rc == 0) {
      if (si.si_code == CLD_EXITED)
        exit_code = si.si_status;
      else
        signal = si.si_status;
    } else {
      // ECHILD: someone else reaped it (a waitpid(-1) elsewhere). The kernel still knows the status.
      PidfdInfo pinfo;
      memset(&pinfo, 0, sizeof pinfo);
      pinfo.mask = kPidfdInfoExit;
      if (ioctl(self->pidfd_, POD_INIT_PIDFD_GET_INFO, &pinfo) == 0 && (pinfo.mask & kPidfdInfoExit)) {
        if (WIFEXITED(pinfo.exit_code)) exit_code = WEXITSTATUS(pinfo.exit_code);
        if (WIFSIGNALED(pinfo.exit_code)) signal = WTERMSIG(pinfo.exit_code);
      }
    }
    self->Finish(exit_code, signal);
  }

  void Finish(int exit_code, int signal) {
    Napi::Env env = Env();
    Stop();
    Napi::HandleScope scope(env);
    Napi::Value code = exit_code >= 0 ? Napi::Number::New(env, exit_code) : env.Null();
    Napi::Value sig = signal >= 0 ? Napi::Number::New(env, signal) : env.Null();
    Napi::FunctionReference callback = std::move(callback_);
    Napi::ObjectWrap<ExitWatcher>::Unref();
    // MakeCallback: runs microtasks and the async hooks the way an I/O callback should.
    callback.MakeCallback(env.Global(), {code, sig});
  }

  void Stop() {
    if (poll_ == nullptr) return;
    napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }

  static void OnEnvCleanup(void* arg) {
    ExitWatcher* self = static_cast<ExitWatcher*>(arg);
    if (self->poll_ == nullptr) return;
    uv_poll_stop(self->poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(self->poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    self->poll_ = nullptr;
  }

  // Whether a running child keeps Node's event loop alive (like ChildProcess#ref/unref).
  Napi::Value JsRef(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }
  Napi::Value JsUnref(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }
  // Stop watching without reaping (the caller takes over the child).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) {
      Stop();
      callback_.Reset();
      Napi::ObjectWrap<ExitWatcher>::Unref();
    }
    return info.Env().Undefined();
  }

  int pidfd_ = -1;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
};

}  // namespace

void InitExitWatcher(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = ExitWatcher::Define(env);
  env.GetInstanceData<AddonData>()->exit_watcher = Napi::Persistent(ctor);
  exports.Set("ExitWatcher", ctor);
}

}  // namespace podinit
