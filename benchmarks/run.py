"""Benchmarks (`make bench`): each figure is reported beside a baseline measured in the same run.

    python benchmarks/run.py [--only data,lp,demand] [--series 200] [--rows 1000000]

* data   — read + validate a sales export of ``--rows`` rows (our reader, date parsing
           and pandera contract) versus a bare ``pandas.read_csv`` of the same file.
* lp     — the production LP for 1,000 SKUs x 5 lines x 12 months (HiGHS), versus
           building the same model's inputs.
* demand — the Bayesian engine versus statsforecast AutoETS on ``--series`` simulated
           monthly series (36 months of history, 6 held out): time and accuracy.
Absolute seconds on shared machines are noisy; compare the ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def bench_data(rows: int) -> None:
    from sop_lib import data
    from sop_lib.params import SourceSpec

    rng = np.random.default_rng(0)
    months = pd.date_range("2015-01-01", periods=120, freq="MS").strftime("%Y-%m")
    n_series = rows // len(months) + 1
    df = pd.DataFrame({
        "month": np.tile(months, n_series)[:rows],
        "sku": np.repeat([f"SKU-{i:05d}" for i in range(n_series // 4 + 1)], len(months) * 4)[:rows],
        "region": np.tile(np.repeat(["A", "B", "C", "D"], len(months)), n_series)[:rows],
        "units": rng.poisson(50, rows),
        "net_revenue_eur": rng.uniform(0, 5000, rows).round(2),
    })
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sales.csv"
        df.to_csv(path, index=False)
        t0 = time.perf_counter()
        pd.read_csv(path)
        base = time.perf_counter() - t0
        spec = SourceSpec(kind="csv", path="sales.csv", date_format="%Y-%m")
        t0 = time.perf_counter()
        raw = data.read_source("sales_history", spec, Path(tmp))
        parsed, problems = data.parse_dates("sales_history", spec, raw, pd.Timestamp("2026-01-01"))
        _, problems2 = data.validate_source("sales_history", spec, parsed)
        ours = time.perf_counter() - t0
    assert not problems and not problems2, problems + problems2
    print(f"data   | {rows:,} sales rows: read+parse+validate {ours:.1f} s | bare read_csv {base:.1f} s | ratio {ours / base:.1f}x")


def bench_lp(n_sku: int = 1000, n_lines: int = 5, months: int = 12) -> None:
    from sop_lib import supply

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    skus = [f"S{i:04d}" for i in range(n_sku)]
    mths = pd.date_range("2027-01-01", periods=months, freq="MS")
    demand = pd.DataFrame({"sku": np.repeat(skus, months), "month": np.tile(mths, n_sku),
                           "units": rng.poisson(100, n_sku * months).astype(float)})
    lines = pd.DataFrame({"line_id": [f"L{i}" for i in range(n_lines)], "line_name": "line",
                          "hours_per_month": 100.0 * n_sku / n_lines * 0.95 * 0.1})
    routings = pd.DataFrame({"sku": skus, "line_id": [f"L{i % n_lines}" for i in range(n_sku)], "hours_per_unit": 0.1})
    bom = pd.DataFrame({"sku": skus, "component": [f"C{i % 20}" for i in range(n_sku)], "qty_per_unit": 1.0,
                        "supplier_id": [f"SUP{i % 10}" for i in range(n_sku)]})
    suppliers = pd.DataFrame({"supplier_id": [f"SUP{i}" for i in range(10)], "capacity_units_per_month": 12_000.0})
    s = pd.Series(1.0, index=skus)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = supply.plan_production(demand, on_hand=s * 50, backlog=s * 20, safety=s * 30, routings=routings, lines=lines,
                                 bom=bom, suppliers=suppliers, unit_cost=s * 40, price=s * 100)
    solve = time.perf_counter() - t0
    print(f"lp     | {n_sku} SKUs x {n_lines} lines x {months} months ({4 * n_sku * months + n_lines * months:,} variables): "
          f"build+solve {solve:.1f} s ({res.status.split('(')[0].strip()}) | input build {build:.2f} s")


def bench_demand(n_series: int) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from sop_lib import demand

    rng = np.random.default_rng(2)
    months = pd.date_range("2021-01-01", periods=42, freq="MS")
    season = np.sin(2 * np.pi * (months.month.to_numpy() - 1) / 12) * 0.3
    rows = []
    for i in range(n_series):
        mu = rng.uniform(20, 300) * np.exp(rng.normal(0, 0.1) * np.arange(42) / 12 + season)
        y = rng.negative_binomial(15, 15 / (15 + mu))
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": months, "y": y.astype(float), "family": f"f{i % 4}"}))
    hist = pd.concat(rows, ignore_index=True)
    train, test = hist[hist["ds"] <= months[-7]], hist[hist["ds"] > months[-7]]
    t0 = time.perf_counter()
    sf = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=1)
    ets = sf.forecast(df=train[["unique_id", "ds", "y"]], h=6, level=[80]).rename(
        columns={"AutoETS": "mean", "AutoETS-lo-80": "lo", "AutoETS-hi-80": "hi"})
    t_ets = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc = demand.forecast(train, 6, group_col="family", draws=300, tune=300, chains=2, seed=1)
    t_ours = time.perf_counter() - t0
    a_ets, a_ours = demand.accuracy(test, ets, train), demand.accuracy(test, fc, train)
    c_ets = demand.interval_coverage(test, ets, "lo", "hi")
    c_ours = demand.interval_coverage(test, fc, "p10", "p90")
    print(f"demand | {n_series} series x 36 months: engine {t_ours:.1f} s, MASE {a_ours['mase']:.3f}, "
          f"sMAPE {a_ours['smape']:.1f}, 80% cover {c_ours:.0%} | AutoETS {t_ets:.1f} s, MASE {a_ets['mase']:.3f}, "
          f"sMAPE {a_ets['smape']:.1f}, 80% cover {c_ets:.0%} | time ratio {t_ours / t_ets:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="data,lp,demand")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--series", type=int, default=200)
    args = ap.parse_args()
    todo = set(args.only.split(","))
    if "data" in todo:
        bench_data(args.rows)
    if "lp" in todo:
        bench_lp()
    if "demand" in todo:
        bench_demand(args.series)


if __name__ == "__main__":
    main()
