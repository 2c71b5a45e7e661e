// plan_blob.cc — the native exec client's ChildPlan blob (plan.h's layout: pointers as offsets from
// the blob's start), in a memfd for `pod-pause enter FD`, as spawn.cc builds it for Node's joined spawns.
// C++ only for plan.h; no C++ library (no new, no exceptions): malloc and C headers.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../plan.h"
#include "client.h"

namespace {

struct Blob {
  char* bytes = nullptr;
  size_t size = 0, cap = 0;
  bool failed = false;

  // Appends (16-byte aligned); the offset, 0 for nothing or on failure.
  size_t Put(const void* data, size_t len) {
    size_t at = (size + 15) & ~static_cast<size_t>(15);
    if (at + len > cap) {
      size_t bigger = cap == 0 ? 4096 : cap;
      while (bigger < at + len) bigger *= 2;
      char* grown = static_cast<char*>(realloc(bytes, bigger));
      if (grown == nullptr) {
        failed = true;
        return 0;
      }
      memset(grown + cap, 0, bigger - cap);
      bytes = grown;
      cap = bigger;
    }
    if (data != nullptr) memcpy(bytes + at, data, len);
    size = at + len;
    return at;
  }
  size_t Str(const char* s) { return s == nullptr ? 0 : Put(s, strlen(s) + 1); }
  // An array of string offsets, null-terminated when `terminate`.
  size_t Strings(const char* const* list, int count, bool terminate) {
    int n = count + (terminate ? 1 : 0);
    uintptr_t* offsets = static_cast<uintptr_t*>(calloc(static_cast<size_t>(n > 0 ? n : 1), sizeof(uintptr_t)));
    if (offsets == nullptr) {
      failed = true;
      return 0;
    }
    for (int i = 0; i < count; i++) offsets[i] = Str(list[i]);
    size_t at = n > 0 ? Put(offsets, static_cast<size_t>(n) * sizeof(uintptr_t)) : 0;
    free(offsets);
    return at;
  }
};

template <typename T>
T At(size_t offset) {
  return reinterpret_cast<T>(static_cast<uintptr_t>(offset));
}

int Count(char* const* list) {
  int n = 0;
  while (list[n] != nullptr) n++;
  return n;
}

}  // namespace

extern "C" size_t child_report_size(void) {
  return sizeof(podinit::ChildReport);
}

extern "C" int plan_memfd(const struct enter_plan* p) {
  using podinit::ChildPlan;
  Blob blob;
  blob.Put(nullptr, sizeof(ChildPlan));  // offset 0: the ChildPlan, filled in last
  ChildPlan c;
  memset(&c, 0, sizeof c);
  c.exec_fd = -1;
  c.candidates = At<const char* const*>(blob.Strings(p->candidates, p->candidate_count, false));
  c.candidate_count = p->candidate_count;
  c.argv = At<char* const*>(blob.Strings(p->argv, Count(p->argv), true));
  c.envp = At<char* const*>(blob.Strings(p->envp, Count(p->envp), true));
  c.cwd = At<const char*>(blob.Str(p->cwd));
  c.join_pidfd = p->join_pidfd;
  c.join_flags = p->join_flags;
  c.sync_fd = -1;
  c.become_ns_root = p->become_ns_root != 0;
  c.new_session = true;
  c.controlling_tty = p->controlling_tty != 0;
  c.set_ids = p->set_ids != 0;
  c.uid = p->uid;
  c.gid = p->gid;
  c.set_groups = p->set_groups != 0;
  c.groups = At<const gid_t*>(
      p->group_count > 0 ? blob.Put(p->groups, sizeof(gid_t) * static_cast<size_t>(p->group_count)) : 0);  // NOLINT
  c.group_count = p->group_count;
  c.no_new_privs = p->no_new_privs != 0;
  c.set_caps = p->set_caps != 0;
  c.cap_last = p->cap_last;
  c.cap_bounding = p->caps[0];
  c.cap_permitted = p->caps[1];
  c.cap_effective = p->caps[2];
  c.cap_inheritable = p->caps[3];
  c.cap_ambient = p->caps[4];
  if (p->seccomp_len > 0) {
    c.seccomp_filter = At<const void*>(blob.Put(p->seccomp, p->seccomp_len));
    c.seccomp_len = static_cast<int>(p->seccomp_len / 8);  // sizeof(struct sock_filter)
  }
  c.cgroup_fds = At<const int*>(
      p->cgroup_count > 0 ? blob.Put(p->cgroup_fds, sizeof(int) * static_cast<size_t>(p->cgroup_count)) : 0);  // NOLINT
  c.cgroup_count = p->cgroup_count;
  c.cgroup_into_fd = p->cgroup_into_fd;
  c.cgroup_into_index = p->cgroup_into_index;
  c.cgroup_cloned_into = false;  // set by pod-pause enter when its clone3 into that cgroup succeeds
  c.death_signal = 0;            // the guard ends it (and every descendant) with the client
  c.parent_pidfd = -1;
  sigemptyset(&c.exec_mask);
  for (int i = 0; i < 3; i++) c.stdio[i] = p->stdio[i];
  c.report_fd = p->report_fd;
  c.info_fd = p->info_fd;
  if (blob.failed) {
    free(blob.bytes);
    errno = ENOMEM;
    return -1;
  }
  memcpy(blob.bytes, &c, sizeof c);
  int fd = static_cast<int>(syscall(SYS_memfd_create, "pod-init-plan", MFD_CLOEXEC));
  size_t done = 0;
  while (fd >= 0 && done < blob.size) {
    ssize_t n = write(fd, blob.bytes + done, blob.size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      fd = -1;
      errno = err;
      break;
    }
    done += static_cast<size_t>(n);
  }
  free(blob.bytes);
  return fd;
}
