// layer_unpack.cc — an image layer's tar stream written into its store directory as an overlayfs lower,
// on the libuv thread pool: the tar reader (ustar, GNU long names, PAX) and every file operation run off
// the event loop, so a pull's layers are unpacked in parallel and the pod's supervision never waits on
// the disk. The rules are src/image/unpack.ts's (containerd's OverlayConvertWhiteout): `.wh.NAME` → a
// 0/0 char device, `.wh..wh..opq` → the opaque xattr on its directory, owners (when asked), modes after
// owners (chown clears setuid), xattrs (never `trusted.*` from an archive), mtimes, directory mtimes last.
//
// Nothing is written outside the layer: every member path is cleaned (a `..` that climbs above the
// root refuses the layer), and each directory on the way is opened beneath the fd of its parent with
// O_PATH|O_NOFOLLOW|O_DIRECTORY, starting at the layer root's fd: a symlink the archive made is never
// followed (`link -> /etc`, then `link/passwd` refuses the layer). New entries are made by name under
// the fd of their directory (openat O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat, linkat), changed
// through their own fd or with AT_SYMLINK_NOFOLLOW. The fds of the current directory chain are kept
// between members (tar order is depth-first), so a member costs its own syscalls only.
// See: tar(5), openat(2), mknodat(2), linkat(2), fsetxattr(2), utimensat(2).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

constexpr size_t kBlock = 512;

// What went wrong, raised on the worker thread and turned into a JS error on the main one.
struct Failure {
  std::string kind;  // "layer" (refused), "tar" (unreadable), "sys" (a syscall failed)
  std::string message;
  int err = 0;
  std::string syscall;
  std::string path;
};

[[noreturn]] void Refuse(const std::string& kind, const std::string& message) {
  throw Failure{kind, message, 0, "", ""};
}

[[noreturn]] void SysFail(int err, const char* syscall, const std::string& path) {
  throw Failure{"sys", "", err, syscall, path};
}

// JSON.stringify of a string, as the TS messages quote paths.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string FdPath(int fd, const std::string& name) {
  char buf[40];
  snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
  return name.empty() ? std::string(buf) : std::string(buf) + "/" + name;
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < parts.size(); i++) out += (i ? "/" : "") + parts[i];
  return out;
}

// One archive member, PAX and GNU long names applied.
struct Entry {
  std::string path;
  char type = '0';
  unsigned mode = 0;
  long long uid = 0;
  long long gid = 0;
  unsigned long long size = 0;
  double mtime = 0;
  std::string linkname;
  unsigned devmajor = 0;
  unsigned devminor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

unsigned long long Octal(const uint8_t* field, size_t length) {
  if (field[0] & 0x80) {  // base-256 (GNU): big-endian, the top bit set
    unsigned long long value = field[0] & 0x7f;
    for (size_t i = 1; i < length; i++) value = value * 256 + field[i];
    return value;
  }
  size_t end = 0;
  while (end < length && field[end] != 0) end++;
  size_t start = 0;
  while (start < end && (field[start] == ' ' || field[start] == '\t' || field[start] == '\n')) start++;
  while (end > start && (field[end - 1] == ' ' || field[end - 1] == '\t' || field[end - 1] == '\n')) end--;
  unsigned long long value = 0;
  for (size_t i = start; i < end; i++) {
    if (field[i] < '0' || field[i] > '7')
      Refuse("tar",
             "bad number field " + Quote(std::string(reinterpret_cast<const char*>(field) + start, end - start)));
    value = value * 8 + (field[i] - '0');
  }
  return value;
}

std::string Str(const uint8_t* field, size_t length) {
  size_t n = 0;
  while (n < length && field[n] != 0) n++;
  return std::string(reinterpret_cast<const char*>(field), n);
}

std::map<std::string, std::string> ParsePax(const std::string& data) {
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < data.size()) {
    size_t space = data.find(' ', at);
    if (space == std::string::npos) break;
    long long length = atoll(data.substr(at, space - at).c_str());
    if (length <= 0 || at + static_cast<size_t>(length) > data.size() ||
        space + 1 > at + static_cast<size_t>(length) - 1)
      Refuse("tar", "bad PAX record");
    std::string record = data.substr(space + 1, at + length - 1 - (space + 1));  // without the newline
    size_t eq = record.find('=');
    if (eq != std::string::npos && eq > 0) out[record.substr(0, eq)] = record.substr(eq + 1);
    at += static_cast<size_t>(length);
  }
  return out;
}

// The member path cleaned into components below the layer root; one that climbs above it is refused.
std::vector<std::string> MemberPath(const std::string& name) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at <= name.size()) {
    size_t end = name.find('/', at);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(at, end - at);
    at = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) Refuse("layer", Quote(name) + ": path escapes the layer");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return parts;
}

struct timespec Time(double seconds) {
  struct timespec ts;
  double whole = floor(seconds);
  ts.tv_sec = static_cast<time_t>(whole);
  ts.tv_nsec = static_cast<long>((seconds - whole) * 1e9);
  return ts;
}

class Unpacker {
 public:
  Unpacker(int root, bool chown, bool devices, std::string xattr_ns, bool sync_fs, bool record_owners)
      : root_(root),
        chown_(chown),
        devices_(devices),
        sync_fs_(sync_fs),
        xattr_ns_(std::move(xattr_ns)),
        record_(record_owners) {}
  ~Unpacker() { Close(); }

  std::vector<std::string> warnings;
  // Without chown, with record_owners: the owners the archive gives (not 0:0), as `UID GID MODE PATH\0`
  // records in member order, for a pass inside a user namespace that maps them (native/owners.c).
  std::string owners;

  void Write(const uint8_t* data, size_t length) {
    size_t at = 0;
    while (at < length && !ended_) {
      if (data_left_ > 0) {
        size_t n = static_cast<size_t>(std::min<unsigned long long>(data_left_, length - at));
        if (meta_type_ != 0)
          meta_.append(reinterpret_cast<const char*>(data + at), n);
        else
          Data(data + at, n);
        data_left_ -= n;
        at += n;
        if (data_left_ == 0) EndData();
        continue;
      }
      if (pad_left_ > 0) {
        size_t n = std::min(pad_left_, length - at);
        pad_left_ -= n;
        at += n;
        continue;
      }
      size_t n = std::min(kBlock - header_len_, length - at);
      memcpy(header_ + header_len_, data + at, n);
      header_len_ += n;
      at += n;
      if (header_len_ == kBlock) {
        header_len_ = 0;
        Header();
      }
    }
  }

  // The stream ended: fine at an entry boundary; then directory mtimes, and every fd closed.
  void Finish() {
    if (data_left_ > 0 || in_entry_) Refuse("tar", "unexpected end of the archive inside an entry");
    if (header_len_ > 0 && !ended_) Refuse("tar", "unexpected end of the archive in a header");
    Truncate(0);
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      int fd = Walk(it->first, it->first.size(), false, true);
      if (fd < 0) continue;  // replaced by a later member
      struct timespec times[2] = {Time(it->second), Time(it->second)};
      int rc = utimensat(AT_FDCWD, FdPath(fd, "").c_str(), times, 0);
      int err = errno;
      if (fd != root_) close(fd);
      if (rc < 0) SysFail(err, "utimensat", Join(it->first, it->first.size()));
    }
    dir_times_.clear();
    // Asked for (containerd's image_pull_with_sync_fs): one syncfs(2) of the filesystem, so the layer's
    // data is on disk before its directory is renamed to its final name. O_PATH fds cannot be synced.
    if (sync_fs_) {
      int fd = openat(root_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) SysFail(errno, "openat", ".");
      int rc = syncfs(fd);
      int err = errno;
      close(fd);
      if (rc < 0) SysFail(err, "syncfs", ".");
    }
  }

  void Close() {
    if (file_ >= 0) close(file_);
    file_ = -1;
    Truncate(0);
  }

 private:
  void EndData() {
    pad_left_ = static_cast<size_t>((kBlock - (size_ % kBlock)) % kBlock);
    if (meta_type_ != 0) {
      if (meta_type_ == 'L')
        long_name_ = Str(reinterpret_cast<const uint8_t*>(meta_.data()), meta_.size());
      else if (meta_type_ == 'K')
        long_link_ = Str(reinterpret_cast<const uint8_t*>(meta_.data()), meta_.size());
      else if (meta_type_ == 'x')
        pax_ = ParsePax(meta_);
      if (meta_type_ == 'L') has_long_name_ = true;
      if (meta_type_ == 'K') has_long_link_ = true;
      meta_type_ = 0;
      meta_.clear();
    } else {
      in_entry_ = false;
      End();
    }
  }

  void Header() {
    const uint8_t* h = header_;
    bool zero = true;
    for (size_t i = 0; i < kBlock && zero; i++) zero = h[i] == 0;
    if (zero) {
      ended_ = true;  // the first end block: nothing after it is read
      return;
    }
    unsigned long long sum = 0;
    for (size_t i = 0; i < kBlock; i++) sum += (i >= 148 && i < 156) ? 0x20 : h[i];
    if (sum != Octal(h + 148, 8)) Refuse("tar", "bad header checksum");
    char type = h[156] == 0 ? '0' : static_cast<char>(h[156]);
    unsigned long long size = Octal(h + 124, 12);
    size_ = size;
    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
      if (size > (1u << 20)) Refuse("tar", "metadata entry larger than 1 MiB");
      meta_type_ = type;
      meta_.clear();
      data_left_ = size;
      if (size == 0) EndData();
      return;
    }
    bool ustar = memcmp(h + 257, "ustar", 5) == 0;
    std::string name = Str(h, 100);
    if (ustar) {
      std::string prefix = Str(h + 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    std::string linkname = Str(h + 157, 100);
    if (has_long_name_) name = long_name_;
    if (has_long_link_) linkname = long_link_;
    auto pax = std::move(pax_);
    pax_.clear();
    has_long_name_ = has_long_link_ = false;
    if (pax.count("path")) name = pax["path"];
    if (pax.count("linkpath")) linkname = pax["linkpath"];
    auto num = [&pax](const char* key, double fallback) {
      auto it = pax.find(key);
      return it == pax.end() ? fallback : strtod(it->second.c_str(), nullptr);
    };
    Entry e;
    e.path = name;
    e.type = type;
    e.mode = static_cast<unsigned>(Octal(h + 100, 8) & 07777);
    e.uid = static_cast<long long>(num("uid", static_cast<double>(Octal(h + 108, 8))));
    e.gid = static_cast<long long>(num("gid", static_cast<double>(Octal(h + 116, 8))));
    double entry_size = num("size", static_cast<double>(size));
    e.size = (type == '0' || type == '7') ? static_cast<unsigned long long>(entry_size) : 0;
    e.mtime = num("mtime", static_cast<double>(Octal(h + 136, 12)));
    e.linkname = linkname;
    e.devmajor = static_cast<unsigned>(Octal(h + 329, 8));
    e.devminor = static_cast<unsigned>(Octal(h + 337, 8));
    for (auto& [key, value] : pax)
      if (key.rfind("SCHILY.xattr.", 0) == 0) e.xattrs.emplace_back(key.substr(13), value);
    in_entry_ = true;
    Begin(e);
    size_ = e.size;
    data_left_ = e.size;
    if (e.size == 0) EndData();
  }

  // --- the directory chain: fds of the directories of the last member's parent, root first ---

  void Truncate(size_t depth) {
    while (chain_.size() > depth) {
      close(chain_.back().second);
      chain_.pop_back();
    }
  }

  // One directory `name` beneath `dir`, never through a symlink; made (0755) when missing and `make`,
  // a non-directory there replaced when `make`. Returns -1 (for `quiet`) or refuses otherwise.
  int OpenDir(int dir, const std::string& name, const std::vector<std::string>& parts, size_t n, bool make,
              bool quiet) {
    for (int attempt = 0; attempt < 3; attempt++) {
      int fd = openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) return fd;
      int err = errno;
      if (err != ENOENT && err != ENOTDIR && err != ELOOP) SysFail(err, "openat", Join(parts, n));
      struct stat st;
      bool exists = fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (exists && S_ISLNK(st.st_mode)) {
        if (quiet) return -1;
        Refuse("layer",
               Quote(Join(parts, n)) + ": a parent is a symlink in the layer (refused: it could lead outside)");
      }
      if (!make) {
        if (quiet) return -1;
        Refuse("layer", Quote(Join(parts, n)) + ": not a directory in this layer");
      }
      if (exists && unlinkat(dir, name.c_str(), 0) < 0 && errno != ENOENT) SysFail(errno, "unlinkat", Join(parts, n));
      if (mkdirat(dir, name.c_str(), 0755) < 0 && errno != EEXIST) SysFail(errno, "mkdirat", Join(parts, n));
    }
    SysFail(ELOOP, "openat", Join(parts, n));
  }

  // The fd of the directory made of the first `n` components of `parts` (the chain follows it).
  int Parent(const std::vector<std::string>& parts, size_t n) {
    size_t common = 0;
    while (common < chain_.size() && common < n && chain_[common].first == parts[common]) common++;
    Truncate(common);
    for (size_t i = common; i < n; i++) {
      int at = chain_.empty() ? root_ : chain_.back().second;
      chain_.emplace_back(parts[i], OpenDir(at, parts[i], parts, i + 1, true, false));
    }
    return chain_.empty() ? root_ : chain_.back().second;
  }

  // A separate walk (not the chain): the directory of the first `n` components, root_ itself for none;
  // the caller closes what is not root_. -1 when missing or not a directory and `quiet`.
  int Walk(const std::vector<std::string>& parts, size_t n, bool make, bool quiet) {
    int at = root_;
    for (size_t i = 0; i < n; i++) {
      int fd = OpenDir(at, parts[i], parts, i + 1, make, quiet);
      if (at != root_) close(at);
      if (fd < 0) return -1;
      at = fd;
    }
    return at;
  }

  // --- members ---

  // Removes `name` under `dir` (a directory with everything in it); missing is fine.
  void Remove(int dir, const std::string& name, const std::string& shown) {
    if (unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR) SysFail(errno, "unlinkat", shown);
    int fd = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) SysFail(errno, "openat", shown);
    DIR* d = fdopendir(fd);
    if (d == nullptr) {
      int err = errno;
      close(fd);
      SysFail(err, "fdopendir", shown);
    }
    std::vector<std::string> names;
    while (struct dirent* de = readdir(d))
      if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) names.push_back(de->d_name);
    for (const std::string& child : names) Remove(dirfd(d), child, shown + "/" + child);
    closedir(d);
    if (unlinkat(dir, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) SysFail(errno, "unlinkat", shown);
  }

  // Runs `make` (a call that fails with EEXIST when something is at the name); on EEXIST removes it, once.
  template <typename F>
  void Replace(int dir, const std::string& name, const std::string& shown, const char* syscall, F make) {
    if (make() == 0) return;
    if (errno != EEXIST) SysFail(errno, syscall, shown);
    Remove(dir, name, shown);
    if (make() < 0) SysFail(errno, syscall, shown);
  }

  void Xattrs(const std::string& at, int fd, const Entry& e, bool at_is_fd_link = false) {
    for (const auto& [name, value] : e.xattrs) {
      if (name.rfind("trusted.", 0) == 0) continue;  // as containerd: never from an archive
      // `at` is /proc/self/fd/N[/name]: the magic link N itself is followed (setxattr), a name under it not.
      int rc = fd >= 0         ? fsetxattr(fd, name.c_str(), value.data(), value.size(), 0)
               : at_is_fd_link ? setxattr(at.c_str(), name.c_str(), value.data(), value.size(), 0)
                               : lsetxattr(at.c_str(), name.c_str(), value.data(), value.size(), 0);
      if (rc == 0) continue;
      int err = errno;
      if (err != ENOTSUP && err != EPERM && err != EOPNOTSUPP) SysFail(err, "lsetxattr", e.path + " " + name);
      warnings.push_back(e.path + ": xattr " + name + " not kept (" + ErrnoName(err) + ")");
    }
  }

  void Record(const std::string& path, const Entry& e) {
    if (!record_ || chown_ || (e.uid == 0 && e.gid == 0)) return;
    if (e.uid < 0 || e.gid < 0 || e.uid > 65535 || e.gid > 65535) {
      warnings.push_back(e.path + ": owner " + std::to_string(e.uid) + ":" + std::to_string(e.gid) +
                         " is outside the 65536 ids of a rootless user namespace: left as root's");
      return;
    }
    char head[64];
    snprintf(head, sizeof head, "%llu %llu %o ", static_cast<unsigned long long>(e.uid),
             static_cast<unsigned long long>(e.gid), static_cast<unsigned>(e.mode & 07777));
    owners += head;
    owners += path.empty() ? "." : path;
    owners.push_back('\0');
  }

  // Owner, mode, xattrs and (for a non-directory) times of `name` under `dir` ("" is `dir` itself).
  void Meta(int dir, const std::string& name, const Entry& e, const std::vector<std::string>& parts, bool is_dir) {
    const std::string proc = FdPath(dir, name);
    Record(Join(parts, parts.size()), e);
    if (chown_ && fchownat(dir, name.c_str(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid),
                           AT_SYMLINK_NOFOLLOW | (name.empty() ? AT_EMPTY_PATH : 0)) < 0)
      SysFail(errno, "fchownat", e.path);
    if (chmod(proc.c_str(), e.mode) < 0) SysFail(errno, "chmod", e.path);
    Xattrs(proc, -1, e, name.empty());
    if (is_dir) {
      dir_times_.emplace_back(parts, e.mtime);
      return;
    }
    struct timespec times[2] = {Time(e.mtime), Time(e.mtime)};
    if (utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) SysFail(errno, "utimensat", e.path);
  }

  void Begin(const Entry& e) {
    std::vector<std::string> parts = MemberPath(e.path);
    current_ = e;
    if (parts.empty()) {
      if (e.type == '5') Meta(root_, "", e, parts, true);
      return;
    }
    const std::string base = parts.back();
    const int parent = Parent(parts, parts.size() - 1);
    const std::string shown = e.path;
    if (base == ".wh..wh..opq") {
      const std::string attr = xattr_ns_ + ".overlay.opaque";
      if (setxattr(FdPath(parent, "").c_str(), attr.c_str(), "y", 1, 0) < 0)
        SysFail(errno, "lsetxattr", Join(parts, parts.size() - 1) + " " + attr);
      // A rootful layer is also a lower of overlays mounted in a pod's user namespace (hostUsers:
      // false), which read `user.overlay.*` only (userxattr): it gets that marker too, where it can.
      if (xattr_ns_ == "trusted" && setxattr(FdPath(parent, "").c_str(), "user.overlay.opaque", "y", 1, 0) < 0)
        warnings.push_back(e.path + ": user.overlay.opaque not set (" + ErrnoName(errno) +
                           "): the directory is not opaque in a hostUsers: false pod");
      return;
    }
    if (base.rfind(".wh.", 0) == 0) {
      const std::string hidden = base.substr(4);
      if (hidden.empty() || hidden == "." || hidden == "..") Refuse("layer", Quote(e.path) + ": invalid whiteout");
      Replace(parent, hidden, shown, "mknodat", [&] { return mknodat(parent, hidden.c_str(), S_IFCHR, 0); });
      if (chown_ && fchownat(parent, hidden.c_str(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid),
                             AT_SYMLINK_NOFOLLOW) < 0)
        SysFail(errno, "fchownat", shown);
      Record(parts.size() > 1 ? Join(parts, parts.size() - 1) + "/" + hidden : hidden, e);
      return;
    }
    switch (e.type) {
      case '0':
      case '7':
        Replace(parent, base, shown, "openat", [&] {
          file_ = openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          return file_ < 0 ? -1 : 0;
        });
        return;
      case '5': {
        if (mkdirat(parent, base.c_str(), 0700) < 0) {
          if (errno != EEXIST) SysFail(errno, "mkdirat", shown);
          struct stat st;
          if (fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) SysFail(errno, "fstatat", shown);
          if (!S_ISDIR(st.st_mode)) {
            Remove(parent, base, shown);
            if (mkdirat(parent, base.c_str(), 0700) < 0) SysFail(errno, "mkdirat", shown);
          }
        }
        Meta(parent, base, e, parts, true);
        return;
      }
      case '2': {
        Replace(parent, base, shown, "symlinkat", [&] { return symlinkat(e.linkname.c_str(), parent, base.c_str()); });
        if (chown_ && fchownat(parent, base.c_str(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid),
                               AT_SYMLINK_NOFOLLOW) < 0)
          SysFail(errno, "fchownat", shown);
        Record(Join(parts, parts.size()), e);
        Xattrs(FdPath(parent, base), -1, e);
        struct timespec times[2] = {Time(e.mtime), Time(e.mtime)};
        if (utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) SysFail(errno, "utimensat", shown);
        return;
      }
      case '1': {
        std::vector<std::string> link = MemberPath(e.linkname);
        std::string link_base = link.empty() ? "." : link.back();
        int source = Walk(link, link.empty() ? 0 : link.size() - 1, false, false);
        struct stat st;
        bool there = !link.empty() && fstatat(source, link_base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!there) {
          if (source != root_) close(source);
          Refuse("layer", Quote(e.path) + ": hardlink to " + Quote(e.linkname) +
                              ", which is not in this layer (a link into a lower layer is not supported yet)");
        }
        try {
          Replace(parent, base, shown, "linkat",
                  [&] { return linkat(source, link_base.c_str(), parent, base.c_str(), 0); });
        } catch (...) {
          if (source != root_) close(source);
          throw;
        }
        if (source != root_) close(source);
        return;
      }
      case '3':
      case '4': {
        if (!devices_) {
          warnings.push_back(e.path + ": device node skipped (no mknod here)");
          return;
        }
        mode_t mode = (e.type == '3' ? S_IFCHR : S_IFBLK) | (e.mode & 0777);
        dev_t dev = makedev(e.devmajor, e.devminor);
        Replace(parent, base, shown, "mknodat", [&] { return mknodat(parent, base.c_str(), mode, dev); });
        Meta(parent, base, e, parts, false);
        return;
      }
      case '6':
        Replace(parent, base, shown, "mknodat", [&] { return mknodat(parent, base.c_str(), S_IFIFO | 0600, 0); });
        Meta(parent, base, e, parts, false);
        return;
      default:
        warnings.push_back(e.path + ": tar member type " + Quote(std::string(1, e.type)) + " skipped");
    }
  }

  void Data(const uint8_t* data, size_t length) {
    while (file_ >= 0 && length > 0) {
      ssize_t n = write(file_, data, length);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) SysFail(errno, "write", current_.path);
      data += n;
      length -= static_cast<size_t>(n);
    }
  }

  void End() {
    if (file_ < 0) return;
    const int fd = file_;
    file_ = -1;
    const Entry& e = current_;
    std::vector<std::string> parts = MemberPath(e.path);
    Record(Join(parts, parts.size()), e);
    struct timespec times[2] = {Time(e.mtime), Time(e.mtime)};
    int err = 0;
    const char* call = nullptr;
    if (chown_ && fchown(fd, static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid)) < 0) {
      err = errno;
      call = "fchown";
    } else if (fchmod(fd, e.mode) < 0) {  // after chown, which clears setuid
      err = errno;
      call = "fchmod";
    }
    if (call == nullptr) {
      try {
        Xattrs("", fd, e);
      } catch (...) {
        close(fd);
        throw;
      }
      if (futimens(fd, times) < 0) {
        err = errno;
        call = "futimens";
      }
    }
    close(fd);
    if (call != nullptr) SysFail(err, call, e.path);
  }

  const int root_;
  const bool chown_;
  const bool devices_;
  const bool sync_fs_;
  const std::string xattr_ns_;
  const bool record_;

  uint8_t header_[kBlock];
  size_t header_len_ = 0;
  unsigned long long data_left_ = 0;
  size_t pad_left_ = 0;
  unsigned long long size_ = 0;
  char meta_type_ = 0;
  std::string meta_;
  std::string long_name_;
  std::string long_link_;
  bool has_long_name_ = false;
  bool has_long_link_ = false;
  std::map<std::string, std::string> pax_;
  bool ended_ = false;
  bool in_entry_ = false;

  Entry current_;
  int file_ = -1;
  std::vector<std::pair<std::string, int>> chain_;
  std::vector<std::pair<std::vector<std::string>, double>> dir_times_;
};

class LayerUnpacker : public Napi::ObjectWrap<LayerUnpacker> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "LayerUnpacker",
        {InstanceMethod("write", &LayerUnpacker::WriteChunk), InstanceMethod("finish", &LayerUnpacker::FinishStream),
         InstanceMethod("close", &LayerUnpacker::CloseNow), InstanceMethod("owners", &LayerUnpacker::Owners)});
  }

  // new LayerUnpacker(root, chown, devices, xattrNamespace, syncFs, recordOwners)
  explicit LayerUnpacker(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LayerUnpacker>(info) {
    std::string root = info[0].As<Napi::String>().Utf8Value();
    root_ = open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root_ < 0) ThrowErrno(info.Env(), errno, "open", root);
    unpacker_ =
        new Unpacker(root_, info[1].ToBoolean().Value(), info[2].ToBoolean().Value(),
                     info[3].As<Napi::String>().Utf8Value(), info[4].ToBoolean().Value(), info[5].ToBoolean().Value());
  }

  ~LayerUnpacker() override { Release(); }

  void Release() {
    delete unpacker_;
    unpacker_ = nullptr;
    if (root_ >= 0) close(root_);
    root_ = -1;
  }

  Unpacker* unpacker() { return unpacker_; }
  bool busy = false;

 private:
  Napi::Value WriteChunk(const Napi::CallbackInfo& info);
  Napi::Value FinishStream(const Napi::CallbackInfo& info);
  // owners(): the recorded owners (a Buffer of `UID GID MODE PATH\0` records), taken (after finish).
  Napi::Value Owners(const Napi::CallbackInfo& info) {
    if (busy || unpacker_ == nullptr) return Napi::Buffer<char>::Copy(info.Env(), "", 0);
    std::string out;
    out.swap(unpacker_->owners);
    return Napi::Buffer<char>::Copy(info.Env(), out.data(), out.size());
  }
  Napi::Value CloseNow(const Napi::CallbackInfo& info) {
    if (busy) {
      Napi::Error::New(info.Env(), "LayerUnpacker: close while a step runs").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    Release();
    return info.Env().Undefined();
  }

  int root_ = -1;
  Unpacker* unpacker_ = nullptr;
};

class UnpackWork : public Napi::AsyncWorker {
 public:
  UnpackWork(Napi::Function callback, LayerUnpacker* owner, Napi::Object self, Napi::Value input, bool finish)
      : Napi::AsyncWorker(callback, "pod-init:unpack"), owner_(owner), finish_(finish) {
    self_ = Napi::Persistent(self);
    if (input.IsBuffer()) {
      auto buffer = input.As<Napi::Buffer<uint8_t>>();
      data_ = buffer.Data();
      length_ = buffer.Length();
      input_ = Napi::Persistent(input.As<Napi::Object>());  // kept alive, read in place on the worker
    }
  }

  void Execute() override {
    Unpacker* u = owner_->unpacker();
    try {
      if (length_ > 0) u->Write(data_, length_);
      if (finish_) u->Finish();
    } catch (const Failure& f) {
      failure_ = f;
      failed_ = true;
    }
    warnings_.swap(u->warnings);
  }

  void OnOK() override {
    Napi::Env env = Env();
    owner_->busy = false;
    Napi::Array warnings = Napi::Array::New(env, warnings_.size());
    for (size_t i = 0; i < warnings_.size(); i++) warnings.Set(i, warnings_[i]);
    if (!failed_) {
      Callback().Call({env.Null(), warnings});
      return;
    }
    SyscallFailure sys;
    sys.err = failure_.err;
    sys.syscall = failure_.syscall;
    sys.path = failure_.path;
    Napi::Error error = failure_.kind == "sys" ? MakeSyscallError(env, sys) : Napi::Error::New(env, failure_.message);
    error.Set("kind", failure_.kind);
    Callback().Call({error.Value(), warnings});
  }

 private:
  LayerUnpacker* owner_;
  Napi::ObjectReference self_;
  Napi::ObjectReference input_;
  const uint8_t* data_ = nullptr;
  size_t length_ = 0;
  bool finish_;
  bool failed_ = false;
  Failure failure_;
  std::vector<std::string> warnings_;
};

Napi::Value Start(const Napi::CallbackInfo& info, LayerUnpacker* self, Napi::Value input, Napi::Value callback,
                  bool finish) {
  Napi::Env env = info.Env();
  if (self->unpacker() == nullptr || self->busy) {
    Napi::Error::New(env, "LayerUnpacker: closed, or one step at a time").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  self->busy = true;
  auto* work = new UnpackWork(callback.As<Napi::Function>(), self, info.This().As<Napi::Object>(), input, finish);
  work->Queue();
  return env.Undefined();
}

// write(chunk: Buffer, callback(error, warnings: string[])): the chunk must not change until the callback.
Napi::Value LayerUnpacker::WriteChunk(const Napi::CallbackInfo& info) {
  return Start(info, this, info[0], info[1], false);
}

// finish(callback(error, warnings)): the archive ended; directory mtimes are set (then syncfs when asked).
Napi::Value LayerUnpacker::FinishStream(const Napi::CallbackInfo& info) {
  return Start(info, this, info.Env().Undefined(), info[0], true);
}

}  // namespace

void InitLayerUnpack(Napi::Env env, Napi::Object exports) {
  exports.Set("LayerUnpacker", LayerUnpacker::Define(env));
}

}  // namespace podinit
