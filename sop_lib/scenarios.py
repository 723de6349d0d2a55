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


def launch_timing(series_draws: xr.DataArray, tables: dict[str, pd.DataFrame], *, delays: tuple[int, ...] = (0, 3),
                  seed: int, plan_kwargs: dict) -> pd.DataFrame:
    """Plan supply for each launch delay (months); compare backlog, lateness and revenue."""
    facts = supply.plan_inputs(tables)
    launches = tables["launches"]
    analog = launches["analog_sku"].iloc[0]
    per_customer = facts["backlog"].get(analog, 0) / max(facts["backlog_customers"].get(analog, 1), 1)
    rows = []
    for delay in delays:
        with_launch = demand.apply_launches(series_draws, launches, seed=seed, delay_months=delay)
        draws = supply.sku_draws(with_launch)
        plan, _ = supply.build_plan(draws, tables, **plan_kwargs)
        burn = supply.backlog_burndown(plan.plan, analog, facts["backlog"].get(analog, 0),
                                       facts["on_hand"].get(analog, 0), per_customer)
        waiting = burn[burn["all_waiting_customers"] > 0]
        cleared = burn.loc[burn["all_waiting_customers"] == 0, "month"]
        fin = finance.financial_plan(plan.plan, tables["products"], tables["targets"], facts["backlog"],
                                     line_use=plan.line_use, holding_pct_year=plan_kwargs["holding_pct_year"],
                                     overtime_cost=plan_kwargs["overtime_cost"])
        launch_units = plan.plan.loc[plan.plan["sku"].isin(launches["sku"]), "demand"].sum()
        rows.append({
            "launch_delay_months": delay,
            "likely_launch": (launches["likely_launch"].iloc[0] + pd.DateOffset(months=delay)),
            "customers_waiting_now": int(burn["all_waiting_customers"].iloc[0]) if len(burn) else 0,
            "customer_months_waiting": float(burn["all_waiting_customers"].sum()),
            "backorder_unit_months_all_skus": float(plan.plan["backorders"].sum()),
            "all_caught_up_by": cleared.min() if len(waiting) < len(burn) and len(cleared) else pd.NaT,
            "launch_units_in_horizon": float(launch_units),
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
        out.append(("Procurement", f"Qualify a second source for {s['components']} (today only {s['supplier_name']})",
                    f"€{s['revenue_at_risk_eur'] / 1e6:,.1f}M of 12-month revenue depends on a supplier rated "
                    f"{s['financial_risk']} risk"))
    if len(launch) >= 2:
        base, late = launch.iloc[0], launch.iloc[-1]
        saved = base["backorder_unit_months_all_skus"] - late["backorder_unit_months_all_skus"]
        rev = late["revenue_eur"] - base["revenue_eur"]
        if saved > 0:
            out.append(("Executive team", f"Decide the launch month of the new product: pushing it back "
                        f"{int(late['launch_delay_months'])} months cuts {saved:,.0f} unit-months of customers waiting",
                        f"but revenue changes by €{rev / 1e6:+,.2f}M over the horizon"))
        else:
            out.append(("Executive team", "Keep the planned launch window",
                        f"pushing it back {int(late['launch_delay_months'])} months does not shorten the wait for "
                        f"supply and changes revenue by €{rev / 1e6:+,.2f}M"))
    tot = fin.groupby("family")[["revenue_eur", "revenue_target_eur"]].sum()
    for fam, r in tot.iterrows():
        gap = r["revenue_eur"] - r["revenue_target_eur"]
        if gap < -0.02 * r["revenue_target_eur"]:
            out.append(("Finance & Sales", f"Close or accept the {fam} revenue gap",
                        f"plan is €{-gap / 1e6:,.1f}M ({-gap / r['revenue_target_eur']:.0%}) below target"))
    hire = people[people["gap"] > 0]
    for _, h in hire.iterrows():
        out.append(("HR", f"Hire {h['gap']:.0f} {h['role'].replace('_', ' ')}(s) in {h['region']}",
                    f"needed at peak; hiring takes {h['hiring_lead_months']:.0f} months"))
    return pd.DataFrame(out, columns=["owner", "decision", "because"])
