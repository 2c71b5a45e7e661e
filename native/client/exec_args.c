/* exec_args.c — `pod-init exec`'s arguments, as src/cli/exec-command.ts parseExecArgs() reads them,
 * for the cases the native client takes: -i -t -q (and --stdin --tty --quiet, combined as -it), -c/-n
 * with a value (-c X, -cX, --container X, --container=X), one pod name (pods/ po/ prefixes dropped),
 * then -- and at least one word. Anything else (--help, an unknown flag, a missing value or name) is
 * -1: the Node CLI prints its usage error and exit code. */
#include <string.h>

#include "client.h"

static int value_flag(const char *arg, const char *short_flag, const char *long_flag) {
  return strcmp(arg, short_flag) == 0 || strcmp(arg, long_flag) == 0;
}

int parse_exec_args(char **args, struct exec_args *out) {
  int dash = -1, positional = 0;
  memset(out, 0, sizeof *out);
  out->namespace_ = "default";
  for (int i = 0; args[i] != NULL; i++)
    if (strcmp(args[i], "--") == 0) {
      dash = i;
      break;
    }
  if (dash < 0 || args[dash + 1] == NULL) return -1;
  for (int i = 0; i < dash; i++) {
    const char *arg = args[i];
    if (strcmp(arg, "--stdin") == 0) {
      out->stdin_ = 1;
    } else if (strcmp(arg, "--tty") == 0) {
      out->tty = 1;
    } else if (strcmp(arg, "--quiet") == 0) {
      out->quiet = 1;
    } else if (value_flag(arg, "-c", "--container") || value_flag(arg, "-n", "--namespace")) {
      if (i + 1 >= dash) return -1;
      if (arg[1] == 'c' || arg[2] == 'c')
        out->container = args[++i];
      else
        out->namespace_ = args[++i];
    } else if (strncmp(arg, "--container=", 12) == 0) {
      out->container = arg + 12;
    } else if (strncmp(arg, "--namespace=", 12) == 0) {
      out->namespace_ = arg + 12;
    } else if (arg[0] == '-' && arg[1] != '\0' && strspn(arg + 1, "itq") == strlen(arg + 1)) {
      if (strchr(arg, 'i') != NULL) out->stdin_ = 1;
      if (strchr(arg, 't') != NULL) out->tty = 1;
      if (strchr(arg, 'q') != NULL) out->quiet = 1;
    } else if (arg[0] == '-' && (arg[1] == 'c' || arg[1] == 'n') && arg[2] != '\0') {
      if (arg[1] == 'c')
        out->container = arg + 2;
      else
        out->namespace_ = arg + 2;
    } else if (arg[0] == '-') {
      return -1; /* --help and every flag Node knows better */
    } else {
      if (positional++ > 0) return -1;
      out->name = arg;
    }
  }
  if (positional != 1) return -1;
  if (strncmp(out->name, "pods/", 5) == 0)
    out->name += 5;
  else if (strncmp(out->name, "pod/", 4) == 0)
    out->name += 4;
  else if (strncmp(out->name, "po/", 3) == 0)
    out->name += 3;
  out->command = args + dash + 1;
  while (out->command[out->command_count] != NULL) out->command_count++;
  return 0;
}
