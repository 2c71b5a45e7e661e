// reap.cc — what reapOrphans() (src/reaper.ts) needs to reap orphans in Node's process without
// taking a child libuv waits for: the pids of libuv's process handles, and a wait for one pid.
// See: uv_walk(3), waitid(2).
#include <errno.h>
#include <sys/wait.h>
#include <uv.h>

#include <vector>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

// The pids child_process (libuv) will waitpid() for: the UV_PROCESS handles on Node's loop.
Napi::Value LibuvChildPids(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
  std::vector<int> pids;
  uv_walk(
      loop,
      [](uv_handle_t* handle, void* arg) {
        if (handle->type == UV_PROCESS) {
          auto* list = static_cast<std::vector<int>*>(arg);
          list->push_back(reinterpret_cast<uv_process_t*>(handle)->pid);
        }
      },
      &pids);
  Napi::Array out = Napi::Array::New(env, pids.size());
  for (uint32_t i = 0; i < pids.size(); i++) out.Set(i, pids[i]);
  return out;
}

// waitid(P_PID, pid, WEXITED | WNOHANG): [exitCode, signal] once it has exited, null while it runs.
Napi::Value ReapPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  siginfo_t si{};
  if (waitid(P_PID, static_cast<id_t>(info[0].As<Napi::Number>().Int32Value()), &si, WEXITED | WNOHANG | __WALL) < 0)
    ThrowErrno(env, errno, "waitid");
  if (si.si_pid == 0) return env.Null();
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, si.si_code == CLD_EXITED ? Napi::Value(Napi::Number::New(env, si.si_status)) : env.Null());
  out.Set(1u, si.si_code == CLD_EXITED ? env.Null() : Napi::Value(Napi::Number::New(env, si.si_status)));
  return out;
}

}  // namespace

void InitReap(Napi::Env env, Napi::Object exports) {
  exports.Set("libuvChildPids", Napi::Function::New(env, LibuvChildPids, "libuvChildPids"));
  exports.Set("reapPid", Napi::Function::New(env, ReapPid, "reapPid"));
}

}  // namespace podinit
