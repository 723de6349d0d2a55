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
