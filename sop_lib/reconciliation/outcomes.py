"""A plan under uncertainty: the production plan fixed by the LP, run against every demand draw.

What is sold in a draw is what the plan makes available: stock carries over, unmet
demand waits as backorders (served first when stock arrives), as in the LP. Per draw this
gives revenue, gross margin, operating profit, fill rate, customers waiting and the
inventory held, so a scenario is a distribution, and the difference between two scenarios
evaluated on the same draws (common random numbers) is the scenario's effect, not noise.
With a thin product master, revenue counts the SKUs with a list price, margin and profit those
with a price and a unit cost, stock value those with a cost; a figure with none is NaN (not
valued), never €0.

    gross margin     = revenue - cost of goods - holding - overtime
    operating profit = gross margin - opex budget - hiring cost - cost of added capacity
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

METRICS = {  # metric -> (label, unit) for tables and sentences
    "revenue_eur": ("revenue", "EUR"),
    "gross_margin_eur": ("gross margin", "EUR"),
    "operating_profit_eur": ("operating profit", "EUR"),
    "fill_rate": ("fill rate", "share"),
    "customer_months_waiting": ("customer-months waiting", "customer-months"),
    "avg_inventory_eur": ("average inventory value", "EUR"),
    "cash_tied_up_eur": ("cash tied up in stock at the peak", "EUR"),
}
CHUNK = 250  # draws simulated at once: bounds memory at 1,000s of SKUs
NOT_VALUED = "not valued (the product master lacks the list prices or unit costs)"  # a euro figure a thin master leaves out


def simulate(
    plan: pd.DataFrame,
    draws: xr.DataArray,
    *,
    on_hand: pd.Series,
    backlog: pd.Series,
    price: pd.Series,
    unit_cost: pd.Series,
    holding_pct_year: float,
    price_factor: pd.DataFrame | None = None,
    groups: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """One row per draw: revenue, cost of goods, holding, fill rate, backorder unit-months,
    inventory value (average and peak) of ``plan``'s production (sku, month, production)
    meeting that draw's demand; with ``groups`` (name -> SKUs) also revenue and backorder
    unit-months of each group (``revenue_eur[name]``, ``backorder_unit_months[name]``)."""
    d = draws.transpose("sample", "sku", "ds")
    skus, months = [str(s) for s in d["sku"].values], pd.DatetimeIndex(d["ds"].values)
    prod = (
        plan.pivot_table(index="sku", columns="month", values="production", aggfunc="sum")
        .reindex(index=skus, columns=months)
        .fillna(0.0)
        .to_numpy()
    )
    start = (on_hand.reindex(skus).fillna(0) - backlog.reindex(skus).fillna(0)).to_numpy(float)
    priced, costed = price.reindex(skus).notna().to_numpy(), unit_cost.reindex(skus).notna().to_numpy()
    both = priced & costed  # a thin product master: margin only where price and cost are both known
    px = price.reindex(skus).fillna(0).to_numpy(float)[:, None] * np.ones(len(months))
    if price_factor is not None and len(price_factor):
        f = price_factor.pivot_table(index="sku", columns="month", values="factor", aggfunc="prod")
        px = px * f.reindex(index=skus, columns=months).fillna(1.0).to_numpy()
    cost = unit_cost.reindex(skus).fillna(0).to_numpy(float)
    nan = np.nan
    rows = []
    for lo in range(0, d.sizes["sample"], CHUNK):
        dem = d.isel(sample=slice(lo, lo + CHUNK)).values  # (n, S, T)
        net = start[None, :, None] + np.cumsum(prod[None] - dem, axis=2)  # stock minus backorders at month end
        prev = np.concatenate([np.broadcast_to(start[None, :, None], (len(dem), len(skus), 1)), net[..., :-1]], axis=2)
        shipped = dem + np.maximum(-prev, 0) - np.maximum(-net, 0)
        served_new = np.minimum(dem, np.maximum(prev + prod[None], 0))
        stock = np.maximum(net, 0)
        value = (stock * cost[None, :, None]).sum(axis=1)  # (n, T)
        extra = {}
        for name, members in (groups or {}).items():
            k = np.isin(skus, list(members))
            revenue = (shipped[:, k] * px[None, k]).sum(axis=(1, 2))
            extra[f"revenue_eur[{name}]"] = revenue if priced[k].any() or not k.any() else revenue * nan
            extra[f"backorder_unit_months[{name}]"] = np.maximum(-net[:, k], 0).sum(axis=(1, 2))
        money = {
            "revenue_eur": (shipped * px[None]).sum(axis=(1, 2)) * (1.0 if priced.any() else nan),
            "cogs_eur": (shipped * cost[None, :, None]).sum(axis=(1, 2)),
            "holding_eur": value.sum(axis=1) * holding_pct_year / 12,
        }
        if not both.all():  # the margin of the SKUs with both a price and a cost (NaN with none)
            m = 1.0 if both.any() else nan
            money |= {
                "margin_revenue_eur": (shipped[:, both] * px[None, both]).sum(axis=(1, 2)) * m,
                "cogs_eur": (shipped[:, both] * cost[None, both, None]).sum(axis=(1, 2)) * m,
                "holding_eur": (stock[:, both] * cost[None, both, None]).sum(axis=1).sum(axis=1) * holding_pct_year / 12 * m,
            }
        inventory = 1.0 if costed.any() else nan
        rows.append(
            pd.DataFrame(
                {
                    **extra,
                    **money,
                    "fill_rate": served_new.sum(axis=(1, 2)) / np.maximum(dem.sum(axis=(1, 2)), 1e-9),
                    "backorder_unit_months": np.maximum(-net, 0).sum(axis=(1, 2)),
                    "avg_inventory_eur": value.mean(axis=1) * inventory,
                    "cash_tied_up_eur": value.max(axis=1) * inventory,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def profit_and_loss(
    sim: pd.DataFrame,
    *,
    overtime_eur: float,
    hiring_eur: float,
    opex_eur: float,
    extra_cost_eur: float,
    units_per_customer: float,
) -> pd.DataFrame:
    """The per-draw P&L and service metrics of `METRICS` from a simulation and the plan's fixed costs
    (for a thin product master the margin of the SKUs with a price and a cost, NaN with none)."""
    margin_revenue = sim["margin_revenue_eur"] if "margin_revenue_eur" in sim else sim["revenue_eur"]
    gm = margin_revenue - sim["cogs_eur"] - sim["holding_eur"] - overtime_eur
    return pd.DataFrame(
        {
            "revenue_eur": sim["revenue_eur"],
            "gross_margin_eur": gm,
            "operating_profit_eur": gm - opex_eur - hiring_eur - extra_cost_eur,
            "fill_rate": sim["fill_rate"],
            "customer_months_waiting": sim["backorder_unit_months"] / max(units_per_customer, 1e-9),
            "avg_inventory_eur": sim["avg_inventory_eur"],
            "cash_tied_up_eur": sim["cash_tied_up_eur"],
        }
    )


def summarise(per_draw: dict[str, pd.DataFrame], *, base: str = "base", revenue_target_eur: float | None = None) -> pd.DataFrame:
    """The hand-over table `scenario_results`: per scenario and metric P10/P50/P90 and mean,
    and the same for the paired difference to the base (draw by draw)."""
    rows = []
    ref = per_draw[base]
    for name, df in per_draw.items():
        for metric in METRICS:
            x, dx = df[metric].to_numpy(), df[metric].to_numpy() - ref[metric].to_numpy()
            q, dq = np.quantile(x, [0.1, 0.5, 0.9]), np.quantile(dx, [0.1, 0.5, 0.9])
            rows.append(
                {
                    "scenario": name,
                    "metric": metric,
                    "p10": q[0],
                    "p50": q[1],
                    "p90": q[2],
                    "mean": x.mean(),
                    "delta_p10": dq[0],
                    "delta_p50": dq[1],
                    "delta_p90": dq[2],
                    "delta_mean": dx.mean(),
                }
            )
        if revenue_target_eur and df["revenue_eur"].notna().all():
            hit = float((df["revenue_eur"] >= revenue_target_eur).mean())
            rows.append(
                {
                    "scenario": name,
                    "metric": "p_revenue_target",
                    "p10": hit,
                    "p50": hit,
                    "p90": hit,
                    "mean": hit,
                    "delta_mean": hit - float((ref["revenue_eur"] >= revenue_target_eur).mean()),
                }
            )
    return pd.DataFrame(rows)


def side_by_side(results: pd.DataFrame, fmt_eur) -> pd.DataFrame:
    """One row per scenario (base first), one column per metric: 'P50 (P10 to P90)'."""

    def cell(r) -> str:
        if r["metric"] == "p_revenue_target":
            return f"{r['p50']:.0%}"
        if METRICS[r["metric"]][1] == "share":
            return f"{r['p50']:.1%} ({r['p10']:.1%} to {r['p90']:.1%})"
        f = fmt_eur if METRICS[r["metric"]][1] == "EUR" else (lambda v: f"{v:,.0f}")
        return f"{f(r['p50'])} ({f(r['p10'])} to {f(r['p90'])})"

    labels = {m: lab for m, (lab, _) in METRICS.items()} | {"p_revenue_target": "chance of the revenue target"}
    results = results[results.groupby("metric")["p50"].transform(lambda v: v.notna().any())]  # not valued: no column
    out = results.assign(cell=results.apply(cell, axis=1), metric=results["metric"].map(labels))
    order = list(dict.fromkeys(results["scenario"]))
    table = out.pivot(index="scenario", columns="metric", values="cell").reindex(order)
    return table[[labels[m] for m in [*METRICS, "p_revenue_target"] if labels[m] in table.columns]].reset_index()


def describe(results: pd.DataFrame, scenario: str, description: str = "") -> str:
    """One sentence: what the scenario does to operating profit, fill rate and waiting, against the base."""
    from sop_lib.core.reporting import fmt_eur_change as eur

    r = results[results["scenario"] == scenario].set_index("metric")

    op, fr, wait = r.loc["operating_profit_eur"], r.loc["fill_rate"], r.loc["customer_months_waiting"]
    profit = (
        f"operating profit {eur(op['delta_p50'])} against the plan (P10 to P90 of the change "
        f"{eur(op['delta_p10'])} to {eur(op['delta_p90'])})"
        if pd.notna(op["delta_p50"])
        else f"operating profit {NOT_VALUED}"
    )
    return (
        f"{scenario}{' (' + description + ')' if description else ''}: {profit}, "
        f"fill rate {100 * fr['delta_p50']:+.1f} points, customer-months waiting {wait['delta_p50']:+,.0f}."
    )
