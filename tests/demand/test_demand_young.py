"""Series too short for the model are planned from their recent level and their family's
seasonal pattern, with a band that is wider the less history they have."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand import describe_young, split_young, young_draws

MONTHS = pd.date_range("2023-11-01", periods=36, freq="MS")
SEASON = 1 + 0.5 * np.sin(2 * np.pi * (MONTHS.month - 1) / 12)


def history(young_months: int = 10, level: float = 100.0) -> pd.DataFrame:
    old = pd.DataFrame({"unique_id": "OLD|r", "family": "F", "ds": MONTHS, "y": 200 * SEASON})
    new = pd.DataFrame({"unique_id": "NEW|r", "family": "F", "ds": MONTHS[-young_months:], "y": level * SEASON[-young_months:]})
    return pd.concat([old, new], ignore_index=True)


def like(samples: int = 2000) -> xr.DataArray:
    ds = pd.date_range(MONTHS[-1] + pd.DateOffset(months=1), periods=12, freq="MS")
    return xr.DataArray(
        np.zeros((samples, 1, 12)),
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(samples), "unique_id": ["OLD|r"], "ds": ds},
    )


def test_short_series_are_split_off_for_the_model_and_its_backtest():
    model, young = split_young(history(20), season_length=12, holdout=0)
    assert set(model["unique_id"]) == {"OLD|r", "NEW|r"} and young.empty  # 20 >= 18
    model, young = split_young(history(20), season_length=12, holdout=6)
    assert set(young["unique_id"]) == {"NEW|r"}  # the backtest needs 18 + 6


def test_young_draws_follow_the_level_and_the_family_season():
    model, young = split_young(history(10), season_length=12, holdout=0)
    d = young_draws(young, model, like(), seed=1)
    assert d.dims == ("sample", "unique_id", "ds") and list(d["unique_id"].values) == ["NEW|r"]
    mean = d.mean("sample").values[0]
    future_season = 1 + 0.5 * np.sin(2 * np.pi * (pd.DatetimeIndex(d["ds"].values).month - 1) / 12)
    np.testing.assert_allclose(mean, 100 * future_season, rtol=0.12)  # level 100 x the family's shape
    assert np.corrcoef(mean, future_season)[0, 1] > 0.95


def test_fewer_months_give_a_wider_band():
    def width(months: int) -> float:
        model, young = split_young(history(months), season_length=12, holdout=0)
        d = young_draws(young, model, like(), seed=2).isel(unique_id=0, ds=0).values
        return float(np.quantile(d, 0.9) - np.quantile(d, 0.1))

    assert width(2) > width(15)


def test_a_family_the_model_never_saw_borrows_the_pooled_season():
    h = history(10).assign(family=lambda df: np.where(df["unique_id"] == "NEW|r", "G", "F"))
    model, young = split_young(h, season_length=12, holdout=0)
    d = young_draws(young, model, like(), seed=3)
    assert np.isfinite(d.values).all() and (d.values >= 0).all()


def test_the_report_sentence_counts_them():
    _, young = split_young(history(10), season_length=12, holdout=0)
    assert describe_young(young, 12, 0).startswith("1 series has fewer than 18 months of history (10 to 10 months)")
    assert describe_young(young.iloc[:0], 12, 0) == ""
