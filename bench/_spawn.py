"""Tiny launcher: fork and exec one command, reap it with os.wait4, report its rusage.

Run by _subproc.py as ``python -I -S _spawn.py TIMEOUT RESULT_FD -- ARGV...``. It imports
only os, sys, time and signal, so its own resident set stays small. That matters: on
Linux a process's ru_maxrss starts at the resident set of whatever process it was
forked from (exec keeps the old image's high-water mark), so a command forked straight
from the benchmark would report at least the benchmark's own RSS.

The command inherits this process's stdin, stdout, stderr, working directory and
environment. One line goes to RESULT_FD: ``seconds maxrss_kib exit_code timed_out``,
seconds counted from just before the fork to the reaping of the command.
"""

import os
import signal
import sys
import time


def main() -> int:
    timeout = float(sys.argv[1])
    result_fd = int(sys.argv[2])
    argv = sys.argv[4:]
    killed = []
    pid = -1

    def on_alarm(signum: int, frame: object) -> None:
        killed.append(True)
        os.kill(pid, signal.SIGKILL)

    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the command
        try:
            os.close(result_fd)
            os.execvp(argv[0], argv)
        except OSError as error:
            os.write(2, f"cannot run {argv[0]}: {error}\n".encode())
        os._exit(127)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status, usage = os.wait4(pid, 0)  # retried after the alarm's handler (PEP 475)
    seconds = time.perf_counter() - started
    signal.setitimer(signal.ITIMER_REAL, 0)
    code = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss  # KiB
    os.write(result_fd, f"{seconds!r} {maxrss} {code} {int(bool(killed))}\n".encode())
    os.close(result_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
