// pty.cc — a pseudo-terminal from a container's own devpts, for `pod-init exec -t`.
//
// runc makes an exec's console inside the container's /dev/pts, so that `tty` there names a file the
// container can see. Here the parent opens it, through the container process's root (/proc/PID/root),
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): a symlink the container
// put at dev/pts/ptmx cannot lead into the host's tree. The file must be a devpts ptmx (5:2 on a
// devpts), the slave is opened from the master with TIOCGPTPEER (no path lookup at all), and the window
// size is set before anything runs on it (kubernetes#47990: the first size must be right).
// See: pty(7), ioctl_tty(2) TIOCGPTPEER / TIOCSWINSZ, openat2(2).
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "addon.h"
#include "errors.h"
#include "sys.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace podinit {

namespace {

void SetSize(Napi::Env env, int fd, int rows, int cols) {
  struct winsize size = {};
  size.ws_row = static_cast<unsigned short>(rows);
  size.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(fd, TIOCSWINSZ, &size) < 0) ThrowErrno(env, errno, "ioctl", "TIOCSWINSZ");
}

// openPty(root, rows, cols) -> { master, slave, index }: both close-on-exec.
Napi::Value OpenPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>().Utf8Value();
  int rows = info[1].As<Napi::Number>().Int32Value(), cols = info[2].As<Napi::Number>().Int32Value();
  int dir = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) ThrowErrno(env, errno, "open", root);
  struct open_how how = {};
  how.flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int master = static_cast<int>(syscall(SYS_openat2, dir, "dev/pts/ptmx", &how, sizeof how));
  int err = errno;
  close(dir);
  if (master < 0) ThrowErrno(env, err, "openat2", root + "/dev/pts/ptmx");
  struct stat st;
  struct statfs fs;
  if (fstat(master, &st) < 0 || fstatfs(master, &fs) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 ||
      minor(st.st_rdev) != 2 || fs.f_type != DEVPTS_SUPER_MAGIC) {
    close(master);
    ThrowErrno(env, ENODEV, "openat2", root + "/dev/pts/ptmx (not a devpts ptmx)");
  }
  int unlock = 0, index = -1;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &index) < 0) {
    err = errno;
    close(master);
    ThrowErrno(env, err, "ioctl", "TIOCSPTLCK");
  }
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    err = errno;
    close(master);
    ThrowErrno(env, err, "ioctl", "TIOCGPTPEER");
  }
  try {
    if (rows > 0 && cols > 0) SetSize(env, master, rows, cols);
  } catch (...) {
    close(master);
    close(slave);
    throw;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("master", master);
  out.Set("slave", slave);
  out.Set("index", index);
  return out;
}

// setWinsize(fd, rows, cols): TIOCSWINSZ; the kernel sends SIGWINCH to the terminal's foreground group.
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  SetSize(info.Env(), info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
          info[2].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

}  // namespace

void InitPty(Napi::Env env, Napi::Object exports) {
  exports.Set("openPty", Napi::Function::New(env, OpenPty, "openPty"));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize, "setWinsize"));
}

}  // namespace podinit
