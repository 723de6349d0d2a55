"""Step 3: can we meet the demand, and at what cost?

* `safety_stock` — textbook safety stock for a target cycle service level, with both
  demand and lead-time uncertainty: ``z * sqrt(L * sd_d^2 + d^2 * sd_L^2)``.
* `plan_production` — a linear programme (HiGHS via ``scipy.optimize.linprog``):
  production per SKU and month under line hours (plus limited overtime) and supplier
  component capacity, with the backlog to clear. The objective is in euros: holding
  cost, a lateness penalty per unit-month waiting, a penalty for dipping under
  safety stock, and overtime pay. Dual values say what one more hour of a line or one
  more component is worth.
* `inventory_risk` — the plan run against *every* demand draw: probability of a
  stockout and expected units short per SKU and month.
* `backlog_burndown`, `capacity_check`, `supplier_risk`, `people_check`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy import sparse
from scipy.optimize import linprog
from scipy.stats import norm


def sku_draws(draws: xr.DataArray) -> xr.DataArray:
    """Sum 'SKU|region' series draws to SKUs (coherent in every draw)."""
    skus = pd.Series([str(u).split("|")[0] for u in draws["unique_id"].values], index=draws["unique_id"].values)
    return draws.assign_coords(sku=("unique_id", skus.to_numpy())).groupby("sku").sum("unique_id")


def safety_stock(draws: xr.DataArray, suppliers: pd.DataFrame, bom: pd.DataFrame, service_level: float,
                 review_months: float = 1.0) -> pd.DataFrame:
    """Safety stock and reorder point per SKU for a cycle service level.

    Protection period L = review period + the slowest supplier's lead time (months);
    demand mean and sd per month come from the first three forecast months' draws.
    """
    first = draws.isel(ds=slice(0, 3))
    d = first.mean(("sample", "ds")).to_series()
    sd = first.std("sample").mean("ds").to_series()
    lt = bom.merge(suppliers, on="supplier_id").groupby("sku").agg(
        lead_time_days=("lead_time_days", "max"), lead_time_sd_days=("lead_time_sd_days", "max"))
    out = pd.DataFrame({"mean_monthly_demand": d, "sd_monthly_demand": sd}).join(lt)
    out[["lead_time_days", "lead_time_sd_days"]] = out[["lead_time_days", "lead_time_sd_days"]].fillna(0)
    L = review_months + out["lead_time_days"] / 30.4
    sd_L = out["lead_time_sd_days"] / 30.4
    z = norm.ppf(service_level)
    out["safety_stock"] = z * np.sqrt(L * out["sd_monthly_demand"] ** 2 + out["mean_monthly_demand"] ** 2 * sd_L**2)
    out["reorder_point"] = out["mean_monthly_demand"] * L + out["safety_stock"]
    out["service_level"] = service_level
    return out.reset_index(names="sku")


@dataclass
class PlanResult:
    plan: pd.DataFrame  # sku, month, demand, production, inventory, backorders, below_safety
    line_use: pd.DataFrame  # line_id, month, hours, capacity, overtime_hours, shadow_price_eur_per_hour
    components: pd.DataFrame  # component, supplier_id, month, used, capacity, shadow_price
    cost_eur: float
    status: str


def plan_production(demand: pd.DataFrame, *, on_hand: pd.Series, backlog: pd.Series, safety: pd.Series,
                    routings: pd.DataFrame, lines: pd.DataFrame, bom: pd.DataFrame, suppliers: pd.DataFrame,
                    unit_cost: pd.Series, price: pd.Series, holding_pct_year: float = 0.22,
                    overtime_pct: float = 0.1, overtime_cost: float = 58.0) -> PlanResult:
    """Cheapest production plan; ``demand`` has columns sku, month, units."""
    skus = sorted(demand["sku"].unique())
    months = sorted(demand["month"].unique())
    S, T = len(skus), len(months)
    D = demand.pivot_table(index="sku", columns="month", values="units", aggfunc="sum").reindex(index=skus, columns=months).fillna(0).to_numpy()
    line_ids = list(lines["line_id"])
    L = len(line_ids)
    n_sv = S * T  # block size per SKU variable kind
    # variable blocks: p (production), i (inventory), b (backorders), u (below safety), o (overtime, L*T)
    P, I, B, U, O = 0, n_sv, 2 * n_sv, 3 * n_sv, 4 * n_sv
    n = 4 * n_sv + L * T

    def v(block: int, s: int, t: int) -> int:
        return block + s * T + t

    hold = (unit_cost.reindex(skus).fillna(0).to_numpy() * holding_pct_year / 12)
    late = 0.08 * price.reindex(skus).fillna(0).to_numpy() + 1.0  # goodwill per unit-month waiting
    below = 0.5 * hold + 0.02 * price.reindex(skus).fillna(0).to_numpy()
    c = np.zeros(n)
    for s in range(S):
        for t in range(T):
            c[v(P, s, t)] = 1e-3  # tie-breaker: do not produce for nothing
            c[v(I, s, t)] = hold[s]
            c[v(B, s, t)] = late[s] * (1.0 if t < T - 1 else 3.0)  # waiting at the horizon end costs more
            c[v(U, s, t)] = below[s]
    c[O:] = overtime_cost

    # equality: i[s,t] - b[s,t] - p[s,t] - i[s,t-1] + b[s,t-1] = -d[s,t]  (t=0: start position on the right)
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    start = on_hand.reindex(skus).fillna(0).to_numpy() - backlog.reindex(skus).fillna(0).to_numpy()
    for s in range(S):
        for t in range(T):
            rows += [r, r, r]
            cols += [v(I, s, t), v(B, s, t), v(P, s, t)]
            vals += [1.0, -1.0, -1.0]
            if t > 0:
                rows += [r, r]
                cols += [v(I, s, t - 1), v(B, s, t - 1)]
                vals += [-1.0, 1.0]
                rhs.append(-D[s, t])
            else:
                rhs.append(start[s] - D[s, t])
            r += 1
    A_eq = sparse.csr_matrix((vals, (rows, cols)), shape=(r, n))
    b_eq = np.array(rhs)

    # inequalities: line hours, component supply, safety stock
    rows, cols, vals, rhs, labels = [], [], [], [], []
    r = 0
    route = routings[routings["sku"].isin(skus)]
    cap = lines.set_index("line_id")["hours_per_month"]
    for li, line in enumerate(line_ids):
        rt = route[route["line_id"] == line]
        for t in range(T):
            for _, x in rt.iterrows():
                rows.append(r); cols.append(v(P, skus.index(x["sku"]), t)); vals.append(float(x["hours_per_unit"]))
            rows.append(r); cols.append(O + li * T + t); vals.append(-1.0)
            rhs.append(float(cap[line])); labels.append(("line", line, months[t])); r += 1
    bom_s = bom[bom["sku"].isin(skus)].merge(suppliers[["supplier_id", "capacity_units_per_month"]], on="supplier_id", how="left")
    for (comp, sup), grp in bom_s.groupby(["component", "supplier_id"]):
        capacity = grp["capacity_units_per_month"].iloc[0]
        if pd.isna(capacity):
            continue
        for t in range(T):
            for _, x in grp.iterrows():
                rows.append(r); cols.append(v(P, skus.index(x["sku"]), t)); vals.append(float(x["qty_per_unit"]))
            rhs.append(float(capacity)); labels.append(("component", f"{comp}|{sup}", months[t])); r += 1
    ss = safety.reindex(skus).fillna(0).to_numpy()
    for s in range(S):
        for t in range(T):
            rows += [r, r]; cols += [v(I, s, t), v(U, s, t)]; vals += [-1.0, -1.0]
            rhs.append(-ss[s]); labels.append(("safety", skus[s], months[t])); r += 1
    A_ub = sparse.csr_matrix((vals, (rows, cols)), shape=(r, n))
    b_ub = np.array(rhs)
    bounds = [(0, None)] * (4 * n_sv) + [(0, overtime_pct * float(cap[line])) for line in line_ids for _ in range(T)]

    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"production plan could not be solved: {res.message}")
    x = res.x
    grid = pd.MultiIndex.from_product([skus, months], names=["sku", "month"])
    plan = pd.DataFrame({
        "demand": D.ravel(),
        "production": x[P:P + n_sv], "inventory": x[I:I + n_sv], "backorders": x[B:B + n_sv],
        "below_safety": x[U:U + n_sv],
    }, index=grid).reset_index()
    duals = -res.ineqlin.marginals  # >= 0: euros saved by one more unit of the resource
    lab = pd.DataFrame(labels, columns=["kind", "name", "month"]).assign(shadow_price=duals, used=A_ub @ x, capacity=b_ub)
    line_rows = lab[lab["kind"] == "line"].rename(columns={"name": "line_id", "shadow_price": "shadow_price_eur_per_hour"})
    ot = x[O:].reshape(L, T)
    line_rows = line_rows.assign(overtime_hours=[ot[line_ids.index(lid), months.index(m)] for lid, m in zip(line_rows["line_id"], line_rows["month"])])
    line_rows["hours"] = line_rows["used"] + line_rows["overtime_hours"]
    comp_rows = lab[lab["kind"] == "component"].copy()
    comp_rows["component"] = comp_rows["name"].str.split("|").str[0]
    comp_rows["supplier_id"] = comp_rows["name"].str.split("|").str[1]
    return PlanResult(
        plan=plan,
        line_use=line_rows[["line_id", "month", "hours", "capacity", "overtime_hours", "shadow_price_eur_per_hour"]].reset_index(drop=True),
        components=comp_rows[["component", "supplier_id", "month", "used", "capacity", "shadow_price"]].reset_index(drop=True),
        cost_eur=float(res.fun),
        status=res.message,
    )


def inventory_risk(draws: xr.DataArray, plan: pd.DataFrame, on_hand: pd.Series, backlog: pd.Series) -> pd.DataFrame:
    """Run the plan against every demand draw: stockout probability and expected shortfall.

    Net position per draw = on hand - backlog + cumulative production - cumulative demand;
    a negative position means customers wait.
    """
    skus = list(draws["sku"].values)
    months = pd.DatetimeIndex(draws["ds"].values)
    prod = plan.pivot_table(index="sku", columns="month", values="production").reindex(index=skus, columns=months).fillna(0).to_numpy()
    start = (on_hand.reindex(skus).fillna(0) - backlog.reindex(skus).fillna(0)).to_numpy()
    d = draws.transpose("sample", "sku", "ds").values
    net = start[None, :, None] + np.cumsum(prod, axis=1)[None] - np.cumsum(d, axis=2)
    short = np.maximum(-net, 0)
    out = pd.DataFrame({
        "sku": np.repeat(skus, len(months)),
        "month": np.tile(months, len(skus)),
        "stockout_probability": (net < 0).mean(axis=0).ravel(),
        "expected_units_short": short.mean(axis=0).ravel(),
        "inventory_p10": np.quantile(net, 0.1, axis=0).ravel(),
        "inventory_p50": np.quantile(net, 0.5, axis=0).ravel(),
        "inventory_p90": np.quantile(net, 0.9, axis=0).ravel(),
    })
    return out


def backlog_burndown(plan: pd.DataFrame, sku: str, backlog_units: float, on_hand: float,
                     units_per_customer: float) -> pd.DataFrame:
    """Customers waiting at each month end: the original backlog (served first) and everyone.

    The original backlog is served first in order of arrival, so it shrinks as soon as
    stock arrives; ``all_waiting`` adds customers whose new orders the plan backorders.
    """
    p = plan[plan["sku"] == sku].sort_values("month")
    available = on_hand + p["production"].cumsum()
    remaining = np.maximum(backlog_units - available, 0).to_numpy()
    return pd.DataFrame({
        "month": p["month"].to_numpy(),
        "backlog_units": remaining,
        "backlog_customers": np.ceil(remaining / units_per_customer),
        "all_waiting_units": p["backorders"].to_numpy(),
        "all_waiting_customers": np.ceil(p["backorders"].to_numpy() / units_per_customer),
    })


def plan_inputs(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Per-SKU facts the plan needs, from step 1's tables."""
    prod = tables["products"].set_index("sku")
    orders = tables["open_orders"]
    backlog = orders[orders["status"] == "backordered"]
    return {
        "on_hand": tables["inventory"].groupby("sku")["on_hand"].sum(),
        "backlog": backlog.groupby("sku")["qty"].sum(),
        "backlog_customers": backlog.groupby("sku")["customer_id"].nunique(),
        "unit_cost": prod["unit_cost_eur"],
        "price": prod["list_price_eur"],
    }


def scenario_demand(draws: xr.DataArray, scenario: str) -> pd.DataFrame:
    """One demand view (p10 / p50 / p90 / mean) per SKU and month as a plan input."""
    if scenario == "mean":
        v = draws.mean("sample")
    else:
        v = draws.quantile(float(scenario[1:]) / 100, "sample").drop_vars("quantile")
    return v.to_series().rename("units").reset_index().rename(columns={"ds": "month"})


def build_plan(draws: xr.DataArray, tables: dict[str, pd.DataFrame], *, service_level: float, scenario: str,
               overtime_pct: float, holding_pct_year: float, overtime_cost: float) -> tuple[PlanResult, pd.DataFrame]:
    """Safety stock plus the cheapest production plan for one demand view (SKU-level draws)."""
    facts = plan_inputs(tables)
    ss = safety_stock(draws, tables["suppliers"], tables["bom"], service_level)
    result = plan_production(
        scenario_demand(draws, scenario), on_hand=facts["on_hand"], backlog=facts["backlog"],
        safety=ss.set_index("sku")["safety_stock"], routings=tables["routings"], lines=tables["production_lines"],
        bom=tables["bom"], suppliers=tables["suppliers"], unit_cost=facts["unit_cost"], price=facts["price"],
        holding_pct_year=holding_pct_year, overtime_pct=overtime_pct, overtime_cost=overtime_cost)
    return result, ss


def capacity_check(demand: pd.DataFrame, routings: pd.DataFrame, lines: pd.DataFrame, overtime_pct: float) -> pd.DataFrame:
    """Line hours that unconstrained demand would need versus hours available."""
    need = demand.merge(routings, on="sku").assign(hours=lambda x: x["units"] * x["hours_per_unit"])
    out = need.groupby(["line_id", "month"], as_index=False)["hours"].sum().rename(columns={"hours": "hours_needed"})
    out = out.merge(lines[["line_id", "line_name", "hours_per_month"]], on="line_id")
    out["hours_with_overtime"] = out["hours_per_month"] * (1 + overtime_pct)
    out["utilisation"] = out["hours_needed"] / out["hours_per_month"]
    out["status"] = np.where(out["hours_needed"] > out["hours_with_overtime"], "red",
                             np.where(out["hours_needed"] > out["hours_per_month"], "amber", "green"))
    return out


def supplier_risk(bom: pd.DataFrame, suppliers: pd.DataFrame, demand: pd.DataFrame, price: pd.Series) -> pd.DataFrame:
    """Per supplier: SKUs and 12-month revenue that depend on it, single sourcing, risk."""
    rev = demand.groupby("sku")["units"].sum() * price.reindex(demand["sku"].unique()).fillna(0)
    sources = bom.groupby("component")["supplier_id"].nunique()
    rows = []
    for sid, grp in bom.groupby("supplier_id"):
        s = suppliers.set_index("supplier_id").loc[sid]
        skus = sorted(grp["sku"].unique())
        single = bool((sources.reindex(grp["component"].unique()) == 1).all())
        rows.append({
            "supplier_id": sid, "supplier_name": s["supplier_name"], "financial_risk": s["financial_risk"],
            "on_time_rate": s["on_time_rate"], "lead_time_days": s["lead_time_days"],
            "components": ", ".join(sorted(grp["component"].unique())), "skus": len(skus),
            "single_source": single, "revenue_at_risk_eur": float(rev.reindex(skus).fillna(0).sum()),
        })
    out = pd.DataFrame(rows)
    score = out["financial_risk"].map({"low": 0, "medium": 1, "high": 2}) + out["single_source"].astype(int)
    out["status"] = np.select([score >= 3, score >= 2], ["red", "amber"], "green")
    out["suggestion"] = np.where(
        out["status"] == "red", "qualify a second source now; build buffer stock of its components",
        np.where(out["status"] == "amber", "watch; ask for a continuity plan", "no action"))
    return out.sort_values("revenue_at_risk_eur", ascending=False).reset_index(drop=True)


def people_check(headcount: pd.DataFrame, pipeline: pd.DataFrame, demand: pd.DataFrame, line_use: pd.DataFrame,
                 orders_per_unit: float = 1.0) -> pd.DataFrame:
    """Required versus available people per role (and region for sales), first plan month."""
    rows = []
    open_opps = pipeline.groupby("region").size()
    for _, h in headcount.iterrows():
        if h["role"] == "sales_rep":
            need = open_opps.get(h["region"], 0) / h["capacity_per_head"]
        elif h["role"] == "service_agent":
            need = demand.groupby("month")["units"].sum().max() * orders_per_unit / h["capacity_per_head"]
        else:
            need = line_use.groupby("month")["hours"].sum().max() / h["capacity_per_head"]
        rows.append({"role": h["role"], "region": h["region"], "available": float(h["headcount"]),
                     "required_at_peak": float(np.ceil(need)), "hiring_lead_months": h["hiring_lead_months"]})
    out = pd.DataFrame(rows)
    out["gap"] = out["required_at_peak"] - out["available"]
    out["status"] = np.where(out["gap"] > 0, "red", "green")
    return out
