#!/usr/bin/env python3
"""Run one command under a pseudo-terminal whose size is SET (default 80x24) and report timings as JSON.

util-linux `script` gives a 0x0 terminal when its own stdin is not a terminal (Ink then wraps at one
column), so the bench uses this instead: pty.openpty() + TIOCSWINSZ on the slave before the child starts.

usage: pty.py [--cols 80] [--rows 24] [--until REGEX] [--timeout S] [--log FILE]
              [--then-wait REGEX --send TEXT ...] [--kill] -- command args...

Prints one JSON object: start (epoch ms), matchMs (spawn -> first byte matching --until, or null),
rss (peak RSS in KiB of the child when the match was seen: VmHWM from /proc, or ru_maxrss at exit),
exitCode, bytes (total read), and `steps` for each --then-wait (ms since spawn).
"""
import argparse
import fcntl
import json
import os
import re
import select
import signal
import struct
import sys
import termios
import time


def read_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--until", default=None, help="regex (bytes, DOTALL) that marks the first frame")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--log", default=None, help="write every byte read to this file")
    ap.add_argument("--then-wait", action="append", default=[], help="after --until, wait for this regex")
    ap.add_argument("--send", action="append", default=[], help="bytes to type after each --then-wait")
    ap.add_argument("--kill", action="store_true", help="SIGTERM the child once everything matched")
    ap.add_argument("--linger", type=float, default=0.0, help="with --kill: keep reading this long first")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    env = dict(os.environ)
    env.setdefault("TERM", "xterm-256color")
    env["COLUMNS"] = str(a.cols)
    env["LINES"] = str(a.rows)
    t0 = time.monotonic()
    start_epoch = time.time() * 1000
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        try:
            os.execvpe(cmd[0], cmd, env)
        finally:
            os._exit(127)
    os.close(slave)

    log = open(a.log, "wb") if a.log else None
    buf = b""
    until = re.compile(a.until.encode(), re.S) if a.until else None
    waits = [re.compile(w.encode(), re.S) for w in a.then_wait]
    match_ms = None
    rss = None
    steps = []
    scan_from = 0
    phase = 0 if until else 1  # 0: waiting for first frame; 1..: then-waits
    total = 0
    exit_code = None
    deadline = t0 + a.timeout
    done = False
    while not done:
        now = time.monotonic()
        if now > deadline:
            break
        r, _, _ = select.select([master], [], [], min(0.05, deadline - now))
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            total += len(chunk)
            if log:
                log.write(chunk)
            buf += chunk
            while True:
                if phase == 0:
                    m = until.search(buf, scan_from)
                    if not m:
                        break
                    match_ms = (time.monotonic() - t0) * 1000
                    # Freeze the child while reading its peak RSS: what it does after the frame
                    # (loading adapters) must not count.
                    os.kill(pid, signal.SIGSTOP)
                    rss = read_hwm(pid)
                    os.kill(pid, signal.SIGCONT)
                    scan_from = m.end()
                    phase = 1
                elif phase - 1 < len(waits):
                    i = phase - 1
                    m = waits[i].search(buf, scan_from)
                    if not m:
                        break
                    steps.append((time.monotonic() - t0) * 1000)
                    scan_from = m.end()
                    if i < len(a.send):
                        os.write(master, a.send[i].encode().decode("unicode_escape").encode())
                    phase += 1
                else:
                    break
            if phase - 1 >= len(waits) and a.kill:
                if a.linger > 0:
                    deadline = min(deadline, time.monotonic() + a.linger)
                    a.linger = 0
                    a.kill = False
                else:
                    done = True
        else:
            wp, status = os.waitpid(pid, os.WNOHANG)
            if wp == pid:
                exit_code = os.waitstatus_to_exitcode(status)
                pid = None
                # drain what is left
                while True:
                    r, _, _ = select.select([master], [], [], 0.05)
                    if not r:
                        break
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    total += len(chunk)
                    buf += chunk
                    if log:
                        log.write(chunk)
                    if phase == 0 and until.search(buf):
                        match_ms = (time.monotonic() - t0) * 1000
                        phase = 1
                break
    ru_rss = None
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        end = time.monotonic() + 3
        while True:
            wp, status, ru = os.wait4(pid, os.WNOHANG)
            if wp == pid:
                exit_code = os.waitstatus_to_exitcode(status)
                ru_rss = ru.ru_maxrss
                break
            if time.monotonic() > end:
                os.kill(pid, signal.SIGKILL)
                _, status, ru = os.wait4(pid, 0)
                exit_code = os.waitstatus_to_exitcode(status)
                ru_rss = ru.ru_maxrss
                break
            # keep the pty drained so the child can exit
            r, _, _ = select.select([master], [], [], 0.02)
            if r:
                try:
                    os.read(master, 65536)
                except OSError:
                    pass
    else:
        ru_rss = None
    if rss is None:
        # The child exited on its own: the kernel kept its peak in our children's rusage.
        import resource

        ru_rss = ru_rss or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = ru_rss
    if log:
        log.close()
    os.close(master)
    json.dump(
        {
            "start": start_epoch,
            "matchMs": match_ms,
            "rss": rss,
            "exitCode": exit_code,
            "bytes": total,
            "steps": steps,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
