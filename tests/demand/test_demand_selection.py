"""demand.model: auto — each family takes the model that did better on its held-out months,
a mixture where none is clearly better, and the trend model's sampler only within its time budget."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib import demand
from sop_lib.demand import selection
from tests.demand.test_demand import MONTHS, simulate


def test_a_clear_winner_is_chosen_and_a_close_call_is_averaged():
    wape = pd.DataFrame(
        {"trend": {"Boilers": 0.08, "Pumps": 0.20, "Valves": 0.100}, "ets": {"Boilers": 0.12, "Pumps": 0.10, "Valves": 0.105}}
    ).rename_axis("family")
    choice = selection.choose(wape, ["Boilers", "Pumps", "Valves"]).set_index("family")
    assert choice.loc["Boilers", "model"] == "trend" and choice.loc["Pumps", "model"] == "ets"
    assert choice.loc["Valves", "model"] == selection.MIX
    assert "8.0% against ets 12.0%" in choice.loc["Boilers", "reason"]
    assert choice.loc["Pumps", "wape_trend"] == pytest.approx(0.20)


def test_a_model_that_could_not_be_fitted_leaves_the_other_with_the_reason():
    wape = pd.DataFrame({"ets": {"A": 0.3, "B": 0.1}}).rename_axis("family")
    choice = selection.choose(wape, ["A", "B"], unavailable={"trend": "over the time budget of 5 s"})
    assert (choice["model"] == "ets").all()
    assert choice["reason"].str.contains("time budget of 5 s").all()
    assert demand.describe_choice(choice) == (
        "Only the ets model was fitted; the trend model was not fitted: over the time budget of 5 s, so every family takes it."
    )
    assert choice["wape_trend"].isna().all()


def test_a_family_without_held_out_months_takes_the_mixture():
    wape = pd.DataFrame({"trend": {"A": 0.1}, "ets": {"A": 0.3}}).rename_axis("family")
    choice = selection.choose(wape, ["A", "New"]).set_index("family")
    assert choice.loc["A", "model"] == "trend"
    assert choice.loc["New", "model"] == selection.MIX and "no held-out months" in choice.loc["New", "reason"]


def _draws(value: float, ids: list[str], samples: int) -> xr.DataArray:
    return xr.DataArray(
        np.full((samples, len(ids), 3), value),
        dims=("sample", "unique_id", "ds"),
        coords={"unique_id": ids, "ds": pd.date_range("2027-01-01", periods=3, freq="MS")},
    )


def test_blend_takes_each_series_from_its_model_and_half_and_half_for_a_mixture():
    trend = _draws(1.0, ["a", "m"], 400)
    ets = _draws(2.0, ["e", "m"], 1000)  # another sample count: both are thinned to 400
    out = selection.blend({"trend": trend, "ets": ets}, pd.Series({"a": "trend", "e": "ets", "m": selection.MIX}), seed=1)
    assert out.sizes["sample"] == 400
    assert (out.sel(unique_id="a") == 1.0).all() and (out.sel(unique_id="e") == 2.0).all()
    assert float(out.sel(unique_id="m").mean()) == pytest.approx(1.5)


def test_blend_keeps_series_of_one_model_jointly_drawn():
    rng = np.random.default_rng(0)
    shared = rng.normal(size=(500, 1, 3))
    trend = xr.DataArray(
        np.concatenate([shared, shared], axis=1), dims=("sample", "unique_id", "ds"), coords={"unique_id": ["a", "b"]}
    )
    ets = trend.copy() * 0 + 5
    out = selection.blend({"trend": trend, "ets": ets}, pd.Series({"a": "trend", "b": "trend"}), seed=3)
    np.testing.assert_array_equal(out.sel(unique_id="a").values, out.sel(unique_id="b").values)


def test_a_nuts_fit_over_its_budget_stops_early_and_says_why():
    history = simulate(n_per_group=3, seed=5)
    with pytest.raises(demand.OverBudget, match=r"time budget of 1 s \(demand.time_budget_s\)") as err:
        demand.forecast(history, 6, group_col="family", model="trend", method="nuts", draws=2000, tune=2000, time_budget_s=1)
    assert err.value.elapsed_s < 60  # stopped, not run to the end of 8,000 iterations


@pytest.fixture(scope="module")
def chosen():
    history = simulate(n_per_group=4, seed=11)
    kw = dict(group_col="family", draws=100, tune=150, chains=2, seed=4, quantiles=(0.1, 0.5, 0.9))
    acc, bt = demand.backtest(history, 6, select=True, time_budget_s=600, **kw)
    # the forecast under another choice than the data's, so that every branch runs: a mixed family and an ets one
    mixed = bt.choice.assign(model=[selection.MIX, "ets"])
    res = demand.forecast_chosen(history, 6, mixed, time_budget_s=600, model="auto", method="auto", **kw)  # as step 2
    return history, acc, bt, res


def test_backtest_scores_the_choice_and_each_model_alone(chosen):
    _, acc, bt, _ = chosen
    assert acc["method"].iloc[0] == "Bayesian engine (model chosen per family on these months)"
    assert acc["method"].iloc[1].startswith("Seasonal naive")  # the executive page's baseline
    alone = acc[acc["method"].str.contains("model alone")]
    assert len(alone) == 2
    assert list(bt.choice["family"]) == ["A", "B"]
    assert "held-out WAPE" in bt.choice["reason"].iloc[0]
    assert bt.draws is None and all(part.draws is None for part in bt.parts.values())  # scored, then dropped


def test_forecast_follows_the_choice_per_family(chosen):
    history, _, _, res = chosen
    assert set(map(str, res.draws["unique_id"].values)) == set(history["unique_id"])
    assert set(res.fits()) == {"trend", "ets"}
    assert set(map(str, res.parts["trend"].draws["unique_id"].values)) == {"A0", "A1", "A2", "A3"}  # only where used
    n = res.draws.sizes["sample"]
    first = res.draws.sel(unique_id="A0", ds=res.draws["ds"][0]).values
    assert np.isin(first[: n // 2], res.parts["trend"].draws.sel(unique_id="A0").values[:, 0]).all()
    assert np.isin(first[n // 2 :], res.parts["ets"].draws.sel(unique_id="A0").values[:, 0]).all()
    # the trend model draws whole units, the ets model continuous ones: the halves are not swapped
    assert (first[: n // 2] == np.round(first[: n // 2])).all() and (first[n // 2 :] != np.round(first[n // 2 :])).all()
    b0 = res.draws.sel(unique_id="B0", ds=res.draws["ds"][0]).values
    assert np.isin(b0, res.parts["ets"].draws.sel(unique_id="B0").values[:, 0]).all()
    table, inside = demand.posterior_predictive_check(res, seed=1)
    assert len(table) == len(MONTHS) and 0.5 < inside < 0.98


def test_a_final_trend_fit_over_budget_falls_back_to_ets(chosen):
    history, _, bt, _ = chosen
    forced = bt.choice.assign(model=["ets", "trend"])  # the first family never used the trend model
    res = demand.forecast_chosen(history, 6, forced, group_col="family", draws=2000, tune=2000, chains=2, seed=4, time_budget_s=1)
    assert (res.choice["model"] == "ets").all() and "over budget" in res.choice["reason"].iloc[1]
    assert "final fit ran over budget" in demand.describe_choice(res.choice)  # said, whichever family comes first
    assert list(res.fits()) == ["ets"]
    assert set(map(str, res.draws["unique_id"].values)) == set(history["unique_id"])


def test_the_guard_stops_a_fit_whose_budget_is_spent_or_whose_progress_is_hopeless():
    import time

    from sop_lib.demand.sampling import budget_guard

    spent = budget_guard(10, 1000, time.perf_counter() - 11, series=5)
    with pytest.raises(demand.OverBudget):
        spent()
    slow = budget_guard(20, 100_000, time.perf_counter() - 5, series=5)  # a quarter of the budget gone, 3 of 100,000
    slow()
    time.sleep(0.002)
    slow()
    time.sleep(0.002)
    with pytest.raises(demand.OverBudget, match="would take about"):
        slow()
    fine = budget_guard(300, 1000, time.perf_counter(), series=5)
    for _ in range(100):
        fine()  # quick draws: never stopped


def _sales(pattern: dict[str, list[float]]) -> pd.DataFrame:
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    return pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": months, "y": (ys * 24)[:24], "family": uid[0]}) for uid, ys in pattern.items()],
        ignore_index=True,
    )


def test_intermittent_series_take_the_count_model_whatever_their_family_chose():
    sales = _sales({"A-smooth": [5, 7, 6], "A-spare": [0, 0, 3], "A-every-other": [0, 4], "B-spare": [0, 0, 0, 2]})
    assert sorted(selection.intermittent(sales)) == ["A-every-other", "A-spare", "B-spare"]  # 2 months between sales > 1.32
    choice = pd.DataFrame(
        {"family": ["A", "B"], "model": ["ets", selection.MIX], "reason": ["clear", "close"], "trend_fitted": True}
    )
    per = selection.series_models(sales, choice, "family")
    assert per.to_dict() == {"A-every-other": "trend", "A-smooth": "ets", "A-spare": "trend", "B-spare": "trend"}
    no_trend = choice.assign(trend_fitted=False)
    assert (selection.series_models(sales, no_trend, "family").drop("B-spare") == "ets").all()


def test_over_budget_keeps_its_fields_through_pickling_as_dask_sends_it_back():
    import pickle

    err = pickle.loads(pickle.dumps(demand.OverBudget(900.0, 4.0, 300.0, 2592, started=False)))
    assert isinstance(err, demand.OverBudget) and err.projected_s == 900.0 and not err.started
    assert "not started" in str(err) and "time budget of 300 s" in str(err)


def test_the_choice_is_said_with_the_right_number_for_many_families():
    choice = pd.DataFrame(
        {
            "family": [f"F{k}" for k in range(8)],
            "model": ["trend"] * 7 + ["ets"],
            "reason": ["held-out WAPE ..."] * 8,
            "intermittent_to_trend": [0] * 7 + [1],
            "trend_fitted": True,
        }
    )
    text = demand.describe_choice(choice)
    assert "7 families take the trend model, 1 family takes the ets model" in text
    assert "1 intermittent series (" in text and "takes the trend model" in text


def test_the_choice_is_also_scored_on_months_it_was_not_made_on(chosen):
    """Each half of the held-out months forecast by the choice made on the other half: an honest row."""
    _, acc, _, _ = chosen
    fair = acc[acc["method"].str.contains("chosen on the other half")]
    assert len(fair) == 1 and fair["wape"].between(0, 1).all() and fair["coverage_p10_p90"].between(0, 1).all()
    text = demand.describe_backtest(acc, 6)
    assert f"made on the other half of these months instead, it scored {fair['wape'].iloc[0]:.1%}" in text


def test_a_choice_made_on_one_half_forecasts_the_other_with_that_half_s_winner():
    from sop_lib.demand.draws import ForecastResult

    months = pd.date_range("2026-01-01", periods=4, freq="MS")
    actual = pd.DataFrame({"unique_id": "A0", "ds": months, "y": 100.0})
    keyed = pd.DataFrame({"unique_id": "A0", "ds": months, "y": 100.0, "_family": "A"})

    def fit(first_half: float, second_half: float) -> ForecastResult:  # constant draws per half of the months
        values = np.array([first_half] * 2 + [second_half] * 2)[None, None, :].repeat(10, axis=0)
        draws = xr.DataArray(
            values,
            dims=("sample", "unique_id", "ds"),
            coords={"sample": np.arange(10), "unique_id": ["A0"], "ds": months},
            name="demand",
        )
        return ForecastResult(demand.summarise_draws(draws), draws, None)

    # trend is right on the first half, ets on the second: each half takes the other half's winner
    fits = {"trend": fit(100.0, 200.0), "ets": fit(300.0, 100.0)}
    kw = dict(margin=0.1, unavailable={}, quantiles=(0.1, 0.5, 0.9), seed=0)
    table = selection.chosen_elsewhere(actual, fits, keyed, "_family", **kw)
    got = table.set_index("ds")["mean"]
    assert list(got[months[:2]]) == [300.0, 300.0] and list(got[months[2:]]) == [200.0, 200.0]
    # one held-out month has no other half to choose on: no such row rather than a choice never made
    assert selection.chosen_elsewhere(actual.head(1), fits, keyed, "_family", **kw) is None
