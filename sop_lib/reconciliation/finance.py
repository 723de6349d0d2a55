"""Step 4: is the plan financially viable? Revenue, cost and margin against targets.

Revenue is booked on *shipped* units (demand served in the month plus backorders
caught up), at list price; cost of goods at standard unit cost; plus the plan's
holding and overtime cost. The unconstrained revenue distribution (every demand draw
served) shows what the market would buy, so the gap between the two is what supply
constraints cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr


def shipments(plan: pd.DataFrame, backlog: pd.Series) -> pd.DataFrame:
    """Units shipped per SKU and month: demand + backorders carried in - backorders carried out."""
    p = plan.sort_values(["sku", "month"]).copy()
    prev = p.groupby("sku")["backorders"].shift(1)
    prev = prev.fillna(p["sku"].map(backlog).fillna(0))
    p["shipped"] = (p["demand"] + prev - p["backorders"]).clip(lower=0)
    return p


def financial_plan(
    plan: pd.DataFrame,
    products: pd.DataFrame,
    targets: pd.DataFrame,
    backlog: pd.Series,
    *,
    line_use: pd.DataFrame,
    holding_pct_year: float,
    overtime_cost: float,
) -> pd.DataFrame:
    """Revenue, cost and gross margin per family and month, beside the finance targets."""
    p = shipments(plan, backlog).merge(products[["sku", "family", "list_price_eur", "unit_cost_eur"]], on="sku")
    p["revenue_eur"] = p["shipped"] * p["list_price_eur"]
    p["cogs_eur"] = p["shipped"] * p["unit_cost_eur"]
    p["holding_eur"] = p["inventory"] * p["unit_cost_eur"] * holding_pct_year / 12
    fam = p.groupby(["family", "month"], as_index=False)[["revenue_eur", "cogs_eur", "holding_eur", "shipped"]].sum()
    # overtime is spread over families by their share of the month's revenue
    ot = line_use.groupby("month")["overtime_hours"].sum() * overtime_cost
    share = fam["revenue_eur"] / fam.groupby("month")["revenue_eur"].transform("sum").replace(0, np.nan)
    fam["overtime_eur"] = fam["month"].map(ot).fillna(0) * share.fillna(0)
    fam["gross_margin_eur"] = fam["revenue_eur"] - fam["cogs_eur"] - fam["holding_eur"] - fam["overtime_eur"]
    fam["gross_margin_pct"] = fam["gross_margin_eur"] / fam["revenue_eur"].replace(0, np.nan)
    t = targets[["family", "month", "revenue_target_eur", "gross_margin_target_pct"]]
    fam = fam.merge(t, on=["family", "month"], how="left")
    fam["revenue_vs_target_eur"] = fam["revenue_eur"] - fam["revenue_target_eur"]
    return fam


def against_target(revenue: float, target: float, fmt) -> str:
    """'€85M against a target of €80M (+6.5%)', or a plain amount when the company declared no target."""
    if not pd.notna(target) or target <= 0:
        return f"{fmt(revenue)} (no revenue target declared)"
    return f"{fmt(revenue)} against a target of {fmt(target)} ({revenue / target - 1:+.1%})"


def revenue_distribution(draws: xr.DataArray, products: pd.DataFrame) -> pd.DataFrame:
    """Unconstrained revenue per month (P10/P50/P90 over draws) if every unit demanded were sold."""
    price = products.set_index("sku")["list_price_eur"].reindex(draws["sku"].values).fillna(0).to_numpy()
    rev = (draws.transpose("sample", "sku", "ds").values * price[None, :, None]).sum(axis=1)  # (sample, month)
    q = np.quantile(rev, [0.1, 0.5, 0.9], axis=0)
    return pd.DataFrame(
        {"month": pd.DatetimeIndex(draws["ds"].values), "p10": q[0], "p50": q[1], "p90": q[2], "mean": rev.mean(axis=0)}
    )


def demand_supply_gap(plan: pd.DataFrame, products: pd.DataFrame, backlog: pd.Series) -> pd.DataFrame:
    """Per family and month: units wanted (demand + backlog) versus shipped, in units and euros."""
    p = shipments(plan, backlog).merge(products[["sku", "family", "list_price_eur"]], on="sku")
    first = p["month"] == p["month"].min()
    p["wanted"] = p["demand"] + np.where(first, p["sku"].map(backlog).fillna(0), 0)
    p["gap_units"] = p["backorders"]
    p["gap_eur"] = p["backorders"] * p["list_price_eur"]
    out = p.groupby(["family", "month"], as_index=False)[["wanted", "shipped", "gap_units", "gap_eur"]].sum()
    out["status"] = np.where(out["gap_units"] > 0.05 * out["wanted"], "red", np.where(out["gap_units"] > 0, "amber", "green"))
    return out
