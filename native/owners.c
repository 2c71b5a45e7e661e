/* owners.c — `pod-pause owners ROOT LIST`, run by a rootless pod-init inside a user namespace that maps
 * its subordinate ids (src/image/layer-owners.ts): sets the owners an image layer gives its files, which
 * the unpacker (running as the caller, outside) could not. LIST holds records `UID GID MODE PATH\0`,
 * PATH relative to ROOT, applied in order. Each path is opened beneath ROOT with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, O_PATH|O_NOFOLLOW):
 * a path that went through a symlink or no longer exists (a later member replaced it) is skipped, so
 * nothing outside the layer changes. The owner is set on the O_PATH fd (a symlink itself), then a
 * setuid/setgid MODE is set again (chown clears them). Exit 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include "owners.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "read_file.h"

static int fail(const char *what, const char *path, int err) {
  dprintf(2, "pod-pause owners: %s %s: %s\n", what, path, strerror(err));
  return 1;
}

int owners_main(int argc, char **argv) {
  if (argc != 3) {
    dprintf(2, "usage: pod-pause owners ROOT LIST\n");
    return 2;
  }
  int root = open(argv[1], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) return fail("open", argv[1], errno);
  size_t size = 0;
  char *list = read_file(AT_FDCWD, argv[2], (size_t)1 << 30, &size);
  if (list == NULL) return fail("read", argv[2], errno);
  struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
  for (char *at = list; at < list + size;) {
    char *end = memchr(at, '\0', (size_t)(list + size - at));
    if (end == NULL) return fail("parse", argv[2], EINVAL);
    unsigned long uid, gid, mode;
    int used = 0;
    if (sscanf(at, "%lu %lu %lo%n", &uid, &gid, &mode, &used) != 3 || at[used] != ' ' || at[used + 1] == '\0')
      return fail("parse", argv[2], EINVAL);
    const char *path = at + used + 1;
    at = end + 1;
    int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
    if (fd < 0) {
      if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == EXDEV) continue;
      return fail("openat2", path, errno);
    }
    if (fchownat(fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
      int err = errno;
      close(fd);
      return fail("fchownat", path, err);
    }
    struct stat st;
    if ((mode & 06000) != 0 && fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)) {
      char proc[64];
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
      if (chmod(proc, (mode_t)(mode & 07777)) < 0) {
        int err = errno;
        close(fd);
        return fail("chmod", path, err);
      }
    }
    close(fd);
  }
  free(list);
  close(root);
  return 0;
}
