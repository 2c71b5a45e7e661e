/* read_file.h — a whole (small) file read into memory, for the C programs (the `pod-init` launcher's exec
 * client and pod-pause's owners pass), which have no library to do it. */
#ifndef POD_INIT_READ_FILE_H
#define POD_INIT_READ_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* A whole file, NUL-terminated (malloc'd), or NULL (also past `limit` bytes); `*length` its size when
 * `length` is not NULL. */
static inline char *read_file(int dirfd, const char *path, size_t limit, size_t *length) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t used = 0, cap = 8192;
  char *buf;
  if (fd < 0) return NULL;
  buf = malloc(cap);
  while (buf != NULL) {
    ssize_t n;
    if (used + 1 >= cap) {
      char *grown = cap >= limit ? NULL : realloc(buf, cap * 2);
      if (grown == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
    n = read(fd, buf + used, cap - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(buf);
      buf = NULL;
      break;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  close(fd);
  if (buf != NULL) buf[used] = '\0';
  if (length != NULL) *length = used;
  return buf;
}

#endif /* POD_INIT_READ_FILE_H */
