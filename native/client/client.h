/* client.h — the native `pod-init` command (native/client/): the bin that npm links. `pod-init exec`
 * runs here without Node when it can (exec.c); every other verb, and every case exec does not handle
 * here, is the Node CLI, exec'd with the original argv (main.c). */
#ifndef POD_INIT_CLIENT_H
#define POD_INIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Never returns: execs Node with pod-init.js and argv[1..] (exit 127 with a message if it cannot). */
__attribute__((noreturn)) void exec_node(char **argv);

/* `pod-init exec` without Node. Returns only when the Node CLI must do it (nothing was done yet, or
 * what was done is undone and told in `*quiet_done`: the notes were printed, Node must not print them again). */
void exec_fast(char **argv, int *quiet_done);

/* The arguments of `pod-init exec` the fast path takes (exec_args.c). */
struct exec_args {
  const char *name, *namespace_, *container;
  int stdin_, tty, quiet;
  char **command; /* NULL-terminated, argv's own strings */
  int command_count;
};

/* 0 when the fast path takes them, -1 for anything the Node CLI must handle (--help, a bad flag). */
int parse_exec_args(char **args, struct exec_args *out);

/* The exec spec of a running container, from exec.records (state.c; src/pod/exec-records.ts). */
struct exec_spec {
  pid_t pid;
  char *start;
  char *cwd;
  char **env; /* NULL-terminated, room for one more (TERM) */
  int env_count;
  int has_uid, has_gid, has_groups, has_caps, nnp;
  uint32_t uid, gid;
  uint32_t *groups;
  int group_count;
  uint64_t caps[5]; /* bounding, permitted, effective, inheritable, ambient */
  unsigned char *seccomp;
  size_t seccomp_len;
  char **cgroups;
  int cgroup_count;
};

/* The pod and container `pod-init exec` enters, found as src/ops/running-container.ts finds it. */
struct target {
  char dir[4096];      /* the pod's state directory */
  char container[256]; /* the container (named or the default one) */
  char note[1024];     /* kubectl's "Defaulted container ..." note, or "" */
  struct exec_spec spec;
};

/* 0 and *out filled, or -1: the Node CLI decides (and words) whatever is not a plain running container. */
int find_target(const struct exec_args *args, struct target *out);

/* The state root and owners directory of this user (state.c: the rules of src/cli/state-location.ts). */
void state_location(char *root, size_t root_size, char *owners, size_t owners_size);

/* Start time (field 22 of /proc/PID/stat) of pid into buf; 0, or -1 when it is gone. */
int process_start_time(pid_t pid, char *buf, size_t size);

/* A minimal JSON reader over a NUL-terminated text (json.c): enough for status.json's names. */
const char *json_skip(const char *p);
const char *json_member(const char *object, const char *key);
int json_string(const char *p, char *out, size_t size);
const char *json_first(const char *array);
const char *json_next(const char *element);

/* The ChildPlan blob for `pod-pause enter` (plan.cc's layout, plan_blob.cc). */
struct enter_plan {
  const char *const *candidates;
  int candidate_count;
  char *const *argv;
  char *const *envp;
  const char *cwd;
  int join_pidfd, join_flags, become_ns_root;
  int controlling_tty;
  int set_ids;
  uint32_t uid, gid;
  int set_groups;
  const uint32_t *groups;
  int group_count;
  int no_new_privs;
  int set_caps, cap_last;
  uint64_t caps[5];
  const void *seccomp;
  size_t seccomp_len;
  const int *cgroup_fds; /* v1 `tasks`, v2 cgroup.procs (as src/spawn.ts opens them) */
  int cgroup_count;
  int cgroup_into_fd, cgroup_into_index; /* the v2 directory to be cloned into (CLONE_INTO_CGROUP), or -1 */
  int stdio[3];
  int report_fd, info_fd;
};

/* The plan in a new close-on-exec memfd, or -1 with errno. */
int plan_memfd(const struct enter_plan *plan);

/* The size of plan.h's ChildReport. */
size_t child_report_size(void);

#ifdef __cplusplus
}
#endif

#endif
