"""The backlog: when everyone is served, and backlog facts without a backlog."""

import pandas as pd
import pytest

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
