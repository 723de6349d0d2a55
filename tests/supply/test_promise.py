"""The plan's promise: the service it gives against every demand draw, measured as the replay measures it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.supply import promise, summary

MONTHS = pd.date_range("2026-11-01", periods=3, freq="MS")


def _draws(values: np.ndarray, skus=("A", "B")) -> xr.DataArray:
    return xr.DataArray(values, dims=("sample", "sku", "ds"), coords={"sku": list(skus), "ds": MONTHS})


def _plan(made: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"sku": s, "month": m, "production": q} for s, qs in made.items() for m, q in zip(MONTHS, qs)])


def test_a_plan_that_covers_every_draw_promises_full_service():
    draws = _draws(np.full((4, 2, 3), 10.0))
    lived = promise.live_through(
        draws, _plan({"A": [10, 10, 10], "B": [10, 10, 10]}), pd.Series(0.0, ["A", "B"]), pd.Series(0.0, ["A", "B"])
    )
    out = promise.expected_service(lived, 0.95).set_index("measure")
    assert out.loc["cycle_service_level", "expected"] == 1.0 and out.loc["fill_rate", "expected"] == 1.0


def test_waiting_customers_are_served_first_and_a_short_month_counts_once_per_product():
    # A: 5 waiting today, 10 made a month, demand 10: each month serves the 5 waiting and 5 of its 10
    draws = _draws(np.array([[[10.0, 10.0, 10.0], [0.0, 0.0, 0.0]]]))
    lived = promise.live_through(
        draws, _plan({"A": [10, 10, 10], "B": [0, 0, 0]}), pd.Series(0.0, ["A", "B"]), pd.Series({"A": 5.0, "B": 0.0})
    )
    assert lived["served"][0, 0].tolist() == [5.0, 5.0, 5.0]
    assert lived["end_backlog"][0, 0].tolist() == [5.0, 5.0, 5.0]
    out = promise.expected_service(lived, 0.95).set_index("measure")
    assert out.loc["cycle_service_level", "expected"] == 0.0  # B never sells: only A's months count, all with someone waiting
    assert out.loc["fill_rate", "expected"] == 15 / 30


def test_the_spread_over_draws_and_the_products_that_fall_short():
    rng = np.random.default_rng(1)
    draws = _draws(rng.poisson(10, (200, 2, 3)).astype(float))
    plan = _plan({"A": [14, 14, 14], "B": [9, 9, 9]})  # A has a buffer, B plans below its mean
    lived = promise.live_through(draws, plan, pd.Series(0.0, ["A", "B"]), pd.Series(0.0, ["A", "B"]))
    out = promise.expected_service(lived, 0.95).set_index("measure")
    assert (
        out.loc["cycle_service_level", "p10"] < out.loc["cycle_service_level", "expected"] < out.loc["cycle_service_level", "p90"]
    )
    by_sku = promise.service_by_sku(lived).set_index("sku")
    assert by_sku.loc["A", "cycle_service_level"] > 0.9 > by_sku.loc["B", "cycle_service_level"]
    assert list(promise.service_by_sku(lived)["sku"]) == ["B", "A"]  # furthest below first


# --- what it would take to keep the promise ------------------------------------------------


def test_stock_to_the_draws_targets_keeps_the_target_in_every_month():
    """The view plus `stock_targets`, made as planned, leaves nobody waiting in at least the target
    share of draws in each month, for skewed demand that a normal formula gets wrong."""
    from sop_lib.supply.inventory import shortage_cuts, stock_targets
    from sop_lib.supply.plan import scenario_demand

    rng = np.random.default_rng(5)
    draws = _draws(rng.gamma(0.8, 25.0, size=(4000, 2, 3)))  # right-skewed monthly demand
    view = scenario_demand(draws, "p50")
    targets = stock_targets(shortage_cuts(draws, view, 0.9), 0.9).set_index(["sku", "month"])["safety_stock"]
    by_then = view.set_index(["sku", "month"])["units"].groupby(level="sku").cumsum() + targets  # made by each month end
    made = by_then.groupby(level="sku").diff().fillna(by_then).reset_index(name="production")
    lived = promise.live_through(draws, made, pd.Series(0.0, ["A", "B"]), pd.Series(0.0, ["A", "B"]))
    nobody_waits = (lived["end_backlog"] <= promise.NOBODY_WAITING).mean(axis=0)  # (sku, month)
    assert nobody_waits.min() >= 0.9 - 0.01
    assert nobody_waits.max() <= 0.9 + 0.02  # and not much more: the target is not padded
    assert (targets.groupby(level="sku").diff().dropna() > 0).all()  # later months carry more uncertainty


def test_gap_to_target_is_the_extra_units_by_the_first_short_month():
    # A: demand 10 or 30 with equal chance each month, 10 made a month, nothing in stock
    d = np.zeros((2, 2, 3))
    d[0, 0], d[1, 0] = [10, 10, 10], [30, 30, 30]
    lived = promise.live_through(
        _draws(d), _plan({"A": [10, 10, 10], "B": [0, 0, 0]}), pd.Series(0.0, ["A", "B"]), pd.Series(0.0, ["A", "B"])
    )
    gap = promise.gap_to_target(lived, 0.95)
    assert gap["sku"].tolist() == ["A"]  # B sells nothing: it needs nothing
    # the second draw waits 20, 40, 60 at the months' ends: 60 more units in all, the first 20 by November
    assert gap["extra_units"].iloc[0] == 60
    assert gap["needed_by"].iloc[0] == MONTHS[0]


def test_hours_to_target_names_the_line_short_of_hours_and_the_one_with_room():
    gap = pd.DataFrame({"sku": ["A", "B"], "extra_units": [100.0, 10.0], "needed_by": [MONTHS[1], MONTHS[0]]})
    routings = pd.DataFrame({"sku": ["A", "B"], "line_id": ["L1", "L2"], "hours_per_unit": [0.5, 1.0]})
    use = pd.DataFrame(
        {
            "line_id": ["L1"] * 3 + ["L2"] * 3,
            "month": list(MONTHS) * 2,
            "capacity": [100.0] * 6,
            "hours": [105.0, 100.0, 50.0, 20.0, 20.0, 20.0],  # L1 full (5 of its 10 overtime hours used), L2 idle
        }
    )
    hours = promise.hours_to_target(gap, routings, use, overtime_pct=0.1).set_index("line_id")
    # L1: A's 100 units need 50 h by December; November and December leave 5 + 10 free: 35 h short
    assert hours.loc["L1", "extra_hours"] == 50 and hours.loc["L1", "spare_hours"] == pytest.approx(15)
    assert hours.loc["L1", "missing_hours"] == pytest.approx(35) and hours.loc["L1", "needed_by"] == MONTHS[1]
    assert hours.loc["L2", "missing_hours"] == 0  # B's 10 h fit in November's 90 free hours
    lines = pd.DataFrame({"line_id": ["L1", "L2"], "line_name": ["Assembly <A>", "Packing"]})
    text = summary.closing_sentence(gap, hours.reset_index(), lines, 0.95)
    assert text.startswith("To reach the 95% target in every month the plan would need 110 more units of 2 products")
    assert "Assembly <A> needs 50 more hours for them by Dec 2026 and has 15 free" in text and "35 hours short" in text
    assert "Packing has the free hours" in text


def test_a_plan_that_needs_nothing_more_says_so():
    assert summary.closing_sentence(
        pd.DataFrame(columns=["sku", "extra_units", "needed_by"]), pd.DataFrame(), pd.DataFrame(), 0.9
    ) == ("The plan needs no more units to reach the 90% target in every month.")
