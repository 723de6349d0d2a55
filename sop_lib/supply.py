"""Step 3: can we meet the demand, and at what cost? The step's entry points.

The work is done in one module per concern; this module wires them to step 1's tables
and step 2's draws, and keeps the names later steps import:

* `sop_lib.inventory` — safety stock and reorder point for a cycle service level or a
  fill rate, the newsvendor cost-optimal service level, the cost/service trade-off
  curve, and `inventory_risk` (the plan run against every demand draw).
* `sop_lib.production` — the production LP (HiGHS): lines, overtime, labour and
  hiring, components within supplier lead times, storage; `bottlenecks` in words and
  `PlanInfeasible` naming conflicting constraints.
* `sop_lib.people` — sales reps, service agents and production workers, required
  versus available per month, and when hiring must start.
* `sop_lib.purchasing` — suggested purchase orders and supplier risk.

Here: demand views from the draws (`sku_draws`, `scenario_demand`), the per-SKU facts
(`plan_inputs`), `build_plan`, and the backlog burn-down with and without the launch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.inventory import (  # noqa: F401  (re-exported for steps 4 and 5)
    cost_optimal_service_level,
    inventory_risk,
    safety_stock,
    service_cost_curve,
)
from sop_lib.people import people_check as _people_summary
from sop_lib.people import people_plan
from sop_lib.production import (  # noqa: F401
    PlanInfeasible,
    PlanResult,
    bottlenecks,
    capacity_check,
    plan_production,
)
from sop_lib.purchasing import purchase_orders, supplier_risk  # noqa: F401


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
    return {"workers": float(w["headcount"].sum()), "hours_per_worker": float(w["capacity_per_head"].iloc[0]),
            "hiring_lead_months": int(w["hiring_lead_months"].max())}


def most_waited_for(facts: dict[str, pd.Series], orders: pd.DataFrame) -> str | None:
    """The SKU most backordered customers wait for (else the one most open orders name; None without orders)."""
    waiting = facts["backlog_customers"]
    if len(waiting) and waiting.max() > 0:
        return str(waiting.idxmax())
    return str(orders["sku"].mode().iloc[0]) if len(orders) else None


def backlog_facts(facts: dict[str, pd.Series], sku: str) -> dict[str, float]:
    """Backlog units, stock on hand and units per waiting customer for one SKU.

    With no backlog the average order is taken as one unit, so customer counts stay defined.
    """
    units = float(facts["backlog"].get(sku, 0.0))
    customers = float(facts["backlog_customers"].get(sku, 0.0))
    return {"units": units, "on_hand": float(facts["on_hand"].get(sku, 0.0)),
            "customers": customers, "per_customer": units / customers if customers else 1.0}


def plan_kwargs(params) -> dict:
    """`build_plan`'s keyword arguments from a validated `RunParams`."""
    s, f = params.supply, params.finance
    return dict(service_level=s.service_level, scenario=s.scenario, overtime_pct=s.overtime_pct,
                holding_pct_year=f.holding_cost_pct_per_year, overtime_cost=f.overtime_cost_eur_per_hour,
                lateness_pct=s.lateness_cost_pct_of_price_per_month, stockout_pct=s.stockout_cost_pct_of_price,
                storage_limit=s.storage_limit_units, review_months=s.review_period_months,
                worker_cost_eur_per_month=f.worker_cost_eur_per_month, priority=s.priority)


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


def build_plan(draws: xr.DataArray, tables: dict[str, pd.DataFrame], *, service_level: float, scenario: str,
               overtime_pct: float, holding_pct_year: float, overtime_cost: float, lateness_pct: float = 0.08,
               stockout_pct: float = 0.30, storage_limit: float | None = None, review_months: float = 1.0,
               fill_rate: float | None = None, labour: bool = True, worker_cost_eur_per_month: float = 4000.0,
               min_line_hours_pct: float = 0.0, line_hours: pd.DataFrame | None = None,
               outages: pd.DataFrame | None = None, priority: str = "cost",
               hiring_frozen: list | None = None) -> tuple[PlanResult, pd.DataFrame]:
    """Safety stock plus the cheapest production plan for one demand view (SKU-level draws).

    Labour (production workers from the headcount table, crews from the lines) is part
    of the plan unless ``labour=False``; the LP may then hire after the hiring lead time.
    """
    facts = plan_inputs(tables)
    ss = safety_stock(draws, tables["suppliers"], tables["bom"], service_level, review_months, fill_rate=fill_rate)
    people = labour_inputs(tables["headcount"]) if labour and "workers_per_shift" in tables["production_lines"] else {}
    result = plan_production(
        scenario_demand(draws, scenario), on_hand=facts["on_hand"], backlog=facts["backlog"],
        safety=ss.set_index("sku")["safety_stock"], routings=tables["routings"], lines=tables["production_lines"],
        bom=tables["bom"], suppliers=tables["suppliers"], unit_cost=facts["unit_cost"], price=facts["price"],
        holding_pct_year=holding_pct_year, overtime_pct=overtime_pct, overtime_cost=overtime_cost,
        lateness_pct=lateness_pct, stockout_pct=stockout_pct, storage_limit=storage_limit,
        min_line_hours_pct=min_line_hours_pct, worker_cost_eur_per_month=worker_cost_eur_per_month,
        line_hours=line_hours, outages=outages, priority=priority_weights(priority, tables),
        hiring_frozen=hiring_frozen if people else None, **people)
    return result, ss


def backlog_burndown(plan: pd.DataFrame, sku: str, backlog_units: float, on_hand: float,
                     units_per_customer: float) -> pd.DataFrame:
    """Customers waiting at each month end: the original backlog (served first) and everyone.

    The original backlog is served first in order of arrival, so it shrinks as soon as
    stock arrives; ``all_waiting`` adds customers whose new orders the plan backorders.
    """
    p = plan[plan["sku"] == sku].sort_values("month")
    available = on_hand + p["production"].cumsum()
    remaining = np.maximum(backlog_units - available, 0).to_numpy()
    return pd.DataFrame({
        "sku": sku,
        "month": p["month"].to_numpy(),
        "backlog_units": remaining,
        "backlog_customers": np.ceil(remaining / units_per_customer),
        "all_waiting_units": p["backorders"].to_numpy(),
        "all_waiting_customers": np.ceil(p["backorders"].to_numpy() / units_per_customer),
    })


def launch_effect_on_backlog(with_launch: pd.DataFrame, without_launch: pd.DataFrame) -> pd.DataFrame:
    """Two burn-downs side by side: customers waiting with and without the new launch's demand.

    A launch that shares line hours or components with the product whose customers wait
    (`shared_resources`) can keep them waiting longer; ``extra_waiting`` says how many.
    """
    a = with_launch.set_index("month")[["backlog_customers", "all_waiting_customers"]]
    b = without_launch.set_index("month")[["backlog_customers", "all_waiting_customers"]]
    out = a.join(b, lsuffix="_with_launch", rsuffix="_without_launch", how="outer").fillna(0)
    out["extra_waiting"] = out["all_waiting_customers_with_launch"] - out["all_waiting_customers_without_launch"]
    return out.reset_index()


def people_check(headcount: pd.DataFrame, pipeline: pd.DataFrame, demand: pd.DataFrame, line_use: pd.DataFrame,
                 lines: pd.DataFrame | None = None, *, units_per_order: float = 1.0,
                 today: pd.Timestamp | None = None) -> pd.DataFrame:
    """Required versus available people per role and region (peak over the horizon), with hire-by dates.

    Kept for steps 4 and 5; `sop_lib.people.people_plan` gives the month-by-month table.
    Without ``lines`` (crew sizes) a production worker is counted per line hour.
    """
    if lines is None:
        lines = pd.DataFrame({"line_id": line_use["line_id"].unique(), "workers_per_shift": 1})
    plan = people_plan(headcount, pipeline, demand, line_use, lines, units_per_order=units_per_order)
    today = pd.Timestamp(today) if today is not None else pd.Timestamp(min(demand["month"]))
    return _people_summary(plan, today=today)


def launch_delay_sentence(effect: pd.DataFrame, new_sku: str, old_sku: str, shared: str) -> str:
    """How much longer the launch keeps waiting customers waiting, and why (or why not)."""
    extra = effect["extra_waiting"].clip(lower=0)
    if extra.sum() < 0.5:
        return (f"The {new_sku} launch keeps no one waiting longer"
                + (f", although it needs the same {shared}." if shared else f": it shares no line or component with {old_sku}."))
    return (f"The launch's demand adds {extra.sum():,.0f} customer-months of waiting (peak {extra.max():,.0f} more "
            f"customers in one month)"
            + (f", because {new_sku} needs the same {shared}." if shared else
               f", although {new_sku} shares no line or component with {old_sku}."))


def shared_resources(new_sku: str, old_sku: str, routings: pd.DataFrame, bom: pd.DataFrame,
                     lines: pd.DataFrame | None = None) -> str:
    """What two SKUs compete for, in words from the company's own routings and BOM ('' if nothing)."""
    def of(table: pd.DataFrame, sku: str, key: str) -> set:
        return set(table.loc[table["sku"] == sku, key]) if len(table) and key in table else set()

    line_names = lines.set_index("line_id")["line_name"].to_dict() if lines is not None and len(lines) else {}
    parts = (bom.drop_duplicates("component").set_index("component")["component_name"].to_dict()
             if len(bom) and "component_name" in bom else {})  # the name is an optional extra column
    shared_lines = sorted(of(routings, new_sku, "line_id") & of(routings, old_sku, "line_id"))
    shared_parts = sorted(of(bom, new_sku, "component") & of(bom, old_sku, "component"))
    words = []
    if shared_lines:
        words.append(f"line{'s' if len(shared_lines) > 1 else ''} " + ", ".join(str(line_names.get(x, x)) for x in shared_lines))
    if shared_parts:
        names = [str(parts.get(c, c)).lower() for c in shared_parts]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        words.append(f"component{'s' if len(names) > 1 else ''} ({shown})")
    return " and ".join(words)


def backlog_sentence(burn: pd.DataFrame, effect: pd.DataFrame, waiting_now: int, label: str,
                     new_sku: str | None, analog: str, shared: str) -> str:
    """What the backlog chart says: who waits today, when they are served, and what a launch changes."""
    from sop_lib.scenarios import caught_up_month

    first_free = burn.loc[burn["backlog_customers"] == 0, "month"]
    clear = caught_up_month(burn)
    text = f"{waiting_now:,} customer{'' if waiting_now == 1 else 's'} {'is' if waiting_now == 1 else 'are'} waiting for {label} today"
    if waiting_now and len(first_free):
        text += f"; today's backlog is served by {first_free.min():%b %Y}"
    text += (f" and everyone by {clear:%b %Y}. " if pd.notna(clear) else
             "; customers are still waiting at the horizon's end. ")
    if new_sku is None:
        return text + "No launch is planned, so nothing else competes for its supply."
    return text + launch_delay_sentence(effect, new_sku, analog, shared)
