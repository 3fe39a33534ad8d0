#!/usr/bin/python3
"""ptyrun.py OUT [--size ROWSxCOLS] [--keys MARKER KEYS]... [--resize MARKER ROWSxCOLS]... -- CMD...

Runs CMD on a fresh pty (its controlling terminal, in a session of its
own), as a user at a terminal would: every byte CMD writes there goes to
OUT; KEYS (Python escapes: '\\x03' is ^C) are typed once MARKER has been
seen in the output (after the previous action's); --resize changes the terminal's size (SIGWINCH to its
foreground group) once MARKER has been seen. Prints the terminal's settings before and after, each
on a line ("before ..." / "after ..."), and "exit N" or "signal N".
The bound on its time is the caller's (run_guarded).
"""
import fcntl
import os
import select
import struct
import sys
import termios


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    rows, cols = 24, 80
    keys = []
    resizes = set()
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--size":
            rows, cols = (int(x) for x in args.pop(0).split("x"))
        elif opt == "--keys":
            marker = args.pop(0).encode()
            keys.append((marker, args.pop(0).encode().decode("unicode_escape").encode("latin-1")))
        elif opt == "--resize":
            marker = args.pop(0).encode()
            r, c = (int(x) for x in args.pop(0).split("x"))
            keys.append((marker, struct.pack("HHHH", r, c, 0, 0)))
            resizes.add(len(keys) - 1)
        else:
            sys.exit("ptyrun: unknown option " + opt)
    cmd = args[1:]
    m, s = os.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    before = termios.tcgetattr(s)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(s, termios.TIOCSCTTY, 0)
        for fd in range(3):
            os.dup2(s, fd)
        os.close(m)
        os.close(s)
        os.execvp(cmd[0], cmd)
    got = b""
    done_actions = 0
    mark_from = 0  # each marker is looked for in what came after the last action
    status = None
    # the slave stays open here (for its settings after), so the end is the
    # child's exit, then whatever is still buffered
    while True:
        r, _, _ = select.select([m], [], [], 0.05 if status is not None else 1.0)
        if r:
            data = os.read(m, 65536)
            got += data
            while keys and keys[0][0] in got[mark_from:]:
                if done_actions in resizes:
                    fcntl.ioctl(s, termios.TIOCSWINSZ, keys.pop(0)[1])
                else:
                    os.write(m, keys.pop(0)[1])
                done_actions += 1
                mark_from = len(got)
            continue
        if status is not None:
            break
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    after = termios.tcgetattr(s)
    with open(out, "wb") as f:
        f.write(got)
    print("before", before)
    print("after", after)
    if os.WIFEXITED(status):
        print("exit", os.WEXITSTATUS(status))
    else:
        print("signal", os.WTERMSIG(status))


main()
