"""Will a step fit in memory? Steps 3 and 4 are refused before they read step 2's draws when
their estimated peak is more than the machine has free, with one line saying what to set.

A kernel the system kills for memory loses the step's work and, before this check, told the
planner nothing he could act on until it died (`batch.kernels` now says why it died; this
says it before it starts). The estimate is the kernel's peak per GB of draws held in memory,
measured on the demo scaled to 1,000 SKUs x 3 regions (2,708 series x 1,000 samples x 12 months,
three draw arrays of 32-bit floats: 0.39 GB): step 3 peaked at 1.6 GB; step 4 at 2.3 GB with
its plans solved one after the other and 3.6 GB on two processes (`docs/scale.md`); and at
10,000 x 3 (3.90 GB of draws): step 3 12.1 GB, step 4 16.8 GB on one process. The estimate grows
with the draws and takes the larger ratio of the two sizes; it is a rule measured at two scales,
not a model.
"""

from __future__ import annotations

from pathlib import Path

STEP_BASE_GB = 0.8  # a step kernel before it reads the draws (step 1's kernel at 1,000 SKUs)
# GB of kernel memory per GB of draws, the larger of two sizes: step 3 holds the draws, the SKU-level
# sums and two plans' safety stock; step 4 the same, the scenarios' draws and P&L, and each plan worker
# its own scenario's draws and LP. At 1,000 x 3 (0.39 GB): (1.6 - 0.8) / 0.39 = 2.1 and (2.3 - 0.8) /
# 0.39 = 3.9; at 10,000 x 3 (3.90 GB, one plan worker): (12.1 - 0.8) / 3.9 = 2.9 and (16.8 - 0.8) / 3.9 = 4.1
DRAW_COPIES = {3: 2.9, 4: 4.1}
WORKER_COPIES = 3.4  # step 4: more per plan worker beyond the first ((3.6 - 2.3) / 0.39, rounded up)


def draws_size(path: str | Path) -> tuple[float, list[str]]:
    """GB the draws file takes once read (its arrays' sizes from the file's header, nothing loaded),
    and its series."""
    import xarray as xr

    with xr.open_dataset(path) as ds:
        return sum(v.size * v.dtype.itemsize for v in ds.data_vars.values()) / 1e9, [str(u) for u in ds["unique_id"].values]


def step_memory_gb(step: int, draws: float, workers: int = 1) -> float:
    """Estimated peak of step ``step``'s kernel (its workers included) holding ``draws`` GB of draws."""
    extra = WORKER_COPIES * max(workers - 1, 0) if step == 4 else 0.0
    return STEP_BASE_GB + (DRAW_COPIES.get(step, 1.0) + extra) * draws


def check_step_memory(step: int, draws: float, workers: int = 1, free_gb: float | None = None) -> float:
    """Refuse a step whose estimated peak exceeds the free memory (a `MemoryShortage` naming what to
    set); return the estimate in GB."""
    import psutil

    free = psutil.virtual_memory().available / 1e9 if free_gb is None else free_gb
    need = step_memory_gb(step, draws, workers)
    if need <= free:
        return need
    alone = step_memory_gb(step, draws, 1)
    if workers > 1 and alone <= free:
        fix = f"set supply.plan_workers: 1 to solve step 4's plans one after the other (about {alone:.1f} GB, slower)"
    else:
        share = max(0.05, (free - STEP_BASE_GB) / (need - STEP_BASE_GB))
        fix = (
            f"make step 2's draws about {share:.0%} of their size (demand.draws or demand.horizon_months lower, "
            "then sop run --from-step 2), plan fewer series per params file (one region or family each), "
            "or run on a machine with more memory"
        )
    raise MemoryShortage(
        f"step {step} would need about {need:.1f} GB of memory for {draws:.2f} GB of demand draws"
        + (f" on {workers} processes" if step == 4 and workers > 1 else "")
        + f", and {free:.1f} GB are free: {fix}"
    )


class MemoryShortage(RuntimeError):
    """A step that would not fit in memory, refused before it starts; the message says what to set."""
