// plan.cc — a ChildPlan blob made usable where it lies (plan.h): every pointer field holds an offset
// from the plan's own address, 0 meaning null. Used by the addon for its own spawns and by
// `pod-pause enter`, which receives the blob in a memfd. Plain arithmetic: no allocation, no libc state.
#include "plan.h"

#include <stdint.h>

namespace podinit {

namespace {

template <typename T>
void Fix(char* base, T*& field) {
  uintptr_t offset = reinterpret_cast<uintptr_t>(field);
  field = offset == 0 ? nullptr : reinterpret_cast<T*>(base + offset);
}

// An array of string offsets ending with a null entry (argv, envp) or of known length (candidates).
void FixStrings(char* base, char** strings, int count) {
  for (int i = 0; i < count; i++) Fix(base, strings[i]);
}

int NullTerminatedLength(char* const* strings) {
  int n = 0;
  while (strings[n] != nullptr) n++;
  return n;
}

}  // namespace

void RelocatePlan(ChildPlan* plan) {
  char* base = reinterpret_cast<char*>(plan);
  Fix(base, plan->candidates);
  FixStrings(base, const_cast<char**>(plan->candidates), plan->candidate_count);
  Fix(base, plan->argv);
  FixStrings(base, const_cast<char**>(plan->argv), NullTerminatedLength(plan->argv));
  Fix(base, plan->envp);
  FixStrings(base, const_cast<char**>(plan->envp), NullTerminatedLength(plan->envp));
  Fix(base, plan->cwd);
  Fix(base, plan->mounts);
  MountOp* mounts = const_cast<MountOp*>(plan->mounts);
  for (int i = 0; i < plan->mount_count; i++) {
    Fix(base, mounts[i].source);
    Fix(base, mounts[i].target);
    Fix(base, mounts[i].fstype);
    Fix(base, mounts[i].data);
    Fix(base, mounts[i].beneath);
    Fix(base, mounts[i].relative);
  }
  Fix(base, plan->hostname);
  Fix(base, plan->groups);
  Fix(base, plan->ignored_signals);
  Fix(base, plan->seccomp_filter);
  Fix(base, plan->cgroup_fds);
  plan->child_stack = nullptr;
}

}  // namespace podinit
