"""Step 4: is the plan financially viable? Revenue, cost and margin against targets.

Revenue is booked on *shipped* units (demand served in the month plus backorders
caught up), at list price; cost of goods at standard unit cost; plus the plan's
holding and overtime cost. The unconstrained revenue distribution (every demand draw
served) shows what the market would buy, so the gap between the two is what supply
constraints cost.

A thin product master leaves SKUs without a list price or a unit cost: the financial plan
then books the SKUs with a list price only (revenue NaN, not €0, where a family has none),
and a family's costs and gross margin only where each of its priced SKUs has a unit cost;
its revenue is not set against the target where some of its SKUs have no price.
`left_out_sentences` says which SKUs and families are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.supply import COST, PRICE, left_out_sentence, listing


def _master(products: pd.DataFrame) -> pd.DataFrame:
    """sku, family, list price and unit cost (NaN where the master has none or lacks the column)."""
    return products.reindex(columns=["sku", "family", PRICE, COST])


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
    """Revenue, cost and gross margin per family and month, beside the finance targets (see the
    module's docstring for SKUs without a list price or unit cost)."""
    p = shipments(plan, backlog).merge(_master(products), on="sku")
    p["revenue_eur"] = p["shipped"] * p["list_price_eur"]
    p["cogs_eur"] = p["shipped"] * p["unit_cost_eur"]
    p["holding_eur"] = p["inventory"] * p["unit_cost_eur"] * holding_pct_year / 12
    unpriced = p["list_price_eur"].isna()
    p.loc[unpriced, ["cogs_eur", "holding_eur"]] = np.nan  # the plan books the priced SKUs only
    p["unpriced"], p["uncosted"] = unpriced, ~unpriced & p["unit_cost_eur"].isna()
    keys = ["family", "month"]
    fam = p.groupby(keys, as_index=False)[["revenue_eur", "cogs_eur", "holding_eur", "shipped"]].sum(min_count=1)
    flags = p.groupby(keys, as_index=False)[["unpriced", "uncosted"]].any()
    fam = fam.merge(flags, on=keys, how="left")
    fam.loc[fam["uncosted"], ["cogs_eur", "holding_eur"]] = np.nan  # a priced SKU without a cost: not computed
    # overtime is spread over families by their share of the month's revenue (of units, with no revenue known)
    ot = line_use.groupby("month")["overtime_hours"].sum() * overtime_cost
    share = fam["revenue_eur"] / fam.groupby("month")["revenue_eur"].transform("sum").replace(0, np.nan)
    no_revenue = fam["revenue_eur"].isna().groupby(fam["month"]).transform("all")
    if no_revenue.any():
        by_units = fam["shipped"] / fam.groupby("month")["shipped"].transform("sum").replace(0, np.nan)
        share = share.where(~no_revenue, by_units)
    fam["overtime_eur"] = fam["month"].map(ot).fillna(0) * share.fillna(0)
    fam["gross_margin_eur"] = fam["revenue_eur"] - fam["cogs_eur"] - fam["holding_eur"] - fam["overtime_eur"]
    fam["gross_margin_pct"] = fam["gross_margin_eur"] / fam["revenue_eur"].replace(0, np.nan)
    t = targets[["family", "month", "revenue_target_eur", "gross_margin_target_pct"]]
    fam = fam.merge(t, on=["family", "month"], how="left")
    fam["revenue_vs_target_eur"] = (fam["revenue_eur"] - fam["revenue_target_eur"]).where(~fam["unpriced"])
    return fam.drop(columns=["unpriced", "uncosted"])


def incomplete_revenue(fin: pd.DataFrame) -> pd.Series:
    """Per row of `financial_plan`: its revenue is not known, or leaves out SKUs without a list price
    (a declared target then has no comparison beside it)."""
    if "revenue_vs_target_eur" not in fin or "revenue_target_eur" not in fin:
        return fin["revenue_eur"].isna()
    return fin["revenue_eur"].isna() | (fin["revenue_target_eur"].notna() & fin["revenue_vs_target_eur"].isna())


def left_out_sentences(plan: pd.DataFrame, products: pd.DataFrame) -> list[str]:
    """What the financial plan of ``plan``'s SKUs leaves out for want of list prices and unit costs, in words."""
    skus = sorted(set(map(str, plan["sku"])))
    out = [left_out_sentence("Revenue, gross margin and the euros of the demand–supply gap", products, PRICE, skus)]
    master = _master(products).drop_duplicates("sku").assign(sku=lambda m: m["sku"].astype(str)).set_index("sku")
    m = master.reindex(skus)
    priced = m[m[PRICE].notna()]
    uncosted = sorted(priced.index[priced[COST].isna()])
    if uncosted and len(uncosted) == len(priced):
        out.append(
            f"Gross margin is not computed: the product master has no unit cost for any of the {len(priced):,} SKUs "
            "with a list price."
        )
    elif uncosted:
        families = sorted(set(priced.loc[uncosted, "family"].astype(str)))
        out.append(
            f"Gross margin is not computed for {', '.join(families)}: the product master has no unit cost for "
            f"{listing(uncosted)}."
        )
    return [s for s in out if s]


def against_target(revenue: float, target: float, fmt) -> str:
    """'€85M against a target of €80M (+6.5%)', or a plain amount when the company declared no target."""
    if not pd.notna(target) or target <= 0:
        return f"{fmt(revenue)} (no revenue target declared)"
    return f"{fmt(revenue)} against a target of {fmt(target)} ({revenue / target - 1:+.1%})"


def revenue_distribution(draws: xr.DataArray, products: pd.DataFrame) -> pd.DataFrame:
    """Unconstrained revenue per month (P10/P50/P90 over draws) if every unit demanded were sold."""
    price = _master(products).set_index("sku")[PRICE].reindex(draws["sku"].values)
    months = pd.DatetimeIndex(draws["ds"].values)
    if price.isna().all():  # no list price at all: no revenue band (SKUs without one are left out otherwise)
        nan = np.full(len(months), np.nan)
        return pd.DataFrame({"month": months, "p10": nan, "p50": nan, "p90": nan, "mean": nan})
    price = price.fillna(0).to_numpy()
    rev = (draws.transpose("sample", "sku", "ds").values * price[None, :, None]).sum(axis=1)  # (sample, month)
    q = np.quantile(rev, [0.1, 0.5, 0.9], axis=0)
    return pd.DataFrame(
        {"month": pd.DatetimeIndex(draws["ds"].values), "p10": q[0], "p50": q[1], "p90": q[2], "mean": rev.mean(axis=0)}
    )


def demand_supply_gap(plan: pd.DataFrame, products: pd.DataFrame, backlog: pd.Series) -> pd.DataFrame:
    """Per family and month: units wanted (demand + backlog) versus shipped, in units and euros."""
    p = shipments(plan, backlog).merge(_master(products)[["sku", "family", PRICE]], on="sku")
    first = p["month"] == p["month"].min()
    p["wanted"] = p["demand"] + np.where(first, p["sku"].map(backlog).fillna(0), 0)
    p["gap_units"] = p["backorders"]
    p["gap_eur"] = p["backorders"] * p["list_price_eur"]
    p["unvalued"] = p["list_price_eur"].isna() & (p["backorders"] > 0)
    out = p.groupby(["family", "month"], as_index=False)[["wanted", "shipped", "gap_units", "gap_eur"]].sum(min_count=1)
    # customers waiting for a SKU without a list price: the family-month's gap in euros is not known (NaN, not €0)
    unvalued = p.groupby(["family", "month"])["unvalued"].any().to_numpy()
    out.loc[unvalued, "gap_eur"] = np.nan
    out["status"] = np.where(out["gap_units"] > 0.05 * out["wanted"], "red", np.where(out["gap_units"] > 0, "amber", "green"))
    return out
