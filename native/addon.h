// addon.h — per-environment state of the addon (worker threads each get their own).
#pragma once

#include <napi.h>

namespace podinit {

struct AddonData {
  Napi::FunctionReference error_class;   // PodSystemError, registered by src/native.ts
  Napi::FunctionReference exit_watcher;  // the ExitWatcher constructor
};

// Export tables of each file (one syscall family per file).
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitKeeperClient(Napi::Env env, Napi::Object exports);  // keeper_client.cc
void InitExitWatcher(Napi::Env env, Napi::Object exports);
void InitSyscalls(Napi::Env env, Napi::Object exports);
void InitReap(Napi::Env env, Napi::Object exports);
void InitBeneath(Napi::Env env, Napi::Object exports);
void InitAt(Napi::Env env, Napi::Object exports);
void InitIdmap(Napi::Env env, Napi::Object exports);
void InitImageFs(Napi::Env env, Napi::Object exports);
void InitPty(Napi::Env env, Napi::Object exports);
void InitHostPort(Napi::Env env, Napi::Object exports);  // host_port.cc
void InitNftables(Napi::Env env, Napi::Object exports);  // nftables.cc

}  // namespace podinit
