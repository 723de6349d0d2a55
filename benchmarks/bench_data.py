"""Load and validate a large sales export (issue 3 scale target: 1M rows well under a minute)."""

from __future__ import annotations

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
