/* init.h — pod-pause's init mode: a PID 1 for one command (tini's job). */
#ifndef POD_INIT_INIT_H
#define POD_INIT_INIT_H

/* `pod-pause init [options] -- CMD [ARGS...]`; argv[0] is "init". Returns the exit code. */
int init_main(int argc, char **argv);

#endif
