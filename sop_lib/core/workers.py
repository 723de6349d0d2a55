"""Independent pieces of a step on every core: step 4's scenario, policy and launch-date plans
are separate LPs over the same draws, so they can be solved side by side.

`each` runs one function over items in worker processes (joblib's loky backend). The workers
are started fresh, not forked from a Jupyter kernel that runs threads, and are kept for the
step's next call. A NumPy array over 1 MB (the demand draws) reaches them as one memory map
that all share, not as a copy per task. The results come back in the items' order and are
those of a plain loop: each item is computed from its own inputs alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many SKUs a step-4 plan solves in a second or two, less than a worker takes to start
# and import the suite (3.3 s measured for sop_lib.reconciliation): the plans are solved in turn.
PARALLEL_MIN_SKUS = 100


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity call on macOS and Windows
        return os.cpu_count() or 1


def plan_workers(setting: int, skus: int) -> int:
    """Processes for step 4's independent plans: ``setting`` where it is set (1: one after the
    other), else (0) every usable core from `PARALLEL_MIN_SKUS` SKUs up, one below."""
    if setting:
        return setting
    return usable_cores() if skus >= PARALLEL_MIN_SKUS else 1


def each(fn: Callable[[T], R], items: Sequence[T], *, workers: int) -> list[R]:
    """``[fn(x) for x in items]`` on up to ``workers`` processes (in this one for fewer than two of
    either); ``fn`` must pickle: a module-level function, or a `functools.partial` of one."""
    n = min(workers, len(items))
    if n < 2:
        return [fn(x) for x in items]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n, backend="loky")(delayed(fn)(x) for x in items)
