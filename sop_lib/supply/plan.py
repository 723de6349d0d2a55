"""Build the supply plan: demand views from the draws, the per-SKU facts, and the production LP wired to them.

A thin product master (no list price or unit cost for some SKUs, or for all) still gets a
plan: `planning_values` gives the LP a stand-in for every value it lacks and says which in
one sentence; `unvalued` and `left_out_sentence` tell the later steps which SKUs their
euro figures leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.core.master import (  # noqa: E402, F401  (the master's values, said once for every step)
    COST,
    LISTED,
    PRICE,
    VALUE_WORDS,
    left_out_sentence,
    left_out_text,
    listing,
    master_values,
    unvalued,
)
from sop_lib.supply import solved
from sop_lib.supply.inventory import (  # noqa: F401  (re-exported for steps 4 and 5)
    cost_optimal_service_level,
    inventory_risk,
    safety_stock,
    service_cost_curve,
    shortage_cuts,
    stock_targets,
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
    """One demand view (p10 / p50 / p90 / mean) per SKU and month as a plan input (one vectorised
    quantile: draws have no gaps, and xarray's default skips NaN one SKU-month at a time)."""
    if scenario == "mean":
        v = draws.mean("sample")
    else:
        v = draws.quantile(float(scenario[1:]) / 100, "sample", skipna=bool(draws.isnull().any())).drop_vars("quantile")
    return v.to_series().rename("units").reset_index().rename(columns={"ds": "month"})


def plan_inputs(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Per-SKU facts the plan needs, from step 1's tables."""
    orders = tables["open_orders"]
    backlog = orders[orders["status"] == "backordered"]
    return {
        "on_hand": tables["inventory"].groupby("sku")["on_hand"].sum(),
        "backlog": backlog.groupby("sku")["qty"].sum(),
        "backlog_customers": backlog.groupby("sku")["customer_id"].nunique(),
        **master_values(tables["products"]),
    }


@dataclass(frozen=True)
class Valuation:
    """What the LP weighs a unit with: the list price and unit cost, or a stand-in where the master has none."""

    price: pd.Series  # per SKU: list price, or the stand-in value
    unit_cost: pd.Series  # per SKU: unit cost, or the stand-in cost
    no_price: tuple[str, ...] = ()  # SKUs (of those looked at) without a list price
    no_cost: tuple[str, ...] = ()  # SKUs without a unit cost
    skus: int = 0  # SKUs looked at
    price_standin: float | None = None  # the value a unit without a list price gets
    cost_rule: str = ""  # how a unit without a unit cost is costed, in words

    def sentence(self, costs: str = "the plan's waiting, safety-stock and holding costs") -> str | None:
        """The stand-ins in one sentence, ending with which ``costs`` they are in (None when the master
        has every price and cost)."""
        n, parts = self.skus, []
        no_price, no_cost = len(self.no_price) == n > 0, len(self.no_cost) == n > 0  # none at all
        if no_price:
            parts.append(
                f"no list price for any of the {n:,} SKUs, so the plan values every unit alike, at "
                f"€{self.price_standin:,.0f} (a month's wait then costs what making the unit on overtime, with new workers, would)"
            )
        elif self.no_price:
            parts.append(
                f"no list price for {len(self.no_price):,} of {n:,} SKUs ({listing(list(self.no_price))}), so the plan "
                f"values their units at the median list price, €{self.price_standin:,.0f}"
            )
        if no_cost and no_price:
            parts.append("no unit cost either, so stock is costed at that value")
        elif no_cost:
            parts.append(f"no unit cost for any of the {n:,} SKUs, so stock is costed {self.cost_rule}")
        elif self.no_cost:
            parts.append(
                f"no unit cost for {len(self.no_cost):,} of {n:,} SKUs ({listing(list(self.no_cost))}), so their stock "
                f"is costed {self.cost_rule}"
            )
        if not parts:
            return None
        return f"The product master has {', and '.join(parts)}: {costs} are in these stand-in values."


def standin_value(tables: dict[str, pd.DataFrame], *, overtime_cost: float, lateness_pct: float, worker_cost: float) -> float:
    """One value for every unit when no list price is known: the dearest unit's cost of being made on
    overtime (line hours x the overtime rate, plus its crew's hours at a production worker's cost) over the
    lateness share, so a month's wait costs at least what overtime or a hire would to avoid it (1 without routings)."""
    route = tables["routings"]
    if not len(route):
        return 1.0
    lines = tables["production_lines"].set_index("line_id")
    per_hour = pd.Series(float(overtime_cost), index=route.index)
    people = labour_inputs(tables["headcount"]) if "workers_per_shift" in lines and "headcount" in tables else {}
    if people:
        crew = route["line_id"].map(lines["workers_per_shift"].astype(float)).fillna(0.0)
        per_hour = per_hour + crew * worker_cost / people["hours_per_worker"]
    per_unit = (route["hours_per_unit"].astype(float) * per_hour).groupby(route["sku"]).sum()
    value = float(per_unit.max()) / max(lateness_pct, 1e-9)
    return value if value > 0 else 1.0


def planning_values(
    tables: dict[str, pd.DataFrame],
    *,
    overtime_cost: float,
    lateness_pct: float,
    worker_cost_eur_per_month: float = 4000.0,
    skus=None,
) -> Valuation:
    """The price and unit cost the LP weighs each SKU with, with a stand-in wherever the master has none.

    A SKU without a list price is valued at the median list price of the others; when no SKU has one,
    every unit is valued alike (`standin_value`). A SKU without a unit cost is costed at the median
    cost share of price of the SKUs that have both (else the median unit cost; else at its value).
    With every price and cost known the master's own columns come back unchanged. ``skus`` (the plan's)
    are the SKUs the sentence counts.
    """
    facts = master_values(tables["products"])
    price, cost = facts["price"], facts["unit_cost"]
    no_price, n = unvalued(tables["products"], PRICE, skus)
    no_cost, _ = unvalued(tables["products"], COST, skus)
    if not price.isna().any() and not cost.isna().any():
        return Valuation(price, cost, tuple(no_price), tuple(no_cost), n)
    standin = None
    if price.isna().any():
        known = price.dropna()
        standin = (
            float(known.median())
            if len(known)
            else standin_value(
                tables, overtime_cost=overtime_cost, lateness_pct=lateness_pct, worker_cost=worker_cost_eur_per_month
            )
        )
        price = price.fillna(standin)
    rule = ""
    if cost.isna().any():
        both = facts["unit_cost"].notna() & facts["price"].notna()
        if both.any():
            share = float((facts["unit_cost"][both] / facts["price"][both]).median())
            cost, rule = cost.fillna(price * share), f"at {share:.0%} of their value (the median cost share of the others)"
        elif cost.notna().any():
            median = float(cost.median())
            cost, rule = cost.fillna(median), f"at the median unit cost, €{median:,.0f}"
        else:
            rule = "at the list price" if facts["price"].notna().all() else "at the units' value in the plan"
            cost = cost.fillna(price)
    return Valuation(price, cost, tuple(no_price), tuple(no_cost), n, standin, rule)


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


def plan_kwargs(params, cache: str | Path | None = None) -> dict:
    """`build_plan`'s keyword arguments from a validated `RunParams` (``cache``: where a cycle keeps
    its solved plans, `supply.solved`)."""
    s, f = params.supply, params.finance
    return dict(
        cache=cache,
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
    if policy == "margin":  # a SKU without a list price or a unit cost has no margin: it keeps the weight 1
        price = prod[PRICE] if PRICE in prod else pd.Series(np.nan, index=prod.index)
        cost = prod[COST] if COST in prod else pd.Series(np.nan, index=prod.index)
        margin = (price - cost).clip(lower=0)
        share = margin / price
        if share.isna().all():
            return pd.Series(1.0, index=prod.index)
        return (margin / price.replace(0, np.nan) / max(float(share.mean()), 1e-9)).fillna(1.0)
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
    cache: str | Path | None = None,
) -> tuple[PlanResult, pd.DataFrame]:
    """Safety stock plus the cheapest production plan for one demand view (SKU-level draws).

    Labour (production workers from the headcount table, crews from the lines) is part
    of the plan unless ``labour=False``; the LP may then hire after the hiring lead time.
    Where the product master lacks a price or cost the LP weighs the stand-ins of
    `planning_values`; the result's ``valuation`` says which (None: none needed). With
    ``cache`` (a folder) a plan solved before from the same inputs is read back (`supply.solved`).
    """
    if cache is not None:
        settings = {k: v for k, v in locals().items() if k not in ("draws", "tables", "cache")}
        return solved.cached_plan(cache, lambda: build_plan(draws, tables, **settings), draws, tables, settings)
    facts = plan_inputs(tables)
    values = planning_values(
        tables,
        overtime_cost=overtime_cost,
        lateness_pct=lateness_pct,
        worker_cost_eur_per_month=worker_cost_eur_per_month,
        skus=draws["sku"].values,
    )
    ss = safety_stock(draws, tables["suppliers"], tables["bom"], service_level, review_months, fill_rate=fill_rate)
    people = labour_inputs(tables["headcount"]) if labour and "workers_per_shift" in tables["production_lines"] else {}
    view = scenario_demand(draws, scenario)
    # a cycle service target is planned against the draws' shortage curve; a fill-rate target with the formula's buffer
    cuts = shortage_cuts(draws, view, service_level) if fill_rate is None else None
    result = plan_production(
        view,
        on_hand=facts["on_hand"],
        backlog=facts["backlog"],
        safety=ss.set_index("sku")["safety_stock"],
        shortage=cuts,
        service_level=service_level,
        routings=tables["routings"],
        lines=tables["production_lines"],
        bom=tables["bom"],
        suppliers=tables["suppliers"],
        unit_cost=values.unit_cost,
        price=values.price,
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
    result.valuation = values.sentence()
    result.stock_targets = stock_targets(cuts, service_level) if cuts is not None else None
    return result, ss
