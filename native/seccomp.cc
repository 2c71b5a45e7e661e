// seccomp.cc — compileSeccomp(profile): an OCI LinuxSeccomp profile (already validated by
// src/security/seccomp.ts) compiled to a classic BPF program with libseccomp, plus the ENOSYS stub.
//
// Runs in Node's process (it allocates; libseccomp is not async-signal-safe), once per profile: the
// result is a plain struct sock_filter[] that a spawned child loads with seccomp(2) alone.
//
// The ENOSYS stub. libseccomp only knows the syscalls of its own release (2.5.4 here): a name it
// cannot resolve is skipped (and reported back), and any syscall it has no rule for gets the default
// action, usually ERRNO(EPERM). A syscall newer than the filter then fails with EPERM, which glibc and
// other libcs read as "forbidden" rather than "not implemented", so they do not fall back to the older
// call (faccessat2 → faccessat, clone3 → clone, statx → fstatat …) and programs break. As runc does
// (libcontainer/seccomp/patchbpf), a short block is prepended that answers ENOSYS for any syscall number
// above the highest one the profile names for that architecture: the kernel has no such numbers the
// filter could know about, so "not implemented" is the truthful answer. Not done when the default
// action allows (a deny-list profile must let new syscalls through).
// See: seccomp(2), seccomp_init(3), seccomp_rule_add(3), seccomp_export_bpf(3),
// seccomp_syscall_resolve_name(3).
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

// x32 syscalls run on AUDIT_ARCH_X86_64 with this bit set in the syscall number.
constexpr uint32_t kX32SyscallBit = 0x40000000;

[[noreturn]] void Fail(Napi::Env env, const std::string& where, const std::string& what) {
  throw Napi::Error::New(env, "seccomp profile: " + where + ": " + what);
}

std::string LibseccompError(int rc) {
  int err = -rc;
  return std::string(strerror(err)) + " (" + ErrnoName(err) + ")";
}

// A 64-bit argument value: a JS number (a safe integer), a BigInt or a decimal string.
uint64_t ValueOf(Napi::Env env, const Napi::Value& value, const std::string& where) {
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d)))
      Fail(env, where, "expected an integer from 0 to 2^53-1 (larger values as a decimal string or BigInt)");
    return static_cast<uint64_t>(d);
  }
  if (value.IsBigInt()) {
    bool lossless = false;
    uint64_t v = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) Fail(env, where, "expected a BigInt from 0 to 2^64-1");
    return v;
  }
  if (value.IsString()) {
    std::string s = value.As<Napi::String>().Utf8Value();
    if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      Fail(env, where, "expected a decimal string of an integer from 0 to 2^64-1, got \"" + s + "\"");
    errno = 0;
    unsigned long long v = strtoull(s.c_str(), nullptr, 10);
    if (errno == ERANGE) Fail(env, where, "\"" + s + "\" is larger than 2^64-1");
    return v;
  }
  Fail(env, where, "expected a number, a BigInt or a decimal string");
}

uint32_t ErrnoOf(Napi::Env env, const Napi::Value& value, uint32_t fallback, const std::string& where) {
  if (value.IsUndefined() || value.IsNull()) return fallback;
  uint64_t v = ValueOf(env, value, where);
  if (v > 0xffff) Fail(env, where, "expected an errno from 0 to 65535, got " + std::to_string(v));
  return static_cast<uint32_t>(v);
}

struct Action {
  uint32_t value;
  bool allows;  // the syscall runs (ALLOW, LOG, TRACE): no ENOSYS stub when this is the default
};

// An OCI action name (with its errno for ERRNO and TRACE) as a libseccomp action.
Action ActionOf(Napi::Env env, const std::string& name, uint32_t errnoValue, const std::string& where) {
  if (name == "SCMP_ACT_ALLOW") return {SCMP_ACT_ALLOW, true};
  if (name == "SCMP_ACT_ERRNO") return {SCMP_ACT_ERRNO(errnoValue), false};
  if (name == "SCMP_ACT_KILL_PROCESS") return {SCMP_ACT_KILL_PROCESS, false};
  if (name == "SCMP_ACT_KILL_THREAD" || name == "SCMP_ACT_KILL") return {SCMP_ACT_KILL_THREAD, false};
  if (name == "SCMP_ACT_TRAP") return {SCMP_ACT_TRAP, false};
  if (name == "SCMP_ACT_LOG") return {SCMP_ACT_LOG, true};
  if (name == "SCMP_ACT_TRACE") return {SCMP_ACT_TRACE(errnoValue), true};
  Fail(env, where,
       "unknown action \"" + name +
           "\"; expected one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, "
           "SCMP_ACT_KILL, SCMP_ACT_TRAP, SCMP_ACT_LOG, SCMP_ACT_TRACE");
}

scmp_compare CompareOf(Napi::Env env, const std::string& name, const std::string& where) {
  static const std::map<std::string, scmp_compare> ops = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  auto it = ops.find(name);
  if (it == ops.end())
    Fail(env, where,
         "unknown operator \"" + name +
             "\"; expected one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, "
             "SCMP_CMP_MASKED_EQ");
  return it->second;
}

// "SCMP_ARCH_X86_64" → the libseccomp token (libseccomp's own names are the lower-case suffix).
uint32_t ArchOf(Napi::Env env, const std::string& name, const std::string& where) {
  static const std::string prefix = "SCMP_ARCH_";
  uint32_t token = 0;
  if (name.compare(0, prefix.size(), prefix) == 0) {
    std::string lower = name.substr(prefix.size());
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    token = seccomp_arch_resolve_name(lower.c_str());
  }
  if (token == 0) Fail(env, where, "unknown architecture \"" + name + "\" (expected e.g. SCMP_ARCH_X86_64)");
  return token;
}

std::string StringField(Napi::Env env, const Napi::Object& object, const char* key, const std::string& where) {
  Napi::Value v = object.Get(key);
  if (!v.IsString()) Fail(env, where + "." + key, "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Array ArrayField(Napi::Env env, const Napi::Object& object, const char* key, const std::string& where) {
  Napi::Value v = object.Get(key);
  if (v.IsUndefined() || v.IsNull()) return Napi::Array::New(env, 0);
  if (!v.IsArray()) Fail(env, where + "." + key, "expected an array");
  return v.As<Napi::Array>();
}

using FilterPtr = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// The exported program, read back from a memfd (seccomp_export_bpf writes to an fd).
std::vector<sock_filter> Export(Napi::Env env, scmp_filter_ctx ctx) {
  Fd memfd{memfd_create("pod-init-seccomp", MFD_CLOEXEC)};
  if (memfd.fd < 0) ThrowErrno(env, errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, memfd.fd);
  if (rc < 0) Fail(env, "export", "seccomp_export_bpf: " + LibseccompError(rc));
  struct stat st {};
  if (fstat(memfd.fd, &st) < 0) ThrowErrno(env, errno, "fstat");
  if (st.st_size <= 0 || st.st_size % sizeof(sock_filter) != 0)
    Fail(env, "export", "seccomp_export_bpf wrote " + std::to_string(st.st_size) + " bytes, not whole instructions");
  std::vector<sock_filter> program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  size_t done = 0, total = static_cast<size_t>(st.st_size);
  while (done < total) {
    ssize_t n = pread(memfd.fd, reinterpret_cast<char*>(program.data()) + done, total - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno(env, errno, "pread");
    if (n == 0) Fail(env, "export", "short read of the exported program");
    done += static_cast<size_t>(n);
  }
  return program;
}

// One audit architecture of the stub: the highest syscall number of each of its ABIs in the profile.
// Only x86_64 has two (the x86_64 ABI and x32, told apart by kX32SyscallBit); -1 = ABI not in the filter.
struct StubArch {
  uint32_t audit;
  int64_t highest = -1;     // the x86_64 ABI, or the only ABI of any other architecture
  int64_t highestX32 = -1;  // x32, with kX32SyscallBit set
};

// The ENOSYS block prepended to the program (see the top of this file). For each architecture A:
//
//     ld  [arch]                 ; only once, at the start
//     jeq A, 0, <next arch>
//     ld  [nr]
//     (x86_64) jset 0x40000000, <x32 check>, 0    — or straight to the filter when x32 is not in it
//     jgt <highest>, <enosys>, <filter>
//     (x86_64 + x32) jgt <highest x32>, <enosys>, <filter>
//   ...
//     ja  <filter>               ; an architecture the stub does not know: libseccomp decides
//     ret ERRNO(ENOSYS)
//   filter: the libseccomp program, unchanged.
//
// Classic BPF jumps are relative to the next instruction and only go forward, so the libseccomp
// program's own jumps stay correct when a block is put in front of it. The stub's conditional jumps
// have 8-bit offsets (at most 255 instructions ahead): they only target instructions inside the
// stub or the first instruction after it, and the stub is checked to be shorter than that.
std::vector<sock_filter> EnosysStub(Napi::Env env, const std::vector<StubArch>& arches) {
  struct Pending {
    size_t at;
    bool jtEnosys, jfEnosys, jtFilter, jfFilter;
  };
  std::vector<sock_filter> stub;
  std::vector<Pending> pending;
  auto emit = [&](sock_filter insn) { stub.push_back(insn); };
  emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  for (const StubArch& a : arches) {
    size_t check = stub.size();
    emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a.audit, 0, 0));  // jf patched below: the next arch
    emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    bool x86_64 = a.audit == AUDIT_ARCH_X86_64;
    if (x86_64 && a.highest >= 0 && a.highestX32 >= 0) {
      emit(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 1, 0));
      pending.push_back({stub.size(), true, false, false, true});
      emit(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(a.highest), 0, 0));
      pending.push_back({stub.size(), true, false, false, true});
      emit(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(a.highestX32), 0, 0));
    } else if (x86_64) {
      // One ABI only: a call of the other one is left to libseccomp (its bad-arch action).
      bool x32 = a.highestX32 >= 0;
      pending.push_back({stub.size(), false, false, !x32, x32});
      emit(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 0, 0));
      pending.push_back({stub.size(), true, false, false, true});
      emit(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(x32 ? a.highestX32 : a.highest), 0, 0));
    } else {
      pending.push_back({stub.size(), true, false, false, true});
      emit(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(a.highest), 0, 0));
    }
    stub[check].jf = static_cast<uint8_t>(stub.size() - (check + 1));  // A still holds the arch there
  }
  emit(BPF_STMT(BPF_JMP | BPF_JA, 1));  // no architecture matched: over the ENOSYS return, into the filter
  size_t enosys = stub.size();
  emit(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  size_t filter = stub.size();
  if (filter > 255) Fail(env, "architectures", "too many architectures for the ENOSYS stub's 8-bit jumps");
  for (const Pending& p : pending) {
    uint8_t toEnosys = static_cast<uint8_t>(enosys - (p.at + 1));
    uint8_t toFilter = static_cast<uint8_t>(filter - (p.at + 1));
    if (p.jtEnosys) stub[p.at].jt = toEnosys;
    if (p.jtFilter) stub[p.at].jt = toFilter;
    if (p.jfEnosys) stub[p.at].jf = toEnosys;
    if (p.jfFilter) stub[p.at].jf = toFilter;
  }
  return stub;
}

// The audit architecture a libseccomp token runs under (x32 shares x86_64's), or 0 when the stub
// does not handle it: s390(x) multiplexes unknown numbers through syscall 0 (runc special-cases it),
// not worth it for the hosts pod-init supports.
uint32_t AuditArchOf(uint32_t token) {
  if (token == SCMP_ARCH_X32) return AUDIT_ARCH_X86_64;
  if (token == SCMP_ARCH_S390 || token == SCMP_ARCH_S390X) return 0;
  return token;  // every other SCMP_ARCH_* is its AUDIT_ARCH_* value
}

// compileSeccomp({ defaultAction, defaultErrno?, architectures, syscalls }) → { bpf, unknownSyscalls }
Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "compileSeccomp: expected a profile object");
  Napi::Object profile = info[0].As<Napi::Object>();

  uint32_t defaultErrno = ErrnoOf(env, profile.Get("defaultErrno"), EPERM, "defaultErrno");
  Action defaultAction =
      ActionOf(env, StringField(env, profile, "defaultAction", "profile"), defaultErrno, "defaultAction");

  FilterPtr ctx(seccomp_init(defaultAction.value), seccomp_release);
  if (!ctx) Fail(env, "defaultAction", "seccomp_init refused it");
  // A binary tree of syscall numbers instead of a linear list: the kernel emulates the filter for every
  // syscall number when it loads it (its action cache), and runs it on every call the cache cannot answer.
  int optimized = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (optimized < 0) Fail(env, "profile", "seccomp_attr_set(OPTIMIZE, 2): " + LibseccompError(optimized));

  // Architectures: the native one is always in a new filter; the others are added.
  std::vector<uint32_t> tokens = {seccomp_arch_native()};
  Napi::Array arches = ArrayField(env, profile, "architectures", "profile");
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string where = "architectures[" + std::to_string(i) + "]";
    Napi::Value v = arches.Get(i);
    if (!v.IsString()) Fail(env, where, "expected a string");
    uint32_t token = ArchOf(env, v.As<Napi::String>().Utf8Value(), where);
    if (std::find(tokens.begin(), tokens.end(), token) != tokens.end()) continue;
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc < 0 && rc != -EEXIST) Fail(env, where, "seccomp_arch_add: " + LibseccompError(rc));
    tokens.push_back(token);
  }

  std::vector<std::string> unknown;
  std::set<std::string> unknownSeen, named;
  Napi::Array syscalls = ArrayField(env, profile, "syscalls", "profile");
  for (uint32_t i = 0; i < syscalls.Length(); i++) {
    std::string rule = "syscalls[" + std::to_string(i) + "]";
    Napi::Value rv = syscalls.Get(i);
    if (!rv.IsObject()) Fail(env, rule, "expected an object");
    Napi::Object r = rv.As<Napi::Object>();
    uint32_t errnoValue = ErrnoOf(env, r.Get("errno"), EPERM, rule + ".errno");
    Action action = ActionOf(env, StringField(env, r, "action", rule), errnoValue, rule + ".action");

    Napi::Array args = ArrayField(env, r, "args", rule);
    std::vector<scmp_arg_cmp> conditions;
    std::set<unsigned> indexes;
    bool repeatedIndex = false;
    for (uint32_t j = 0; j < args.Length(); j++) {
      std::string where = rule + ".args[" + std::to_string(j) + "]";
      Napi::Value av = args.Get(j);
      if (!av.IsObject()) Fail(env, where, "expected an object");
      Napi::Object a = av.As<Napi::Object>();
      uint64_t index = ValueOf(env, a.Get("index"), where + ".index");
      if (index > 5) Fail(env, where + ".index", "expected 0 to 5 (a syscall has six arguments)");
      scmp_compare op = CompareOf(env, StringField(env, a, "op", where), where + ".op");
      uint64_t value = ValueOf(env, a.Get("value"), where + ".value");
      Napi::Value two = a.Get("valueTwo");
      uint64_t valueTwo = two.IsUndefined() || two.IsNull() ? 0 : ValueOf(env, two, where + ".valueTwo");
      repeatedIndex |= !indexes.insert(static_cast<unsigned>(index)).second;
      conditions.push_back({static_cast<unsigned>(index), op, value, valueTwo});
    }

    Napi::Array names = ArrayField(env, r, "names", rule);
    if (names.Length() == 0) Fail(env, rule + ".names", "expected at least one syscall name");
    for (uint32_t j = 0; j < names.Length(); j++) {
      Napi::Value nv = names.Get(j);
      if (!nv.IsString()) Fail(env, rule + ".names[" + std::to_string(j) + "]", "expected a string");
      std::string name = nv.As<Napi::String>().Utf8Value();
      std::string where = rule + " (" + name + ")";
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        // Newer than this libseccomp (or a typo): skipped and reported, never an error. Such a
        // syscall gets ENOSYS from the stub when its number is above the highest one known here.
        if (unknownSeen.insert(name).second) unknown.push_back(name);
        continue;
      }
      named.insert(name);
      // A rule that does what the default does is a no-op; libseccomp refuses it (EACCES).
      if (action.value == defaultAction.value) continue;
      // Conditions on distinct arguments are ANDed in one rule. libseccomp refuses two conditions on
      // the same argument in one rule, so then each becomes its own rule (ORed), as runc does.
      std::vector<std::vector<scmp_arg_cmp>> groups;
      if (repeatedIndex) {
        for (const scmp_arg_cmp& c : conditions) groups.push_back({c});
      } else {
        groups.push_back(conditions);
      }
      for (const auto& group : groups) {
        int rc = seccomp_rule_add_array(ctx.get(), action.value, nr, static_cast<unsigned>(group.size()),
                                        group.empty() ? nullptr : group.data());
        if (rc < 0) Fail(env, where, "seccomp_rule_add_array: " + LibseccompError(rc));
      }
    }
  }

  std::vector<sock_filter> program = Export(env, ctx.get());

  if (!defaultAction.allows) {
    // Highest syscall number the profile names, per audit architecture and ABI.
    std::vector<StubArch> stubArches;
    for (uint32_t token : tokens) {
      uint32_t audit = AuditArchOf(token);
      if (audit == 0) continue;
      int64_t highest = -1;
      for (const std::string& name : named) {
        int nr = seccomp_syscall_resolve_name_arch(token, name.c_str());
        if (nr >= 0) highest = std::max<int64_t>(highest, nr);  // < 0: not on this arch (or a pseudo number)
      }
      if (highest < 0) continue;
      auto it = std::find_if(stubArches.begin(), stubArches.end(), [&](const StubArch& s) { return s.audit == audit; });
      if (it == stubArches.end()) it = stubArches.insert(stubArches.end(), StubArch{audit});
      (token == SCMP_ARCH_X32 ? it->highestX32 : it->highest) = highest;
    }
    if (!stubArches.empty()) {
      std::vector<sock_filter> stub = EnosysStub(env, stubArches);
      program.insert(program.begin(), stub.begin(), stub.end());
    }
  }
  if (program.size() > BPF_MAXINSNS)
    Fail(env, "profile",
         "the compiled filter has " + std::to_string(program.size()) + " instructions; the kernel takes at most " +
             std::to_string(BPF_MAXINSNS));

  Napi::Object result = Napi::Object::New(env);
  result.Set("bpf", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(program.data()),
                                                program.size() * sizeof(sock_filter)));
  Napi::Array unknownOut = Napi::Array::New(env, unknown.size());
  for (uint32_t i = 0; i < unknown.size(); i++) unknownOut.Set(i, unknown[i]);
  result.Set("unknownSyscalls", unknownOut);
  return result;
}

// seccompResolve(architectures, names) → { arches: [{ name, audit, x32 }], numbers: number[][], unknown: boolean[] }:
// the filter's architectures as libseccomp orders them (the native one first, then the profile's, once each),
// each name's number on each of them (negative: not a syscall there), and whether libseccomp knows the name at
// all. What src/security/seccomp-ranges.ts needs to build the same filter as a search over ranges.
Napi::Value SeccompResolve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || !info[1].IsArray())
    throw Napi::TypeError::New(env, "seccompResolve: expected (architectures, names)");
  Napi::Array arches = info[0].As<Napi::Array>();
  Napi::Array names = info[1].As<Napi::Array>();
  std::vector<uint32_t> tokens = {seccomp_arch_native()};
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string where = "architectures[" + std::to_string(i) + "]";
    Napi::Value v = arches.Get(i);
    if (!v.IsString()) Fail(env, where, "expected a string");
    uint32_t token = ArchOf(env, v.As<Napi::String>().Utf8Value(), where);
    if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) tokens.push_back(token);
  }
  std::vector<std::string> list;
  for (uint32_t i = 0; i < names.Length(); i++) {
    Napi::Value v = names.Get(i);
    if (!v.IsString()) Fail(env, "names[" + std::to_string(i) + "]", "expected a string");
    list.push_back(v.As<Napi::String>().Utf8Value());
  }
  Napi::Array archOut = Napi::Array::New(env, tokens.size());
  Napi::Array numbers = Napi::Array::New(env, tokens.size());
  for (uint32_t a = 0; a < tokens.size(); a++) {
    Napi::Object arch = Napi::Object::New(env);
    arch.Set("token", Napi::Number::New(env, tokens[a]));
    // Every SCMP_ARCH_* token is its AUDIT_ARCH_* value; x32 runs under x86_64's.
    arch.Set("audit", Napi::Number::New(env, tokens[a] == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : tokens[a]));
    arch.Set("x32", Napi::Boolean::New(env, tokens[a] == SCMP_ARCH_X32));
    archOut.Set(a, arch);
    Napi::Array row = Napi::Array::New(env, list.size());
    for (uint32_t i = 0; i < list.size(); i++)
      row.Set(i, Napi::Number::New(env, seccomp_syscall_resolve_name_arch(tokens[a], list[i].c_str())));
    numbers.Set(a, row);
  }
  Napi::Array unknown = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); i++)
    unknown.Set(i, Napi::Boolean::New(env, seccomp_syscall_resolve_name(list[i].c_str()) == __NR_SCMP_ERROR));
  Napi::Object result = Napi::Object::New(env);
  result.Set("arches", archOut);
  result.Set("numbers", numbers);
  result.Set("unknown", unknown);
  return result;
}

}  // namespace

void InitSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp, "compileSeccomp"));
  exports.Set("seccompResolve", Napi::Function::New(env, SeccompResolve, "seccompResolve"));
}

}  // namespace podinit
