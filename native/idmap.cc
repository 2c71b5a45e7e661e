// idmap.cc — what a pod with a user namespace of its own (`hostUsers: false`) needs from the host side.
//
// - idmappedTree: a detached copy of a directory tree (open_tree OPEN_TREE_CLONE) made idmapped with
//   the pod's user namespace (mount_setattr MOUNT_ATTR_IDMAP, Linux >= 5.12), returned as an fd. Only a
//   process of the initial user namespace can do it, on a mount of its own mount namespace: so the
//   parent makes it, and the container's child attaches it with move_mount (MOUNT_OP_MOVE_MOUNT).
// - flock: the lock of the user-namespace range registry (src/pod/userns-ranges.ts).
// See: open_tree(2), mount_setattr(2), move_mount(2), flock(2).
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "addon.h"
#include "errors.h"
#include "sys.h"

namespace podinit {

namespace {

constexpr unsigned kOpenTreeClone = 1;            // OPEN_TREE_CLONE
constexpr unsigned kOpenTreeCloexec = O_CLOEXEC;  // OPEN_TREE_CLOEXEC
constexpr uint64_t kAttrRdonly = 0x00000001;      // MOUNT_ATTR_RDONLY
constexpr uint64_t kAttrIdmap = 0x00100000;       // MOUNT_ATTR_IDMAP

struct MountAttr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

// idmappedTree(path, usernsFd, recursive, readOnly) -> fd of a detached, idmapped copy of `path`
// (a symlink is followed, as mount(2) follows the source of a bind).
Napi::Value IdmappedTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int userns_fd = info[1].As<Napi::Number>().Int32Value();
  bool recursive = info[2].ToBoolean().Value();
  bool read_only = info[3].ToBoolean().Value();
  unsigned flags = kOpenTreeClone | kOpenTreeCloexec | (recursive ? AT_RECURSIVE : 0);
  int fd = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags));
  if (fd < 0) ThrowErrno(env, errno, "open_tree", path);
  MountAttr attr = {kAttrIdmap | (read_only ? kAttrRdonly : 0), 0, 0, static_cast<uint64_t>(userns_fd)};
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, err, "mount_setattr", path);
  }
  return Napi::Number::New(env, fd);
}

// flock(fd, exclusive): blocks until the lock is had; released by close or the process's end.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].ToBoolean().Value() ? LOCK_EX : LOCK_SH;
  int rc;
  do {
    rc = flock(fd, op);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) ThrowErrno(info.Env(), errno, "flock");
  return info.Env().Undefined();
}

}  // namespace

void InitIdmap(Napi::Env env, Napi::Object exports) {
  exports.Set("idmappedTree", Napi::Function::New(env, IdmappedTree, "idmappedTree"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
}

}  // namespace podinit
