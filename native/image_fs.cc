// image_fs.cc — what unpacking an image layer and locking the image store need beyond Node's fs
// (src/image/): mknod for device nodes and overlayfs whiteouts (char 0/0), lsetxattr/lgetxattr for the
// opaque marker and archived xattrs, and a non-blocking flock so a pull waiting on another never stalls the
// event loop, and the "top of a directory hierarchy" flag for the store's layers directory. Paths are the
// caller's, already checked to stay inside the layer directory.
// See: mknod(2), setxattr(2), flock(2), ioctl_iflags(2).
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

// mknod(path, mode, major, minor): mode carries the type (S_IFCHR, S_IFBLK, S_IFIFO) and permissions.
Napi::Value Mknod(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  mode_t mode = static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value());
  unsigned major_id = info[2].As<Napi::Number>().Uint32Value();
  unsigned minor_id = info[3].As<Napi::Number>().Uint32Value();
  if (mknod(path.c_str(), mode, makedev(major_id, minor_id)) < 0) ThrowErrno(info.Env(), errno, "mknod", path);
  return info.Env().Undefined();
}

// lsetxattr(path, name, value): on the link itself, never its target.
Napi::Value Lsetxattr(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> value = info[2].As<Napi::Buffer<uint8_t>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0)
    ThrowErrno(info.Env(), errno, "lsetxattr", path + " " + name);
  return info.Env().Undefined();
}

// lgetxattr(path, name) -> Buffer, or undefined when the attribute is not set (ENODATA, ENOTSUP).
Napi::Value Lgetxattr(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  char value[4096];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
  if (n < 0 && (errno == ENODATA || errno == ENOTSUP)) return info.Env().Undefined();
  if (n < 0) ThrowErrno(info.Env(), errno, "lgetxattr", path + " " + name);
  return Napi::Buffer<char>::Copy(info.Env(), value, static_cast<size_t>(n));
}

// tryFlock(fd, exclusive) -> true when the lock is had, false when another open file holds it.
Napi::Value TryFlock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = (info[1].ToBoolean().Value() ? LOCK_EX : LOCK_SH) | LOCK_NB;
  int rc;
  do {
    rc = flock(fd, op);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == EWOULDBLOCK) return Napi::Boolean::New(info.Env(), false);
  if (rc < 0) ThrowErrno(info.Env(), errno, "flock");
  return Napi::Boolean::New(info.Env(), true);
}

// markTopDir(path) -> true when the directory has FS_TOPDIR_FL (set now or before), false when its
// filesystem has no such flag (tmpfs, xfs, …: ENOTTY, EOPNOTSUPP, EINVAL, EPERM). ext4's Orlov allocator
// then places each new subdirectory as it places top-level ones (chattr +T): in the block group with the
// fewest directories among those with more free inodes and blocks than average, not next to its parent.
Napi::Value MarkTopDir(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), errno, "open", path);
  int flags = 0;
  bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok && !(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  int err = errno;
  close(fd);
  if (!ok && err != ENOTTY && err != EOPNOTSUPP && err != EINVAL && err != EPERM && err != EACCES)
    ThrowErrno(info.Env(), err, "ioctl(FS_IOC_SETFLAGS)", path);
  return Napi::Boolean::New(info.Env(), ok);
}

}  // namespace

void InitImageFs(Napi::Env env, Napi::Object exports) {
  exports.Set("mknod", Napi::Function::New(env, Mknod, "mknod"));
  exports.Set("lsetxattr", Napi::Function::New(env, Lsetxattr, "lsetxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, Lgetxattr, "lgetxattr"));
  exports.Set("tryFlock", Napi::Function::New(env, TryFlock, "tryFlock"));
  exports.Set("markTopDir", Napi::Function::New(env, MarkTopDir, "markTopDir"));
}

}  // namespace podinit
