"""The asks and risks step 5 puts before the executives."""

import pandas as pd

from sop_lib.executive import asks


def test_top_risks_ranks_every_kind_by_euros():
    months = pd.date_range("2027-01-01", periods=4, freq="MS")
    risk = pd.DataFrame(
        {"sku": "A", "month": months, "stockout_probability": 0.5, "expected_units_short": [10.0, 10.0, 10.0, 1000.0]}
    )  # the 4th month is beyond 3
    sup = pd.DataFrame(
        {
            "supplier_name": ["Red Ltd", "Green Ltd"],
            "financial_risk": ["high", "low"],
            "single_source": [True, True],
            "revenue_at_risk_eur": [500.0, 9e9],
            "status": ["red", "green"],
        }
    )
    gap = pd.DataFrame({"family": "F", "month": months[:2], "gap_eur": [100.0, 2000.0]})
    products = pd.DataFrame({"sku": ["A"], "list_price_eur": [50.0]})
    out = asks.top_risks(inventory_risk=risk, supplier_risk=sup, gap=gap, products=products)
    assert list(out["kind"]) == ["supply gap", "stock-out", "supplier"]  # 2,000 > 30 x 50 > 500; green is no risk
    assert list(out["eur_at_risk"]) == [2000.0, 1500.0, 500.0]


def test_risks_without_a_list_price_are_not_ranked_and_are_named():
    months = pd.date_range("2027-01-01", periods=2, freq="MS")
    risk = pd.DataFrame({"sku": ["A", "B"], "month": months[0], "stockout_probability": 0.5, "expected_units_short": 10.0})
    sup = pd.DataFrame(
        {
            "supplier_name": ["Red Ltd"],
            "financial_risk": ["high"],
            "single_source": [True],
            "revenue_at_risk_eur": [float("nan")],
            "status": ["red"],
        }
    )
    gap = pd.DataFrame({"family": ["F", "G"], "month": months[0], "gap_eur": [100.0, float("nan")]})
    products = pd.DataFrame({"sku": ["A", "B"], "list_price_eur": [50.0, float("nan")]})
    out = asks.top_risks(inventory_risk=risk, supplier_risk=sup, gap=gap, products=products)
    assert list(out["eur_at_risk"]) == [500.0, 100.0]  # A's stock-out and F's gap; B, G and Red Ltd are not valued
    assert asks.risks_left_out(products, risk) == (
        "Risks in euros are computed for 1 of 2 SKUs only: the product master has no list price for B."
    )


def test_asks_say_a_revenue_not_known_and_skip_a_family_gap_that_leaves_skus_out():
    months = pd.date_range("2027-01-01", periods=2, freq="MS")
    nan = float("nan")
    cap = pd.DataFrame(columns=["status", "utilisation", "line_name", "month"])
    sup = pd.DataFrame(
        {
            "supplier_name": ["Red Ltd"],
            "components": ["X"],
            "financial_risk": ["high"],
            "revenue_at_risk_eur": [nan],
            "status": ["red"],
        }
    )
    launch = pd.DataFrame({"launch_delay_months": [0, 3], "backorder_unit_months_all_skus": [10.0, 10.0], "revenue_eur": nan})
    fin = pd.DataFrame(
        {
            "family": ["F", "F"],
            "month": months,
            "revenue_eur": [10.0, 10.0],
            "revenue_target_eur": [100.0, 100.0],
            "revenue_vs_target_eur": [nan, nan],  # the family has SKUs without a list price
        }
    )
    people = pd.DataFrame(columns=["gap", "region", "role", "hiring_lead_months"])
    dec = asks.decisions_to_ask(capacity=cap, line_use=cap, supplier_risk=sup, fin=fin, launch=launch, people=people)
    assert list(dec["owner"]) == ["Procurement", "Executive team"]
    assert dec["because"].iloc[0] == "a supplier rated high risk; the revenue that depends on it is not known (no list prices)"
    assert dec["because"].iloc[1] == "pushing it back 3 months does not shorten the wait for supply"
