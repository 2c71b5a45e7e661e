// addon.cc — the addon's entry point: registers each family's exports, nothing else.
#include "addon.h"

#include <linux/sched.h>
#include <signal.h>

#include "errors.h"
#include "steps.h"

namespace podinit {

void InitSeccomp(Napi::Env env, Napi::Object exports);       // seccomp.cc
void InitDeviceFilter(Napi::Env env, Napi::Object exports);  // device_filter.cc
void InitNetlink(Napi::Env env, Napi::Object exports);       // netlink_binding.cc
void InitZstd(Napi::Env env, Napi::Object exports);          // zstd.cc
void InitLayerUnpack(Napi::Env env, Napi::Object exports);   // layer_unpack.cc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());

  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));

  Napi::Array steps = Napi::Array::New(env, STEP_COUNT);
  for (int i = 0; i < STEP_COUNT; i++) steps.Set(i, StepName(i));
  exports.Set("steps", steps);

  Napi::Object flags = Napi::Object::New(env);
  flags.Set("user", CLONE_NEWUSER);
  flags.Set("mnt", CLONE_NEWNS);
  flags.Set("pid", CLONE_NEWPID);
  flags.Set("net", CLONE_NEWNET);
  flags.Set("ipc", CLONE_NEWIPC);
  flags.Set("uts", CLONE_NEWUTS);
  flags.Set("cgroup", CLONE_NEWCGROUP);
  flags.Set("time", CLONE_NEWTIME);
  exports.Set("namespaceFlags", flags);

  // SIGRTMIN is a function in glibc (it reserves the first real-time signals for itself).
  Napi::Object rt = Napi::Object::New(env);
  rt.Set("min", SIGRTMIN);
  rt.Set("max", SIGRTMAX);
  exports.Set("realtimeSignals", rt);

  InitSpawn(env, exports);
  InitKeeperClient(env, exports);
  InitExitWatcher(env, exports);
  InitSyscalls(env, exports);
  InitReap(env, exports);
  InitBeneath(env, exports);
  InitAt(env, exports);
  InitSeccomp(env, exports);
  InitDeviceFilter(env, exports);
  InitIdmap(env, exports);
  InitImageFs(env, exports);
  InitPty(env, exports);
  InitNetlink(env, exports);
  InitZstd(env, exports);
  InitLayerUnpack(env, exports);
  InitHostPort(env, exports);
  InitNftables(env, exports);
  return exports;
}

}  // namespace podinit

static Napi::Object InitPodInit(Napi::Env env, Napi::Object exports) {
  return podinit::Init(env, exports);
}

NODE_API_MODULE(pod_init, InitPodInit)
