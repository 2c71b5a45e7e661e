// nftables.cc — nftables scripts run in this process through libnftables (Debian `libnftables1`, which the
// `nftables` package depends on), loaded with dlopen at first use, so the addon neither links it nor needs its
// headers: a pod's table costs ~0.3 ms here instead of the ~10–100 ms of an `nft` exec (most of it loading
// nft's libraries). Each call is one `nft -f`-style transaction: all of the script or nothing. When the library
// is missing, nftAvailable() says so and src/net/nft.ts runs the `nft` binary instead.
// See: libnftables(3).
#include <dlfcn.h>

#include <cstdint>
#include <string>
#include <utility>

#include "addon.h"

namespace podinit {

namespace {

struct nft_ctx;
struct Library {
  bool tried = false;
  bool loaded = false;
  nft_ctx* (*ctx_new)(uint32_t) = nullptr;
  void (*ctx_free)(nft_ctx*) = nullptr;
  int (*buffer_output)(nft_ctx*) = nullptr;
  int (*buffer_error)(nft_ctx*) = nullptr;
  const char* (*error_buffer)(nft_ctx*) = nullptr;
  int (*run)(nft_ctx*, const char*) = nullptr;
};

// Filled once on Node's main thread (nftRunAsync loads it before queueing work), read-only after.
Library& Lib() {
  static Library lib;
  if (lib.tried) return lib;
  lib.tried = true;
  void* handle = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return lib;
  lib.ctx_new = reinterpret_cast<nft_ctx* (*)(uint32_t)>(dlsym(handle, "nft_ctx_new"));
  lib.ctx_free = reinterpret_cast<void (*)(nft_ctx*)>(dlsym(handle, "nft_ctx_free"));
  lib.buffer_output = reinterpret_cast<int (*)(nft_ctx*)>(dlsym(handle, "nft_ctx_buffer_output"));
  lib.buffer_error = reinterpret_cast<int (*)(nft_ctx*)>(dlsym(handle, "nft_ctx_buffer_error"));
  lib.error_buffer = reinterpret_cast<const char* (*)(nft_ctx*)>(dlsym(handle, "nft_ctx_get_error_buffer"));
  lib.run = reinterpret_cast<int (*)(nft_ctx*, const char*)>(dlsym(handle, "nft_run_cmd_from_buffer"));
  lib.loaded = lib.ctx_new && lib.ctx_free && lib.buffer_output && lib.buffer_error && lib.error_buffer && lib.run;
  return lib;
}

// nftAvailable(): whether libnftables could be loaded.
Napi::Value Available(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Lib().loaded);
}

// Runs `script` in a context of its own; "" when it went through, else nft's message.
std::string RunScript(const Library& lib, const std::string& script) {
  nft_ctx* ctx = lib.ctx_new(0);
  if (ctx == nullptr) return "nft_ctx_new failed";
  lib.buffer_output(ctx);
  lib.buffer_error(ctx);
  const int rc = lib.run(ctx, script.c_str());
  const char* buffered = rc == 0 ? nullptr : lib.error_buffer(ctx);  // read once: reading resets it
  std::string error = rc == 0 ? "" : (buffered == nullptr || *buffered == '\0' ? "nft refused the script" : buffered);
  lib.ctx_free(ctx);
  return error;
}

// nftRun(script): runs the script as one transaction; throws an Error carrying nft's message on failure.
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string script = info[0].As<Napi::String>().Utf8Value();
  Library& lib = Lib();
  if (!lib.loaded) throw Napi::Error::New(env, "libnftables.so.1 could not be loaded");
  const std::string error = RunScript(lib, script);
  if (!error.empty()) throw Napi::Error::New(env, error);
  return env.Undefined();
}

// The same on a libuv pool thread: a commit can wait on the kernel (17 ms seen while other namespaces were
// being torn down), which must not hold Node's event loop. The pool thread never changes namespace.
class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, std::string script)
      : Napi::AsyncWorker(env), script_(std::move(script)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { error_ = RunScript(Lib(), script_); }
  void OnOK() override {
    if (error_.empty())
      deferred_.Resolve(Env().Undefined());
    else
      deferred_.Reject(Napi::Error::New(Env(), error_).Value());
  }

 private:
  std::string script_;
  std::string error_;
  Napi::Promise::Deferred deferred_;
};

// nftRunAsync(script): a Promise of nftRun's outcome, the work done off the main thread.
Napi::Value RunAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Lib().loaded) throw Napi::Error::New(env, "libnftables.so.1 could not be loaded");  // loaded here, once
  auto* worker = new RunWorker(env, info[0].As<Napi::String>().Utf8Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitNftables(Napi::Env env, Napi::Object exports) {
  exports.Set("nftAvailable", Napi::Function::New(env, Available, "nftAvailable"));
  exports.Set("nftRun", Napi::Function::New(env, Run, "nftRun"));
  exports.Set("nftRunAsync", Napi::Function::New(env, RunAsync, "nftRunAsync"));
}

}  // namespace podinit
