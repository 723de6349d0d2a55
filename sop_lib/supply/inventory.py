"""Inventory policy: how much stock protects the plan against uncertain demand and supply.

Protection period and its demand
--------------------------------
Stock must cover demand from the moment we decide to replenish until the next
replenishment can arrive: the review period R plus the supplier lead time L (both in
months). With monthly demand mean d and sd s_d, and lead time sd s_L, demand over the
protection period P = R + L has

    mean  mu_P    = d * P
    sd    sigma_P = sqrt(P * s_d**2 + d**2 * s_L**2)

(the second term is lead-time uncertainty: a late supplier makes us sell longer from
stock). The slowest supplier in a SKU's bill of materials sets L.

Two service targets
-------------------
* **Cycle service level** alpha: probability of no stockout in a replenishment cycle.
  z = Phi^-1(alpha), safety stock SS = z * sigma_P.
* **Fill rate** beta: share of demand served from stock. Expected units short per cycle
  are sigma_P * G(z), with G the standard normal loss function
  G(z) = phi(z) - z * (1 - Phi(z)); we solve sigma_P * G(z) = (1 - beta) * Q with Q = d * R
  the demand of one cycle. The same beta needs far less stock than the same alpha.

Reorder point ROP = mu_P + SS: replenish when the inventory position (on hand + on
order - backorders) falls below it.

The cost-optimal service level (newsvendor)
-------------------------------------------
Per cycle, each unit of stock left over costs the overage h (holding: unit cost x
annual rate x R/12); each unit short costs the underage p (a lost sale or goodwill:
share of price). Expected cost g(S) = h * E[(S - D)+] + p * E[(D - S)+] is lowest at the
critical ratio alpha* = p / (p + h). `service_cost_curve` traces g over alpha so the
trade-off is a picture, not a formula.

`inventory_risk` runs a production plan against every demand draw: the probability of a
stockout and the expected units short per SKU and month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import brentq
from scipy.stats import norm

DAYS_PER_MONTH = 30.4


def normal_loss(z: np.ndarray | float) -> np.ndarray:
    """Standard normal loss G(z) = E[(Z - z)+]: expected shortfall, in sds, beyond z."""
    z = np.asarray(z, dtype=float)
    return norm.pdf(z) - z * norm.sf(z)


def z_for_fill_rate(fill_rate: float, cycle_demand: float, sigma: float) -> float:
    """Safety factor z with sigma * G(z) = (1 - fill_rate) * cycle_demand.

    Solved numerically (G is strictly decreasing); bounded to [-4, 8] so that a target
    that needs no safety stock at all returns a negative z rather than failing.
    """
    if sigma <= 0:
        return 0.0
    target = (1 - fill_rate) * cycle_demand / sigma
    lo, hi = -4.0, 8.0
    if target >= normal_loss(lo):
        return lo
    if target <= normal_loss(hi):
        return hi
    return float(brentq(lambda z: float(normal_loss(z)) - target, lo, hi))


def protection_demand(
    draws: xr.DataArray, suppliers: pd.DataFrame, bom: pd.DataFrame, review_months: float = 1.0, months: int = 3
) -> pd.DataFrame:
    """Per SKU: monthly demand mean and sd, lead time, and demand over the protection period.

    Mean and sd come from the first ``months`` forecast months' draws (the near future
    that this cycle's stock protects); the lead time is the slowest supplier's.
    """
    first = draws.isel(ds=slice(0, months))
    d = first.mean(("sample", "ds")).to_series()
    sd = first.std("sample").mean("ds").to_series()
    lt = (
        bom.merge(suppliers, on="supplier_id")
        .groupby("sku")
        .agg(lead_time_days=("lead_time_days", "max"), lead_time_sd_days=("lead_time_sd_days", "max"))
    )
    out = pd.DataFrame({"mean_monthly_demand": d, "sd_monthly_demand": sd}).join(lt)
    out[["lead_time_days", "lead_time_sd_days"]] = out[["lead_time_days", "lead_time_sd_days"]].fillna(0)
    out["protection_months"] = review_months + out["lead_time_days"] / DAYS_PER_MONTH
    sd_lead = out["lead_time_sd_days"] / DAYS_PER_MONTH
    out["protection_mean"] = out["mean_monthly_demand"] * out["protection_months"]
    out["protection_sd"] = np.sqrt(
        out["protection_months"] * out["sd_monthly_demand"] ** 2 + out["mean_monthly_demand"] ** 2 * sd_lead**2
    )
    out["cycle_demand"] = out["mean_monthly_demand"] * review_months
    out.index.name = "sku"
    return out


def safety_stock(
    draws: xr.DataArray,
    suppliers: pd.DataFrame,
    bom: pd.DataFrame,
    service_level: float,
    review_months: float = 1.0,
    fill_rate: float | None = None,
) -> pd.DataFrame:
    """Safety stock and reorder point per SKU for a cycle service level (or a fill rate).

    With ``fill_rate`` given, z is solved from the loss function instead of
    Phi^-1(service_level), and the column ``service_level`` reports the cycle service
    level that z implies, so both targets can be compared side by side.
    """
    out = protection_demand(draws, suppliers, bom, review_months)
    if fill_rate is None:
        z = pd.Series(norm.ppf(service_level), index=out.index)
    else:
        z = pd.Series(
            [z_for_fill_rate(fill_rate, q, s) for q, s in zip(out["cycle_demand"], out["protection_sd"])], index=out.index
        )
    out["z"] = z
    out["safety_stock"] = np.maximum(z * out["protection_sd"], 0.0)
    out["reorder_point"] = out["protection_mean"] + out["safety_stock"]
    out["service_level"] = norm.cdf(np.maximum(z, 0.0)) if fill_rate is not None else service_level
    out["fill_rate"] = 1 - out["protection_sd"] * normal_loss(z) / out["cycle_demand"].where(out["cycle_demand"] > 0)
    cols = [
        "mean_monthly_demand",
        "sd_monthly_demand",
        "lead_time_days",
        "lead_time_sd_days",
        "safety_stock",
        "reorder_point",
        "service_level",
        "fill_rate",
        "z",
        "protection_months",
        "protection_sd",
    ]
    return out[cols].reset_index()


CUT_LEVELS = (0.02, 0.2, 0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99)  # quantiles where the LP's shortage curve is exact
FINE_STEP = 0.1  # the fine cut above the target, a tenth of the way to 1: where a product nothing limits stops


def shortage_cuts(draws: xr.DataArray, view: pd.DataFrame, service_level: float) -> pd.DataFrame:
    """Per SKU, month and cut: the expected month-end backlog over the draws as a function of the net
    stock the plan has then (in stock minus waiting, against the plan's demand ``view``).

    Backlog carries from month to month, so at the end of month t customers wait in a draw for
    (demand from now to t) - (stock and backlog today + made by t), where positive: the expected
    backlog is a convex, falling curve of what the plan has by t, whatever the distribution's
    shape or the months' correlation. Each row is one point of it, at a quantile of the demand to
    t (`CUT_LEVELS`, the target and halfway from it to 1: the LP's weight puts the plan between
    those two, `production.SHORTAGE_MARGIN`): ``net`` the plan's net stock there, ``expected_short`` the
    expected backlog and ``chance_short`` the chance of any (the curve's slope). The LP holds its
    tangents (`production.plan_production` with ``shortage``); the row at the target level is the
    stock that covers the target share of draws (``level == service_level``, ``fine`` False).

    Rows with ``fine`` True are for products nothing limits (`production.FREE_MARGIN`): a cut
    `FINE_STEP` above the target, and at the target and that cut the curve's other slope, the
    chance of demand at or above the point. Draws are whole units, so the curve has a corner at
    each point; with both slopes the LP stops on the corner, not short of it on the tangents'
    crossing (which covered 93% instead of 95% of the draws).
    """
    d = draws.transpose("sample", "sku", "ds")
    cum = np.cumsum(d.values, axis=2)  # (sample, sku, month): demand from now to each month's end
    skus, months = list(d["sku"].values), pd.DatetimeIndex(d["ds"].values)
    planned = (
        view.pivot_table(index="sku", columns="month", values="units", aggfunc="sum")
        .reindex(index=skus, columns=months)
        .fillna(0.0)
        .cumsum(axis=1)
        .to_numpy()
    )
    target = float(service_level)
    fine = target + FINE_STEP * (1 - target)
    coarse = {*CUT_LEVELS, target, (1 + target) / 2}
    levels = sorted(coarse | {fine})
    at = np.quantile(cum, levels, axis=0, method="higher")  # (level, sku, month)
    frames = []
    for k, level in enumerate(levels):
        x = at[k]
        slopes = [(level not in coarse, cum > x[None])] + ([(True, cum >= x[None])] if level in (target, fine) else [])
        for only_free, short in slopes:
            frames.append(
                pd.DataFrame(
                    {
                        "sku": np.repeat(skus, len(months)),
                        "month": np.tile(months, len(skus)),
                        "level": level,
                        "fine": only_free,
                        "net": (x - planned).ravel(),
                        "expected_short": np.maximum(cum - x[None], 0.0).mean(axis=0).ravel(),
                        "chance_short": short.mean(axis=0).ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def stock_targets(cuts: pd.DataFrame, service_level: float) -> pd.DataFrame:
    """Per SKU and month the net stock above the plan's view that covers the target share of draws
    (sku, month, safety_stock; never below zero)."""
    t = cuts[np.isclose(cuts["level"], service_level)]
    t = t[~t["fine"]] if "fine" in t else t
    return t.assign(safety_stock=t["net"].clip(lower=0.0))[["sku", "month", "safety_stock"]].reset_index(drop=True)


def unit_costs_per_cycle(
    unit_cost: pd.Series, price: pd.Series, *, holding_pct_year: float, stockout_pct_of_price: float, review_months: float = 1.0
) -> pd.DataFrame:
    """Overage h (holding one unit for one cycle) and underage p (one unit short), in euros."""
    return pd.DataFrame(
        {
            "overage_eur": unit_cost * holding_pct_year * review_months / 12,
            "underage_eur": price.reindex(unit_cost.index) * stockout_pct_of_price,
        }
    )


def cost_optimal_service_level(
    policy: pd.DataFrame,
    unit_cost: pd.Series,
    price: pd.Series,
    *,
    holding_pct_year: float,
    stockout_pct_of_price: float,
    review_months: float = 1.0,
) -> pd.DataFrame:
    """Per SKU the newsvendor critical ratio p / (p + h) and the stock it implies.

    ``policy`` is `safety_stock`'s output (for protection_sd). Where a lost sale costs
    far more than a month of holding, the optimum sits near 99%; for cheap, bulky items
    it is lower. SKUs without a price or cost get no optimum.
    """
    p = policy.set_index("sku")
    c = unit_costs_per_cycle(
        unit_cost.reindex(p.index),
        price,
        holding_pct_year=holding_pct_year,
        stockout_pct_of_price=stockout_pct_of_price,
        review_months=review_months,
    )
    ratio = c["underage_eur"] / (c["underage_eur"] + c["overage_eur"])
    out = pd.DataFrame({"overage_eur": c["overage_eur"], "underage_eur": c["underage_eur"], "optimal_service_level": ratio})
    out["optimal_safety_stock"] = np.maximum(norm.ppf(ratio.clip(1e-6, 1 - 1e-6)) * p["protection_sd"], 0)
    return out.reset_index()


def expected_cycle_cost(z: np.ndarray, sigma: np.ndarray, overage: np.ndarray, underage: np.ndarray) -> tuple:
    """Holding and shortage cost of one cycle when stock is set at mean + z * sigma.

    Expected leftover E[(S - D)+] = sigma * (z + G(z)); expected short E[(D - S)+] = sigma * G(z).
    """
    g = normal_loss(z)
    return overage * sigma * (z + g), underage * sigma * g


CURVE_COLUMNS = ["service_level", "safety_stock_units", "safety_stock_eur", "holding_eur_per_year", "shortage_eur_per_year"]


def service_cost_curve(
    policy: pd.DataFrame,
    unit_cost: pd.Series,
    price: pd.Series,
    *,
    holding_pct_year: float,
    stockout_pct_of_price: float,
    review_months: float = 1.0,
    levels: np.ndarray | None = None,
) -> pd.DataFrame:
    """Yearly inventory cost versus a common cycle service level for all SKUs.

    One row per level: safety stock (units and euros), the yearly cost of holding the
    buffer, the yearly cost of the expected shortages, and their sum. The total is
    lowest near the cost-weighted critical ratio. Pass only the SKUs with a price and a cost
    (`supply.summary.valued`); with none the curve has no rows.
    """
    levels = np.linspace(0.5, 0.995, 100) if levels is None else np.asarray(levels)
    if policy.empty:  # no SKU has a price and a cost (a thin product master): no curve
        return pd.DataFrame(columns=[*CURVE_COLUMNS, "total_eur_per_year"], dtype=float)
    p = policy.set_index("sku")
    c = unit_costs_per_cycle(
        unit_cost.reindex(p.index).fillna(0),
        price.fillna(0),
        holding_pct_year=holding_pct_year,
        stockout_pct_of_price=stockout_pct_of_price,
        review_months=review_months,
    )
    cycles = 12 / review_months
    sigma = p["protection_sd"].to_numpy()
    rows = []
    for a in levels:
        z = norm.ppf(a)
        hold, short = expected_cycle_cost(z, sigma, c["overage_eur"].to_numpy(), c["underage_eur"].to_numpy())
        ss = np.maximum(z * sigma, 0)
        rows.append(
            {
                "service_level": a,
                "safety_stock_units": ss.sum(),
                "safety_stock_eur": float((ss * unit_cost.reindex(p.index).fillna(0).to_numpy()).sum()),
                "holding_eur_per_year": hold.sum() * cycles,
                "shortage_eur_per_year": short.sum() * cycles,
            }
        )
    out = pd.DataFrame(rows)
    out["total_eur_per_year"] = out["holding_eur_per_year"] + out["shortage_eur_per_year"]
    return out


def inventory_risk(draws: xr.DataArray, plan: pd.DataFrame, on_hand: pd.Series, backlog: pd.Series) -> pd.DataFrame:
    """Run the plan against every demand draw: stockout probability and expected shortfall.

    Net position per draw = on hand - backlog + cumulative production - cumulative demand;
    a negative position means customers wait.
    """
    skus = list(draws["sku"].values)
    months = pd.DatetimeIndex(draws["ds"].values)
    prod = (
        plan.pivot_table(index="sku", columns="month", values="production")
        .reindex(index=skus, columns=months)
        .fillna(0)
        .to_numpy()
    )
    start = (on_hand.reindex(skus).fillna(0) - backlog.reindex(skus).fillna(0)).to_numpy()
    d = draws.transpose("sample", "sku", "ds").values
    net = start[None, :, None] + np.cumsum(prod, axis=1)[None] - np.cumsum(d, axis=2)
    short = np.maximum(-net, 0)
    return pd.DataFrame(
        {
            "sku": np.repeat(skus, len(months)),
            "month": np.tile(months, len(skus)),
            "stockout_probability": (net < 0).mean(axis=0).ravel(),
            "expected_units_short": short.mean(axis=0).ravel(),
            "inventory_p10": np.quantile(net, 0.1, axis=0).ravel(),
            "inventory_p50": np.quantile(net, 0.5, axis=0).ravel(),
            "inventory_p90": np.quantile(net, 0.9, axis=0).ravel(),
        }
    )


RISK_MONTHS = 3  # stock-out risk is reported for the next 3 months: later months are re-planned before they come
AT_RISK = 0.2  # a SKU whose stock-out probability in those months exceeds this is "at risk" (steps 3 and 5)


def near_term_stockout(risk: pd.DataFrame, months: int = RISK_MONTHS) -> pd.Series:
    """Each SKU's highest stock-out probability in the next ``months`` of `inventory_risk`, highest first."""
    near = risk[risk["month"] < risk["month"].min() + pd.DateOffset(months=months)]
    return near.groupby("sku")["stockout_probability"].max().sort_values(ascending=False)
