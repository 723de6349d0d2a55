"""Build the supply plan: demand views from the draws, the per-SKU facts, and the production LP wired to them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.supply.inventory import (  # noqa: F401  (re-exported for steps 4 and 5)
    cost_optimal_service_level,
    inventory_risk,
    safety_stock,
    service_cost_curve,
)
from sop_lib.supply.production import (  # noqa: F401
    PlanInfeasible,
    PlanResult,
    bottlenecks,
    capacity_check,
    plan_production,
)
from sop_lib.supply.purchasing import purchase_orders, supplier_risk  # noqa: F401


def sku_draws(draws: xr.DataArray) -> xr.DataArray:
    """Sum 'SKU|region' series draws to SKUs (coherent in every draw)."""
    from sop_lib.demand import sku_of

    skus = [sku_of(u) for u in draws["unique_id"].values]
    return draws.assign_coords(sku=("unique_id", skus)).groupby("sku").sum("unique_id")


def scenario_demand(draws: xr.DataArray, scenario: str) -> pd.DataFrame:
    """One demand view (p10 / p50 / p90 / mean) per SKU and month as a plan input."""
    if scenario == "mean":
        v = draws.mean("sample")
    else:
        v = draws.quantile(float(scenario[1:]) / 100, "sample").drop_vars("quantile")
    return v.to_series().rename("units").reset_index().rename(columns={"ds": "month"})


def plan_inputs(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Per-SKU facts the plan needs, from step 1's tables."""
    prod = tables["products"].set_index("sku")
    orders = tables["open_orders"]
    backlog = orders[orders["status"] == "backordered"]
    return {
        "on_hand": tables["inventory"].groupby("sku")["on_hand"].sum(),
        "backlog": backlog.groupby("sku")["qty"].sum(),
        "backlog_customers": backlog.groupby("sku")["customer_id"].nunique(),
        "unit_cost": prod["unit_cost_eur"],
        "price": prod["list_price_eur"],
    }


def labour_inputs(headcount: pd.DataFrame) -> dict:
    """Production workers today, hours per worker and hiring lead, from the headcount table."""
    w = headcount[headcount["role"] == "production_worker"]
    if w.empty:
        return {}
    return {
        "workers": float(w["headcount"].sum()),
        "hours_per_worker": float(w["capacity_per_head"].iloc[0]),
        "hiring_lead_months": int(w["hiring_lead_months"].max()),
    }


def plan_kwargs(params) -> dict:
    """`build_plan`'s keyword arguments from a validated `RunParams`."""
    s, f = params.supply, params.finance
    return dict(
        service_level=s.service_level,
        scenario=s.scenario,
        overtime_pct=s.overtime_pct,
        holding_pct_year=f.holding_cost_pct_per_year,
        overtime_cost=f.overtime_cost_eur_per_hour,
        lateness_pct=s.lateness_cost_pct_of_price_per_month,
        stockout_pct=s.stockout_cost_pct_of_price,
        storage_limit=s.storage_limit_units,
        review_months=s.review_period_months,
        worker_cost_eur_per_month=f.worker_cost_eur_per_month,
        priority=s.priority,
    )


PRIORITIES = {
    "cost": "the LP's own costs: a waiting unit costs a share of its price, so dearer products go first",
    "backlog_first": "products whose customers are already waiting go first",
    "launch_first": "the products being launched go first",
    "margin": "a waiting unit costs its gross margin, so the most profitable products go first",
}
PRIORITY_WEIGHT = 10.0  # how much more waiting costs for the products a policy puts first


def priority_weights(policy: str, tables: dict[str, pd.DataFrame]) -> pd.Series | None:
    """Per SKU, the multiplier of its waiting cost under an allocation policy (None: the LP's own costs)."""
    prod = tables["products"].set_index("sku")
    if policy == "cost":
        return None
    if policy == "margin":
        margin = (prod["list_price_eur"] - prod["unit_cost_eur"]).clip(lower=0)
        return margin / prod["list_price_eur"].replace(0, np.nan) / max(float((margin / prod["list_price_eur"]).mean()), 1e-9)
    if policy == "backlog_first":
        orders = tables["open_orders"]
        first = set(orders.loc[orders["status"] == "backordered", "sku"].astype(str)) if len(orders) else set()
    elif policy == "launch_first":
        first = set(tables["launches"]["sku"].astype(str))
    else:
        raise ValueError(f"unknown priority {policy!r}; expected one of {', '.join(PRIORITIES)}")
    return pd.Series([PRIORITY_WEIGHT if s in first else 1.0 for s in prod.index.astype(str)], index=prod.index.astype(str))


def build_plan(
    draws: xr.DataArray,
    tables: dict[str, pd.DataFrame],
    *,
    service_level: float,
    scenario: str,
    overtime_pct: float,
    holding_pct_year: float,
    overtime_cost: float,
    lateness_pct: float = 0.08,
    stockout_pct: float = 0.30,
    storage_limit: float | None = None,
    review_months: float = 1.0,
    fill_rate: float | None = None,
    labour: bool = True,
    worker_cost_eur_per_month: float = 4000.0,
    min_line_hours_pct: float = 0.0,
    line_hours: pd.DataFrame | None = None,
    outages: pd.DataFrame | None = None,
    priority: str = "cost",
    hiring_frozen: list | None = None,
) -> tuple[PlanResult, pd.DataFrame]:
    """Safety stock plus the cheapest production plan for one demand view (SKU-level draws).

    Labour (production workers from the headcount table, crews from the lines) is part
    of the plan unless ``labour=False``; the LP may then hire after the hiring lead time.
    """
    facts = plan_inputs(tables)
    ss = safety_stock(draws, tables["suppliers"], tables["bom"], service_level, review_months, fill_rate=fill_rate)
    people = labour_inputs(tables["headcount"]) if labour and "workers_per_shift" in tables["production_lines"] else {}
    result = plan_production(
        scenario_demand(draws, scenario),
        on_hand=facts["on_hand"],
        backlog=facts["backlog"],
        safety=ss.set_index("sku")["safety_stock"],
        routings=tables["routings"],
        lines=tables["production_lines"],
        bom=tables["bom"],
        suppliers=tables["suppliers"],
        unit_cost=facts["unit_cost"],
        price=facts["price"],
        holding_pct_year=holding_pct_year,
        overtime_pct=overtime_pct,
        overtime_cost=overtime_cost,
        lateness_pct=lateness_pct,
        stockout_pct=stockout_pct,
        storage_limit=storage_limit,
        min_line_hours_pct=min_line_hours_pct,
        worker_cost_eur_per_month=worker_cost_eur_per_month,
        line_hours=line_hours,
        outages=outages,
        priority=priority_weights(priority, tables),
        hiring_frozen=hiring_frozen if people else None,
        **people,
    )
    return result, ss
