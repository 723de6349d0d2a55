"""Plan quality: replay the planning policy over the last months and score what it would have done.

At the start of each replayed month a policy sees only the sales before that month, makes
its demand view and safety stock, and the production LP (`sop_lib.supply.production`) plans the
coming ``horizon`` months; the first month of that plan is made. Then the month happens
with the sales that really occurred: stock serves the customers already waiting first,
then the month's demand; what cannot be served waits (a backorder), and stock and
backorders carry into the next month. Every policy starts from the same stock (one month
of the last three months' average sales, nobody waiting) a few unscored warm-up months
before the first scored month, and plans against the same
lines, routings, suppliers and costs (today's, held fixed over the replay).

Policies (`POLICIES`):

* ``suite``   the demand engine's draws (a fast profile, `BacktestParams`), the LP on the
              draws' demand view weighing their expected backlog per month for the target
              cycle service level (step 3's, `supply.inventory.shortage_cuts`);
* ``naive``   seasonal naive (same month last year), safety stock as fixed weeks of cover,
              the same LP;
* ``limit``   the suite's planning on draws from the true demand distribution (a synthetic
              company's generator knows it: expected demand and noise, not the sales): the
              best any forecast could do; only where a `truth` forecaster is given;
* ``perfect`` the LP with the actual demand of every month to the end of the replay known
              and no safety stock: the physical limit of the lines and suppliers.

No policy plans past the last replayed month (perfect foresight could not), so none pays
for stock built for months that are not scored. Besides the sales before the month, a policy
knows what a planner then knew: the marketing calendar's promotions ahead and each product's
discontinuation date (products discontinued since are replayed while they were on sale).
The replay's LP is step 3's without its people constraint, allocation priority and what-if
inputs: lines, overtime, components, suppliers, storage and the cost weights.

Costs are what the month really cost, not what the LP expected: holding (end stock x unit
cost x the holding rate / 12), waiting (backordered units at month end x the lateness
share of price) and overtime (the made month's overtime hours x the hourly rate). Where the
product master has no list price or unit cost, step 3's stand-ins (`supply.planning_values`)
price both the plans and their costs, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.supply.production import BELOW_SAFETY_PCT
from sop_lib.supply.promise import serve_month

POLICIES = {
    "suite": "the suite: the demand engine's draws, safety stock for the service level, the LP",
    "naive": "naive: same month last year, safety stock as fixed weeks of cover, the same LP",
    "limit": "the forecaster's limit: draws from the company's true demand distribution (known for a synthetic company), the suite's planning",
    "perfect": "perfect foresight: the LP with the actual demand known, no safety stock",
}
DRAWN = ("suite", "limit")  # the policies that plan from demand draws, and so make a promise
WEEKS_PER_MONTH = 52 / 12
SUMMARY_COLUMNS = [
    "policy",
    "fill_rate",
    "cycle_service_level",
    "customer_months_waiting",
    "avg_inventory_eur",
    "total_cost_eur",
    "cost_gap_to_perfect_pct",
    "holding_eur",
    "waiting_eur",
    "overtime_eur",
    "below_safety_share",
    "promised_cycle_service_level",
    "promised_fill_rate",
]

# (history before the month, future promotions, the month, horizon) -> draws (sample, sku, ds)
Forecaster = Callable[[pd.DataFrame, pd.DataFrame, pd.Timestamp, int], xr.DataArray]


class BacktestError(ValueError):
    """A replay that cannot run on this data, said in one line."""


@dataclass(frozen=True)
class Costs:
    """The plan's cost rates and LP settings, from the params."""

    holding_pct_year: float
    lateness_pct: float
    stockout_pct: float
    overtime_pct: float
    overtime_cost: float
    storage_limit: float | None
    service_level: float
    review_months: float
    scenario: str = "p50"  # the demand view the suite's plan is built for, as in step 3
    below_safety_pct: float = BELOW_SAFETY_PCT  # the LP's penalty per unit-month below safety stock, share of price
    worker_cost_eur_per_month: float = 4000.0  # sets the stand-in unit value when no SKU has a list price


def replay_months(cycle: str, months: int) -> pd.DatetimeIndex:
    """The ``months`` closed months just before ``cycle``, oldest first."""
    start = pd.Timestamp(f"{cycle}-01")
    return pd.date_range(start - pd.DateOffset(months=months), periods=months, freq="MS")


def check_span(
    history: pd.DataFrame, replayed: pd.DatetimeIndex, season_length: int, min_fit_months: int, warmup: int = 0
) -> None:
    """Refuse a replay that leaves too little history before its first (warm-up) month, or has no sales in it."""
    first, start = history["ds"].min(), replayed[0] - pd.DateOffset(months=warmup)
    before = (start.year - first.year) * 12 + start.month - first.month
    if before < min_fit_months:
        lead = f" after {warmup} warm-up months from {start:%Y-%m}" if warmup else ""
        raise BacktestError(
            f"sales history starts {first:%Y-%m}: replaying {len(replayed)} months from {replayed[0]:%Y-%m}{lead} leaves "
            f"{before} months to forecast from; expected at least {min_fit_months} (season {season_length} months). "
            f"Replay fewer months (--months) or shorten backtest.warmup_months."
        )
    if history["ds"].max() < replayed[-1]:
        raise BacktestError(
            f"sales history ends {history['ds'].max():%Y-%m}, before the last replayed month "
            f"{replayed[-1]:%Y-%m}: the replay needs every replayed month's actual sales"
        )


def sku_months(history: pd.DataFrame) -> pd.DataFrame:
    """Units per SKU and month (series are SKU x region)."""
    return history.groupby(["sku", "ds"], as_index=False)["y"].sum()


def naive_view(history: pd.DataFrame, months: pd.DatetimeIndex, skus: list[str]) -> pd.DataFrame:
    """Seasonal naive per SKU: the same month a year earlier; without one, the last three months' mean."""
    by = sku_months(history).pivot_table(index="ds", columns="sku", values="y", aggfunc="sum").reindex(columns=skus)
    recent = by.tail(3).mean().fillna(0.0)  # a product not on sale a year ago (launched since) gets its recent mean
    rows = []
    for m in months:
        ly = m - pd.DateOffset(years=1)
        units = (by.loc[ly] if ly in by.index else pd.Series(np.nan, index=skus)).fillna(recent)
        rows.append(pd.DataFrame({"sku": skus, "month": m, "units": units.reindex(skus).fillna(0.0).to_numpy()}))
    return pd.concat(rows, ignore_index=True)


REPLAY_METHOD = {"trend": "advi", "ets": "map"}  # a re-plan in seconds: the fast inference of each model
# auto takes the trend model up to this many series: its ADVI re-plan took 25 s on 57 series and
# 175 s on 570 (2-core machine), the ets model's MAP 4 s and 7 s; 18 re-plans must stay a coffee break
TREND_MAX_SERIES = 150


def replay_profile(model: str, method: str, history: pd.DataFrame) -> tuple[str, str, str]:
    """The model and inference the replay's suite plans with, and why: ``auto`` picks the model
    step 2 fits (the trend model on whole units, the ets model otherwise; the ets model too
    above `TREND_MAX_SERIES` series) and its fast inference."""
    why = "as the params set"
    if model == "auto":
        from sop_lib.demand.design import whole_units

        series = history["unique_id"].nunique()
        if not whole_units(history["y"].dropna().to_numpy()):
            model, why = "ets", "auto: the sales are not whole units"
        elif series > TREND_MAX_SERIES:
            model, why = "ets", f"auto: {series:,} series, over the {TREND_MAX_SERIES} the trend model re-plans in under a minute"
        else:
            model, why = "trend", "auto: the model step 2 fits to whole units"
    return model, REPLAY_METHOD[model] if method == "auto" else method, why


def engine_forecaster(
    *,
    season_length: int,
    model: str,
    method: str,
    draws: int,
    seed: int,
    theta_weight: float | None = None,
    tsb_weight: float | None = None,
) -> Forecaster:
    """The suite's demand engine as a replay forecaster: SKU-level draws, young series planned as step 2 does."""
    from sop_lib import demand
    from sop_lib.supply import sku_draws

    def run(history: pd.DataFrame, future: pd.DataFrame, origin: pd.Timestamp, horizon: int) -> xr.DataArray:
        history = history[history.groupby("unique_id")["ds"].transform("max") == history["ds"].max()]  # still sold
        fit, young = demand.split_young(history, season_length, holdout=0)
        res = demand.forecast(
            fit,
            horizon,
            season_length=season_length,
            group_col="family",
            regressors=("promo",),
            future_regressors=future[future["unique_id"].isin(fit["unique_id"])],
            model=model,
            method=method,
            draws=draws,
            chains=1,
            tune=draws,
            seed=seed,
            theta_weight=theta_weight,
            tsb_weight=tsb_weight,
            return_draws=True,
        )
        d = res.draws
        if len(young):
            d = xr.concat([d, demand.young_draws(young, fit, d, seed=seed)], dim="unique_id")
        return sku_draws(d)

    return run


def _first_month(plan, origin: pd.Timestamp, skus: list[str]) -> tuple[pd.Series, float]:
    """The production of the plan's first month per SKU, and that month's overtime hours."""
    p = plan.plan[plan.plan["month"] == origin].groupby("sku")["production"].sum().reindex(skus).fillna(0.0)
    lines = plan.line_use
    ot = float(lines.loc[lines["month"] == origin, "overtime_hours"].sum()) if len(lines) else 0.0
    return p.clip(lower=0.0), ot


def _month_target(cuts: pd.DataFrame, month: pd.Timestamp, skus: list[str], service_level: float) -> pd.Series:
    """Per SKU the stock above the view that covers the target share of draws in ``month`` (from the shortage cuts)."""
    from sop_lib.supply.inventory import stock_targets

    t = stock_targets(cuts[cuts["month"] == month], service_level)
    return t.set_index("sku")["safety_stock"].reindex(skus).fillna(0.0)


def plan_month(
    view: pd.DataFrame,
    safety: pd.Series | pd.DataFrame,
    on_hand: pd.Series,
    backlog: pd.Series,
    tables: dict[str, pd.DataFrame],
    costs: Costs,
    unit_cost: pd.Series,
    price: pd.Series,
):
    """The LP's cheapest plan for a demand view (sku, month, units) from this month's stock and backlog;
    ``safety`` is a safety stock per SKU, or the draws' shortage cuts (`supply.inventory.shortage_cuts`)."""
    from sop_lib.supply.production import plan_production

    cuts = isinstance(safety, pd.DataFrame)
    return plan_production(
        view,
        on_hand=on_hand,
        backlog=backlog,
        safety=pd.Series(0.0, index=on_hand.index) if cuts else safety,
        shortage=safety if cuts else None,
        service_level=costs.service_level,
        routings=tables["routings"],
        lines=tables["production_lines"],
        bom=tables["bom"],
        suppliers=tables["suppliers"],
        unit_cost=unit_cost,
        price=price,
        holding_pct_year=costs.holding_pct_year,
        overtime_pct=costs.overtime_pct,
        overtime_cost=costs.overtime_cost,
        lateness_pct=costs.lateness_pct,
        stockout_pct=costs.stockout_pct,
        storage_limit=costs.storage_limit,
        below_safety_pct=costs.below_safety_pct,
    )


def promised(draws: xr.DataArray, origin: pd.Timestamp, on_hand: pd.Series, backlog: pd.Series, made: pd.Series) -> dict:
    """What the month's plan promised for the month it makes, over its own draws (step 3's promise,
    `supply.promise`): expected product-months with demand, of them with nobody waiting, demand and served."""
    from sop_lib.supply.promise import NOBODY_WAITING, serve_month

    skus = list(made.index)
    d = draws.sel(ds=origin).reindex(sku=skus, fill_value=0.0).transpose("sample", "sku").values
    after = serve_month(on_hand.to_numpy()[None], backlog.to_numpy()[None], made.to_numpy()[None], d)
    sold = d > 0
    return {
        "promised_sold": float(sold.sum(axis=1).mean()),
        "promised_ok": float(((after["backlog"] <= NOBODY_WAITING) & sold).sum(axis=1).mean()),
        "promised_demand": float(d.sum(axis=1).mean()),
        "promised_served": float(after["served"].sum(axis=1).mean()),
    }


def suite_view(draws: xr.DataArray, months: pd.DatetimeIndex, costs: Costs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The suite's plan inputs from its draws, as step 3 makes them: the demand view and the draws'
    shortage curve per SKU and month (`supply.inventory.shortage_cuts`)."""
    from sop_lib.supply import scenario_demand
    from sop_lib.supply.inventory import shortage_cuts

    view = scenario_demand(draws, costs.scenario)
    cuts = shortage_cuts(draws, view, costs.service_level)
    return view[view["month"].isin(months)], cuts[cuts["month"].isin(months)]


def naive_policy_view(
    seen: pd.DataFrame, months: pd.DatetimeIndex, skus: list[str], cover_weeks: float
) -> tuple[pd.DataFrame, pd.Series]:
    """Seasonal naive demand and safety stock as fixed weeks of that demand."""
    view = naive_view(seen, months, skus)
    cover = view.groupby("sku")["units"].mean() * cover_weeks / WEEKS_PER_MONTH
    return view, cover.reindex(skus).fillna(0.0)


def perfect_view(
    actual: pd.DataFrame, origin: pd.Timestamp, last: pd.Timestamp, skus: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """The actual demand of every month from ``origin`` to the end of the replay, and no safety stock."""
    rest = pd.date_range(origin, last, freq="MS")
    known = actual.reindex(rest).fillna(0.0)
    view = pd.DataFrame({"sku": np.tile(skus, len(rest)), "month": np.repeat(rest, len(skus)), "units": known.to_numpy().ravel()})
    return view, pd.Series(0.0, index=skus)


def _month_record(
    policy: str,
    origin: pd.Timestamp,
    demand: pd.Series,
    made: pd.Series,
    after: dict,
    safety: pd.Series,
    unit_cost: pd.Series,
    price: pd.Series,
    costs: Costs,
) -> pd.DataFrame:
    """One policy's month per SKU: demand, made, served, stock and waiting at month end, and their costs."""
    return pd.DataFrame(
        {
            "policy": policy,
            "month": origin,
            "sku": demand.index,
            "demand": demand.to_numpy(),
            "made": made.to_numpy(),
            "served": after["served"].to_numpy(),
            "end_stock": after["on_hand"].to_numpy(),
            "end_backlog": after["backlog"].to_numpy(),
            "safety_stock": safety.to_numpy(),
            "inventory_eur": (after["on_hand"] * unit_cost).to_numpy(),
            "holding_eur": (after["on_hand"] * unit_cost * costs.holding_pct_year / 12).to_numpy(),
            "waiting_eur": (after["backlog"] * price * costs.lateness_pct).to_numpy(),
        }
    )


def valuation(tables: dict[str, pd.DataFrame], costs: Costs, skus: list[str]):
    """The prices and unit costs the replay plans and scores with: step 3's (`supply.planning_values`),
    with its stand-ins where the product master has none, so every policy is costed alike."""
    from sop_lib.supply import planning_values

    return planning_values(
        tables,
        overtime_cost=costs.overtime_cost,
        lateness_pct=costs.lateness_pct,
        worker_cost_eur_per_month=costs.worker_cost_eur_per_month,
        skus=skus,
    )


def replay(
    history: pd.DataFrame,
    future_promos: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    *,
    replayed: pd.DatetimeIndex,
    horizon: int,
    costs: Costs,
    naive_cover_weeks: float,
    forecaster: Forecaster,
    policies: tuple[str, ...] = ("suite", "naive", "perfect"),
    truth: Forecaster | None = None,
    warmup: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Month-by-month records of every policy over ``replayed``: one row per policy, month and SKU,
    and the lines' overtime per policy and month (hours and euros).

    ``warmup`` months before the first replayed one are planned and lived through but not
    scored, so each policy enters the scored months with the stock its own plans built (a
    replay that starts at a seasonal peak would otherwise judge the starting stock, not the policy).

    ``history`` is the engine's layout (unique_id, ds, y, family, sku, region, promo) over all
    closed months; each month's forecaster call sees only the rows before that month.
    """
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise BacktestError(f"unknown policy {', '.join(unknown)}; expected {', '.join(POLICIES)}")
    if "limit" in policies and truth is None:
        raise BacktestError(
            "the limit policy needs the true demand distribution (a truth forecaster): only a synthetic company has one"
        )
    sources = {"suite": forecaster, "limit": truth}
    prod = tables["products"].drop_duplicates("sku").set_index("sku")
    routed = set(tables["routings"]["sku"])
    # a company that buys what it sells (no routings at all) plans every product; one that makes them, the routed ones
    skus = sorted(set(history["sku"]) & routed) if routed else sorted(set(history["sku"]))
    if not skus:
        raise BacktestError("no product with sales history has a routing: the production LP has nothing to plan")
    values = valuation(tables, costs, skus)
    unit_cost, price = values.unit_cost.reindex(skus).fillna(0.0), values.price.reindex(skus).fillna(0.0)
    actual = (
        sku_months(history).pivot_table(index="ds", columns="sku", values="y", aggfunc="sum").reindex(columns=skus).fillna(0.0)
    )
    origins = pd.date_range(replayed[0] - pd.DateOffset(months=warmup), replayed[-1], freq="MS")
    before = actual[actual.index < origins[0]].tail(3).mean().reindex(skus).fillna(0.0)
    state = {p: (before.copy(), pd.Series(0.0, index=skus)) for p in policies}
    stop = pd.to_datetime(prod["discontinue_date"]).reindex(skus) if "discontinue_date" in prod else pd.Series(pd.NaT, index=skus)
    rows, overtime = [], []
    for origin in origins:
        live = stop.isna() | (stop > origin)  # a product past its discontinuation date is planned by nobody
        seen = history[(history["ds"] < origin) & history["sku"].isin(stop.index[live])]
        # no policy plans past the replay window: none pays for stock built for months that are not scored
        months = pd.date_range(origin, min(origin + pd.DateOffset(months=horizon - 1), replayed[-1]), freq="MS")
        views: dict[str, tuple[pd.DataFrame, pd.Series]] = {}
        drawn: dict[str, xr.DataArray] = {}
        for policy in (p for p in DRAWN if p in policies):
            ahead = pd.date_range(origin, periods=horizon, freq="MS")
            draws = sources[policy](seen, future_promos[future_promos["ds"].isin(ahead)], origin, horizon)
            if pd.Timestamp(draws["ds"].values[0]) != origin:
                raise BacktestError(
                    f"the forecaster's first month is {pd.Timestamp(draws['ds'].values[0]):%Y-%m}, expected {origin:%Y-%m}"
                )
            drawn[policy] = draws.reindex(sku=skus, fill_value=0.0)
            views[policy] = suite_view(drawn[policy], months, costs)
        if "naive" in policies:
            view, cover = naive_policy_view(seen, months, skus, naive_cover_weeks)
            views["naive"] = (view.assign(units=view["units"].where(view["sku"].map(live), 0.0)), cover.where(live, 0.0))
        if "perfect" in policies:
            views["perfect"] = perfect_view(actual, origin, replayed[-1], skus)
        demand_now = actual.loc[origin] if origin in actual.index else pd.Series(0.0, index=skus)
        views = {p: views[p] for p in POLICIES if p in views}  # the report's order: suite, naive, limit, perfect
        for policy, (view, safety) in views.items():
            on_hand, backlog = state[policy]
            made, overtime_hours = _first_month(
                plan_month(view, safety, on_hand, backlog, tables, costs, unit_cost, price), origin, skus
            )
            after = serve_month(on_hand, backlog, made, demand_now)
            promise = promised(drawn[policy], origin, on_hand, backlog, made) if policy in drawn else {}
            state[policy] = (after["on_hand"], after["backlog"])
            held = safety if isinstance(safety, pd.Series) else _month_target(safety, origin, skus, costs.service_level)
            rows.append(_month_record(policy, origin, demand_now, made, after, held, unit_cost, price, costs))
            overtime.append(
                {
                    "policy": policy,
                    "month": origin,
                    "overtime_hours": overtime_hours,
                    "overtime_eur": overtime_hours * costs.overtime_cost,
                    **promise,
                }
            )
        log(f"replayed {origin:%Y-%m}")
    records, overtime = pd.concat(rows, ignore_index=True), pd.DataFrame(overtime)
    return (
        records[records["month"] >= replayed[0]].reset_index(drop=True),
        overtime[overtime["month"] >= replayed[0]].reset_index(drop=True),
    )


def summarise(records: pd.DataFrame, overtime: pd.DataFrame, *, units_per_customer: float = 1.0) -> pd.DataFrame:
    """One row per policy: service achieved, customers waiting, inventory and cost, and the gap to perfect foresight.

    Fill rate: share of each month's demand served in that month. Cycle service level: share of
    SKU-months with demand in which nobody was left waiting at month end.
    """
    rows = []
    for policy, r in records.groupby("policy", sort=False):
        sold = r[r["demand"] > 0]
        per_month = r.groupby("month")[["inventory_eur"]].sum()
        cost = r[["holding_eur", "waiting_eur"]].sum()
        cost["overtime_eur"] = overtime.loc[overtime["policy"] == policy, "overtime_eur"].sum()
        rows.append(
            {
                "policy": policy,
                "fill_rate": float(r["served"].sum() / max(r["demand"].sum(), 1e-9)),
                "cycle_service_level": float((sold["end_backlog"] <= 1e-6).mean()) if len(sold) else 1.0,
                "customer_months_waiting": float(r["end_backlog"].sum() / max(units_per_customer, 1e-9)),
                "avg_inventory_eur": float(per_month["inventory_eur"].mean()),
                "total_cost_eur": float(cost.sum()),
                "holding_eur": float(cost["holding_eur"]),
                "waiting_eur": float(cost["waiting_eur"]),
                "overtime_eur": float(cost["overtime_eur"]),
                # the buffer the policy asked for against the stock it really had at month end
                "below_safety_share": float(
                    (r.loc[r["safety_stock"] > 0, "end_stock"] + 1e-6 < r.loc[r["safety_stock"] > 0, "safety_stock"]).mean()
                )
                if (r["safety_stock"] > 0).any()
                else 0.0,
                **_promise_scored(overtime[overtime["policy"] == policy]),
            }
        )
    out = pd.DataFrame(rows)
    perfect = out.loc[out["policy"] == "perfect", "total_cost_eur"]
    base = float(perfect.iloc[0]) if len(perfect) else np.nan
    out["cost_gap_to_perfect_pct"] = 100 * (out["total_cost_eur"] / base - 1) if base and base > 0 else np.nan
    return out[SUMMARY_COLUMNS]


def _promise_scored(months: pd.DataFrame) -> dict[str, float]:
    """The service a policy's plans promised for the months they made, pooled as the outcome is pooled."""
    if "promised_sold" not in months or months["promised_sold"].isna().all():
        return {"promised_cycle_service_level": np.nan, "promised_fill_rate": np.nan}
    return {
        "promised_cycle_service_level": float(months["promised_ok"].sum() / max(months["promised_sold"].sum(), 1e-9)),
        "promised_fill_rate": float(months["promised_served"].sum() / max(months["promised_demand"].sum(), 1e-9)),
    }


def by_month(records: pd.DataFrame, overtime: pd.DataFrame) -> pd.DataFrame:
    """Per policy and month: fill rate, inventory value, units waiting and cost, for the month-by-month lines."""
    g = records.groupby(["policy", "month"], sort=False)
    out = g[["demand", "served", "end_backlog", "inventory_eur", "holding_eur", "waiting_eur"]].sum()
    promise = [c for c in ("promised_ok", "promised_sold") if c in overtime]
    out = out.join(overtime.set_index(["policy", "month"])[["overtime_hours", "overtime_eur", *promise]])
    out["fill_rate"] = out["served"] / out["demand"].where(out["demand"] > 0)
    out["cost_eur"] = out[["holding_eur", "waiting_eur", "overtime_eur"]].sum(axis=1)
    return out.reset_index()


def verdict(summary: pd.DataFrame, service_level: float) -> list[str]:
    """Sentences for the reader: did the suite beat naive, how far from the physical limit, and what costs most."""
    s = summary.set_index("policy")
    out = []
    if "suite" not in s.index:
        return out
    suite = s.loc["suite"]
    reached = suite["cycle_service_level"] >= service_level
    out.append(
        f"The suite's plans served {suite['fill_rate']:.1%} of demand in the month it arose; "
        f"{suite['cycle_service_level']:.0%} of product-months ended with nobody waiting "
        f"(target {service_level:.0%}: {'reached' if reached else 'not reached'})."
    )
    if "perfect" in s.index and s.loc["perfect", "total_cost_eur"] > 0:
        out.append(
            f"It cost {suite['cost_gap_to_perfect_pct']:+.0f}% against perfect foresight "
            f"(€{suite['total_cost_eur']:,.0f} against €{s.loc['perfect', 'total_cost_eur']:,.0f})."
        )
        gap = (
            suite[["holding_eur", "waiting_eur", "overtime_eur"]]
            - s.loc["perfect", ["holding_eur", "waiting_eur", "overtime_eur"]]
        )
        part = gap.idxmax()
        why = {
            "holding_eur": "holding stock: the safety stock and forecasts above what sold (interval width and lead-time buffer)",
            "waiting_eur": "customers waiting: forecasts below what sold (forecast error) or a buffer too thin",
            "overtime_eur": "overtime: capacity used later or less evenly than foresight would",
        }[part]
        if gap[part] > 0:
            out.append(f"Most of the gap (€{gap[part]:,.0f}) is {why}.")
    if not reached and suite["below_safety_share"] > 0.25:
        out.append(
            f"Its stock ended below its own safety stock in {suite['below_safety_share']:.0%} of product-months: "
            "the plans spend the buffer on waiting customers, and line hours and components inside the "
            "supplier lead time limit how fast it refills, so the shortfall is in planning and capacity as "
            "much as in the forecast."
        )
    if pd.notna(suite.get("promised_cycle_service_level", np.nan)):
        promised, got = suite["promised_cycle_service_level"], suite["cycle_service_level"]
        calibrated = abs(promised - got) <= 0.03
        out.append(
            f"Its plans promised a {promised:.0%} cycle service level for the months they made and delivered {got:.0%}: "
            + (
                "the promise is calibrated (within 3 points)."
                if calibrated
                else f"{100 * (got - promised):+.0f} points off its promise."
            )
        )
    for other, name in (("limit", "the forecaster's limit"), ("naive", "naive")):
        if other in s.index:
            o = s.loc[other]
            loses = [
                f"{100 * (o[m] - suite[m]):.1f} points of {w}"
                for m, w in (("fill_rate", "fill rate"), ("cycle_service_level", "cycle service level"))
                if o[m] > suite[m] + 1e-9
            ]
            if o["total_cost_eur"] < suite["total_cost_eur"]:
                loses.append(
                    f"€{suite['total_cost_eur'] - o['total_cost_eur']:,.0f} of cost ({suite['total_cost_eur'] / o['total_cost_eur'] - 1:+.0%})"
                )
            out.append(
                f"Against {name}, the suite loses " + ", ".join(loses) + "."
                if loses
                else f"Against {name}, the suite loses nothing: it serves as well or better at no higher cost."
            )
    if "naive" in s.index:
        n = s.loc["naive"]
        inv = suite["avg_inventory_eur"] / n["avg_inventory_eur"] - 1 if n["avg_inventory_eur"] > 0 else np.nan
        out.append(
            f"Against the naive policy: fill rate {100 * (suite['fill_rate'] - n['fill_rate']):+.1f} points, "
            f"average inventory {inv:+.0%}, cost {suite['total_cost_eur'] / max(n['total_cost_eur'], 1e-9) - 1:+.0%}."
        )
    return out


@dataclass
class Backtest:
    """What `run` returns: the replayed months, per-SKU records, overtime, the summary and what was used."""

    replayed: pd.DatetimeIndex
    records: pd.DataFrame
    overtime: pd.DataFrame
    summary: pd.DataFrame
    monthly: pd.DataFrame
    profile: str
    seconds: float
    valuation: str | None = None  # the stand-ins for prices or costs the product master lacks (`supply.planning_values`)


def costs_of(params) -> Costs:
    """`Costs` from a validated `RunParams`: step 3's plan settings (`supply.plan_kwargs`)."""
    from sop_lib.supply import plan_kwargs

    kw = plan_kwargs(params)
    return Costs(
        **{
            k: kw[k]
            for k in (
                "holding_pct_year",
                "lateness_pct",
                "stockout_pct",
                "overtime_pct",
                "overtime_cost",
                "storage_limit",
                "service_level",
                "review_months",
                "scenario",
                "worker_cost_eur_per_month",
            )
        }
    )


def promotions_ahead(history: pd.DataFrame, future: pd.DataFrame, first: pd.Timestamp) -> pd.DataFrame:
    """The promotion regressor from month ``first`` on (planned promotions are known ahead): replay months + future."""
    return pd.concat([history[history["ds"] >= first][["unique_id", "ds", "promo"]], future])


def load_history(params) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """The company's data read as step 1 reads it: (engine history, future promotions, tables).

    Blocking data problems stop the replay with step 1's message for the first of them.
    """
    from sop_lib import data, demand

    loaded = data.load_sources(params)
    blocking = [p for p in loaded.problems if p.severity == "block"]
    if blocking:
        more = f" (and {len(blocking) - 1} more: run step 1 for the list)" if len(blocking) > 1 else ""
        raise BacktestError(f"the data would stop step 1: {blocking[0]}{more}")
    t = loaded.tables
    monthly = data.monthly_sales(t["sales_history"], t["products"], params.cycle)
    horizon = params.backtest.horizon_months + params.backtest.months
    # products discontinued since were on sale in the replayed months: keep their history (no survivorship bias)
    products = t["products"].assign(status=t["products"]["status"].replace({"discontinued": "active"}))
    history, future = demand.sop_history(monthly, products, t["marketing_calendar"], horizon)
    return history, future, t


def run(
    params, *, months: int | None = None, truth: Forecaster | None = None, log: Callable[[str], None] = lambda _: None
) -> Backtest:
    """Replay the last ``months`` (default: the params' ``backtest.months``) for every policy; with
    ``truth`` (draws from the company's true demand, `companies.truth.truth_of`) the limit policy too."""
    import time

    from sop_lib.demand.young import min_months
    from sop_lib.reconciliation.evaluate import units_per_customer

    b = params.backtest
    months = months or b.months
    started = time.perf_counter()
    history, future, tables = load_history(params)
    replayed = replay_months(params.cycle, months)
    check_span(history, replayed, params.demand.season_length, min_months(params.demand.season_length), b.warmup_months)
    future_all = promotions_ahead(history, future, replayed[0] - pd.DateOffset(months=b.warmup_months))
    model, method, why = replay_profile(b.model, b.method, history)
    forecaster = engine_forecaster(
        season_length=params.demand.season_length,
        model=model,
        method=method,
        draws=b.draws,
        seed=params.demand.seed,
        theta_weight=params.demand.theta_weight,
        tsb_weight=params.demand.tsb_weight,
    )
    records, overtime = replay(
        history,
        future_all,
        tables,
        replayed=replayed,
        horizon=b.horizon_months,
        costs=costs_of(params),
        naive_cover_weeks=b.naive_cover_weeks,
        forecaster=forecaster,
        policies=("suite", "naive", "limit", "perfect") if truth is not None else ("suite", "naive", "perfect"),
        truth=truth,
        warmup=b.warmup_months,
        log=log,
    )
    summary = summarise(records, overtime, units_per_customer=units_per_customer(tables["open_orders"]))
    profile = (
        f"{model} model by {method.upper()} ({why}), {b.horizon_months}-month plans re-made monthly after "
        f"{b.warmup_months} unscored warm-up months, naive cover {b.naive_cover_weeks:g} weeks"
    )
    note = valuation(tables, costs_of(params), sorted(set(records["sku"]))).sentence("the replay's waiting and holding costs")
    return Backtest(
        replayed, records, overtime, summary, by_month(records, overtime), profile, time.perf_counter() - started, note
    )
