"""Every scenario through the one planning path, on the same demand draws.

For the base plan and each declared scenario: its inputs (`changes.scenario_inputs`), the
plan the LP builds from them (`supply.build_plan`, as step 3 does), and that fixed plan run
against every draw of the scenario's demand (`outcomes.simulate`). The result is one P&L
and service distribution per scenario and the paired differences to the base.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import xarray as xr

from sop_lib import supply
from sop_lib.params import Scenario
from sop_lib.scenarios import outcomes
from sop_lib.scenarios.changes import scenario_inputs

BASE = "base"


@dataclass
class Evaluated:
    results: pd.DataFrame  # scenario_results: scenario, metric, p10, p50, p90, mean, delta_*
    per_draw: dict[str, pd.DataFrame]  # scenario -> one row per draw
    plans: dict[str, pd.DataFrame]  # scenario -> the LP's plan (sku, month, production, ...)
    seconds: dict[str, float]  # scenario -> seconds to build and evaluate


def units_per_customer(orders: pd.DataFrame) -> float:
    """Average units a waiting customer ordered (1 without orders), to count customers, not units."""
    back = orders[orders["status"] == "backordered"] if len(orders) else orders
    use = back if len(back) else orders
    return float(use["qty"].sum() / max(use["customer_id"].nunique(), 1)) if len(use) else 1.0


def opex(budget: pd.DataFrame, months: pd.DatetimeIndex) -> float | None:
    """The opex budget over the horizon (None when no budget is declared)."""
    if budget.empty:
        return None
    b = budget.assign(month=pd.to_datetime(budget["month"]).dt.to_period("M").dt.to_timestamp())
    return float(b.loc[b["month"].isin(months), "opex_budget_eur"].sum())


def evaluate_scenarios(scenarios: list[Scenario], ds: xr.Dataset, tables: dict[str, pd.DataFrame], *,
                       plan_kwargs: dict, seed: int, overrides: pd.DataFrame | None = None) -> Evaluated:
    """The base plan and every scenario, each planned and run against all its draws."""
    months = pd.DatetimeIndex(ds["demand"]["ds"].values)
    opex_eur = opex(tables["budget"], months) or 0.0
    per_customer = units_per_customer(tables["open_orders"])
    targets = tables["targets"]
    in_horizon = pd.to_datetime(targets["month"]).dt.to_period("M").dt.to_timestamp().isin(months)
    target = float(targets.loc[in_horizon, "revenue_target_eur"].sum()) if len(targets) else None
    per_draw, plans, seconds = {}, {}, {}
    for sc in [None, *scenarios]:
        t0 = time.perf_counter()
        name = sc.name if sc else BASE
        inp = scenario_inputs(sc, ds, tables, seed=seed, overrides=overrides)
        f = supply.plan_inputs(inp.tables)
        plan, _ = supply.build_plan(inp.draws, inp.tables, **plan_kwargs, **inp.plan_kwargs())
        sim = outcomes.simulate(plan.plan, inp.draws, on_hand=f["on_hand"], backlog=f["backlog"], price=f["price"],
                                unit_cost=f["unit_cost"], holding_pct_year=plan_kwargs["holding_pct_year"],
                                price_factor=inp.price_factor)
        per_draw[name] = outcomes.profit_and_loss(sim, overtime_eur=plan.costs["overtime_eur"],
                                                  hiring_eur=plan.costs["new_workers_eur"], opex_eur=opex_eur,
                                                  extra_cost_eur=float(inp.extra_cost.sum()),
                                                  units_per_customer=per_customer)
        plans[name] = plan.plan
        seconds[name] = time.perf_counter() - t0
    return Evaluated(outcomes.summarise(per_draw, base=BASE, revenue_target_eur=target or None), per_draw, plans, seconds)
