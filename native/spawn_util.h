// spawn_util.h — what spawn.cc and keeper_client.cc share: an owned fd, reads with a deadline, reaping,
// and turning a child's failure report into a PodSystemError.
#pragma once

#include <napi.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "plan.h"

namespace podinit {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// CLOCK_MONOTONIC in ms.
int64_t NowMs();
// Reads len bytes, or fewer at EOF; -1 on an error, -2 when the deadline (NowMs) passed.
ssize_t ReadFull(int fd, void* buf, size_t len, int64_t deadline);
// waitpid(pid, __WALL), through EINTR.
void ReapSync(pid_t pid);
[[noreturn]] void ThrowReport(Napi::Env env, const ChildReport& report, pid_t pid);
[[noreturn]] void ThrowStep(Napi::Env env, int step, int err, const std::string& path, pid_t pid);
// pidfd_open(2) of our own unreaped child (race-free: its pid cannot be reused); when that fails the
// child is killed and reaped, and the error thrown.
int OpenChildPidfd(Napi::Env env, pid_t child);

}  // namespace podinit
