// exec_search.h — the PATH search's last step, in a child between clone and execve (async-signal-safe:
// execve and errno only). The candidates come from TypeScript's PATH search; this tries them in order as
// execvp(3) does: past ENOENT, ENOTDIR and EACCES, reporting EACCES if any candidate gave it, else the
// first other error. See: execve(2), execvp(3) "ERRORS".
#ifndef POD_INIT_EXEC_SEARCH_H
#define POD_INIT_EXEC_SEARCH_H

#include <errno.h>
#include <unistd.h>

namespace podinit {

// Returns only when no candidate could be executed: *err and *failed say why and which. *err and *failed
// keep what the caller set when no candidate was tried.
static inline void exec_candidates(const char* const* candidates, long count, char* const* argv, char* const* envp,
                                   int* err, const char** failed) {
  bool seen_eacces = false;
  for (long i = 0; i < count; i++) {
    execve(candidates[i], argv, envp);
    if (errno == EACCES) {
      if (!seen_eacces) *failed = candidates[i];
      seen_eacces = true;
      *err = EACCES;
    } else if (errno != ENOENT && errno != ENOTDIR) {
      *err = errno;
      *failed = candidates[i];
      return;
    }
  }
}

}  // namespace podinit

#endif  // POD_INIT_EXEC_SEARCH_H
