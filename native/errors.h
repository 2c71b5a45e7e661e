// errors.h — turning errno into the JS error class src/errors.ts registers (PodSystemError).
#pragma once

#include <napi.h>

#include <string>

namespace podinit {

struct SyscallFailure {
  int err = 0;          // positive errno
  std::string syscall;  // e.g. "setns"
  std::string path;     // optional: the file, namespace or mount target involved
  std::string step;     // optional: the setup step (steps.h); empty for a direct syscall wrapper
  int pid = 0;          // optional: the process the step ran in
};

// Builds an instance of the registered error class (or a plain Error with the same fields).
Napi::Error MakeSyscallError(Napi::Env env, const SyscallFailure& failure);

// Throws MakeSyscallError for errno after a failed call.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path = "");

// Registers the constructor used by MakeSyscallError; called once by src/native.ts.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info);

// "EPERM" for EPERM: glibc's strerrorname_np, which knows ECHILD and ENOEXEC (Node's map does not).
const char* ErrnoName(int err);

}  // namespace podinit
