"""The production LP at scale (issue 5 target: 1,000 SKUs x 5 lines x 12 months under 30 s)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

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
