#!/usr/bin/env python3
"""Runs a command on a terminal of its own, as a user at a terminal would (for `pod-init exec -t` tests).

    pty-client.py PLAN COMMAND [ARGS...]

PLAN is JSON: {"rows": R, "cols": C, "steps": [...]}. The pty gets R x C before the command starts.
Each step waits until its "after" text has appeared in the output (after the previous step's), then
either writes "send" (text) to the terminal, as typed keys, or resizes it to "resize": [R, C] (the
kernel sends SIGWINCH to the command). Everything the command printed on the terminal goes to stdout;
this program exits with the command's exit code (128 + N when signal N ended it), and says on stderr
whether the terminal's settings at the end are those it started with.
"""
import fcntl
import json
import os
import select
import struct
import sys
import termios


def main():
    plan = json.loads(sys.argv[1])
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", plan["rows"], plan["cols"], 0, 0))
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.execvp(sys.argv[2], sys.argv[2:])
    os.close(slave)
    steps = list(plan.get("steps", []))
    out = b""
    seen = 0
    while True:
        if steps:
            after = steps[0]["after"].encode()
            at = out.find(after, seen)
            if at >= 0:
                step = steps.pop(0)
                seen = at + len(after)
                if "send" in step:
                    os.write(master, step["send"].encode())
                if "resize" in step:
                    rows, cols = step["resize"]
                    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                continue
        ready, _, _ = select.select([master], [], [])
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the command and everything on the terminal is gone
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    # The terminal as the command left it (Linux answers for the slave on its master): raw mode undone?
    sys.stderr.write("pty-client: terminal settings %s\n" % ("restored" if termios.tcgetattr(master) == before else "changed"))
    sys.stdout.write(out.decode(errors="replace"))
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


main()
