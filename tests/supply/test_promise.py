"""The plan's promise: the service it gives against every demand draw, measured as the replay measures it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.supply import promise

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
