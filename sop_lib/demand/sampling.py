"""Sampling in bounded time: BLAS for PyTensor, processes for chains, and the time budget of a NUTS fit."""

from __future__ import annotations

import glob
import os
import sys
import time


def _link_system_blas() -> None:
    """Point PyTensor at Debian's OpenBLAS when it is installed: a pip-installed PyTensor
    links no BLAS. Measured with benchmarks/bench_blas.py: the Student-t model fits 14%
    faster, the count model is unchanged. Must run before PyTensor is first imported."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "blas__ldflags" in flags or "pytensor" in sys.modules:
        return
    if glob.glob("/usr/lib/*/libopenblas.so") or glob.glob("/usr/lib/libopenblas.so"):
        os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, "blas__ldflags=-lopenblas") if f)


def _compile_to_c() -> None:
    """Keep PyTensor on its C backend (``linker=cvm``), as before PyTensor 3, which compiles with
    Numba by default: measured on the demo's ets fit, Numba's first compile of a model took about
    2.5 minutes against 28 s from a warm cache (every fresh machine, CI included, starts cold), and
    a cold and a warm cache gave different last digits. An explicit linker or mode in
    ``PYTENSOR_FLAGS`` wins. Must run before PyTensor is first imported."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "linker" in flags or "mode" in flags or "pytensor" in sys.modules:
        return
    os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, "linker=cvm") if f)


_link_system_blas()
_compile_to_c()


class OverBudget(RuntimeError):
    """A NUTS fit stopped early because its own progress showed it would not finish in time."""

    def __init__(self, projected_s: float, elapsed_s: float, budget_s: float, series: int, started: bool = True):
        self.projected_s, self.elapsed_s, self.budget_s, self.series = projected_s, elapsed_s, budget_s, series
        self.started = started
        when = (
            f"stopped after {elapsed_s:,.0f} s"
            if started
            else f"not started (projected from one gradient of the model, {elapsed_s:,.0f} s)"
        )
        super().__init__(
            f"the NUTS fit of {series} series would take about {projected_s:,.0f} s, over the time budget "
            f"of {budget_s:,.0f} s (demand.time_budget_s); {when}"
        )

    def __reduce__(self):  # Dask sends a task's exception back pickled: keep its type and fields
        return OverBudget, (self.projected_s, self.elapsed_s, self.budget_s, self.series, self.started)


def sampler_cores(chains: int) -> int:
    """Processes for NUTS chains: up to 2 (this machine's cores), but 1 inside a daemonic
    process such as a Dask worker, which may not start children (the worker is the unit of
    parallelism there)."""
    import multiprocessing

    return 1 if multiprocessing.current_process().daemon else min(chains, 2)


GUARD_MIN_SHARE = 0.05  # share of a fit's iterations seen before its projected time may stop it


LEAPFROG_STEPS = 63  # gradient evaluations per NUTS iteration, tuning included; calibrated once (twice the 31 steps
# a well-behaved fit of the trend model takes after tuning); harder posteriors take more, so the projection is a floor


def preflight_seconds(model, iterations: int, repeats: int = 10) -> float:
    """NUTS time per chain projected before sampling: iterations x `LEAPFROG_STEPS` x the time
    of one gradient of this model's log density, measured here (compiling it takes seconds;
    PyTensor caches the compiled code for the sampler)."""
    dlogp = model.compile_dlogp()
    point = model.initial_point()
    dlogp(point)
    start = time.perf_counter()
    for _ in range(repeats):
        dlogp(point)
    return iterations * LEAPFROG_STEPS * (time.perf_counter() - start) / repeats


def budget_guard(budget_s: float, total_draws: int, start: float, series: int):
    """A `pm.sample` callback that stops the fit once its projected time exceeds the budget.

    The projection is the time to the first draw (compilation, initialisation) plus the
    mean time per draw so far times the draws left. Early tuning takes the longest steps,
    so it errs on the slow side; it is trusted after ``GUARD_MIN_SHARE`` of the draws, or
    after a tenth of the budget when it is over twice the budget, and the fit stops whenever
    the budget itself is spent (at the next draw: a draw is never cut short)."""
    seen = {"n": 0, "first": 0.0}

    def callback(trace=None, draw=None) -> None:
        now = time.perf_counter()
        seen["n"] += 1
        if seen["n"] == 1:
            seen["first"] = now
        n = seen["n"]
        projected = (seen["first"] - start) + (now - seen["first"]) * (total_draws - 1) / max(n - 1, 1)
        hopeless = now - start > 0.1 * budget_s and n > 2 and projected > 2 * budget_s  # long before 5% of the draws
        if now - start > budget_s or hopeless or (n >= GUARD_MIN_SHARE * total_draws and projected > budget_s):
            raise OverBudget(max(projected, now - start), now - start, budget_s, series)

    return callback
