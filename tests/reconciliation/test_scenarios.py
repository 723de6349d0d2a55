"""What-if helpers: when everyone is served, and backlog facts without a backlog."""

import pandas as pd
import pytest

from sop_lib import reconciliation as scenarios
from sop_lib import supply


def _burn(waiting):
    return pd.DataFrame({"month": pd.date_range("2027-01-01", periods=len(waiting), freq="MS"), "all_waiting_customers": waiting})


@pytest.mark.parametrize(
    "waiting, expected",
    [
        ([5, 3, 0, 0], "2027-03-01"),
        ([5, 0, 2, 0], "2027-04-01"),  # waiting comes back in March: caught up only in April
        ([0, 0, 0], "2027-01-01"),
    ],
)
def test_caught_up_month_is_after_the_last_month_with_anyone_waiting(waiting, expected):
    assert supply.caught_up_month(_burn(waiting)) == pd.Timestamp(expected)


def test_still_waiting_at_the_horizon_end_gives_no_date():
    assert pd.isna(supply.caught_up_month(_burn([5, 3, 1])))


def test_backlog_facts_without_backlog_keep_customer_counts_defined():
    facts = {"backlog": pd.Series(dtype=float), "backlog_customers": pd.Series(dtype=float), "on_hand": pd.Series({"A": 40.0})}
    back = supply.backlog_facts(facts, "A")
    assert back == {"units": 0.0, "on_hand": 40.0, "customers": 0.0, "per_customer": 1.0}


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
    out = scenarios.top_risks(inventory_risk=risk, supplier_risk=sup, gap=gap, products=products)
    assert list(out["kind"]) == ["supply gap", "stock-out", "supplier"]  # 2,000 > 30 x 50 > 500; green is no risk
    assert list(out["eur_at_risk"]) == [2000.0, 1500.0, 500.0]
