"""One batch per cycle, stale locks taken over, and no kernel left running by a killed batch."""

import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from sop_lib.batch import cli
from sop_lib.core.runlock import CycleLock, LockHeld

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> tuple[int, float]:
    """A pid and start time of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(proc.pid).create_time()
    proc.wait()
    return proc.pid, started


def _write_lock(path: Path, pid: int, started: float, host: str | None = None) -> None:
    path.write_text(
        json.dumps(
            {
                "pid": pid,
                "started": started,
                "host": host or socket.gethostname(),
                "since": "2026-11-02 03:00:00",
                "command": "sop run --cycle 2026-11",
            }
        )
    )


def test_a_live_holder_is_named_and_the_second_run_refused(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tmp_path / "2026-11.lock"
        _write_lock(lock, sleeper.pid, psutil.Process(sleeper.pid).create_time())
        with pytest.raises(LockHeld) as err:
            CycleLock(lock).acquire()
        msg = str(err.value)
        assert f"pid {sleeper.pid}" in msg and socket.gethostname() in msg and "2026-11-02 03:00:00" in msg
        assert json.loads(lock.read_text())["pid"] == sleeper.pid, "the holder's lock is untouched"
    finally:
        sleeper.kill()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    lock = tmp_path / "2026-11.lock"
    pid, started = _dead_pid()
    _write_lock(lock, pid, started)
    with CycleLock(lock) as held:
        assert held.taken_over is not None and held.taken_over.pid == pid
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists(), "released on exit"


def test_a_reused_pid_is_not_mistaken_for_the_holder(tmp_path):
    lock = tmp_path / "2026-11.lock"
    _write_lock(lock, os.getpid(), psutil.Process().create_time() - 3600)  # our pid, another start time
    with CycleLock(lock) as held:
        assert held.taken_over is not None


def test_a_holder_on_another_host_is_never_taken_over(tmp_path):
    lock = tmp_path / "2026-11.lock"
    pid, started = _dead_pid()
    _write_lock(lock, pid, started, host="planning-server-2")
    with pytest.raises(LockHeld, match="planning-server-2.*delete .*2026-11.lock"):
        CycleLock(lock).acquire()


def _try_lock(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        with CycleLock(Path(path)):
            results.put("got it")
            time.sleep(1.0)
    except LockHeld as exc:
        results.put(str(exc))


def test_of_two_processes_starting_together_exactly_one_gets_the_cycle(tmp_path):
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_try_lock, args=(str(tmp_path / "2026-11.lock"), barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = [results.get(timeout=5) for _ in procs]
    assert outcomes.count("got it") == 1, outcomes
    assert any(o.startswith("cycle is being run by pid") for o in outcomes), outcomes


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _parent(p: psutil.Process) -> int | None:
    """None for a process that ended between being listed and being asked (short-lived helpers do)."""
    try:
        return p.ppid()
    except psutil.Error:
        return None


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_killed_batch_leaves_no_kernel_and_a_second_batch_is_refused_then_takes_over(tmp_path, capsys):
    """A real `sop run` killed with SIGKILL while step 2 samples (two planners, then a crash)."""
    reports = tmp_path / "reports"
    log = tmp_path / "batch.log"
    with open(log, "w") as out:
        batch = subprocess.Popen(
            [sys.executable, "-m", "sop_lib", "run", "--reports", str(reports), "--quiet"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    family: list[psutil.Process] = []
    try:
        deadline = time.time() + 240
        workers = []
        while time.time() < deadline:  # wait until the kernel of step 2 runs its sampler's worker processes
            time.sleep(1)
            assert batch.poll() is None, log.read_text()
            workers = [
                p
                for p in _descendants(batch.pid)  # the sampler's chains: children of the kernel
                if _parent(p) not in (None, batch.pid) and "sop_lib.core.runlock" not in " ".join(_cmdline(p))
            ]
            if "[step 2/5]" in log.read_text() and workers:
                break
        assert workers, "step 2 never started its sampler"

        # a second planner starts the same cycle: refused, with who holds it
        assert cli.main(["run", "--reports", str(reports), "--quiet"]) == 1
        err = capsys.readouterr().err
        assert f"pid {batch.pid}" in err and socket.gethostname() in err and "running since" in err

        family = _descendants(batch.pid)
        batch.send_signal(signal.SIGKILL)
        batch.wait()
        gone, alive = psutil.wait_procs(family, timeout=20)
        assert not alive, f"left running after the batch was killed: {[_cmdline(p)[:3] for p in alive]}"
    finally:
        if batch.poll() is None:
            batch.kill()
        for p in family:  # never leave a failed test's orphans sampling on
            if p.is_running():
                p.kill()

    # the next run finds the dead holder's lock and the unfinished cycle, and says so
    assert cli.main(["run", "--reports", str(reports), "--from-step", "3", "--quiet"]) == 1
    out = capsys.readouterr()
    assert f"Taking over the lock of pid {batch.pid}" in out.out and "no longer running" in out.out
    assert "found an unfinished run" in out.out and "step(s) 1 complete" in out.out
    assert "step 2 had begun and did not finish" in out.out
    assert "cannot resume at step 3: step(s) [2]" in out.err
    assert not (reports / "2026-11").exists(), "nothing half-made is taken for a completed cycle"
