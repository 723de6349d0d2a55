"""One model per partition of the series, run in-process or as Dask tasks.

A company with 100,000 SKU × region series outgrows one model on one machine. With
``demand.partition: family`` each product family (cut into chunks of at most
``demand.partition_max_series`` series, the pooling kept inside each chunk) is fitted on
its own, with a seed derived from the run's seed and the partition's name, so the result
does not depend on where or in which order a partition ran. ``demand.executor: local``
fits the partitions one after the other in this process; ``dask`` sends each to a Dask
cluster (``demand.scheduler``, or a `distributed.LocalCluster` of ``demand.dask_workers``
processes started for the fit) and gives the same numbers. The draws come back as one
labelled array (sample, unique_id, ds).
"""

from __future__ import annotations

import time
import zlib
from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand.draws import ForecastResult, summarise_draws
from sop_lib.demand.fitting import fit_series


def partitions(history: pd.DataFrame, group_col: str, max_series: int = 0) -> dict[str, list[str]]:
    """Partition name -> its series: whole families, cut into equal chunks beyond ``max_series``."""
    fam = history.groupby("unique_id")[group_col].first().astype(str)
    out = {}
    for name, ids in fam.groupby(fam).groups.items():
        ids = sorted(map(str, ids))
        n = max(1, -(-len(ids) // max_series)) if max_series else 1
        for k, chunk in enumerate(np.array_split(ids, n)):
            out[f"{name}" if n == 1 else f"{name} #{k + 1}"] = list(chunk)
    return out


def partition_seed(seed: int, name: str) -> int:
    """A seed per partition from the run's seed and the partition's name (not its position)."""
    return int(np.random.SeedSequence([seed, zlib.crc32(name.encode("utf-8"))]).generate_state(1)[0])


def fit_partition(
    history: pd.DataFrame, horizon: int, seed: int, future_regressors: pd.DataFrame | None, fit_kwargs: dict
) -> ForecastResult:
    """One partition's forecast (a Dask task: everything it needs comes in its arguments)."""
    start = time.perf_counter()
    res = fit_series(history, horizon, seed=seed, future_regressors=future_regressors, return_draws=True, **fit_kwargs)
    res.fit_seconds = time.perf_counter() - start  # the task's whole time, compilation included
    return res


def run_tasks(fn: Callable, jobs: list[tuple], executor: str = "local", scheduler: str | None = None, workers: int = 2) -> list:
    """``fn(*job)`` for every job, in this process or on a Dask cluster; results in job order."""
    if executor == "local":
        return [fn(*job) for job in jobs]
    if executor != "dask":
        raise ValueError(f"executor must be 'local' or 'dask', got {executor!r}")
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        futures = client.map(fn, *zip(*jobs), pure=False)
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def forecast_partitioned(
    history: pd.DataFrame,
    horizon: int,
    *,
    group_col: str,
    seed: int = 42,
    max_series: int = 0,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int = 2,
    future_regressors: pd.DataFrame | None = None,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    **fit_kwargs,
) -> ForecastResult:
    """`forecast` fitted per partition (`partitions`) and joined: one result whose
    ``partitions`` hold each part's fit, largest first."""
    parts = partitions(history, group_col, max_series)
    order = sorted(parts, key=lambda k: -len(parts[k]))  # the longest tasks first: less idle time at the end
    kwargs = {**fit_kwargs, "group_col": group_col, "quantiles": quantiles}
    jobs = []
    for name in order:
        sub = history[history["unique_id"].astype(str).isin(parts[name])]
        fr = (
            None if future_regressors is None else future_regressors[future_regressors["unique_id"].astype(str).isin(parts[name])]
        )
        jobs.append((sub, horizon, partition_seed(seed, name), fr, kwargs))
    start = time.perf_counter()
    results = run_tasks(fit_partition, jobs, executor, scheduler, workers)
    wall = time.perf_counter() - start
    n = min(r.draws.sizes["sample"] for r in results)
    draws = xr.concat([r.draws.isel(sample=slice(0, n)) for r in results], dim="unique_id").sortby("unique_id")
    main = results[0]
    for name, r in zip(order, results):
        r.partition = name
    return ForecastResult(
        summarise_draws(draws, quantiles), draws, main.idata, wall, main.likelihood, main.design, main.model, partitions=results
    )


def describe_partitions(res: ForecastResult, executor: str) -> str:
    """One sentence: how many partitions, where they ran, and how their times compare."""
    if not res.partitions:
        return ""
    secs = np.array([p.fit_seconds for p in res.partitions])
    sizes = sorted({p.draws.sizes["unique_id"] for p in res.partitions})
    span = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}–{sizes[-1]}"
    where = "on the Dask cluster" if executor == "dask" else "one after the other in this process"
    count = "1 partition" if len(secs) == 1 else f"{len(secs)} partitions"
    return (
        f"The {res.model} model was fitted in {count} (product families, {span} series each) {where}: "
        f"{secs.sum():.0f} s of fitting in {res.fit_seconds:.0f} s of wall time "
        f"(slowest partition {secs.max():.0f} s)."
    )
