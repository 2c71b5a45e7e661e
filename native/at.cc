// at.cc — the fd-relative file calls `pod-init cp` walks trees with (src/ops/copy-fs.ts), thin and typed.
//
// A copy into or out of a container is done from the host through the container's root as its process
// sees it (an O_PATH fd on /proc/<pid>/root): every path is looked up with openat2 relative to a
// directory fd, RESOLVE_IN_ROOT for the path the user named (a symlink resolves inside that root, as
// the container would resolve it), RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS for each entry of a walk; new
// entries are made with mkdirat/symlinkat/openat under the fd of their directory, and changed through
// their own fd. Node's fs has no openat, so these few calls live here; reads and writes of the data
// go through Node's fs on the fds.
// See: openat2(2), mkdirat(2), symlinkat(2), readlinkat(2), unlinkat(2), fchownat(2), getdents64(2).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "sys.h"

namespace podinit {

namespace {

int DirFd(const Napi::Value& v) {
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : AT_FDCWD;
}

// openAt(dirfd, path, flags, mode, resolve) -> fd (close-on-exec): openat2 with those resolve flags.
Napi::Value OpenAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dir = DirFd(info[0]);
  std::string path = info[1].As<Napi::String>().Utf8Value();
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()) | O_CLOEXEC;
  how.mode = (how.flags & (O_CREAT | O_TMPFILE)) ? (info[3].As<Napi::Number>().Uint32Value() & 07777) : 0;
  how.resolve = static_cast<uint64_t>(info[4].As<Napi::Number>().Int64Value());
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);  // a rename elsewhere raced the lookup; retry
  if (fd < 0) ThrowErrno(env, errno, "openat2", path);
  return Napi::Number::New(env, fd);
}

// mkdirAt(dirfd, name, mode) -> true when made, false when something of that name was there.
Napi::Value MkdirAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  if (mkdirat(DirFd(info[0]), name.c_str(), info[2].As<Napi::Number>().Uint32Value() & 07777) == 0)
    return Napi::Boolean::New(env, true);
  if (errno == EEXIST) return Napi::Boolean::New(env, false);
  ThrowErrno(env, errno, "mkdirat", name);
}

// symlinkAt(target, dirfd, name): a symlink holding `target`, never resolved here.
Napi::Value SymlinkAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[2].As<Napi::String>().Utf8Value();
  if (symlinkat(target.c_str(), DirFd(info[1]), name.c_str()) < 0) ThrowErrno(env, errno, "symlinkat", name);
  return env.Undefined();
}

// readlinkAt(fd) -> the text of the symlink an O_PATH|O_NOFOLLOW fd holds.
Napi::Value ReadlinkAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<char> buf(4096);
  ssize_t n = readlinkat(info[0].As<Napi::Number>().Int32Value(), "", buf.data(), buf.size());
  if (n < 0) ThrowErrno(env, errno, "readlinkat");
  return Napi::String::New(env, buf.data(), static_cast<size_t>(n));
}

// unlinkAt(dirfd, name, isDir): removes one entry of a directory by fd.
Napi::Value UnlinkAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  int flags = info[2].ToBoolean().Value() ? AT_REMOVEDIR : 0;
  if (unlinkat(DirFd(info[0]), name.c_str(), flags) < 0) ThrowErrno(env, errno, "unlinkat", name);
  return env.Undefined();
}

// chownFd(fd, uid, gid): the entry an fd holds (an O_PATH symlink too, itself) given to uid/gid.
Napi::Value ChownFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uid_t uid = static_cast<uid_t>(info[1].As<Napi::Number>().Int64Value());
  gid_t gid = static_cast<gid_t>(info[2].As<Napi::Number>().Int64Value());
  if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) ThrowErrno(env, errno, "fchownat");
  return env.Undefined();
}

// listDir(fd) -> the names in the directory an fd (O_PATH or not) holds, without "." and "..", read
// through a new open file of that very directory (openat(fd, ".")).
Napi::Value ListDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = openat(info[0].As<Napi::Number>().Int32Value(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "openat");
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    close(fd);
    ThrowErrno(env, err, "fdopendir");
  }
  Napi::Array names = Napi::Array::New(env);
  uint32_t n = 0;
  errno = 0;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.Set(n++, Napi::String::New(env, e->d_name));
    errno = 0;
  }
  int err = errno;
  closedir(d);
  if (err != 0) ThrowErrno(env, err, "readdir");
  return names;
}

}  // namespace

void InitAt(Napi::Env env, Napi::Object exports) {
  exports.Set("openAt", Napi::Function::New(env, OpenAt, "openAt"));
  exports.Set("mkdirAt", Napi::Function::New(env, MkdirAt, "mkdirAt"));
  exports.Set("symlinkAt", Napi::Function::New(env, SymlinkAt, "symlinkAt"));
  exports.Set("readlinkAt", Napi::Function::New(env, ReadlinkAt, "readlinkAt"));
  exports.Set("unlinkAt", Napi::Function::New(env, UnlinkAt, "unlinkAt"));
  exports.Set("chownFd", Napi::Function::New(env, ChownFd, "chownFd"));
  exports.Set("listDir", Napi::Function::New(env, ListDir, "listDir"));
  Napi::Object flags = Napi::Object::New(env);
  flags.Set("O_RDONLY", O_RDONLY);
  flags.Set("O_WRONLY", O_WRONLY);
  flags.Set("O_PATH", O_PATH);
  flags.Set("O_DIRECTORY", O_DIRECTORY);
  flags.Set("O_NOFOLLOW", O_NOFOLLOW);
  flags.Set("O_CREAT", O_CREAT);
  flags.Set("O_EXCL", O_EXCL);
  flags.Set("O_TRUNC", O_TRUNC);
  flags.Set("O_NONBLOCK", O_NONBLOCK);
  flags.Set("O_NOCTTY", O_NOCTTY);
  flags.Set("RESOLVE_BENEATH", static_cast<double>(RESOLVE_BENEATH));
  flags.Set("RESOLVE_IN_ROOT", static_cast<double>(RESOLVE_IN_ROOT));
  flags.Set("RESOLVE_NO_SYMLINKS", static_cast<double>(RESOLVE_NO_SYMLINKS));
  flags.Set("RESOLVE_NO_MAGICLINKS", static_cast<double>(RESOLVE_NO_MAGICLINKS));
  exports.Set("atFlags", flags);
}

}  // namespace podinit
