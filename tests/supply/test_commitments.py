"""Step 3's report on suppliers, purchase orders and people: what the sentences say, from small tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sop_lib.supply import commitments

NOV, DEC, JAN = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2027-01-01")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_only_red_suppliers_get_a_sentence_with_the_revenue_they_carry():
    risk = pd.DataFrame(
        {
            "supplier_name": ["Solo Parts", "Safe Co"],
            "components": ["PUMP", "SCREW"],
            "financial_risk": ["high", "low"],
            "on_time_rate": [0.78, 0.99],
            "revenue_at_risk_eur": [7.47e7, 1e6],
            "status": ["red", "green"],
            "suggestion": ["qualify a second source now", "no action"],
        }
    )
    assert commitments.supplier_sentences(risk) == [
        "Solo Parts supplies PUMP alone, is rated high risk, delivers 78% on time and carries €74.7M of the "
        "horizon's revenue: qualify a second source now."
    ]
    assert commitments.supplier_sentences(risk[risk["status"] == "green"]) == []


def test_purchase_order_sentence_counts_the_orders_to_place_within_the_window():
    orders = pd.DataFrame(
        {
            "order_date": [NOV + pd.Timedelta(days=3), NOV + pd.Timedelta(days=20), DEC + pd.Timedelta(days=4)],
            "component": ["PUMP", "HOUSING", "PUMP"],
            "quantity": [1600.0, 900.0, 1300.0],
        }
    )
    text = commitments.purchase_order_sentence(orders, today=NOV)
    assert text.startswith(
        "3 purchase orders suggested over the horizon; 2 must be placed in the next month (1,600 PUMP, 900 HOUSING)."
    )


def test_no_bill_of_materials_means_no_purchase_order_and_the_sentence_says_why():
    text = commitments.purchase_order_sentence(pd.DataFrame(columns=["order_date", "component", "quantity"]), today=NOV)
    assert text.startswith("No purchase order is suggested")


def test_units_per_order_is_the_average_open_order_or_one():
    assert commitments.units_per_order(pd.DataFrame({"qty": [2.0, 4.0]})) == 3.0
    assert commitments.units_per_order(pd.DataFrame({"qty": pd.Series(dtype=float)})) == 1.0


def crew(required: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "role": "production_worker",
            "region": "all",
            "month": [NOV, DEC, JAN],
            "required": required,
            "available": 10.0,
            "hiring_lead_months": 2.0,
        }
    )


def test_workers_chart_says_whether_the_plan_hires():
    fig, caption = commitments.workers_chart(crew([8.0, 12.0, 9.0]), pd.DataFrame({"new_workers": [0.0, 3.0, 3.0]}))
    assert fig is not None
    assert caption.startswith("The lines' crews need up to 12 production workers a month; 10 are employed.")
    assert "The plan hires 3 as soon as the 2-month hiring lead allows and runs short-handed until then." in caption
    _, caption = commitments.workers_chart(crew([8.0, 9.0, 9.0]), pd.DataFrame())
    assert caption.endswith("The plan needs no new hires.")


def test_no_production_workers_means_no_workers_chart():
    sales = crew([1.0, 1.0, 1.0]).assign(role="sales_rep")
    assert commitments.workers_chart(sales, pd.DataFrame()) == (None, "")


def test_staffing_sentences_say_when_to_start_hiring_and_when_it_is_already_late():
    staff = pd.DataFrame(
        {
            "role": ["sales_rep", "production_worker", "service_agent"],
            "region": ["North", "all", "all"],
            "gap": [2.0, 4.0, -3.0],
            "hiring_lead_months": [3.0, 2.0, 1.0],
            "first_short_month": [NOV, JAN, pd.NaT],
            "start_hiring_by": [NOV - pd.DateOffset(months=3), NOV, pd.NaT],
            "status": ["red", "amber", "green"],
        }
    )
    assert commitments.staffing_sentences(staff) == [
        "Sales reps, North: short from Nov 2026, up to 2 at the peak; hiring takes 3 months, so start now (already late).",
        "Production workers, all: short from Jan 2027, up to 4 at the peak; hiring takes 2 months, so start by Nov 2026.",
    ]


def test_a_red_supplier_whose_revenue_is_not_known_says_so_after_what_is_left_out():
    risk = pd.DataFrame(
        {
            "supplier_name": ["Solo Parts"],
            "components": ["PUMP"],
            "financial_risk": ["high"],
            "on_time_rate": [0.78],
            "revenue_at_risk_eur": [float("nan")],
            "status": ["red"],
            "suggestion": ["qualify a second source now"],
        }
    )
    first, red = commitments.supplier_sentences(risk, "Revenue at risk figures are not computed: ...")
    assert first.startswith("Revenue at risk figures are not computed")
    assert "carries revenue that is not known (no list price): qualify" in red and "nan" not in red
