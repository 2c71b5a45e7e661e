/* state.c — the pod and container `pod-init exec` enters, found in the state root as the Node CLI finds
 * them (src/cli/state-location.ts, src/ops/pod-list.ts, src/ops/running-container.ts), for the plain
 * case only: one live run of the pod (its pod-init's owner record names a running process), this user's
 * own (root enters any), a phase that is not Succeeded or Failed, the container named (or kubectl's
 * default: the kubectl.kubernetes.io/default-container annotation, else the first container, else the
 * first init container) and running (its exec.records names a process with the recorded start time).
 * Everything else is -1, and the Node CLI finds, decides and words it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../read_file.h"
#include "client.h"

#define MAX_CONTAINERS 64

/* os.tmpdir(): $TMPDIR, $TMP, $TEMP, else /tmp, without a trailing slash. */
static void tmpdir(char *out, size_t size) {
  const char *names[] = {"TMPDIR", "TMP", "TEMP"};
  const char *dir = NULL;
  size_t len;
  for (int i = 0; i < 3 && dir == NULL; i++) {
    dir = getenv(names[i]);
    if (dir != NULL && dir[0] == '\0') dir = NULL;
  }
  snprintf(out, size, "%s", dir != NULL ? dir : "/tmp");
  len = strlen(out);
  if (len > 1 && out[len - 1] == '/') out[len - 1] = '\0';
}

/* The one rule, shared with src/cli/state-location.ts (keep both alike): $POD_INIT_STATE_DIR, else
 * /run/pod-init as root, else $XDG_RUNTIME_DIR/pod-init, else <tmpdir>/pod-init-<euid>; the owners
 * registry is /run/pod-init/owners as root, else <tmpdir>/pod-init-owners-<euid> (src/pod/owners.ts). */
void state_location(char *root, size_t root_size, char *owners, size_t owners_size) {
  const char *state = getenv("POD_INIT_STATE_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
  unsigned euid = (unsigned)geteuid();
  char tmp[4096];
  tmpdir(tmp, sizeof tmp);
  if (state != NULL && state[0] != '\0')
    snprintf(root, root_size, "%s", state);
  else if (euid == 0)
    snprintf(root, root_size, "/run/pod-init");
  else if (xdg != NULL && xdg[0] != '\0')
    snprintf(root, root_size, "%s/pod-init", xdg);
  else
    snprintf(root, root_size, "%s/pod-init-%u", tmp, euid);
  if (euid == 0)
    snprintf(owners, owners_size, "/run/pod-init/owners");
  else
    snprintf(owners, owners_size, "%s/pod-init-owners-%u", tmp, euid);
}

/* Field 22 of /proc/PID/stat (and the state, field 3, into *state when asked). */
static int stat_fields(pid_t pid, char *start, size_t size, char *state) {
  char path[64], buf[1024], *p;
  int fd, field;
  ssize_t n;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  p = strrchr(buf, ')'); /* the command name (field 2) may hold spaces and parentheses */
  if (p == NULL || p[1] != ' ') return -1;
  p += 2;
  if (state != NULL) *state = *p;
  for (field = 3; field < 22 && p != NULL; field++) {
    p = strchr(p, ' ');
    if (p != NULL) p++;
  }
  if (p == NULL) return -1;
  n = (ssize_t)strcspn(p, " \n");
  if ((size_t)n + 1 > size) return -1;
  memcpy(start, p, (size_t)n);
  start[n] = '\0';
  return 0;
}

int process_start_time(pid_t pid, char *buf, size_t size) {
  return stat_fields(pid, buf, size, NULL);
}

/* src/pod/owners.ts isPodAlive(): the owner record names a running process (not a zombie). */
static int pod_alive(const char *owners, const char *uid) {
  char path[4400], *text, *space, started[64], state = 0;
  long pid;
  int alive;
  snprintf(path, sizeof path, "%s/%s", owners, uid);
  text = read_file(AT_FDCWD, path, 4096, NULL);
  if (text == NULL) return 0;
  pid = strtol(text, &space, 10);
  alive = pid > 0 && *space == ' ' && stat_fields((pid_t)pid, started, sizeof started, &state) == 0 && state != 'Z' &&
          state != 'X' && strncmp(space + 1, started, strlen(started)) == 0 &&
          strchr(" \n", space[1 + strlen(started)]) != NULL;
  free(text);
  return alive;
}

static int all_of(const char *s, size_t n, const char *allowed) {
  for (size_t i = 0; i < n; i++)
    if (strchr(allowed, s[i]) == NULL || s[i] == '\0') return 0;
  return n > 0;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz0123456789-"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* The one live state directory of namespace/name under root (its uid into uid), or -1. */
static int live_pod_dir(const char *root, const char *owners, const struct exec_args *args, char *dir, size_t size) {
  DIR *d = opendir(root);
  struct dirent *e;
  int found = 0;
  size_t ns_len = strlen(args->namespace_), name_len = strlen(args->name);
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name, *uid;
    struct stat st;
    char path[4096];
    /* <namespace>_<name>_<uid>, as pod-list.ts's stateDirName. */
    if (strncmp(n, args->namespace_, ns_len) != 0 || n[ns_len] != '_') continue;
    if (strncmp(n + ns_len + 1, args->name, name_len) != 0 || n[ns_len + 1 + name_len] != '_') continue;
    uid = n + ns_len + 1 + name_len + 1;
    if (!all_of(n, ns_len, LOWER) || !all_of(n + ns_len + 1, name_len, LOWER ".") ||
        !all_of(uid, strlen(uid), LOWER UPPER))
      continue;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, n) >= sizeof path) continue;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) || !pod_alive(owners, uid)) continue;
    if (found++ > 0) break; /* two live runs of one name: the Node CLI decides */
    memcpy(dir, path, size < sizeof path ? size : sizeof path);
    dir[size - 1] = '\0';
    /* Another user's pod (foreign-pod.ts): the Node CLI refuses it by name. */
    if (geteuid() != 0 && st.st_uid != geteuid()) found = 2;
  }
  closedir(d);
  return found == 1 ? 0 : -1;
}

/* The names of spec.<key>[].name into names (from *count on). -1 for anything unexpected. */
static int container_names(const char *spec, const char *key, char names[][256], int *count) {
  const char *list = json_member(spec, key), *c;
  if (list == NULL) return 0;
  for (c = json_first(list); c != NULL; c = json_next(c)) {
    const char *name = json_member(c, "name");
    if (name == NULL || *count == MAX_CONTAINERS || json_string(name, names[*count], 256) < 0) return -1;
    (*count)++;
  }
  return 0;
}

/* The container to enter, kubectl's note when it was picked (pod-logs.ts defaultContainer()); -1 to fall back. */
static int pick_container(const char *status, const struct exec_args *args, struct target *out) {
  static char names[MAX_CONTAINERS][256];
  char value[256];
  const char *metadata = json_member(status, "metadata"), *spec = json_member(status, "spec");
  const char *pod_status = json_member(status, "status"), *phase = NULL, *annotations;
  int regular = 0, total = 0, annotated = -1;
  if (metadata == NULL || spec == NULL) return -1;
  if (json_string(json_member(metadata, "name"), value, sizeof value) < 0 || strcmp(value, args->name) != 0) return -1;
  if (pod_status != NULL) phase = json_member(pod_status, "phase");
  if (phase != NULL && json_string(phase, value, sizeof value) < 0) return -1;
  if (phase != NULL && (strcmp(value, "Succeeded") == 0 || strcmp(value, "Failed") == 0)) return -1;
  if (container_names(spec, "containers", names, &total) < 0) return -1;
  regular = total;
  if (container_names(spec, "initContainers", names, &total) < 0) return -1;
  annotations = json_member(metadata, "annotations");
  if (annotations != NULL && json_member(annotations, "kubectl.kubernetes.io/default-container") != NULL &&
      json_string(json_member(annotations, "kubectl.kubernetes.io/default-container"), value, sizeof value) < 0)
    return -1; /* an annotation with escapes: Node reads it */
  out->note[0] = '\0';
  if (args->container != NULL) {
    for (int i = 0; i < total; i++)
      if (strcmp(names[i], args->container) == 0) annotated = i;
    if (annotated < 0) return -1; /* BadRequest, in Node's words */
    snprintf(out->container, sizeof out->container, "%s", args->container);
    return 0;
  }
  if (annotations != NULL && json_member(annotations, "kubectl.kubernetes.io/default-container") != NULL)
    for (int i = 0; i < total; i++)
      if (strcmp(names[i], value) == 0) annotated = i;
  if (total == 0) return -1;
  if (annotated >= 0) {
    snprintf(out->container, sizeof out->container, "%s", names[annotated]);
    return 0;
  }
  snprintf(out->container, sizeof out->container, "%s", names[regular > 0 ? 0 : regular]);
  if (total > 1) {
    /* regular ones, then init ones: the order kubectl names them in */
    size_t n = (size_t)snprintf(out->note, sizeof out->note, "Defaulted container \"%s\" out of: ", out->container);
    for (int i = 0; i < total && n < sizeof out->note; i++)
      n += (size_t)snprintf(out->note + n, sizeof out->note - n, "%s%s", i > 0 ? ", " : "", names[i]);
    if (n >= sizeof out->note) return -1;
  }
  return 0;
}

static int hex_digit(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* exec.records (src/pod/exec-records.ts) into spec; -1 when missing or not understood. */
static int read_records(int dirfd, const char *container, struct exec_spec *spec) {
  char path[300];
  size_t length, at, record_length = 0;
  char *text;
  int env_cap = 0, cgroup_cap = 0;
  snprintf(path, sizeof path, "%s/exec.records", container);
  text = read_file(dirfd, path, 64 << 20, &length);
  if (text == NULL) return -1;
  memset(spec, 0, sizeof *spec);
  if (strcmp(text, "pod-init-exec 1") != 0) return -1;
  for (at = 0; at < length; at += record_length + 1) {
    char *r = text + at, *v = strchr(r, ' ');
    record_length = strlen(r); /* before the space is cut below */
    if (v == NULL) continue;
    *v++ = '\0';
    if (strcmp(r, "pid") == 0) {
      spec->pid = (pid_t)atoi(v);
    } else if (strcmp(r, "start") == 0) {
      spec->start = v;
    } else if (strcmp(r, "cwd") == 0) {
      spec->cwd = v;
    } else if (strcmp(r, "env") == 0 || strcmp(r, "cgroup") == 0) {
      int is_env = r[0] == 'e';
      char ***list = is_env ? &spec->env : &spec->cgroups;
      int *count = is_env ? &spec->env_count : &spec->cgroup_count, *cap = is_env ? &env_cap : &cgroup_cap;
      if (*count + 2 >= *cap) {
        char **grown = realloc(*list, sizeof(char *) * (size_t)(*cap = *cap * 2 + 16));
        if (grown == NULL) return -1;
        *list = grown;
      }
      (*list)[(*count)++] = v;
      (*list)[*count] = NULL;
    } else if (strcmp(r, "uid") == 0) {
      spec->has_uid = 1, spec->uid = (uint32_t)strtoul(v, NULL, 10);
    } else if (strcmp(r, "gid") == 0) {
      spec->has_gid = 1, spec->gid = (uint32_t)strtoul(v, NULL, 10);
    } else if (strcmp(r, "groups") == 0) {
      spec->has_groups = 1;
      spec->groups = calloc(strlen(v) / 2 + 2, sizeof(uint32_t));
      if (spec->groups == NULL) return -1;
      for (char *p = v, *end; *p != '\0'; p = end + (*end == ',')) {
        spec->groups[spec->group_count++] = (uint32_t)strtoul(p, &end, 10);
        if (end == p) return -1; /* not a number: not ours to guess */
      }
    } else if (strcmp(r, "caps") == 0) {
      char *p = v;
      spec->has_caps = 1;
      for (int i = 0; i < 5; i++) spec->caps[i] = strtoull(p, &p, 16);
    } else if (strcmp(r, "nnp") == 0) {
      spec->nnp = strcmp(v, "1") == 0;
    } else if (strcmp(r, "seccomp") == 0) {
      size_t n = strlen(v) / 2;
      spec->seccomp = malloc(n + 1);
      if (spec->seccomp == NULL || n % 8 != 0) return -1;
      for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        spec->seccomp[i] = (unsigned char)(hi << 4 | lo);
      }
      spec->seccomp_len = n;
    }
  }
  if (spec->env == NULL) {
    spec->env = calloc(2, sizeof(char *));
    if (spec->env == NULL) return -1;
  }
  return spec->pid > 0 && spec->start != NULL && spec->cwd != NULL ? 0 : -1;
}

int find_target(const struct exec_args *args, struct target *out) {
  char root[4096], owners[4096], *status;
  int dirfd, result = -1;
  state_location(root, sizeof root, owners, sizeof owners);
  if (live_pod_dir(root, owners, args, out->dir, sizeof out->dir) < 0) return -1;
  dirfd = open(out->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -1;
  status = read_file(dirfd, "status.json", 64 << 20, NULL);
  if (status != NULL && pick_container(status, args, out) == 0 && strchr(out->container, '/') == NULL &&
      out->container[0] != '.' && read_records(dirfd, out->container, &out->spec) == 0)
    result = 0;
  free(status);
  close(dirfd);
  return result;
}
