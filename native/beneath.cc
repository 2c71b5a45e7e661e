// beneath.cc — directories made inside a directory pod-init does not own (a volume, an image), by fd.
//
// A path inside a volume can change while pod-init works on it: a container of the pod (or anyone who
// can write the volume) may swap a directory for a symlink to the host's /etc between a check and a
// mkdir/chmod by path, and pod-init (root) then changes the host's files (CVE-2017-1002101,
// CVE-2021-30465). Here every component is opened beneath the fd of its parent, with openat2
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS (a symlink anywhere is ELOOP), made with
// mkdirat under that fd when missing, and fchmod'ed / fchown'ed through its own fd: the chmod lands
// on the directory that was made, never on what a path names a moment later. The kubelet's
// doSafeMakeDir (subpath_linux.go) follows the same idea with per-component O_NOFOLLOW.
// The ownership walks (fsGroup's SetVolumeOwnership, the files given to a hostUsers: false pod's
// root) are done the same way: each entry is opened O_PATH|O_NOFOLLOW
// beneath the fd of its directory, a directory is read through a reopen of that very fd, and the
// group and mode are changed through it (fchownat AT_EMPTY_PATH, chmod of /proc/self/fd/N), so a
// directory swapped for a symlink mid-walk changes the link at most, never what it points to.
// See: openat2(2), mkdirat(2), fchmod(2), fchown(2), fchownat(2), proc(5) /proc/self/fd.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
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

// Closes an fd when it goes out of scope (every error path throws).
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(-1); }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// One component `name` (no slash) beneath `dir`, never through a symlink: openat2 where the kernel
// has it (RESOLVE_NO_SYMLINKS: a link is ELOOP; O_NOFOLLOW would make it ENOTDIR, a vaguer answer),
// else openat with O_NOFOLLOW (enough for one component: O_DIRECTORY then makes a link ENOTDIR, and
// without O_DIRECTORY O_PATH|O_NOFOLLOW opens the link itself, never its target).
int OpenComponent(int dir, const char* name, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, dir, name, &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);  // a rename elsewhere raced the lookup; retry
  if (fd >= 0 || errno != ENOSYS) return fd;
  return openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);
}

std::vector<std::string> Components(const Napi::Env& env, const std::string& relative) {
  std::vector<std::string> parts;
  if (!relative.empty() && relative[0] == '/') ThrowErrno(env, EINVAL, "openat2", relative);
  size_t at = 0;
  while (at <= relative.size()) {
    size_t end = relative.find('/', at);
    if (end == std::string::npos) end = relative.size();
    std::string part = relative.substr(at, end - at);
    if (part == "..") ThrowErrno(env, EXDEV, "openat2", relative);  // what RESOLVE_BENEATH says
    if (!part.empty() && part != ".") parts.push_back(part);
    at = end + 1;
  }
  return parts;
}

// makeDirsBeneath(root, relative, mode, uid?, gid?) -> number of directories made.
// Each missing component of `relative` is made under `root` with mkdirat(parent fd, name, mode),
// then opened beneath its parent (no symlinks) and fchmod'ed to `mode` (mkdirat obeys the umask) and
// fchown'ed to uid/gid when given. Existing components are only opened, never changed; the last one
// may be a file.
Napi::Value MakeDirsBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>().Utf8Value();
  std::string relative = info[1].As<Napi::String>().Utf8Value();
  mode_t mode = static_cast<mode_t>(info[2].As<Napi::Number>().Uint32Value() & 07777);
  bool chown_it = info.Length() > 3 && info[3].IsNumber();
  uid_t uid = chown_it ? static_cast<uid_t>(info[3].As<Napi::Number>().Int64Value()) : static_cast<uid_t>(-1);
  gid_t gid = info.Length() > 4 && info[4].IsNumber() ? static_cast<gid_t>(info[4].As<Napi::Number>().Int64Value())
                                                      : static_cast<gid_t>(-1);
  chown_it = chown_it || gid != static_cast<gid_t>(-1);
  std::vector<std::string> parts = Components(env, relative);

  // The root itself is named by the caller (a volume's resolved path, maybe through /proc/<pid>/root).
  Fd parent(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (parent.get() < 0) ThrowErrno(env, errno, "open", root);
  std::string at = root;
  int made = 0;
  for (size_t i = 0; i < parts.size(); i++) {
    const std::string& part = parts[i];
    at += "/" + part;
    // The last one may exist as a file (a subPath naming a configMap key): it is then left as it is.
    const int kind = i + 1 < parts.size() ? O_DIRECTORY : 0;
    int fd = OpenComponent(parent.get(), part.c_str(), O_PATH | kind);
    if (fd < 0 && errno != ENOENT) ThrowErrno(env, errno, "openat2", at);
    if (fd < 0) {
      bool ours = mkdirat(parent.get(), part.c_str(), mode) == 0;
      if (!ours && errno != EEXIST) ThrowErrno(env, errno, "mkdirat", at);
      // O_RDONLY, not O_PATH: fchmod and fchown need a real fd.
      fd = OpenComponent(parent.get(), part.c_str(), O_RDONLY | O_DIRECTORY);
      if (fd < 0) ThrowErrno(env, errno, "openat2", at);
      parent.Reset(fd);
      if (!ours) continue;  // made meanwhile by someone else: theirs, left as it is
      made++;
      // chown first: it may clear set-id bits that the chmod then sets.
      if (chown_it && fchown(fd, uid, gid) < 0) ThrowErrno(env, errno, "fchown", at);
      if (fchmod(fd, mode) < 0) ThrowErrno(env, errno, "fchmod", at);
      continue;
    }
    parent.Reset(fd);
  }
  return Napi::Number::New(env, made);
}

// What a walk gives every entry: an owner and a group (-1: kept), and mode bits or'ed in, one mask
// for directories and one for the rest (0: no chmod at all).
struct Ownership {
  uid_t uid;
  gid_t gid;
  mode_t file_mask;
  mode_t dir_mask;
};

// "/proc/self/fd/N": the entry an O_PATH fd holds, as a path the kernel resolves to that inode only.
std::string FdPath(int fd) {
  char buf[40];
  snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
  return buf;
}

// The owner, then the mode (the chown may clear set-id bits the old mode then restores, as the
// kubelet's Lchown + Chmod do), of the entry held by `fd` (O_PATH|O_NOFOLLOW), whose lstat is `st`.
// A symlink gets the owner only.
void Change(const Napi::Env& env, int fd, const struct stat& st, const Ownership& own, const std::string& at) {
  if (fchownat(fd, "", own.uid, own.gid, AT_EMPTY_PATH) < 0) ThrowErrno(env, errno, "fchownat", at);
  if (S_ISLNK(st.st_mode)) return;
  mode_t mask = S_ISDIR(st.st_mode) ? own.dir_mask : own.file_mask;
  if (mask == 0) return;
  if (chmod(FdPath(fd).c_str(), (st.st_mode & 07777) | mask) < 0) ThrowErrno(env, errno, "chmod", at);
}

// The names in the directory `dir` (an O_PATH fd), read through a reopen of that fd.
std::vector<std::string> ReadNames(const Napi::Env& env, int dir, const std::string& at) {
  int fd = open(FdPath(dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "open", at);
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    close(fd);
    ThrowErrno(env, err, "fdopendir", at);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
    errno = 0;
  }
  int err = errno;
  closedir(d);
  if (err != 0) ThrowErrno(env, err, "readdir", at);
  return names;
}

// Post-order, as the kubelet's walk: the entries of the directory `dir` (O_PATH), then `dir` itself.
void Walk(const Napi::Env& env, int dir, const struct stat& st, const Ownership& own, const std::string& at) {
  for (const std::string& name : ReadNames(env, dir, at)) {
    const std::string path = at + "/" + name;
    Fd entry(OpenComponent(dir, name.c_str(), O_PATH | O_NOFOLLOW));
    if (entry.get() < 0 && errno == ENOENT) continue;  // removed meanwhile
    if (entry.get() < 0) ThrowErrno(env, errno, "openat2", path);
    struct stat est;
    if (fstat(entry.get(), &est) < 0) ThrowErrno(env, errno, "fstat", path);
    if (S_ISDIR(est.st_mode)) {
      Walk(env, entry.get(), est, own, path);
    } else {
      Change(env, entry.get(), est, own, path);
    }
  }
  Change(env, dir, st, own, at);
}

// ownTreeBeneath(root, uid, gid, fileMask, dirMask): the tree at `root` (named by the caller, maybe
// through /proc/<pid>/root; its last component and everything past it never followed) given to uid/gid (-1 keeps one)
// with fchownat, and each entry's mode or'ed with fileMask or dirMask (0: left alone); symlinks are changed themselves
// and never followed.
Napi::Value OwnTreeBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>().Utf8Value();
  Ownership own{static_cast<uid_t>(info[1].As<Napi::Number>().Int64Value()),
                static_cast<gid_t>(info[2].As<Napi::Number>().Int64Value()),
                static_cast<mode_t>(info[3].As<Napi::Number>().Uint32Value() & 07777),
                static_cast<mode_t>(info[4].As<Napi::Number>().Uint32Value() & 07777)};
  // The root itself as lstat sees it: a symlink there is changed, not followed.
  Fd top(open(root.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (top.get() < 0) ThrowErrno(env, errno, "open", root);
  struct stat st;
  if (fstat(top.get(), &st) < 0) ThrowErrno(env, errno, "fstat", root);
  if (S_ISDIR(st.st_mode)) {
    Walk(env, top.get(), st, own, root);
  } else {
    Change(env, top.get(), st, own, root);
  }
  return env.Undefined();
}

}  // namespace

void InitBeneath(Napi::Env env, Napi::Object exports) {
  exports.Set("makeDirsBeneath", Napi::Function::New(env, MakeDirsBeneath, "makeDirsBeneath"));
  exports.Set("ownTreeBeneath", Napi::Function::New(env, OwnTreeBeneath, "ownTreeBeneath"));
}

}  // namespace podinit
