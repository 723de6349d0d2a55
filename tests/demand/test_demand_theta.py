"""The Theta method (sop_lib.demand.theta) and its mixture with the ets model's draws."""

import numpy as np
import pandas as pd
import pytest

from sop_lib.demand import forecast, theta
from sop_lib.demand.design import ForecastInputError, design


def _seasonal_series(n: int = 96, seed: int = 0, trend: float = 0.8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    return (100 + trend * months) * (1 + 0.3 * np.sin(2 * np.pi * months / 12)) + rng.normal(0, 3, n)


def _grid(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned (series, month) grid, nan before a shorter series starts, and months' positions."""
    t = max(len(s) for s in series)
    y = np.full((len(series), t), np.nan)
    for i, s in enumerate(series):
        y[i, t - len(s) :] = s
    return y, np.arange(t) % 12


def test_the_point_forecast_is_statsforecasts_theta():
    """Same method as the published one: statsforecast's Theta, fitted the same way, agrees."""
    from statsforecast.models import Theta

    series = [_seasonal_series(96, seed=s, trend=tr) for s, tr in ((0, 0.8), (1, -0.3), (2, 0.0))]
    y, moy = _grid(series)
    p = theta.fit(y, moy)
    ours = theta.simulate(p, (np.arange(12) + 96) % 12, np.random.default_rng(0), 4000).mean(axis=0)
    for i, s in enumerate(series):
        ref = Theta(season_length=12).forecast(y=s, h=12)["mean"]
        assert np.max(np.abs(ours[i] - ref) / ref) < 0.03


def test_seasonality_is_found_only_where_the_seasonal_lag_is_significant():
    rng = np.random.default_rng(3)
    y, moy = _grid([_seasonal_series(72), 100 + rng.normal(0, 5, 72), _seasonal_series(20)])
    p = theta.fit(y, moy)
    assert np.ptp(p["season"][0]) > 0.4  # 1 +- 0.3: found
    assert np.allclose(p["season"][1], 1.0)  # noise: no seasonal adjustment
    assert np.allclose(p["season"][2], 1.0)  # under two seasons of history: none either


def test_intervals_widen_with_the_horizon_and_demand_stays_positive():
    y, moy = _grid([50 + np.cumsum(np.random.default_rng(1).normal(0, 4, 48))])  # a random walk: alpha near 1
    draws = theta.simulate(theta.fit(y, moy), np.arange(12), np.random.default_rng(0), 2000)
    width = np.quantile(draws, 0.9, axis=0) - np.quantile(draws, 0.1, axis=0)
    assert width[0, -1] > width[0, 0]
    assert draws.min() >= 0


def _history(n_series: int = 4, months: int = 60, promoted: tuple[int, ...] = ()) -> pd.DataFrame:
    ds = pd.date_range("2020-01-01", periods=months, freq="MS")
    rows = []
    for i in range(n_series):
        y = _seasonal_series(months, seed=i) * (1 + 0.1 * i)
        promo = np.zeros(months)
        promo[list(promoted)] = 0.3
        y = y * np.exp(1.2 * promo)
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y.round(1) + 0.05, "promo": promo}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def alone_and_mixed():
    """The ets model alone and with half its draws from Theta, on the same history (fitted once)."""
    h = _history()
    return h, {w: forecast(h, 6, model="ets", theta_weight=w, return_draws=True) for w in (0.0, 0.5)}


def test_the_engine_mixes_theta_draws_into_the_ets_model(alone_and_mixed):
    """theta_weight 0 is the ets model alone; 0.5 changes the forecast and keeps the draw count."""
    h, fits = alone_and_mixed
    alone, mixed = fits[0.0], fits[0.5]
    assert alone.draws.shape == mixed.draws.shape
    assert not np.allclose(alone.table["p50"], mixed.table["p50"])
    assert mixed.idata.attrs["theta_weight"] == 0.5
    rerun = forecast(h, 6, model="ets", theta_weight=0.5)
    pd.testing.assert_frame_equal(rerun, mixed.table)  # seeded: the same numbers


def test_a_planned_promotion_lifts_the_theta_half_too():
    """The Theta half sees the history without the promotion effect and gets the ets model's effect back."""
    h = _history(promoted=(5, 16, 30, 39, 52))  # months apart from the season, so the effect is learnt
    ds = pd.date_range(h["ds"].max() + pd.DateOffset(months=1), periods=6, freq="MS")
    future = pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(4)], 6), "ds": np.tile(ds, 4), "promo": 0.0})
    future.loc[future["ds"] == ds[2], "promo"] = 0.3
    kw = dict(model="ets", theta_weight=1.0, regressors=("promo",), return_draws=True)  # Theta draws only
    res = forecast(h, 6, future_regressors=future, **kw)
    flat = forecast(h, 6, future_regressors=future.assign(promo=0.0), **kw)
    lift = res.table["p50"].to_numpy() / flat.table["p50"].to_numpy()
    promoted = (res.table["ds"] == ds[2]).to_numpy()
    learnt = np.exp(0.3 * float(res.idata.posterior["coef"].mean()))  # the ets model's effect, on its log scale
    assert learnt > 1.2 and np.allclose(lift[promoted], learnt, rtol=0.05)
    assert np.allclose(lift[~promoted], 1.0, atol=0.02)


def test_a_share_outside_0_to_1_is_refused():
    with pytest.raises(ForecastInputError, match="theta_weight"):
        forecast(_history(), 6, model="ets", theta_weight=1.5)


def test_mixed_draws_replace_the_given_share():
    d = design(
        _history(),
        6,
        group_col=None,
        regressors=[],
        future_regressors=None,
        season_length=12,
        likelihood="student",
        max_history=None,
    )
    ets_like = np.full((1000, 4, 6), -1.0)  # marks the draws left to the ets model
    out = theta.mixed_draws(ets_like, d, None, 0.3, np.random.default_rng(0))
    assert ((out >= 0).all(axis=(1, 2))).sum() == 300


def test_the_posterior_predictive_check_replicates_the_mixture(alone_and_mixed):
    """The check replicates the history as the forecast draws it: with a Theta share, from both models."""
    from sop_lib.demand import posterior_predictive_check

    _, fits = alone_and_mixed
    mixed, inside = posterior_predictive_check(fits[0.5])
    alone, _ = posterior_predictive_check(fits[0.0])
    assert not np.allclose(mixed["rep_p50"], alone["rep_p50"])  # the replicated totals include Theta's
    assert 0.6 < inside < 0.98


def _slow_movers(n_series: int, months: int, seed: int) -> pd.DataFrame:
    """A family of slow movers: seasonal counts of a few units a month with months of none, a
    promotion now and then on some of them (so the regressor's effect is taken out and put back)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=months, freq="MS")
    season = 1 + rng.uniform(0.5, 0.95) * np.sin(2 * np.pi * (np.arange(months) + rng.integers(12)) / 12)
    rows = []
    for i in range(n_series):
        promo = np.where(rng.random(months) < (0.1 if i % 2 else 0.0), 0.2, 0.0)
        mean = rng.uniform(0.5, 6.0) * season * np.exp(1.5 * promo)
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": rng.poisson(mean).astype(float), "promo": promo}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_slow_movers_with_months_of_no_sales_get_forecasts_of_their_own_size(seed):
    """A month without sales is zero for the Theta half, never a float residue of the log scale: a
    seasonal index divided by ~0 once forecast 1e16 units for a grinder that sells three a month."""
    h = _slow_movers(40, 44, seed)
    future = (
        h[["unique_id"]]
        .drop_duplicates()
        .merge(pd.DataFrame({"ds": pd.date_range("2024-09-01", periods=6, freq="MS")}), how="cross")
    )
    res = forecast(h, 6, model="ets", regressors=("promo",), future_regressors=future.assign(promo=0.0))
    most = h.groupby("unique_id")["y"].max()
    forecast_most = res.groupby("unique_id")["mean"].max()
    assert (forecast_most <= 5 * most.reindex(forecast_most.index) + 5).all(), forecast_most.sort_values().tail()


def test_a_month_of_no_sales_found_as_a_float_residue_is_not_positive_for_the_seasonal_indices():
    months = np.arange(48)
    y = 3 * (1 + 0.9 * np.sin(2 * np.pi * months / 12))
    y[y < 0.6] = 5.9e-17  # what exp(log(0.1)) - 0.1 leaves
    idx = theta.seasonal_indices(y[None, :], np.array([48]), np.array([0]))
    assert np.allclose(idx, 1.0)  # not multiplicative: no index near zero to divide by
