"""What moves demand besides its own history: promotions, external shocks, consensus overrides.

These functions turn S&OP inputs (the harmonised sales of step 1, the marketing calendar,
params) into the engine's inputs and adjust its draws, keeping the statistical forecast
beside the adjusted one so that later cycles can measure what the adjustments added.
"""

from __future__ import annotations

import re

import pandas as pd


def sku_of(unique_id: str) -> str:
    """Series ids are 'SKU|region'; the SKU part."""
    return re.split(r"\|", str(unique_id))[0]




def promo_depth(calendar: pd.DataFrame, series: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Discount depth per series and month from the marketing calendar (0 = no promotion)."""
    rows = []
    for _, p in calendar.iterrows():
        active = months[(months >= p["start_date"].to_period("M").to_timestamp()) & (months <= p["end_date"])]
        hit = series[(series["sku"] == p["sku"]) & ((p["region"] == "all") | (series["region"] == p["region"]))]
        for uid in hit["unique_id"]:
            rows += [(uid, m, float(p["discount_pct"])) for m in active]
    out = pd.DataFrame(rows, columns=["unique_id", "ds", "promo"])
    return out.groupby(["unique_id", "ds"], as_index=False)["promo"].max()


def sop_history(monthly: pd.DataFrame, products: pd.DataFrame, calendar: pd.DataFrame,
                horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn step 1's harmonised sales into the engine's (history, future regressors).

    Series are SKU x region ('SKU|region'); discontinued SKUs are left out (they stop),
    promotions become the ``promo`` regressor.
    """
    active = products.loc[products["status"] == "active", "sku"]
    m = monthly[monthly["sku"].isin(active)]
    hist = pd.DataFrame({
        "unique_id": m["sku"] + "|" + m["region"],
        "ds": m["month"],
        "y": m["units"].astype(float),
        "family": m["family"],
        "sku": m["sku"],
        "region": m["region"],
    })
    series = hist.drop_duplicates("unique_id")[["unique_id", "sku", "region"]]
    last = hist["ds"].max()
    all_months = pd.date_range(hist["ds"].min(), last + pd.DateOffset(months=horizon), freq="MS")
    promo = promo_depth(calendar, series, all_months)
    hist = hist.merge(promo, on=["unique_id", "ds"], how="left").fillna({"promo": 0.0})
    future = promo[promo["ds"] > last]
    return hist, future
