"""Purchase orders and supplier risk: what to order, from whom, when, and who could fail us.

Suggested purchase orders (time-phased reorder point)
-----------------------------------------------------
Component requirements follow from the production plan: r[c,t] = sum_s qty_per_unit[s,c] * p[s,t].
Per component and supplier we walk the months keeping a projected position

    position[t] = position[t-1] + receipts[t] - r[c,t]

and order whenever it would fall below the safety stock SS = z * (r_mean / 30.4) * lead_time_sd_days
(the buffer against a late delivery). Looking the lead time ahead, this is the classic
trigger "inventory position below the reorder point = lead-time demand + SS". The
order brings the position back to SS, arrives at the start of the month it is needed
and is placed lead time earlier: order date = need date - lead time.

Orders that would have had to be placed before today are inside the frozen window:
unless ``on_order`` says otherwise, those months' requirements are assumed to be on
order already (the same assumption the production LP makes), so suggestions start where
a decision is still possible, and the first of them also builds the buffer. With
``on_order`` given, a need it does not cover inside the lead time is listed as late.

Supplier risk
-------------
Per supplier: the components and SKUs depending on it, the revenue of those SKUs over
the horizon, single sourcing, and a status: red = single source and high financial
risk (or worse), amber = one of the two, green otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def component_requirements(plan: pd.DataFrame, bom: pd.DataFrame) -> pd.DataFrame:
    """Units of each component (per supplier) the production plan consumes per month."""
    req = plan[["sku", "month", "production"]].merge(bom[["sku", "component", "supplier_id", "qty_per_unit"]], on="sku")
    req["required"] = req["production"] * req["qty_per_unit"]
    return req.groupby(["component", "supplier_id", "month"], as_index=False)["required"].sum()


def purchase_orders(
    plan: pd.DataFrame,
    bom: pd.DataFrame,
    suppliers: pd.DataFrame,
    *,
    today: pd.Timestamp,
    service_level: float = 0.95,
    on_hand: pd.Series | None = None,
    on_order: pd.DataFrame | None = None,
    risk: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Suggested POs: component, supplier, quantity, order date = need date - lead time.

    ``on_hand`` is component stock by component; ``on_order`` (component, month, qty) are
    receipts already expected; ``risk`` (`supplier_risk`'s output) adds its status and
    suggestion to each order from a risky supplier.
    """
    req = component_requirements(plan, bom)
    sup = suppliers.set_index("supplier_id")
    z = norm.ppf(service_level)
    today = pd.Timestamp(today).normalize()
    rows = []
    for (comp, sid), g in req.groupby(["component", "supplier_id"]):
        lead = float(sup.at[sid, "lead_time_days"])
        lead_sd = float(sup.at[sid, "lead_time_sd_days"]) if "lead_time_sd_days" in sup else 0.0
        name = sup.at[sid, "supplier_name"] if "supplier_name" in sup else sid
        ss = z * g["required"].mean() / 30.4 * lead_sd
        position = float(on_hand.get(comp, 0.0)) if on_hand is not None else 0.0
        for m, need in g.sort_values("month")[["month", "required"]].itertuples(index=False):
            order_date = m - pd.Timedelta(days=lead)
            if on_order is not None:
                position += float(on_order.loc[(on_order["component"] == comp) & (on_order["month"] == m), "qty"].sum())
            elif order_date < today:
                continue  # frozen window: this month's need was ordered in an earlier cycle (assumed)
            reorder_point = need + ss  # what this month takes plus the buffer
            if position < reorder_point - 1e-9:
                qty = float(np.ceil(reorder_point - position))
                late = order_date < today  # too late to order in time: say so rather than hide it
                rows.append(
                    {
                        "component": comp,
                        "supplier_id": sid,
                        "supplier_name": name,
                        "order_date": today if late else order_date.normalize(),
                        "need_date": m,
                        "quantity": qty,
                        "lead_time_days": lead,
                        "position_before": position,
                        "reorder_point": reorder_point,
                        "late": late,
                    }
                )
                position += qty
            position -= need
    out = pd.DataFrame(
        rows,
        columns=[
            "component",
            "supplier_id",
            "supplier_name",
            "order_date",
            "need_date",
            "quantity",
            "lead_time_days",
            "position_before",
            "reorder_point",
            "late",
        ],
    )
    out["late"] = out["late"].astype(bool)
    out["status"] = np.where(out["late"], "red", "green")
    out["note"] = np.where(out["late"], "needed sooner than the lead time allows: expedite", "")
    if risk is not None and len(out):
        flag = risk.set_index("supplier_id")
        risky = out["supplier_id"].map(flag["status"]).fillna("green") == "red"
        out.loc[risky & ~out["late"], "status"] = "amber"
        out.loc[risky, "note"] = (
            out.loc[risky, "note"] + " risky supplier: " + out.loc[risky, "supplier_id"].map(flag["suggestion"]).fillna("")
        ).str.strip()
    return out.sort_values(["order_date", "component"]).reset_index(drop=True)


def _unpriced(skus: list[str], demanded, unpriced: set) -> bool:
    """Whether every SKU of ``skus`` with demand lacks a list price (and at least one has demand)."""
    sold = set(skus) & set(demanded)
    return bool(sold) and sold <= unpriced


def supplier_risk(bom: pd.DataFrame, suppliers: pd.DataFrame, demand: pd.DataFrame, price: pd.Series) -> pd.DataFrame:
    """Per supplier: SKUs and horizon revenue that depend on it, single sourcing, risk.

    The revenue counts the SKUs with a list price; a supplier all of whose demanded SKUs lack one
    has no revenue figure (NaN: not known), not €0.
    """
    rev = demand.groupby("sku")["units"].sum() * price.reindex(demand["sku"].unique())  # NaN: no list price
    unpriced = set(rev.index[rev.isna()])
    rev = rev.fillna(0)
    sources = bom.groupby("component")["supplier_id"].nunique()
    rows = []
    for sid, grp in bom.groupby("supplier_id"):
        s = suppliers.set_index("supplier_id").loc[sid]
        skus = sorted(grp["sku"].unique())
        single = bool((sources.reindex(grp["component"].unique()) == 1).all())
        rows.append(
            {
                "supplier_id": sid,
                "supplier_name": s["supplier_name"],
                "financial_risk": s["financial_risk"],
                "on_time_rate": s["on_time_rate"],
                "lead_time_days": s["lead_time_days"],
                "components": ", ".join(sorted(grp["component"].unique())),
                "skus": len(skus),
                "single_source": single,
                "revenue_at_risk_eur": np.nan
                if _unpriced(skus, rev.index, unpriced)
                else float(rev.reindex(skus).fillna(0).sum()),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "supplier_id",
            "supplier_name",
            "financial_risk",
            "on_time_rate",
            "lead_time_days",
            "components",
            "skus",
            "single_source",
            "revenue_at_risk_eur",
        ],
    )
    score = out["financial_risk"].map({"low": 0, "medium": 1, "high": 2}) + out["single_source"].astype(int)
    out["status"] = np.select([score >= 3, score >= 2], ["red", "amber"], "green")
    out["suggestion"] = np.where(
        out["status"] == "red",
        "qualify a second source now; build buffer stock of its components",
        np.where(out["status"] == "amber", "watch; ask for a continuity plan", "no action"),
    )
    return out.sort_values("revenue_at_risk_eur", ascending=False).reset_index(drop=True)


def largest_orders(orders: pd.DataFrame, shown: int = 5) -> str:
    """'1,200 A, 800 B, ... and 12 more': the biggest quantities per component, for a sentence."""
    q = orders.groupby("component")["quantity"].sum().sort_values(ascending=False)
    text = ", ".join(f"{v:,.0f} {c}" for c, v in q.head(shown).items())
    return text + (f" and {len(q) - shown} more" if len(q) > shown else "")
