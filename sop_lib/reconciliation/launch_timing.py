"""The launch what-if: supply re-planned with the new product launched on the planners'
dates and pushed back, so the trade-off between launch revenue and the waiting backlog
is a table of numbers, not an opinion."""

from __future__ import annotations

from functools import partial

import pandas as pd
import xarray as xr

from sop_lib import demand, supply
from sop_lib.core import workers as pool
from sop_lib.reconciliation import finance
from sop_lib.supply.backlog import caught_up_month


def series_without_launches(ds: xr.Dataset, launches: pd.DataFrame) -> tuple[xr.DataArray, xr.DataArray | None]:
    """Split step 2's draws into what a launch what-if re-plans from.

    Returns the base (model and shocks, no launches) and the series that came from the CRM
    pipeline (no history, not a launched SKU), which every scenario keeps as they are.
    """
    base = ds["base"].dropna("unique_id", how="all")
    launched = set(launches["sku"].astype(str))
    have = set(map(str, base["unique_id"].values))
    extra = [u for u in map(str, ds["statistical"]["unique_id"].values) if u not in have and demand.sku_of(u) not in launched]
    return base, (ds["statistical"].sel(unique_id=extra) if extra else None)


def demand_without_launches(ds: xr.Dataset, launches: pd.DataFrame, overrides: pd.DataFrame | None = None) -> xr.DataArray:
    """The plan's demand as if no product were launched (overrides on launched SKUs dropped)."""
    base, extra = series_without_launches(ds, launches)
    kept = overrides[~overrides["sku"].isin(launches["sku"])] if overrides is not None and len(overrides) else None
    # no launch, no shock and the pipeline's series as step 2 drew them: nothing is drawn, the seed is unused
    return demand.consensus_chain(base, launches.iloc[:0], seed=0, pipeline=extra, overrides=kept).consensus


def launch_timing(
    base: xr.DataArray,
    tables: dict[str, pd.DataFrame],
    *,
    delays: tuple[int, ...] = (0, 3),
    seed: int,
    plan_kwargs: dict,
    extra: xr.DataArray | None = None,
    overrides: pd.DataFrame | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Plan supply with every launch shifted by each delay (months); compare waiting and money.

    Each scenario is built the way step 2 builds the plan's demand — base draws, launches,
    pipeline-only series, consensus overrides — so the delay-0 row is the plan itself. With
    ``workers`` over 1 the delays are planned side by side (`core.workers.each`).
    """
    launches = tables["launches"]
    if launches.empty:
        return pd.DataFrame()
    facts = supply.plan_inputs(tables)
    back = supply.backlog_facts(facts, launches["analog_sku"].iloc[0])
    run = partial(
        _delayed,
        base=base,
        tables=tables,
        facts=facts,
        back=back,
        seed=seed,
        plan_kwargs=plan_kwargs,
        extra=extra,
        overrides=overrides,
    )
    return pd.DataFrame(pool.each(run, list(delays), workers=workers))


def _delayed(
    delay: int,
    *,
    base: xr.DataArray,
    tables: dict[str, pd.DataFrame],
    facts: dict[str, pd.Series],
    back: dict[str, float],
    seed: int,
    plan_kwargs: dict,
    extra: xr.DataArray | None,
    overrides: pd.DataFrame | None,
) -> dict:
    """The plan with every launch ``delay`` months later: waiting, money and hours (one table row);
    ``facts`` and ``back`` are the plan's inputs and the analog's backlog, the same for every delay."""
    launches = tables["launches"]
    analog = launches["analog_sku"].iloc[0]
    scenario = demand.consensus_chain(
        base, launches, seed=seed, pipeline=extra, overrides=overrides, delay_months=delay
    ).consensus
    plan, _ = supply.build_plan(supply.sku_draws(scenario), tables, **plan_kwargs)
    burn = supply.backlog_burndown(plan.plan, analog, back["units"], back["on_hand"], back["per_customer"])
    fin = finance.financial_plan(
        plan.plan,
        tables["products"],
        tables["targets"],
        facts["backlog"],
        line_use=plan.line_use,
        holding_pct_year=plan_kwargs["holding_pct_year"],
        overtime_cost=plan_kwargs["overtime_cost"],
    )
    return {
        "launch_delay_months": delay,
        "likely_launch": (launches["likely_launch"].iloc[0] + pd.DateOffset(months=delay)),
        "customers_waiting_now": int(burn["all_waiting_customers"].iloc[0]) if len(burn) else 0,
        "customer_months_waiting": float(burn["all_waiting_customers"].sum()),
        "backorder_unit_months_all_skus": float(plan.plan["backorders"].sum()),
        "all_caught_up_by": caught_up_month(burn),
        "launch_units_in_horizon": float(plan.plan.loc[plan.plan["sku"].isin(launches["sku"]), "demand"].sum()),
        "revenue_eur": float(fin["revenue_eur"].sum(min_count=1)),  # NaN: no list price
        "gross_margin_eur": float(fin["gross_margin_eur"].sum(min_count=1)),
        "overtime_hours": float(plan.line_use["overtime_hours"].sum()),
    }
