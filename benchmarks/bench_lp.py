"""The production LP at scale (issue 5 target: 1,000 SKUs x 5 lines x 12 months under 30 s).

Every constraint family is on, as in the monthly cycle: line hours with overtime, labour
with hiring after a lead time, component supply inside supplier lead times, a storage
limit and safety stock. Reports the solve time next to the time to build the inputs, and
the time of the same model without labour and storage (what the LP cost before them).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd


def _inputs(n_sku: int, n_lines: int, months: int) -> dict:
    rng = np.random.default_rng(1)
    skus = [f"S{i:04d}" for i in range(n_sku)]
    mths = pd.date_range("2027-01-01", periods=months, freq="MS")
    demand = pd.DataFrame(
        {"sku": np.repeat(skus, months), "month": np.tile(mths, n_sku), "units": rng.poisson(100, n_sku * months).astype(float)}
    )
    lines = pd.DataFrame(
        {
            "line_id": [f"L{i}" for i in range(n_lines)],
            "line_name": "line",
            "hours_per_month": 100.0 * n_sku / n_lines * 0.95 * 0.1,
            "workers_per_shift": 4,
        }
    )
    routings = pd.DataFrame({"sku": skus, "line_id": [f"L{i % n_lines}" for i in range(n_sku)], "hours_per_unit": 0.1})
    bom = pd.DataFrame(
        {
            "sku": skus,
            "component": [f"C{i % 20}" for i in range(n_sku)],
            "qty_per_unit": 1.0,
            "supplier_id": [f"SUP{i % 10}" for i in range(n_sku)],
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier_id": [f"SUP{i}" for i in range(10)],
            "supplier_name": "supplier",
            "capacity_units_per_month": 12_000.0,
            "lead_time_days": 14.0 + 3 * np.arange(10),
            "on_time_rate": 0.9,
        }
    )
    s = pd.Series(1.0, index=skus)
    return dict(
        demand=demand,
        on_hand=s * 50,
        backlog=s * 20,
        safety=s * 30,
        routings=routings,
        lines=lines,
        bom=bom,
        suppliers=suppliers,
        unit_cost=s * 40,
        price=s * 100,
    )


def bench_lp(n_sku: int = 1000, n_lines: int = 5, months: int = 12) -> float:
    from sop_lib.supply import production

    t0 = time.perf_counter()
    inputs = _inputs(n_sku, n_lines, months)
    build = time.perf_counter() - t0
    workers = float(inputs["lines"]["hours_per_month"].sum() * 4 / 140 * 0.8)  # 80 % staffed: hiring needed
    t0 = time.perf_counter()
    res = production.plan_production(
        **inputs, workers=workers, hours_per_worker=140.0, hiring_lead_months=2, storage_limit=60.0 * n_sku
    )
    solve = time.perf_counter() - t0
    t0 = time.perf_counter()
    production.plan_production(**inputs)
    plain = time.perf_counter() - t0
    n_var = 4 * n_sku * months + n_lines * months + months
    print(
        f"lp     | {n_sku} SKUs x {n_lines} lines x {months} months ({n_var:,} variables, "
        f"{len(res.constraints) + n_sku * months:,} inequality rows): build+solve {solve:.1f} s "
        f"({res.status.split('(')[0].strip()}; {res.labour['new_workers'].max():.0f} hires, "
        f"{len(production.bottlenecks(res))} binding limits) | without labour and storage {plain:.1f} s "
        f"| input build {build:.2f} s"
    )
    return solve


if __name__ == "__main__":
    bench_lp()
