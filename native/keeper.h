// keeper.h — the wire format between pod-init (keeper_client.cc) and a container's keeper (keeper.cc).
//
// One request per SOCK_SEQPACKET message: a KeeperRequest, then NUL-terminated strings — the working
// directory (when has_cwd), the executable candidates (a PATH search done by TypeScript), argv, envp —
// with exactly four fds as SCM_RIGHTS: the new process's stdin, stdout and stderr, and the write end of
// its report pipe (a ChildReport on failure, EOF at execve). The answer is one KeeperReply.
#pragma once

#include <stdint.h>

namespace podinit {

constexpr uint32_t kKeeperMagic = 0x6b707231;  // "kpr1"
constexpr int kKeeperFds = 4;
// Requests larger than this are refused by the client (it falls back to a joined spawn).
constexpr uint32_t kKeeperMaxRequest = 128 * 1024;
constexpr uint32_t kKeeperMaxStrings = 4096;
// How long pod-init waits for a keeper's answer (the setup deadline still holds for the exec that follows).
constexpr int64_t kKeeperReplyMs = 2000;

struct KeeperRequest {
  uint32_t magic;
  uint32_t has_cwd;
  uint32_t candidate_count;
  uint32_t argc;
  uint32_t envc;
};

// pid > 0: the new process (a child of pod-init: CLONE_PARENT), as pod-init's pid namespace numbers it.
// pid <= 0: nothing was made; err is the errno.
struct KeeperReply {
  int32_t pid;
  int32_t err;
};

}  // namespace podinit
