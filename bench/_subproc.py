"""Run one command in a fresh process and measure it: wall time and its own peak RSS.

On POSIX the command is started by _spawn.py, a launcher run as ``python -I -S`` that
forks, execs the command and reaps it with os.wait4: wall time is counted inside the
launcher from just before the fork to the reaping, and peak RSS is that command's own
ru_maxrss. (Forking the command straight from this process would not do: on Linux a
child's ru_maxrss never drops below the RSS of the process it was forked from, and
the benchmark process grows to hundreds of MiB.) Peak RSS values at or below
``rss_floor()`` are the launcher's, not the command's.

The command's stdout and stderr are pipes to this process, drained by threads so a
command that prints a lot never blocks. A command that runs past its timeout is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SPAWN = str(Path(__file__).resolve().parent / "_spawn.py")


@dataclass
class Result:
    """One finished (or killed) command."""

    argv: list[str]
    seconds: float
    max_rss_kib: int | None
    """Peak resident set size of the command in KiB; None where it cannot be measured."""
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def problem(self) -> str:
        """One line saying why the command failed, for the report."""
        if self.timed_out:
            return f"timed out after {self.seconds:.1f} s"
        tail = self.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        return f"exit code {self.returncode}: {tail[0][:200]}"


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    for chunk in iter(lambda: stream.read(65536), b""):
        sink.append(chunk)
    stream.close()


def run(argv: Sequence[str], *, cwd: str | None = None, timeout: float = 120.0,
        env: dict[str, str] | None = None) -> Result:
    """Run ``argv`` to completion (or kill it after ``timeout`` seconds) and measure it."""
    argv = list(argv)
    if os.name != "posix" or not hasattr(os, "wait4"):
        return _run_portable(argv, cwd, timeout, env)
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", SPAWN, repr(timeout), str(write_fd),
                                 "--", *argv],
                                cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, pass_fds=(write_fd,),
                                start_new_session=True)
    finally:
        os.close(write_fd)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=timeout + 30)  # the launcher enforces ``timeout``; this is a backstop
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for reader in readers:
        reader.join(timeout=10)
    with os.fdopen(read_fd, "rb") as results:
        line = results.read().decode().split()
    stdout = b"".join(out).decode(errors="replace")
    stderr = b"".join(err).decode(errors="replace")
    if len(line) != 4:  # the launcher itself failed or was killed
        return Result(argv, float(timeout), None, proc.returncode or -1, stdout,
                      stderr + "\n(benchmark launcher failed)", proc.returncode is None or
                      proc.returncode < 0)
    seconds, maxrss, code, killed = line
    return Result(argv, float(seconds), int(maxrss), int(code), stdout, stderr, killed == "1")


def rss_floor() -> int | None:
    """The peak RSS reported for a command that uses almost no memory: the launcher's own."""
    true = "/bin/true" if os.path.exists("/bin/true") else "true"
    result = run([true], timeout=30)
    return result.max_rss_kib if result.ok else None


def _run_portable(argv: list[str], cwd: str | None, timeout: float,
                  env: dict[str, str] | None) -> Result:
    """Without fork and wait4 (Windows): wall time only, measured from here."""
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        return Result(argv, time.perf_counter() - started, None, -9,
                      (expired.stdout or b"").decode(errors="replace"),
                      (expired.stderr or b"").decode(errors="replace"), True)
    return Result(argv, time.perf_counter() - started, None, done.returncode,
                  done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
