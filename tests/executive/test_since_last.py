"""What changed since the last cycle."""

import pandas as pd
import pytest


def test_plan_change_splits_the_move_into_steps_that_add_up():
    from sop_lib.executive.since_last import plan_change

    months = pd.date_range("2026-12-01", periods=2, freq="MS")

    def cycle(stat: float, cons: float, price: float, shipped: float, months=months) -> dict:
        fc = pd.DataFrame({"sku": "A", "ds": months, "mean": cons, "stat_mean": stat})
        return {
            "demand_forecast": fc,
            "products": pd.DataFrame({"sku": ["A"], "list_price_eur": [price]}),
            "financial_plan": pd.DataFrame({"family": "F", "month": months, "revenue_eur": shipped}),
            "launches": pd.DataFrame({"sku": pd.Series(dtype=str)}),
        }

    prev = cycle(stat=100, cons=110, price=10, shipped=1000)
    now = cycle(stat=120, cons=120, price=11, shipped=1300)
    steps = plan_change(prev, now).set_index("step")["eur"]
    assert steps["demand forecast"] == pytest.approx(2 * 20 * 10)  # +20 units a month at last cycle's price
    assert steps["consensus overrides"] == pytest.approx(-2 * 10 * 10)  # the +10 override is gone
    assert steps["price and mix"] == pytest.approx(2 * 120 * 1)  # +1 EUR on 120 units a month
    assert steps["launch timing"] == 0
    assert steps.iloc[0] + steps.iloc[1:-1].sum() == pytest.approx(steps.iloc[-1]) and steps.iloc[-1] == 2600


def test_plan_change_is_not_known_when_a_cycle_had_no_list_prices():
    from sop_lib.executive.since_last import plan_change

    months = pd.date_range("2026-12-01", periods=2, freq="MS")

    def cycle(price: float, revenue: float) -> dict:
        return {
            "demand_forecast": pd.DataFrame({"sku": "A", "ds": months, "mean": 10.0, "stat_mean": 10.0}),
            "products": pd.DataFrame({"sku": ["A"], "list_price_eur": [price]}),
            "financial_plan": pd.DataFrame({"family": "F", "month": months, "revenue_eur": revenue}),
            "launches": pd.DataFrame({"sku": pd.Series(dtype=str)}),
        }

    change = plan_change(cycle(10.0, 100.0), cycle(float("nan"), float("nan")))
    assert change["eur"].isna().all() and len(change) == 7
