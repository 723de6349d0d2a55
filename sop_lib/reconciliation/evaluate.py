"""Every scenario through the one planning path, on the same demand draws.

For the base plan and each declared scenario: its inputs (`changes.scenario_inputs`), the
plan the LP builds from them (`supply.build_plan`, as step 3 does), and that fixed plan run
against every draw of the scenario's demand (`outcomes.simulate`). The result is one P&L
and service distribution per scenario and the paired differences to the base.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import pandas as pd
import xarray as xr

from sop_lib import demand, supply
from sop_lib.core import workers as pool
from sop_lib.core.params import Scenario
from sop_lib.reconciliation import outcomes
from sop_lib.reconciliation.scenario_inputs import combined, scenario_inputs

BASE = "base"


@dataclass
class Evaluated:
    results: pd.DataFrame  # scenario_results: scenario, metric, p10, p50, p90, mean, delta_*
    per_draw: dict[str, pd.DataFrame]  # scenario -> one row per draw
    plans: dict[str, pd.DataFrame]  # scenario -> the LP's plan (sku, month, production, ...)
    seconds: dict[str, float]  # scenario -> seconds to build and evaluate
    wall_seconds: float = 0.0  # all of them, from start to end (less than the sum on several processes)
    workers: int = 1  # processes the scenarios were solved on


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


def _plan_and_run(inp, plan_kwargs: dict, *, opex_eur: float, per_customer: float, groups: dict[str, list[str]] | None = None):
    """One scenario's plan (the LP, as step 3 builds it), run against every draw of its demand:
    (the plan, the per-draw simulation, the per-draw P&L)."""
    f = supply.plan_inputs(inp.tables)
    plan, _ = supply.build_plan(inp.draws, inp.tables, **plan_kwargs, **inp.plan_kwargs())
    sim = outcomes.simulate(
        plan.plan,
        inp.draws,
        on_hand=f["on_hand"],
        backlog=f["backlog"],
        price=f["price"],
        unit_cost=f["unit_cost"],
        holding_pct_year=plan_kwargs["holding_pct_year"],
        price_factor=inp.price_factor,
        groups=groups,
    )
    pnl = outcomes.profit_and_loss(
        sim,
        overtime_eur=plan.costs["overtime_eur"],
        hiring_eur=plan.costs["new_workers_eur"],
        opex_eur=opex_eur,
        units_per_customer=per_customer,
        extra_cost_eur=float(inp.extra_cost.sum()) + inp.premium_cost(plan.plan, inp.tables["products"]),
    )
    return plan, sim, pnl


def evaluate_scenarios(
    scenarios: list[Scenario],
    ds: xr.Dataset,
    tables: dict[str, pd.DataFrame],
    *,
    plan_kwargs: dict,
    seed: int,
    overrides: pd.DataFrame | None = None,
    adopted: Scenario | None = None,
    workers: int = 1,
) -> Evaluated:
    """The base plan and every scenario, each planned and run against all its draws; changes
    adopted by earlier decisions (``adopted``) are part of the base and of every scenario.
    With ``workers`` over 1 the scenarios are solved side by side (`core.workers.each`)."""
    months = pd.DatetimeIndex(ds["demand"]["ds"].values)
    opex_eur = opex(tables["budget"], months) or 0.0
    per_customer = units_per_customer(tables["open_orders"])
    targets = tables["targets"]
    in_horizon = pd.to_datetime(targets["month"]).dt.to_period("M").dt.to_timestamp().isin(months)
    target = float(targets.loc[in_horizon, "revenue_target_eur"].sum()) if len(targets) else None
    skus = {demand.sku_of(u) for u in map(str, ds["demand"]["unique_id"].values)}
    if supply.unvalued(tables["products"], supply.PRICE, skus)[0]:
        target = None  # revenue that leaves SKUs out is not set against the target
    started = time.perf_counter()
    asked = [None, *scenarios]  # None: the base plan
    run = partial(
        _scenario,
        adopted=adopted,
        ds=ds,
        tables=tables,
        seed=seed,
        overrides=overrides,
        plan_kwargs=plan_kwargs,
        opex_eur=opex_eur,
        per_customer=per_customer,
    )
    done = dict(zip([sc.name if sc else BASE for sc in asked], pool.each(run, asked, workers=workers)))
    per_draw = {name: pnl for name, (_, pnl, _) in done.items()}
    return Evaluated(
        outcomes.summarise(per_draw, base=BASE, revenue_target_eur=target or None),
        per_draw,
        {name: plan for name, (plan, _, _) in done.items()},
        {name: secs for name, (_, _, secs) in done.items()},
        time.perf_counter() - started,
        min(workers, len(asked)),
    )


def _scenario(
    sc: Scenario | None,
    *,
    adopted: Scenario | None,
    ds: xr.Dataset,
    tables: dict[str, pd.DataFrame],
    seed: int,
    overrides: pd.DataFrame | None,
    plan_kwargs: dict,
    opex_eur: float,
    per_customer: float,
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """One scenario (None: the base plan) planned and run against its draws: its plan, per-draw P&L
    and seconds. A function of its own inputs only, so scenarios may run in any process."""
    t0 = time.perf_counter()
    inp = scenario_inputs(combined(adopted, sc), ds, tables, seed=seed, overrides=overrides)
    plan, _, pnl = _plan_and_run(inp, plan_kwargs, opex_eur=opex_eur, per_customer=per_customer)
    return plan.plan, pnl, time.perf_counter() - t0


def compare_priorities(
    ds: xr.Dataset,
    tables: dict[str, pd.DataFrame],
    *,
    plan_kwargs: dict,
    seed: int,
    overrides: pd.DataFrame | None = None,
    adopted: Scenario | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Who gets scarce units, policy by policy, on the plan's own demand draws.

    For each allocation policy (`supply.PRIORITIES`) the plan is rebuilt and run against
    every draw: customer-months waiting of the products customers wait for today, revenue of
    the launched products, gross margin and operating profit, as P50 with the P10-P90 of the
    paired difference to the policy in params (``plan_kwargs["priority"]``).
    """
    orders = tables["open_orders"]
    groups = {
        "backlog": sorted(set(orders.loc[orders["status"] == "backordered", "sku"].astype(str))) if len(orders) else [],
        "launch": sorted(set(tables["launches"]["sku"].astype(str))),
    }
    inp = scenario_inputs(adopted, ds, tables, seed=seed, overrides=overrides)
    opex_eur = opex(tables["budget"], pd.DatetimeIndex(ds["demand"]["ds"].values)) or 0.0
    per_customer = units_per_customer(orders)
    run = partial(_policy, inp=inp, plan_kwargs=plan_kwargs, opex_eur=opex_eur, per_customer=per_customer, groups=groups)
    draws = dict(zip(supply.PRIORITIES, pool.each(run, list(supply.PRIORITIES), workers=workers)))
    ref = draws[plan_kwargs.get("priority", "cost")]
    rows = []
    for policy, d in draws.items():
        row = {"policy": policy, "rule": supply.PRIORITIES[policy]}
        for m in ("backlog_customer_months", "launch_revenue_eur", "gross_margin_eur", "operating_profit_eur"):
            diff = d[m] - ref[m]
            row |= {
                m: float(d[m].median()),
                f"{m}_delta_p10": float(diff.quantile(0.1)),
                f"{m}_delta_p90": float(diff.quantile(0.9)),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _policy(policy: str, *, inp, plan_kwargs: dict, opex_eur: float, per_customer: float, groups: dict[str, list[str]]):
    """One allocation policy's plan run against every draw: its per-draw P&L with the waiting of
    today's backlog and the launch's revenue."""
    _, sim, pnl = _plan_and_run(
        inp, {**plan_kwargs, "priority": policy}, opex_eur=opex_eur, per_customer=per_customer, groups=groups
    )
    return pnl.assign(
        backlog_customer_months=sim["backorder_unit_months[backlog]"] / per_customer,
        launch_revenue_eur=sim["revenue_eur[launch]"],
    )


def priority_sentence(table: pd.DataFrame, current: str, fmt_eur) -> str:
    """Which policy the numbers favour, and what choosing it costs or saves against the current one
    (waiting alone when the product master's prices or costs do not value the profit)."""
    fastest = table.loc[table["backlog_customer_months"].idxmin()]
    cur = table.set_index("policy").loc[current]
    if table["operating_profit_eur"].isna().all():
        return (
            f"Customers waiting today are served fastest with '{fastest['policy']}' "
            f"({fastest['backlog_customer_months']:,.0f} customer-months of waiting against "
            f"{cur['backlog_customer_months']:,.0f} under the plan's '{current}'); the policies' operating profit is "
            f"{outcomes.NOT_VALUED}."
        )
    best = table.loc[table["operating_profit_eur"].idxmax()]
    text = (
        f"Operating profit is highest with '{best['policy']}' ({fmt_eur(best['operating_profit_eur'])} most likely); "
        f"customers waiting today are served fastest with '{fastest['policy']}' "
        f"({fastest['backlog_customer_months']:,.0f} customer-months of waiting against "
        f"{cur['backlog_customer_months']:,.0f} under the plan's '{current}')."
    )
    saved = cur["backlog_customer_months"] - fastest["backlog_customer_months"]
    cost = cur["operating_profit_eur"] - fastest["operating_profit_eur"]
    if saved > 0.5 and fastest["policy"] != current:
        text += (
            f" Switching to it saves {saved:,.0f} customer-months and costs {fmt_eur(cost)} of operating profit "
            f"({fmt_eur(cost / saved)} per customer-month saved)."
            if cost > 0
            else f" Switching to it saves {saved:,.0f} customer-months and adds {fmt_eur(-cost)} of operating profit."
        )
    return text
