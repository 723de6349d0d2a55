"""The plan's promise: the service it is expected to give, from the demand draws.

The plan is held fixed and lived through once per demand draw, month by month, as the
replay lives through a month (`serve_month`): stock and what is made serve the customers
already waiting first, then the month's demand; what cannot be served waits. Two measures,
defined as the replay (`plan_quality.replay.summarise`) scores them, so the promise and the
outcome are the same quantity:

* **cycle service level**: the share of product-months with demand that end with nobody waiting;
* **fill rate**: the share of each month's demand served in that month.

Each draw gives one value of each; their mean is the promise, their P10–P90 its spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.supply.inventory import RISK_MONTHS

PROMISE_MONTHS = RISK_MONTHS  # the months a plan is held to before it is re-made; later months are planned again
NOBODY_WAITING = 1e-6  # units: below this a backlog is empty


def serve_month(on_hand, backlog, made, demand) -> dict:
    """One month: stock plus what was made serves the waiting customers first, then the month's demand.
    Works on Series or arrays of any shape (every draw at once)."""
    available = on_hand + made
    to_backlog = np.minimum(backlog, available)
    left = available - to_backlog
    served = np.minimum(demand, left)
    return {"on_hand": left - served, "backlog": backlog - to_backlog + demand - served, "served": served}


def live_through(
    draws: xr.DataArray, plan: pd.DataFrame, on_hand: pd.Series, backlog: pd.Series, months: int = PROMISE_MONTHS
) -> dict[str, np.ndarray]:
    """The fixed plan lived through every draw: demand, served and end backlog as (sample, sku, month) arrays."""
    skus = list(draws["sku"].values)
    ds = pd.DatetimeIndex(draws["ds"].values)[:months]
    made = (
        plan.pivot_table(index="sku", columns="month", values="production", aggfunc="sum")
        .reindex(index=skus, columns=ds)
        .fillna(0.0)
        .clip(lower=0.0)
        .to_numpy()
    )
    d = draws.transpose("sample", "sku", "ds").values[:, :, : len(ds)]
    stock = np.broadcast_to(on_hand.reindex(skus).fillna(0.0).to_numpy(), d.shape[:2]).astype(float)
    wait = np.broadcast_to(backlog.reindex(skus).fillna(0.0).to_numpy(), d.shape[:2]).astype(float)
    served, end = np.empty_like(d), np.empty_like(d)
    for m in range(len(ds)):
        after = serve_month(stock, wait, made[None, :, m], d[:, :, m])
        stock, wait = after["on_hand"], after["backlog"]
        served[:, :, m], end[:, :, m] = after["served"], wait
    return {"demand": d, "served": served, "end_backlog": end, "skus": np.array(skus), "months": ds}


def service_per_draw(lived: dict[str, np.ndarray]) -> pd.DataFrame:
    """Cycle service level and fill rate of each draw, over all products and months."""
    d, served, end = lived["demand"], lived["served"], lived["end_backlog"]
    sold = d > 0
    csl = np.where(
        sold.sum(axis=(1, 2)) > 0, ((end <= NOBODY_WAITING) & sold).sum(axis=(1, 2)) / np.maximum(sold.sum(axis=(1, 2)), 1), 1.0
    )
    fill = np.where(d.sum(axis=(1, 2)) > 0, served.sum(axis=(1, 2)) / np.maximum(d.sum(axis=(1, 2)), 1e-9), 1.0)
    return pd.DataFrame({"cycle_service_level": csl, "fill_rate": fill})


def expected_service(lived: dict[str, np.ndarray], target: float) -> pd.DataFrame:
    """The promise: per measure, the expected value over the draws, its P10 and P90, and the target."""
    per_draw = service_per_draw(lived)
    return pd.DataFrame(
        [
            {
                "measure": measure,
                "expected": float(per_draw[measure].mean()),
                "p10": float(per_draw[measure].quantile(0.1)),
                "p90": float(per_draw[measure].quantile(0.9)),
                "target": target,
                "months": len(lived["months"]),
            }
            for measure in ("cycle_service_level", "fill_rate")
        ]
    )


def service_by_sku(lived: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per product: its expected cycle service level and fill rate, the month it is most likely to
    leave customers waiting, and the units short there on average (where the promise is lost)."""
    d, served, end = lived["demand"], lived["served"], lived["end_backlog"]
    sold = d > 0
    ok = (end <= NOBODY_WAITING) & sold
    csl = ok.sum(axis=(0, 2)) / np.maximum(sold.sum(axis=(0, 2)), 1)
    fill = served.sum(axis=(0, 2)) / np.maximum(d.sum(axis=(0, 2)), 1e-9)
    waits = (end > NOBODY_WAITING).mean(axis=0)  # (sku, month): the chance someone waits at month end
    worst = waits.argmax(axis=1)
    return pd.DataFrame(
        {
            "sku": lived["skus"],
            "cycle_service_level": np.where(sold.sum(axis=(0, 2)) > 0, csl, 1.0),
            "fill_rate": np.where(d.sum(axis=(0, 2)) > 0, fill, 1.0),
            "worst_month": lived["months"][worst],
            "chance_waiting_then": waits[np.arange(len(worst)), worst],
            "units_short_then": end.mean(axis=0)[np.arange(len(worst)), worst],
        }
    ).sort_values("cycle_service_level", kind="stable")


def gap_to_target(lived: dict[str, np.ndarray], target: float) -> pd.DataFrame:
    """Per product short of the target: the extra units the plan would have to make, and by which
    month, so that in every month the target share of draws ends with nobody waiting.

    In a draw nobody waits at the end of month t when what was in stock and made by then covers
    the demand to t (the backlog included): the extra units by t are the target quantile of that
    demand minus what the plan has, where positive. The units needed by the first month short are
    at least its gap; the largest gap is what the plan needs in all.
    """
    # stock and backlog carry from month to month, so one more unit made by t takes one unit off
    # the month-end backlog of t in every draw that waits then
    need = np.quantile(
        lived["end_backlog"], target, axis=0, method="higher"
    )  # (sku, month): what the target share of draws waits for
    rows = []
    for i, sku in enumerate(lived["skus"]):
        gap = need[i]
        if not (gap > NOBODY_WAITING).any():
            continue
        first = int(np.argmax(gap > NOBODY_WAITING))
        rows.append({"sku": sku, "extra_units": float(gap.max()), "needed_by": lived["months"][first]})
    return pd.DataFrame(rows, columns=["sku", "extra_units", "needed_by"]).sort_values(
        "extra_units", ascending=False, kind="stable"
    )


def hours_to_target(gap: pd.DataFrame, routings: pd.DataFrame, line_use: pd.DataFrame, overtime_pct: float) -> pd.DataFrame:
    """Per line: the hours the extra units of `gap_to_target` need, the hours the plan leaves free on
    the line (regular and overtime) up to the last month they are needed by, and the hours missing.

    A line with enough free hours is not what keeps the plan from its target (the plan chose not to
    build, or a component or the crews bind); one without says what capacity would close the gap.
    """
    cols = ["line_id", "extra_hours", "spare_hours", "missing_hours", "needed_by", "month_hours"]
    if gap.empty or line_use.empty:
        return pd.DataFrame(columns=cols)
    need = gap.merge(routings[["sku", "line_id", "hours_per_unit"]], on="sku")
    need = need.assign(hours=need["extra_units"] * need["hours_per_unit"])
    use = line_use.assign(spare=(line_use["capacity"] * (1 + overtime_pct) - line_use["hours"]).clip(lower=0.0))
    rows = []
    for line, g in need.groupby("line_id", sort=True):
        by = g["needed_by"].max()
        mine = use[(use["line_id"] == line) & (use["month"] <= by)]
        extra, spare = float(g["hours"].sum()), float(mine["spare"].sum())
        rows.append(
            {
                "line_id": line,
                "extra_hours": extra,
                "spare_hours": spare,
                "missing_hours": max(extra - spare, 0.0),
                "needed_by": by,
                "month_hours": float(mine["capacity"].mean()) if len(mine) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=cols).sort_values("missing_hours", ascending=False, kind="stable")
