// device_filter.cc — the cgroup v2 device allow list: a BPF_PROG_TYPE_CGROUP_DEVICE program built from
// rules (type b/c/a, major or any, minor or any, access r/w/m, as v1's devices.allow lines), loaded with
// bpf(BPF_PROG_LOAD) and attached to a cgroup v2 directory with BPF_CGROUP_DEVICE | BPF_F_ALLOW_MULTI.
//
// cgroup v2 has no devices.allow file: the kernel runs the programs attached to a cgroup and to each of
// its ancestors for every mknod and every open of a device node by a process in it, and refuses with
// EPERM unless every one of them returns 1. The program reads struct bpf_cgroup_dev_ctx (uapi
// linux/bpf.h): access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, major, minor; it tries the rules
// in order and returns 1 at the first one that matches, else 0 — v1's "deny a" then "allow …".
//
// The program stays attached after its fd is closed (the cgroup holds it) and goes with the cgroup's
// removal. Runs in Node's process, once per attach.
// See: bpf(2), linux/bpf.h (struct bpf_insn, bpf_cgroup_dev_ctx), Documentation/bpf/prog_cgroup_device
// (kernel tree: "BPF_PROG_TYPE_CGROUP_DEVICE"), kernel/bpf/cgroup.c (__cgroup_bpf_check_dev_permission).
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

// One rule, as validated by src/cgroups/device-filter.ts.
struct DeviceRule {
  uint32_t type;    // 0: any (a), BPF_DEVCG_DEV_BLOCK (b) or BPF_DEVCG_DEV_CHAR (c)
  int64_t major;    // -1: any
  int64_t minor;    // -1: any
  uint32_t access;  // BPF_DEVCG_ACC_* bits (m = MKNOD, r = READ, w = WRITE)
};

constexpr uint32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
constexpr int32_t kMaxNumber = 0x7fffffff;  // an immediate is a signed 32-bit value

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn;
  memset(&insn, 0, sizeof insn);
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

bpf_insn LoadWord(uint8_t dst, uint8_t src, int16_t off) {
  return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn MoveReg(uint8_t dst, uint8_t src) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn MoveImm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn AluImm(uint8_t op, uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
// if dst != imm: skip `off` instructions
bpf_insn JumpIfNot(uint8_t dst, int32_t imm, int16_t off) {
  return Insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
bpf_insn Exit() {
  return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// Registers: r1 = ctx; r2 = access_type; r3 = device type; r4 = requested access; r5 = major; r6 = minor;
// r7 = scratch; r0 = the answer.
enum : uint8_t { R0 = 0, R1, R2, R3, R4, R5, R6, R7 };

// The program: load the context once, then one block per rule whose failed checks jump to the next block.
// A rule that checks nothing (a *:* rwm) allows everything; the verifier refuses unreachable code, so the
// program ends there.
std::vector<bpf_insn> BuildProgram(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> prog = {
      LoadWord(R2, R1, offsetof(bpf_cgroup_dev_ctx, access_type)),
      MoveReg(R3, R2),
      AluImm(BPF_AND, R3, 0xffff),
      MoveReg(R4, R2),
      AluImm(BPF_RSH, R4, 16),
      LoadWord(R5, R1, offsetof(bpf_cgroup_dev_ctx, major)),
      LoadWord(R6, R1, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const DeviceRule& rule : rules) {
    // Checks as (instruction, is a jump to the next block).
    std::vector<std::pair<bpf_insn, bool>> block;
    if (rule.type != 0) block.push_back({JumpIfNot(R3, static_cast<int32_t>(rule.type), 0), true});
    if ((rule.access & kAllAccess) != kAllAccess) {
      // Every requested bit must be allowed: (requested & ~allowed) == 0.
      block.push_back({MoveReg(R7, R4), false});
      block.push_back({AluImm(BPF_AND, R7, static_cast<int32_t>(~rule.access & kAllAccess)), false});
      block.push_back({JumpIfNot(R7, 0, 0), true});
    }
    if (rule.major >= 0) block.push_back({JumpIfNot(R5, static_cast<int32_t>(rule.major), 0), true});
    if (rule.minor >= 0) block.push_back({JumpIfNot(R6, static_cast<int32_t>(rule.minor), 0), true});
    block.push_back({MoveImm(R0, 1), false});
    block.push_back({Exit(), false});
    const size_t size = block.size();
    for (size_t i = 0; i < size; i++) {
      bpf_insn insn = block[i].first;
      if (block[i].second) insn.off = static_cast<int16_t>(size - i - 1);
      prog.push_back(insn);
    }
    if (size == 2) return prog;  // no check: everything is allowed, nothing after it is reachable
  }
  prog.push_back(MoveImm(R0, 0));
  prog.push_back(Exit());
  return prog;
}

long Bpf(int cmd, bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

[[noreturn]] void Invalid(Napi::Env env, size_t index, const std::string& what) {
  throw Napi::TypeError::New(env, "device rule " + std::to_string(index) + ": " + what);
}

int64_t NumberOrAny(Napi::Env env, const Napi::Object& rule, const char* key, size_t index) {
  Napi::Value value = rule.Get(key);
  if (value.IsNull() || value.IsUndefined()) return -1;
  if (!value.IsNumber()) Invalid(env, index, std::string(key) + ": expected a number or null (any)");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > kMaxNumber || d != static_cast<double>(static_cast<int64_t>(d)))
    Invalid(env, index, std::string(key) + ": expected an integer from 0 to 2^31-1");
  return static_cast<int64_t>(d);
}

// [{ type: 'a'|'b'|'c', major: number|null, minor: number|null, access: 'rwm' subset }]
std::vector<DeviceRule> RulesArg(Napi::Env env, const Napi::Value& value) {
  if (!value.IsArray()) throw Napi::TypeError::New(env, "device rules: expected an array");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<DeviceRule> rules;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsObject()) Invalid(env, i, "expected an object");
    Napi::Object rule = item.As<Napi::Object>();
    DeviceRule out{};
    Napi::Value type = rule.Get("type");
    std::string t = type.IsString() ? type.As<Napi::String>().Utf8Value() : "";
    if (t == "a")
      out.type = 0;
    else if (t == "b")
      out.type = BPF_DEVCG_DEV_BLOCK;
    else if (t == "c")
      out.type = BPF_DEVCG_DEV_CHAR;
    else
      Invalid(env, i, "type: expected \"a\", \"b\" or \"c\"");
    out.major = NumberOrAny(env, rule, "major", i);
    out.minor = NumberOrAny(env, rule, "minor", i);
    Napi::Value access = rule.Get("access");
    std::string a = access.IsString() ? access.As<Napi::String>().Utf8Value() : "";
    if (a.empty()) Invalid(env, i, "access: expected one or more of r, w, m");
    for (char c : a) {
      if (c == 'r')
        out.access |= BPF_DEVCG_ACC_READ;
      else if (c == 'w')
        out.access |= BPF_DEVCG_ACC_WRITE;
      else if (c == 'm')
        out.access |= BPF_DEVCG_ACC_MKNOD;
      else
        Invalid(env, i, "access: expected one or more of r, w, m, got \"" + a + "\"");
    }
    rules.push_back(out);
  }
  return rules;
}

int OpenCgroupDir(Napi::Env env, const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "open", dir);
  return fd;
}

// loadDeviceFilter(rules): the fd of a loaded program (close-on-exec). A refusal by the verifier carries
// its log as `verifierLog`.
Napi::Value LoadDeviceFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<bpf_insn> prog = BuildProgram(RulesArg(env, info[0]));
  static const char kLicense[] = "Apache-2.0";
  bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  strncpy(attr.prog_name, "pod_init_dev", sizeof attr.prog_name - 1);
  // The verifier gives up with EAGAIN when a signal is pending (Node's process gets SIGCHLD and others at
  // any time; the handler runs when the call returns): tried again, up to 5 times as libbpf does.
  long fd = -1;
  for (int attempt = 0; attempt < 5; attempt++) {
    fd = Bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0 || errno != EAGAIN) break;
  }
  if (fd >= 0) return Napi::Number::New(env, static_cast<double>(fd));
  int err = errno;
  std::string log;
  if (err == EINVAL || err == EACCES) {
    // Load again with the verifier's log, only to say why.
    std::vector<char> buffer(64 * 1024, '\0');
    attr.log_level = 1;
    attr.log_buf = reinterpret_cast<uint64_t>(buffer.data());
    attr.log_size = static_cast<uint32_t>(buffer.size());
    long again = Bpf(BPF_PROG_LOAD, &attr);
    if (again >= 0) return Napi::Number::New(env, static_cast<double>(again));
    log.assign(buffer.data(), strnlen(buffer.data(), buffer.size()));
  }
  SyscallFailure failure;
  failure.err = err;
  failure.syscall = "bpf(BPF_PROG_LOAD)";
  Napi::Error error = MakeSyscallError(env, failure);
  if (!log.empty()) error.Value().Set("verifierLog", log);
  throw error;
}

// attachDeviceFilter(cgroupDir, progFd) / detachDeviceFilter(cgroupDir, progFd)
Napi::Value AttachOrDetach(const Napi::CallbackInfo& info, bool attach) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  int prog = info[1].As<Napi::Number>().Int32Value();
  int cgroup = OpenCgroupDir(env, dir);
  bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog);
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (attach) attr.attach_flags = BPF_F_ALLOW_MULTI;
  long rc = Bpf(attach ? BPF_PROG_ATTACH : BPF_PROG_DETACH, &attr);
  int err = errno;
  close(cgroup);
  if (rc < 0) ThrowErrno(env, err, attach ? "bpf(BPF_PROG_ATTACH)" : "bpf(BPF_PROG_DETACH)", dir);
  return env.Undefined();
}

Napi::Value AttachDeviceFilter(const Napi::CallbackInfo& info) {
  return AttachOrDetach(info, true);
}

Napi::Value DetachDeviceFilter(const Napi::CallbackInfo& info) {
  return AttachOrDetach(info, false);
}

// deviceFilterCount(cgroupDir): how many device programs are attached to this cgroup itself.
Napi::Value DeviceFilterCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  int cgroup = OpenCgroupDir(env, dir);
  bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(cgroup);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  long rc = Bpf(BPF_PROG_QUERY, &attr);
  int err = errno;
  close(cgroup);
  if (rc < 0) ThrowErrno(env, err, "bpf(BPF_PROG_QUERY)", dir);
  return Napi::Number::New(env, attr.query.prog_cnt);
}

}  // namespace

void InitDeviceFilter(Napi::Env env, Napi::Object exports) {
  exports.Set("loadDeviceFilter", Napi::Function::New(env, LoadDeviceFilter, "loadDeviceFilter"));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter, "attachDeviceFilter"));
  exports.Set("detachDeviceFilter", Napi::Function::New(env, DetachDeviceFilter, "detachDeviceFilter"));
  exports.Set("deviceFilterCount", Napi::Function::New(env, DeviceFilterCount, "deviceFilterCount"));
}

}  // namespace podinit
