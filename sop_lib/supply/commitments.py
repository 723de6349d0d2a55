"""Step 3's report on what the plan commits the company to: suppliers, purchase orders, people.

Pure functions, like `sop_lib.supply.summary`: tables in, sentences, table layouts or a
``(figure, caption)`` out, so notebook 03 only calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sop_lib.core import reporting as rp
from sop_lib.supply.people import hiring_sentence
from sop_lib.supply.purchasing import largest_orders
from sop_lib.supply.summary import MONTH_BAR_DAYS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ORDER_WINDOW_MONTHS = 1  # purchase orders due within this many months are "to place now"

# --- suppliers --------------------------------------------------------------------

SUPPLIER_COLUMNS = [
    "supplier_name",
    "components",
    "financial_risk",
    "on_time_rate",
    "lead_time_days",
    "single_source",
    "revenue_at_risk_eur",
    "status",
    "suggestion",
]
SUPPLIER_FORMATS = {"revenue_at_risk_eur": rp.fmt_eur, "on_time_rate": ".0%"}


def supplier_sentences(risk: pd.DataFrame, left_out: str | None = None) -> list[str]:
    """One sentence per red-rated supplier of `purchasing.supplier_risk`: why it is red and what to do;
    first ``left_out`` (`supply.left_out_sentence`: the SKUs whose revenue is not known), if any."""
    out = [left_out] if left_out else []
    for _, s in risk[risk["status"] == "red"].iterrows():
        carries = (
            f"carries {rp.fmt_eur(s['revenue_at_risk_eur'])} of the horizon's revenue"
            if pd.notna(s["revenue_at_risk_eur"])
            else "carries revenue that is not known (no list price)"
        )
        out.append(
            f"{s['supplier_name']} supplies {s['components']} alone, is rated {s['financial_risk']} risk, delivers "
            f"{s['on_time_rate']:.0%} on time and {carries}: {s['suggestion']}."
        )
    return out


# --- purchase orders --------------------------------------------------------------

PO_COLUMNS = ["order_date", "component", "supplier_name", "quantity", "need_date", "lead_time_days", "status", "note"]
PO_FORMATS = {"quantity": ",.0f", "lead_time_days": ",.0f"}
PO_DETAIL = "Suggested purchase orders"
PO_ROWS = 80  # rows shown in the report; every row is in the CSV file


def purchase_order_sentence(orders: pd.DataFrame, today: pd.Timestamp) -> str:
    """How many purchase orders the plan suggests and which must be placed within `ORDER_WINDOW_MONTHS`."""
    if orders.empty:
        return "No purchase order is suggested: no bill of materials links the plan to purchased components."
    soon = orders[orders["order_date"] < today + pd.DateOffset(months=ORDER_WINDOW_MONTHS)]
    window = "the next month" if ORDER_WINDOW_MONTHS == 1 else f"the next {ORDER_WINDOW_MONTHS} months"
    return (
        f"{len(orders)} purchase orders suggested over the horizon; {len(soon)} must be placed in {window} "
        f"({largest_orders(soon)}). "
        f"Orders are due lead time before the month they are needed; those from a red-rated supplier are amber."
    )


# --- people -----------------------------------------------------------------------

NO_PEOPLE_PLAN = "No people plan: the headcount table lists no role whose workload the plan sets."
STAFF_FORMATS = {"available": ",.0f", "required_at_peak": ",.0f", "gap": "+,.0f", "hiring_lead_months": ".0f"}


def units_per_order(orders: pd.DataFrame) -> float:
    """The average open order in units (one when there is none): service workload is orders, not units."""
    return float(orders["qty"].mean()) if len(orders) else 1.0


def workers_chart(crew: pd.DataFrame, labour: pd.DataFrame) -> tuple[Figure | None, str]:
    """Production workers the plan's line hours need each month against those on the payroll today
    (``(None, "")`` when the people plan has no production workers)."""
    w = crew[crew["role"] == "production_worker"]
    if not len(w):
        return None, ""
    fig, ax = rp.new_chart("Production workers: needed by the plan versus on the payroll today", "workers")
    ax.bar(w["month"], w["required"], width=MONTH_BAR_DAYS, color=rp.PALETTE["band"], label="needed (line hours x crew)")
    ax.axhline(w["available"].iloc[0], color="k", lw=1, label="today")
    ax.legend(frameon=False, fontsize=8)
    hires = labour["new_workers"].max() if len(labour) else 0
    return fig, hiring_sentence(w["required"].max(), w["available"].iloc[0], hires, w["hiring_lead_months"].iloc[0])


def staffing_sentences(staff: pd.DataFrame) -> list[str]:
    """One sentence per role and region that runs short (`people.people_check`): from when, how many, when to hire."""
    out = []
    for _, r in staff[staff["gap"] > 0].iterrows():
        when = "now (already late)" if r["status"] == "red" else f"by {r['start_hiring_by']:%b %Y}"
        out.append(
            f"{r['role'].replace('_', ' ').capitalize()}s, {r['region']}: short from {r['first_short_month']:%b %Y}, "
            f"up to {r['gap']:,.0f} at the peak; hiring takes {r['hiring_lead_months']:.0f} months, so start {when}."
        )
    return out
