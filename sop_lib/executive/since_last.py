"""What changed since the last cycle: its headline numbers, and why the revenue plan moved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sop_lib.core import handover
from sop_lib.supply import PRICE

KPIS = "kpis"  # step 5's headline numbers (metric, value), compared by the next cycle


def previous_kpis(reports_root: str | Path, cycle: str) -> tuple[str | None, dict[str, float]]:
    """The latest completed cycle before ``cycle`` and its headline numbers ((None, {}) on a first cycle)."""
    since, tables = handover.read_previous(reports_root, cycle, KPIS)
    if since is None:
        return None, {}
    k = tables[KPIS]
    return since, dict(zip(k["metric"], k["value"].astype(float)))


def plan_change(prev: dict[str, pd.DataFrame], now: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Why the revenue plan moved since the last cycle, on the months both plans cover.

    Each of ``prev`` and ``now`` holds a cycle's ``demand_forecast`` (mean = consensus,
    stat_mean = statistical, per SKU x region x month), ``products`` (prices),
    ``financial_plan`` (revenue shipped per family and month) and ``launches``. The steps
    add up exactly from last cycle's plan to this one's:

    * demand forecast: the statistical forecast at last cycle's prices, SKUs without a launch
    * launch timing: the same for the launched SKUs (a launch moved or added)
    * consensus overrides: the change in what the overrides add
    * price and mix: this cycle's consensus forecast revalued at this cycle's prices
    * supply and backlog: what the plan ships against what is demanded (capacity, stock, backlog)

    SKUs without a list price count nothing in either cycle; when a cycle's revenue plan is not
    known at all (no list price), every step is NaN: the change is not computed.
    """
    months = sorted(set(pd.to_datetime(prev["financial_plan"]["month"])) & set(pd.to_datetime(now["financial_plan"]["month"])))
    launched = set(prev["launches"]["sku"].astype(str)) | set(now["launches"]["sku"].astype(str))
    p_prev = prev["products"].reindex(columns=["sku", PRICE]).drop_duplicates("sku").set_index("sku")[PRICE]
    p_now = now["products"].reindex(columns=["sku", PRICE]).drop_duplicates("sku").set_index("sku")[PRICE]

    def value(fc: pd.DataFrame, col: str, price: pd.Series, launch: bool | None = None) -> float:
        f = fc[pd.to_datetime(fc["ds"]).isin(months)]
        if launch is not None:
            f = f[f["sku"].astype(str).isin(launched) == launch]
        return float((f[col] * f["sku"].map(price).fillna(f["sku"].map(p_now)).fillna(0)).sum())

    def plan(fin: pd.DataFrame) -> float:  # NaN: that cycle's product master had no list price
        return float(fin.loc[pd.to_datetime(fin["month"]).isin(months), "revenue_eur"].sum(min_count=1))

    fp, fn = prev["demand_forecast"], now["demand_forecast"]
    r_prev, r_now = plan(prev["financial_plan"]), plan(now["financial_plan"])
    steps = [
        ("demand forecast", value(fn, "stat_mean", p_prev, False) - value(fp, "stat_mean", p_prev, False)),
        ("launch timing", value(fn, "stat_mean", p_prev, True) - value(fp, "stat_mean", p_prev, True)),
        (
            "consensus overrides",
            (value(fn, "mean", p_prev) - value(fn, "stat_mean", p_prev))
            - (value(fp, "mean", p_prev) - value(fp, "stat_mean", p_prev)),
        ),
        ("price and mix", value(fn, "mean", p_now) - value(fn, "mean", p_prev)),
        ("supply and backlog", (r_now - value(fn, "mean", p_now)) - (r_prev - value(fp, "mean", p_prev))),
    ]
    rows = [("last cycle's plan", r_prev), *steps, ("this cycle's plan", r_now)]
    out = pd.DataFrame(rows, columns=["step", "eur"])
    if pd.isna(r_prev) or pd.isna(r_now):
        out["eur"] = float("nan")  # a revenue plan that is not known cannot be bridged
    return out.assign(first_month=months[0] if months else pd.NaT, last_month=months[-1] if months else pd.NaT)
