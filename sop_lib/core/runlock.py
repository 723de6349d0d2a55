"""One batch per cycle at a time, and nothing left running when a batch dies.

`CycleLock` is a lock file beside the cycle (``reports/<cycle>.lock``) created with
``O_CREAT | O_EXCL``, so exactly one of two processes that start together gets it. It
records who holds it (pid, the process's start time, host, command, when); a second run
is refused with those facts. A lock whose process is gone (same host, pid dead or reused
by another program) is stale: it is moved aside atomically and taken over.

`watch_batch` guards against a batch killed with ``kill -9``: each notebook kernel started
by the batch launches a small watchdog process that kills the kernel's whole process group
(the kernel and the sampler's worker processes) once the batch process has gone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

BATCH_ENV = "SOP_BATCH"  # "<pid>:<start time>" of the batch, inherited by its kernels


class LockHeld(RuntimeError):
    """Another live process runs this cycle; the message names it."""


@dataclass(frozen=True)
class Holder:
    pid: int
    started: float  # the process's start time (psutil), tells a live holder from a reused pid
    host: str
    since: str
    command: str

    def alive(self) -> bool:
        """True if the holder still runs (or runs on another host, where we cannot tell)."""
        if self.host != socket.gethostname():
            return True
        return process_alive(self.pid, self.started)

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}, running since {self.since} ({self.command})"


def process_alive(pid: int, started: float) -> bool:
    """The process ``pid`` exists and is the one that started at ``started`` (not a reused pid)."""
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - started) < 1.0 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _me() -> Holder:
    return Holder(
        os.getpid(),
        psutil.Process().create_time(),
        socket.gethostname(),
        time.strftime("%Y-%m-%d %H:%M:%S"),
        " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200],
    )


def read_holder(path: Path) -> Holder | None:
    """The lock's holder, or None for a lock file that is unreadable (half-written by a crash)."""
    try:
        return Holder(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


class CycleLock:
    """``with CycleLock(path) as lock:`` — ``lock.taken_over`` names a dead holder whose lock was replaced."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.taken_over: Holder | None = None

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            json.dump(_me().__dict__, f)
        return True

    def acquire(self) -> "CycleLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            if self._create():
                return self
            holder = read_holder(self.path)
            if holder is not None and holder.alive():
                raise LockHeld(
                    f"cycle is being run by {holder.describe()}; wait for it to finish. "
                    f"If that process is gone (another host cannot be checked from here), "
                    f"delete {self.path} and run again"
                )
            if holder is None and time.time() - self._mtime() < 5:
                time.sleep(0.5)  # a holder may be writing it this instant
                continue
            # stale: move it aside atomically; if another process already did, just try again
            aside = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}")
            try:
                self.path.rename(aside)
            except FileNotFoundError:
                continue
            aside.unlink(missing_ok=True)
            self.taken_over = holder or Holder(0, 0.0, "?", "?", "unreadable lock file")
        raise LockHeld(f"could not take the lock {self.path}: other runs keep starting at the same time")

    def _mtime(self) -> float:
        try:
            return self.path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def release(self) -> None:
        holder = read_holder(self.path)
        if holder is not None and holder.pid == os.getpid():
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> "CycleLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# --- no orphan kernels ---------------------------------------------------------------


def batch_env() -> dict[str, str]:
    """Environment entry that marks the kernels this process starts as the batch's."""
    return {BATCH_ENV: f"{os.getpid()}:{psutil.Process().create_time()}"}


def watch_batch() -> None:
    """Called in a kernel: if a batch started it, start a watchdog for this kernel's process group."""
    owner = os.environ.get(BATCH_ENV)
    if not owner or os.environ.get("SOP_WATCHDOG_STARTED") == str(os.getpid()):
        return
    os.environ["SOP_WATCHDOG_STARTED"] = str(os.getpid())
    pid, started = owner.split(":")
    subprocess.Popen(
        [sys.executable, "-m", "sop_lib.core.runlock", pid, started, str(os.getpgrp())],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
    )


def _watch(pid: int, started: float, pgid: int, every: float = 0.5) -> None:
    """Kill process group ``pgid`` when the batch ``pid`` dies; stop when the group is gone."""
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return  # the kernel finished normally
        if not process_alive(pid, started):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        time.sleep(every)


if __name__ == "__main__":
    _watch(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
