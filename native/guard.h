/* guard.h — pod-pause's guard mode (guard.c) and the empty root it shares with the pause. */
#ifndef POD_INIT_GUARD_H
#define POD_INIT_GUARD_H

/* `pod-pause guard PID`; argv[0] is "guard". Returns the exit code. */
int guard_main(int argc, char **argv);

/* chroot into an empty, read-only tmpfs mounted nowhere. 0, or -1 with errno (the step in *step). */
int enter_empty_root(const char **step);

#endif
