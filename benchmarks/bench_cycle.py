"""The whole five-step cycle at scale (`make bench-cycle`): the demo company scaled to
``--skus`` SKUs x ``--regions`` regions (`sop demo --skus`), run with the params file that
`sop demo` writes for it (the profile recommended at that size).

Prints the seconds of each step and in total, beside the machine's yardstick measured in
the same run: a statsforecast AutoETS forecast of the same series (12 months ahead), on one
core and on every core (issue 29 asks for the cycle within 3 times the latter).
Also the memory peak of each step kernel (with the processes it started, from the batch's own line)
and of the largest kernel process, and the size of every report.

    python benchmarks/bench_cycle.py [--skus 1000] [--regions 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd


def autoets_seconds(folder: Path, jobs: int = 1) -> tuple[float, int]:
    """Seconds for AutoETS on every SKU x region series of the company's sales history (on ``jobs``
    processes), and the series count."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    sales = pd.read_csv(folder / "sales_history.csv", parse_dates=["month"])
    df = sales.groupby(["sku", "region", "month"], as_index=False)["units"].sum()
    df = pd.DataFrame({"unique_id": df["sku"] + "|" + df["region"], "ds": df["month"], "y": df["units"].astype(float)})
    full = df.groupby("unique_id").filter(lambda g: len(g) >= 24)
    start = time.perf_counter()
    StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=jobs).forecast(df=full, h=12)
    return time.perf_counter() - start, full["unique_id"].nunique()


def bench_cycle(skus: int, regions: int, keep: str | None = None) -> dict:
    from sop_lib.batch.runner import run_cycle
    from sop_lib.companies.scaled import write_scaled_demo
    from sop_lib.core.workers import usable_cores

    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench_cycle_"))
    t0 = time.perf_counter()
    params = write_scaled_demo(work / "company", "2026-11", skus, regions)
    written = time.perf_counter() - t0
    steps: dict[str, float] = {}
    memory: dict[str, float] = {}

    def log(line: str) -> None:
        m = re.match(r"\[step (\d)/5\] done in (\d+) s, kernel memory peak ([\d.]+) GB", line)
        if m:
            steps[f"step {m.group(1)}"] = float(m.group(2))
            memory[f"step {m.group(1)}"] = float(m.group(3))
        print(line, flush=True)

    t0 = time.perf_counter()
    run_cycle(params, reports_root=work / "reports", progress=False, log=log)
    total = time.perf_counter() - t0
    yardstick, series = autoets_seconds(work / "company")
    cores = usable_cores()
    on_all, _ = autoets_seconds(work / "company", jobs=cores)  # issue 29's bar: the cycle within 3x of this
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB -> MB, largest kernel
    sizes = {p.name: p.stat().st_size / 1e6 for p in sorted((work / "reports" / "2026-11").glob("*.html"))}
    print(f"\ncycle at {skus:,} SKUs x {regions} regions ({series:,} series with 24+ months), company written in {written:.0f} s")
    print(f"| part | seconds | x AutoETS on 1 core | x AutoETS on {cores} cores | kernel memory peak, GB |")
    print("|---|---|---|---|---|")
    for name, sec in steps.items():
        print(f"| {name} | {sec:.0f} | {sec / yardstick:.1f} | {sec / on_all:.1f} | {memory[name]:.1f} |")
    print(f"| whole cycle (with reports and views) | {total:.0f} | {total / yardstick:.1f} | {total / on_all:.1f} | |")
    print(f"| yardstick: AutoETS (statsforecast, 1 core), same series, h = 12 | {yardstick:.0f} | 1.0 | | |")
    print(f"| yardstick: AutoETS on {cores} cores | {on_all:.0f} | | 1.0 | |")
    print(f"peak memory of the largest step kernel: {peak:,.0f} MB")
    print("reports: " + ", ".join(f"{k} {v:.1f} MB" for k, v in sizes.items()))
    return {
        "steps": steps,
        "memory_gb": memory,
        "total": total,
        "autoets": yardstick,
        "autoets_all_cores": on_all,
        "peak_mb": peak,
        "sizes": sizes,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skus", type=int, default=1000)
    ap.add_argument("--regions", type=int, default=3)
    ap.add_argument("--keep", help="write the company and its reports here instead of a temporary folder")
    a = ap.parse_args()
    bench_cycle(a.skus, a.regions, a.keep)
