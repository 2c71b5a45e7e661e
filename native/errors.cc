// errors.cc — the error shape of every native failure: Node's SystemError fields (code, errno,
// syscall, path) plus the setup step and pid. The class itself lives in TypeScript (src/errors.ts),
// which adds the message and the hint; the addon only fills the fields. See better-sqlite3's
// registered SqliteError for the pattern.
#include "errors.h"

#include <string.h>

#include "addon.h"
#include "steps.h"

namespace podinit {

#define POD_INIT_STEP_NAME(id, name, syscall) name,
#define POD_INIT_STEP_SYSCALL(id, name, syscall) syscall,
static const char* const kStepNames[] = {POD_INIT_STEPS(POD_INIT_STEP_NAME)};
static const char* const kStepSyscalls[] = {POD_INIT_STEPS(POD_INIT_STEP_SYSCALL)};

const char* StepName(int step) {
  return step >= 0 && step < STEP_COUNT ? kStepNames[step] : "unknown";
}

const char* StepSyscall(int step) {
  return step >= 0 && step < STEP_COUNT ? kStepSyscalls[step] : "unknown";
}

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

Napi::Error MakeSyscallError(Napi::Env env, const SyscallFailure& failure) {
  Napi::Object fields = Napi::Object::New(env);
  fields.Set("code", ErrnoName(failure.err));
  fields.Set("errno", -failure.err);
  fields.Set("syscall", failure.syscall);
  fields.Set("description", strerror(failure.err));
  if (!failure.path.empty()) fields.Set("path", failure.path);
  if (!failure.step.empty()) fields.Set("step", failure.step);
  if (failure.pid > 0) fields.Set("pid", failure.pid);

  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_class.IsEmpty()) {
    Napi::Object error = data->error_class.New({fields});
    return Napi::Error(env, error);
  }
  // Not registered (someone loaded the addon without src/native.ts): same fields on a plain Error.
  Napi::Error error = Napi::Error::New(
      env, std::string(ErrnoName(failure.err)) + ": " + strerror(failure.err) + ", " + failure.syscall);
  Napi::Object object = error.Value();
  for (const auto& key : fields.GetPropertyNames()) {
    Napi::Value name = static_cast<Napi::Value>(key.second);
    object.Set(name, fields.Get(name));
  }
  return error;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path) {
  SyscallFailure failure;
  failure.err = err;
  failure.syscall = syscall;
  failure.path = path;
  throw MakeSyscallError(env, failure);
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  AddonData* data = info.Env().GetInstanceData<AddonData>();
  data->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace podinit
