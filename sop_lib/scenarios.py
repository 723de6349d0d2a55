"""What-if scenarios and the decisions a plan asks executives for.

`launch_timing` re-plans supply with the new product launched on the planners' dates
and pushed back, so the trade-off between launch revenue and the waiting backlog is a
table of numbers, not an opinion. `decisions` turns the step 3 and 4 results into
short, numbered asks, each with the figure that justifies it.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from sop_lib import demand, finance, supply
from sop_lib.reporting import fmt_eur


def _listing(items: str, shown: int = 3) -> str:
    """'A, B, C and 4 more' from a comma-separated list."""
    parts = [p.strip() for p in str(items).split(",") if p.strip()]
    return ", ".join(parts[:shown]) + (f" and {len(parts) - shown} more" if len(parts) > shown else "")


def series_without_launches(ds: xr.Dataset, launches: pd.DataFrame) -> tuple[xr.DataArray, xr.DataArray | None]:
    """Split step 2's draws into what a launch what-if re-plans from.

    Returns the base (model and shocks, no launches) and the series that came from the CRM
    pipeline (no history, not a launched SKU), which every scenario keeps as they are.
    """
    base = ds["base"].dropna("unique_id", how="all")
    launched = set(launches["sku"].astype(str))
    have = set(map(str, base["unique_id"].values))
    extra = [u for u in map(str, ds["statistical"]["unique_id"].values)
             if u not in have and demand.sku_of(u) not in launched]
    return base, (ds["statistical"].sel(unique_id=extra) if extra else None)


def demand_without_launches(ds: xr.Dataset, launches: pd.DataFrame, overrides: pd.DataFrame | None = None) -> xr.DataArray:
    """The plan's demand as if no product were launched (overrides on launched SKUs dropped)."""
    base, extra = series_without_launches(ds, launches)
    out = demand.add_series(base, extra) if extra is not None else base
    if overrides is not None and len(overrides):
        out = demand.apply_overrides(out, overrides[~overrides["sku"].isin(launches["sku"])])
    return out


def caught_up_month(burn: pd.DataFrame):
    """First month after which nobody waits any more (NaT if people still wait at the end)."""
    waiting = burn.index[burn["all_waiting_customers"] > 0]
    if not len(waiting):
        return burn["month"].iloc[0] if len(burn) else pd.NaT
    last = burn.index.get_loc(waiting[-1])
    return burn["month"].iloc[last + 1] if last + 1 < len(burn) else pd.NaT


def launch_timing(base: xr.DataArray, tables: dict[str, pd.DataFrame], *, delays: tuple[int, ...] = (0, 3),
                  seed: int, plan_kwargs: dict, extra: xr.DataArray | None = None,
                  overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Plan supply with every launch shifted by each delay (months); compare waiting and money.

    Each scenario is built the way step 2 builds the plan's demand — base draws, launches,
    pipeline-only series, consensus overrides — so the delay-0 row is the plan itself.
    """
    launches = tables["launches"]
    if launches.empty:
        return pd.DataFrame()
    facts = supply.plan_inputs(tables)
    analog = launches["analog_sku"].iloc[0]
    back = supply.backlog_facts(facts, analog)
    rows = []
    for delay in delays:
        scenario = demand.apply_launches(base, launches, seed=seed, delay_months=delay)
        if extra is not None:
            scenario = demand.add_series(scenario, extra)
        if overrides is not None and len(overrides):
            scenario = demand.apply_overrides(scenario, overrides)
        plan, _ = supply.build_plan(supply.sku_draws(scenario), tables, **plan_kwargs)
        burn = supply.backlog_burndown(plan.plan, analog, back["units"], back["on_hand"], back["per_customer"])
        fin = finance.financial_plan(plan.plan, tables["products"], tables["targets"], facts["backlog"],
                                     line_use=plan.line_use, holding_pct_year=plan_kwargs["holding_pct_year"],
                                     overtime_cost=plan_kwargs["overtime_cost"])
        rows.append({
            "launch_delay_months": delay,
            "likely_launch": (launches["likely_launch"].iloc[0] + pd.DateOffset(months=delay)),
            "customers_waiting_now": int(burn["all_waiting_customers"].iloc[0]) if len(burn) else 0,
            "customer_months_waiting": float(burn["all_waiting_customers"].sum()),
            "backorder_unit_months_all_skus": float(plan.plan["backorders"].sum()),
            "all_caught_up_by": caught_up_month(burn),
            "launch_units_in_horizon": float(plan.plan.loc[plan.plan["sku"].isin(launches["sku"]), "demand"].sum()),
            "revenue_eur": float(fin["revenue_eur"].sum()),
            "gross_margin_eur": float(fin["gross_margin_eur"].sum()),
            "overtime_hours": float(plan.line_use["overtime_hours"].sum()),
        })
    return pd.DataFrame(rows)


def decisions(*, capacity: pd.DataFrame, line_use: pd.DataFrame, supplier_risk: pd.DataFrame,
              fin: pd.DataFrame, launch: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Short asks for the executive meeting, each with its number and owner."""
    out = []
    short = capacity[capacity["status"] == "red"]
    if len(short):
        worst = short.sort_values("utilisation", ascending=False).iloc[0]
        ot = line_use["overtime_hours"].sum()
        out.append(("Supply", f"Approve {ot:,.0f} overtime hours over the horizon and extra shifts on "
                    f"{worst['line_name']}",
                    f"unconstrained demand needs {worst['utilisation']:.0%} of its hours in {worst['month']:%b %Y}"))
    red = supplier_risk[supplier_risk["status"] == "red"]
    for _, s in red.iterrows():
        out.append(("Procurement", f"Qualify a second source for {_listing(s['components'])} (today only "
                    f"{s['supplier_name']})",
                    f"{fmt_eur(s['revenue_at_risk_eur'])} of the horizon's revenue depends on a supplier rated "
                    f"{s['financial_risk']} risk"))
    if len(launch) >= 2:
        base, late = launch.iloc[0], launch.iloc[-1]
        saved = base["backorder_unit_months_all_skus"] - late["backorder_unit_months_all_skus"]
        rev = late["revenue_eur"] - base["revenue_eur"]
        if saved > 0:
            out.append(("Executive team", f"Decide the launch month of the new product: pushing it back "
                        f"{int(late['launch_delay_months'])} months cuts {saved:,.0f} unit-months of backorders",
                        f"but revenue changes by {'+' if rev >= 0 else '-'}{fmt_eur(abs(rev))} over the horizon"))
        else:
            out.append(("Executive team", "Keep the planned launch window",
                        f"pushing it back {int(late['launch_delay_months'])} months does not shorten the wait for "
                        f"supply and changes revenue by {'+' if rev >= 0 else '-'}{fmt_eur(abs(rev))}"))
    tot = fin.groupby("family")[["revenue_eur", "revenue_target_eur"]].sum()
    for fam, r in tot.iterrows():
        gap = r["revenue_eur"] - r["revenue_target_eur"]
        if gap < -0.02 * r["revenue_target_eur"]:
            out.append(("Finance & Sales", f"Close or accept the {fam} revenue gap",
                        f"plan is {fmt_eur(-gap)} ({-gap / r['revenue_target_eur']:.0%}) below target"))
    hire = people[people["gap"] > 0]
    for _, h in hire.iterrows():
        out.append(("HR", f"Hire {h['gap']:.0f} {h['role'].replace('_', ' ')}(s) in {h['region']}",
                    f"needed at peak; hiring takes {h['hiring_lead_months']:.0f} months"))
    return pd.DataFrame(out, columns=["owner", "decision", "because"])
