"""Step 4's what-if scenarios at scale: 1,000 SKUs, 5 scenarios + the base plan.

Each scenario re-solves the production LP and runs its fixed plan against every demand
draw. Reported as seconds and as a ratio to one base-plan solve (`supply.build_plan`)
measured in the same run, so the figure means the same on a faster machine.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import xarray as xr
from bench_lp import _inputs


def _company(n_sku: int, samples: int, months: int = 12) -> tuple[dict, xr.Dataset]:
    lp = _inputs(n_sku, 5, months)
    skus = list(lp["unit_cost"].index)
    mths = pd.date_range("2027-01-01", periods=months, freq="MS")
    tables = {
        "products": pd.DataFrame(
            {
                "sku": skus,
                "name": skus,
                "family": [f"F{i % 4}" for i in range(n_sku)],
                "unit_cost_eur": 40.0,
                "list_price_eur": 100.0,
            }
        ),
        "inventory": pd.DataFrame({"sku": skus, "on_hand": 50.0}),
        "open_orders": pd.DataFrame(
            {"sku": skus, "qty": 20.0, "customer_id": [f"C{i}" for i in range(n_sku)], "status": "backordered"}
        ),
        "production_lines": lp["lines"],
        "routings": lp["routings"],
        "bom": lp["bom"],
        "suppliers": lp["suppliers"].assign(lead_time_sd_days=3.0, financial_risk="low"),
        "headcount": pd.DataFrame(columns=["role", "region", "headcount", "capacity_per_head", "hiring_lead_months"]),
        "launches": pd.DataFrame(columns=["sku", "analog_sku", "earliest_launch", "likely_launch", "latest_launch"]),
        "budget": pd.DataFrame({"month": mths, "opex_budget_eur": 1e6}),
        "targets": pd.DataFrame(
            {
                "month": np.repeat(mths, 4),
                "family": [f"F{i}" for i in range(4)] * months,
                "revenue_target_eur": 2.5e6,
                "gross_margin_target_pct": 0.5,
            }
        ),
    }
    rng = np.random.default_rng(3)
    d = rng.gamma(10, 10, size=(samples, n_sku, months))
    da = xr.DataArray(
        d,
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(samples), "unique_id": [f"{s}|R" for s in skus], "ds": mths},
    )
    return tables, xr.Dataset({"demand": da, "statistical": da, "base": da})


SCENARIOS = [
    {"name": "supplier out", "changes": [{"supplier_outage": {"supplier": "SUP0", "from": "2027-03", "months": 3}}]},
    {"name": "line down", "changes": [{"line_outage": {"line": "L1", "from": "2027-02", "months": 1}}]},
    {
        "name": "extra shift",
        "changes": [
            {
                "capacity_change": {
                    "line": "L2",
                    "hours_per_month": 200,
                    "from": "2027-01",
                    "to": "2027-06",
                    "cost_eur_per_hour": 60,
                }
            }
        ],
    },
    {"name": "demand drop", "changes": [{"demand_change": {"family": "F1", "from": "2027-04", "pct_low": -30, "pct_high": -10}}]},
    {"name": "price up", "changes": [{"price_change": {"family": "F2", "pct": 5, "from": "2027-01"}}]},
]


def bench_scenarios(n_sku: int = 1000, samples: int = 500) -> float:
    from sop_lib import reconciliation as scenarios
    from sop_lib import supply
    from sop_lib.core.params import Scenario

    tables, ds = _company(n_sku, samples)
    kw = dict(service_level=0.95, scenario="p50", overtime_pct=0.1, holding_pct_year=0.22, overtime_cost=58.0)
    t0 = time.perf_counter()
    supply.build_plan(supply.sku_draws(ds["demand"]), tables, **kw)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    ev = scenarios.evaluate_scenarios([Scenario.model_validate(s) for s in SCENARIOS], ds, tables, plan_kwargs=kw, seed=1)
    total = time.perf_counter() - t0
    per = ", ".join(f"{k} {v:.1f} s" for k, v in ev.seconds.items())
    print(
        f"scen   | {n_sku} SKUs x {samples} draws: base + {len(SCENARIOS)} scenarios in {total:.1f} s = "
        f"{total / one:.1f}x one base-plan solve ({one:.1f} s) | {per}"
    )
    return total / one


if __name__ == "__main__":
    bench_scenarios()
