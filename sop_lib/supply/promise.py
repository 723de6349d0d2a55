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
