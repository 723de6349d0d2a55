"""A step's kernel as a process: where its output goes, its peak memory, and how it ended.

papermill starts one kernel per step. `KernelWatch` samples the memory of that kernel and of
every process it started (the sampler's chains, Dask workers) once every `SAMPLE_S` seconds,
so the batch can print each step's peak beside its time, and say, when the system killed a
kernel, that it ran out of memory and how much it had, rather than "kernel died".
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field

import psutil

SAMPLE_S = 0.5
GB = 1e9


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 once it is gone)."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # ended between being listed and being measured
            continue
    return total


@dataclass
class KernelWatch:
    """One step kernel's process, watched from start to end."""

    peak_bytes: int = 0
    _popen: object = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def attach(self, popen) -> None:
        """Start sampling the kernel that ``popen`` (a subprocess.Popen) runs."""
        self._popen = popen
        self._thread = threading.Thread(target=self._sample, name=f"kernel-watch-{popen.pid}", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            proc = psutil.Process(self._popen.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss(proc))
            if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
                break
            self._stop.wait(SAMPLE_S)

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def returncode(self) -> int | None:
        """How the kernel ended: its exit code, minus the signal that ended it, None while it runs."""
        return self._popen.poll() if self._popen is not None else None

    @property
    def peak_gb(self) -> float:
        return self.peak_bytes / GB

    def killed_by(self) -> str | None:
        """The signal's name when the kernel was ended by one (SIGKILL is what the out-of-memory killer sends)."""
        if self.returncode is None or self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"


def machine_memory_gb() -> float:
    return psutil.virtual_memory().total / GB


STEP_RELIEF = "a shorter demand.horizon_months, fewer demand.draws, or fewer series per params file"
REPLAY_RELIEF = "fewer months (--months), a shorter backtest.horizon_months, fewer backtest.draws, or fewer series"


def death_sentence(watch: KernelWatch, kernel: str = "the step's kernel", relief: str = STEP_RELIEF) -> str:
    """What a planner reads when a kernel died: what killed it, at what memory, and what to change."""
    peak = f"{watch.peak_gb:.1f} GB of the machine's {machine_memory_gb():.0f} GB"
    sig = watch.killed_by()
    if sig == "SIGKILL":
        return (
            f"{kernel} was killed by the system ({sig}) with its memory at {peak}: it ran out "
            f"of memory. Give it less to hold at once ({relief}) or run it on a machine with more memory"
        )
    if sig:
        return f"{kernel} was ended by {sig} with its memory at {peak}"
    return f"{kernel} stopped (exit code {watch.returncode}) with its memory at {peak}"


def failure_text(exc: Exception, watch: KernelWatch, kernel: str = "the step's kernel", relief: str = STEP_RELIEF) -> str:
    """Why a notebook run stopped outside its cells: a kernel the system ended (`death_sentence`),
    or the exception as it came (a missing notebook...)."""
    from nbclient.exceptions import DeadKernelError

    if isinstance(exc, DeadKernelError) and watch.returncode is not None:
        return death_sentence(watch, kernel, relief)
    return f"{type(exc).__name__}: {exc}"


def kernel_manager(stream, watch: KernelWatch):
    """papermill's kernel manager, with the kernel's stdout and stderr sent to ``stream`` (a file)
    instead of inherited from the terminal, and its process handed to ``watch``."""
    from jupyter_client.manager import AsyncKernelManager

    class WatchedKernel(AsyncKernelManager):
        async def start_kernel(self, **kw):
            kw.setdefault("stdout", stream)
            kw.setdefault("stderr", stream)
            out = await super().start_kernel(**kw)
            popen = getattr(self.provisioner, "process", None)
            if popen is not None:
                watch.attach(popen)
            return out

    return WatchedKernel
