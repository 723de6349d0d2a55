"""Step 5's headline: the six figures an executive reads first, as KPI cards with a tone
(good/warn/bad) and the change since the last cycle, and as the ``kpis`` table the next
cycle compares with.

`figures` works on the hand-over tables alone (a dict of DataFrames named as in `READS`),
so the arithmetic is testable without a cycle; `cards` turns the figures into cards. A figure
the product master's missing prices or costs leave out is NaN and its card says "not known".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from sop_lib import supply
from sop_lib.core.reporting import fmt_eur, kpi_change
from sop_lib.demand import fit_check_label
from sop_lib.supply import PRICE, left_out_text, listing, unvalued

READS = (
    "financial_plan",
    "forecast_accuracy",
    "backlog_burndown",
    "inventory_risk",
    "supplier_risk",
    "open_orders",
    "demand_diagnostics",
    "products",
    "supply_plan",
    "service_promise",
)
NOT_KNOWN = "not known"  # a card's value the product master's missing prices or costs leave out
OTHER_HALF = "chosen on the other half"  # the forecast_accuracy row that scores the model choice honestly


@dataclass(frozen=True)
class Figures:
    """The headline figures of one cycle, from its hand-over tables."""

    months: int  # months in the financial plan
    revenue: float  # revenue plan over those months, EUR (NaN: no SKU has a list price)
    target: float  # revenue target over those months, EUR (0: none declared)
    margin: float  # gross margin, share of revenue (NaN: not computed for want of prices or costs)
    margin_target: float  # gross-margin target, share (NaN: none declared)
    backlog_customers: int  # customers with a backordered order today
    caught_up: pd.Timestamp | None  # the first month nobody waits any more (None: not within the horizon)
    skus_at_risk: int  # SKUs above `supply.AT_RISK` stock-out probability in the next `supply.RISK_MONTHS`
    suppliers: int  # suppliers rated in supplier_risk
    red_suppliers: tuple[str, ...]  # names of the suppliers rated red
    revenue_at_risk: float  # revenue that depends on red suppliers, EUR (NaN: not known)
    wape: float  # the engine's hold-out WAPE
    naive_wape: float  # seasonal naive's hold-out WAPE
    fair_wape: float | None  # the model choice scored on the other half (None: not run)
    fit_check: str  # what the fit's health check says, in two or three words
    unpriced: tuple[str, ...] = ()  # the plan's SKUs without a list price (their revenue is left out)
    plan_skus: int = 0  # SKUs in the plan
    service: tuple[float, float, float, float, int] | None = (
        None  # the plan's expected cycle service level, P10, P90, target, months
    )

    def revenue_note(self) -> str | None:
        """What the revenue figures leave out, in one sentence (None: every SKU of the plan has a list price)."""
        if self.unpriced and len(self.unpriced) >= self.plan_skus:
            return left_out_text("The plan's revenue", list(self.unpriced), self.plan_skus, "list price", plural=False)
        if self.unpriced:
            return (
                f"The revenue figures leave out {len(self.unpriced):,} of {self.plan_skus:,} SKUs, which have no list "
                f"price in the product master ({listing(list(self.unpriced))})."
            )
        return None


def figures(tables: dict[str, pd.DataFrame]) -> Figures:
    """The headline figures from the hand-over tables named in `READS`."""
    fin, acc, sup = tables["financial_plan"], tables["forecast_accuracy"], tables["supplier_risk"]
    revenue = fin["revenue_eur"].sum(min_count=1)
    known = fin["gross_margin_eur"].notna()
    if known.all():
        margin = fin["gross_margin_eur"].sum() / revenue
    else:  # the families whose margin is computed (each priced SKU has a cost)
        margin = fin.loc[known, "gross_margin_eur"].sum() / fin.loc[known, "revenue_eur"].sum() if known.any() else float("nan")
    unpriced, plan_skus = (), 0
    if "products" in tables and "supply_plan" in tables:
        missing, plan_skus = unvalued(tables["products"], PRICE, tables["supply_plan"]["sku"])
        unpriced = tuple(missing)
    orders = tables["open_orders"]
    caught_up = supply.caught_up_month(tables["backlog_burndown"])
    red = sup[sup["status"] == "red"]
    fair = acc.loc[acc["method"].str.contains(OTHER_HALF), "wape"]
    return Figures(
        months=fin["month"].nunique(),
        revenue=revenue,
        target=fin["revenue_target_eur"].sum(),
        margin=margin,
        margin_target=fin["gross_margin_target_pct"].mean(),
        backlog_customers=int(orders.loc[orders["status"] == "backordered", "customer_id"].nunique()),
        caught_up=None if pd.isna(caught_up) else caught_up,
        skus_at_risk=int((supply.near_term_stockout(tables["inventory_risk"]) > supply.AT_RISK).sum()),
        suppliers=len(sup),
        red_suppliers=tuple(red["supplier_name"]),
        revenue_at_risk=red["revenue_at_risk_eur"].sum(min_count=1) if len(red) else 0.0,  # NaN: not known
        wape=acc.iloc[0]["wape"],
        naive_wape=acc.iloc[1]["wape"],
        fair_wape=fair.iloc[0] if len(fair) else None,
        fit_check=fit_check_label(tables["demand_diagnostics"]),
        unpriced=unpriced,
        plan_skus=plan_skus,
        service=_service(tables.get("service_promise")),
    )


def _service(promise: pd.DataFrame | None) -> tuple[float, float, float, float, int] | None:
    """Step 3's promise for the cycle service level (`supply.promise.expected_service`), if it made one."""
    if promise is None or promise.empty:
        return None
    r = promise.set_index("measure").loc["cycle_service_level"]
    return float(r["expected"]), float(r["p10"]), float(r["p90"]), float(r["target"]), int(r["months"])


def service_card(f: Figures) -> dict[str, str] | None:
    """The service level the plan is expected to give against the one it was built for."""
    if f.service is None:
        return None
    expected, p10, p90, target, months = f.service
    tone = "good" if expected >= target - 0.005 else ("warn" if expected >= target - 0.05 else "bad")
    return {
        "label": "Service level the plan gives",
        "value": f"{expected:.0%}",
        "note": f"target {target:.0%}; P10–P90 {100 * p10:.0f}–{p90:.0%}, next {months} months",
        "tone": tone,
    }


def points(share: float) -> str:
    """A change of a share in percentage points: '2.6 pts'."""
    return f"{100 * share:.1f} pts"


def count(n: float) -> str:
    return f"{n:,.0f}"


# the numbers the next cycle compares with, in card order, and how a change in each is written
KPI_FORMATS: dict[str, Callable[[float], str]] = {
    "revenue_eur": fmt_eur,
    "gross_margin_pct": points,
    "backlog_customers": count,
    "skus_at_risk": count,
    "revenue_at_risk_eur": fmt_eur,
    "wape": points,
    "expected_service_level": points,
}
# the numbers every cycle has recorded (a later one missing in an older cycle is 'not measured' there)
ALWAYS_KPIS = ("revenue_eur", "gross_margin_pct", "backlog_customers", "skus_at_risk", "revenue_at_risk_eur", "wape")


def kpis(f: Figures) -> dict[str, float]:
    """The headline numbers by name (`KPI_FORMATS`), as the cards show them."""
    values = (f.revenue, f.margin, f.backlog_customers, f.skus_at_risk, f.revenue_at_risk, f.wape)
    values += (f.service[0],) if f.service is not None else ()
    return dict(zip(KPI_FORMATS, values))


def kpis_table(f: Figures) -> pd.DataFrame:
    """The ``kpis`` hand-over (metric, value): the headline numbers and the revenue target."""
    k = kpis(f)
    return pd.DataFrame({"metric": [*k, "revenue_target_eur"], "value": [float(v) for v in k.values()] + [float(f.target)]})


def _backlog_note(f: Figures) -> str:
    if not f.backlog_customers:
        return "nobody waiting"
    return f"all served by {f.caught_up:%b %Y}" if f.caught_up is not None else "not cleared in horizon"


def _forecast_note(f: Figures) -> str:
    note = f"seasonal naive {f.naive_wape:.0%}; {f.fit_check}"
    if f.fair_wape is not None:
        note += f"; model chosen on these months ({f.fair_wape:.0%} if chosen on others)"
    return note


def _revenue_card(f: Figures) -> dict[str, str]:
    """The revenue plan against its target; 'not known' without list prices, no comparison when SKUs are left out."""
    label = f"Revenue plan, next {f.months} months"
    if pd.isna(f.revenue):
        return {"label": label, "value": NOT_KNOWN, "note": "no list prices in the product master", "tone": ""}
    if f.unpriced:
        note = f"{len(f.unpriced):,} of {f.plan_skus:,} SKUs without a list price left out"
        return {"label": label, "value": fmt_eur(f.revenue), "note": note, "tone": ""}
    has_target = f.target > 0
    return {
        "label": label,
        "value": fmt_eur(f.revenue),
        "note": f"{f.revenue / f.target - 1:+.1%} vs target {fmt_eur(f.target)}" if has_target else "no target declared",
        "tone": ("good" if f.revenue >= f.target else "bad") if has_target else "",
    }


def _margin_card(f: Figures) -> dict[str, str]:
    has_margin_target = pd.notna(f.margin_target)
    if pd.isna(f.margin):
        return {"label": "Gross margin", "value": NOT_KNOWN, "note": "no list prices or unit costs to compute it", "tone": ""}
    return {
        "label": "Gross margin",
        "value": f"{f.margin:.1%}",
        "note": f"target {f.margin_target:.0%}" if has_margin_target else "no target declared",
        "tone": ("good" if f.margin >= f.margin_target else "warn") if has_margin_target else "",
    }


def cards(f: Figures, before: dict[str, float] | None = None, since: str | None = None) -> list[dict[str, str]]:
    """KPI cards (label, value, note, tone), each note ending with the change since cycle
    ``since``, whose numbers are ``before`` (`since_last.previous_kpis`; none: 'first cycle').
    A figure that is not known has no change; nor has a revenue that leaves SKUs out."""
    red = len(f.red_suppliers)
    out = [
        _revenue_card(f),
        _margin_card(f),
        {
            "label": "Customers in backlog today",
            "value": f"{f.backlog_customers:,}",
            "note": _backlog_note(f),
            "tone": "warn" if f.backlog_customers else "good",
        },
        {
            "label": f"SKUs with >{supply.AT_RISK:.0%} stock-out risk",
            "value": str(f.skus_at_risk),
            "note": f"in the next {supply.RISK_MONTHS} months",
            "tone": "bad" if f.skus_at_risk else "good",
        },
        {
            "label": "Revenue on at-risk suppliers",
            "value": NOT_KNOWN if pd.isna(f.revenue_at_risk) else fmt_eur(f.revenue_at_risk),
            "note": ", ".join(f.red_suppliers) or ("none" if f.suppliers else "no supplier data"),
            "tone": "bad" if red else ("good" if f.suppliers else ""),
        },
        {
            "label": "Forecast error (WAPE, hold-out)",
            "value": f"{f.wape:.0%}",
            "note": _forecast_note(f),
            "tone": "good" if f.wape < f.naive_wape else "warn",
        },
    ]
    service = service_card(f)
    out += [service] if service is not None else []
    before = before or {}
    for card, (key, value) in zip(out, kpis(f).items()):
        if pd.isna(value) or (key == "revenue_eur" and f.unpriced):
            continue  # nothing to compare, or not comparable
        previous = before.get(key)
        if since is not None and previous is not None and pd.isna(previous):
            card["note"] += f" · {NOT_KNOWN} in {since}"
        elif since is not None and previous is None and key not in ALWAYS_KPIS:
            card["note"] += f" · not measured in {since}"
        else:
            card["note"] += " · " + kpi_change(value, previous, since, KPI_FORMATS[key])
    return out
