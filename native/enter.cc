// enter.cc — `pod-pause enter FD`: how a process enters a running pod without Node's memory.
//
// A joined spawn (a container, an exec probe, a hook, a future `exec`) must never be visible inside the
// pod while it shares Node's address space or fd table, or while it is dumpable: a process in the pod
// could then open /proc/<pid>/mem and write into pod-init (CVE-2016-9962's class), or re-open its
// executable for writing (CVE-2019-5736). So Node's vfork-style child only marks every fd but the
// plan's close-on-exec and execs this program from a sealed memfd copy of pod-pause (spawn.cc). Here,
// in a fresh address space holding nothing but the plan: become non-dumpable, read the plan blob
// from FD, then do what the intermediate always did — setns into the pod, clone3(CLONE_PARENT) the
// real child (a child of Node, sharing only this small process's memory until its execve) and report
// its pid. See: prctl(2) PR_SET_DUMPABLE, memfd_create(2), execveat(2), setns(2).
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"

namespace podinit {

namespace {

// The child's stack: this process is single-threaded and lives only until the clone returns.
alignas(16) char child_stack[kChildStackSize];

ChildPlan* ReadPlan(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_size < static_cast<off_t>(sizeof(ChildPlan))) return nullptr;
  size_t size = static_cast<size_t>(st.st_size);
  char* blob = static_cast<char*>(malloc(size));
  if (blob == nullptr) return nullptr;
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd, blob + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return nullptr;
    got += static_cast<size_t>(n);
  }
  close(fd);
  ChildPlan* plan = reinterpret_cast<ChildPlan*>(blob);
  RelocatePlan(plan);
  plan->child_stack = child_stack + sizeof child_stack;
  return plan;
}

}  // namespace

}  // namespace podinit

extern "C" int enter_main(int argc, char** argv) {
  // First, before anything else can happen: nothing in the pod may ptrace us or open /proc/<pid>/mem.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return 126;
  if (argc < 2) return 126;
  podinit::ChildPlan* plan = podinit::ReadPlan(atoi(argv[1]));
  if (plan == nullptr) return 126;  // Node sees the info pipe close without a pid: ECHILD
  // `enter FD keeper SOCK`: stay, confined, and fork what is asked for on SOCK (keeper.cc).
  if (argc > 3 && strcmp(argv[2], "keeper") == 0) podinit::RunKeeper(*plan, atoi(argv[3]));
  podinit::RunIntermediate(*plan);
}
