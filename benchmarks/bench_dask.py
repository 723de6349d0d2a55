"""The demand fit in partitions, in-process and on a Dask LocalCluster of 1 and 2 workers.

    python benchmarks/bench_dask.py [--skus 300] [--regions 3] [--max-series 100] [--target 100000 --workers 50]

Prints the wall time of each way of running the same fit (the ets model by MAP on the
scaled demo's series), the speed-up from 1 to 2 Dask workers, each partition's seconds,
and an estimate of the wall time for ``--target`` series on ``--workers`` workers built
from the measured fit times (a fixed part per fit plus a part per series). Ratios, not absolute seconds, carry over between
machines.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd


def scaled_history(skus: int, regions: int) -> pd.DataFrame:
    """The scaled demo's active SKU x region series with a full history, with their family."""
    from sop_lib.companies.scaled import scaled_tables

    t = scaled_tables("2026-11", skus, regions)
    products = t["products"]
    active = products.loc[products["status"] == "active"].set_index("sku")["family"]
    sales = t["sales_history"][t["sales_history"]["sku"].isin(active.index)]
    df = sales.groupby(["sku", "region", "month"], as_index=False)["units"].sum()
    hist = pd.DataFrame(
        {
            "unique_id": df["sku"] + "|" + df["region"],
            "ds": df["month"],
            "y": df["units"].astype(float),
            "family": df["sku"].map(active),
        }
    )
    full = hist.groupby("unique_id")["ds"].agg(["min", "max", "count"])
    keep = full[(full["max"] == hist["ds"].max()) & (full["count"] == full["count"].max())].index
    return hist[hist["unique_id"].isin(keep)].reset_index(drop=True)


def timed(label: str, fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - start
    print(f"{label:<48} {wall:7.1f} s", flush=True)
    return wall, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--skus", type=int, default=300)
    ap.add_argument("--regions", type=int, default=3)
    ap.add_argument("--max-series", type=int, default=100, help="series per partition (chunks of a family)")
    ap.add_argument("--target", type=int, default=100_000, help="series count to estimate the wall time for")
    ap.add_argument("--workers", type=int, default=50, help="workers to estimate the wall time for")
    args = ap.parse_args()

    from sop_lib import demand

    history = scaled_history(args.skus, args.regions)
    n = history["unique_id"].nunique()
    kw = dict(group_col="family", model="ets", method="map", seed=42, return_draws=True)
    print(f"{n:,} series x {history['ds'].nunique()} months, partitions of at most {args.max_series} series\n")
    warm = history[history["unique_id"].isin(sorted(history["unique_id"].unique())[:5])]
    timed("warm-up: compile the model once (not counted)", lambda: demand.forecast(warm, 12, **kw))
    one, _ = timed("one model over all series, in-process", lambda: demand.forecast(history, 12, **kw))
    part = dict(partition="family", max_series=args.max_series)
    local, res = timed("partitions, one after the other in-process", lambda: demand.forecast(history, 12, **part, **kw))
    w1, r1 = timed(
        "partitions on Dask, LocalCluster of 1 worker",
        lambda: demand.forecast(history, 12, **part, executor="dask", workers=1, **kw),
    )
    w2, r2 = timed(
        "partitions on Dask, LocalCluster of 2 workers",
        lambda: demand.forecast(history, 12, **part, executor="dask", workers=2, **kw),
    )
    same = np.allclose(r2.draws.values, res.draws.values) and np.allclose(r1.draws.values, res.draws.values)

    secs = [p.fit_seconds for p in res.partitions]  # in-process: no other task competes for the cores
    sizes = [p.draws.sizes["unique_id"] for p in res.partitions]
    # a fit costs a fixed part (building and compiling the model) plus a part per series: fit both from
    # the partitions and the one model over all series, measured in this run
    slope, fixed = np.polyfit(sizes + [n], secs + [one], 1)
    overhead = max(w2 - sum(s for s in [p.fit_seconds for p in r2.partitions]) / 2, 0.0)
    print(f"\nsame draws on Dask as in-process: {same}")
    print(f"speed-up from 1 to 2 Dask workers: {w1 / w2:.2f}x; 2 workers against one model in-process: {one / w2:.2f}x")
    print(
        f"partitions: {len(secs)} of {min(sizes)}-{max(sizes)} series, {min(secs):.1f}-{max(secs):.1f} s each in-process "
        f"(median {statistics.median(secs):.1f} s); one fit = {fixed:.1f} s + {slope * 1000:.1f} ms per series"
    )
    for size in (args.max_series, 2_000):
        tasks = -(-args.target // size)
        waves = -(-tasks // args.workers)
        wall = waves * (fixed + slope * size) + overhead
        print(
            f"estimate for {args.target:,} series on {args.workers} workers in partitions of {size:,}: {tasks:,} tasks "
            f"in {waves} waves of {fixed + slope * size:.1f} s, plus {overhead:.0f} s measured cluster overhead: "
            f"about {wall / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
