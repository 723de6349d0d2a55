"""Step 2's report: what its sentences, tables and charts say for the forecast they are given."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.core.params import DemandParams, Shock
from sop_lib.demand import briefing, engine

MONTHS = pd.date_range("2031-01-01", periods=4, freq="MS")
PRODUCTS = pd.DataFrame(
    {
        "sku": ["K1", "K2", "T1", "NEW"],
        "name": ["Kettle one", "Kettle two", "Toaster", "Kettle next"],
        "family": ["Kettles", "Kettles", "Toasters", "Kettles"],
        "list_price_eur": [10.0, 20.0, 5.0, 30.0],
    }
)


def draws(ids: list[str], level: float = 10.0, samples: int = 200, seed: int = 0) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.gamma(50, level / 50, size=(samples, len(ids), len(MONTHS))),
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(samples), "unique_id": ids, "ds": MONTHS},
    )


def sold(months: int = 30) -> pd.DataFrame:
    ds = pd.date_range(MONTHS[0] - pd.DateOffset(months=months), periods=months, freq="MS")
    rows = [
        {"unique_id": f"{sku}|{region}", "ds": m, "y": 100.0, "family": fam, "sku": sku, "region": region}
        for sku, fam, regions in [("K1", "Kettles", ["North", "South"]), ("T1", "Toasters", ["North"])]
        for region in regions
        for m in ds
    ]
    return pd.DataFrame(rows)


def test_the_fit_settings_are_the_params_and_every_one_is_a_setting_of_the_engine():
    d = DemandParams(draws=500, tune=400, chains=3, partition="family", partition_max_series=7, dask_workers=3)
    args = briefing.fit_args(d)
    assert args["draws"] == 500 and args["tune"] == 400 and args["chains"] == 3
    assert args["partition"] == "family" and args["max_series"] == 7 and args["workers"] == 3
    assert args["group_col"] == "family" and args["regressors"] == ("promo",)
    assert set(args) <= set(inspect.signature(engine.forecast).parameters)


def test_the_series_sentence_counts_series_and_months_from_the_data():
    s = sold()
    text = briefing.series_sentence(s, s, 12, "2031-01")
    assert text == "3 series (SKU × region), 30 months of history to Dec 2030; forecasting 12 months from 2031-01."


def test_the_backtest_scope_is_said_only_when_some_series_are_too_short_or_a_sample_is_scored():
    s = sold()
    acc = pd.DataFrame({"method": ["Bayesian engine"], "series_scored": [3]})
    assert briefing.backtest_scope_sentence(s, s, 6, acc) == ""
    short = s[s["sku"] == "K1"]
    assert briefing.backtest_scope_sentence(short, s, 6, acc.assign(series_scored=2)) == (
        "The backtest covers the 2 of 3 series with at least 6 months more than the model's minimum."
    )
    sampled = briefing.backtest_scope_sentence(s, s, 6, acc.assign(series_scored=2))
    assert sampled.startswith("The engine was fitted on all 3 series; the table scores every method on the same 2 of")


def test_the_choice_table_names_its_last_column_for_a_reader():
    choice = pd.DataFrame({"family": ["Kettles"], "model": ["trend"], "reason": ["better"], "intermittent_to_trend": [0]})
    assert list(briefing.choice_view(choice).columns)[-1] == "intermittent series on the trend model"


def test_the_ppc_caption_counts_the_months_inside_the_band():
    ppc = pd.DataFrame({"ds": MONTHS, "observed": [5.0, 10.0, 20.0, 10.0], "rep_p10": 8.0, "rep_p90": 12.0})
    fig, caption = briefing.ppc_chart(ppc, 0.83)
    assert "50% of the months' totals and 83% of the single series-months" in caption
    assert fig.get_suptitle().startswith("Posterior predictive check")


def test_a_shock_is_said_with_its_size_months_and_regions():
    shocks = [
        Shock(name="levy", start="2031-03", end="2031-06", regions=["North", "South"], effect_low=-0.3, effect_high=-0.1),
        Shock(name="boom", start="2031-02", effect_low=0.05, effect_high=0.2),
    ]
    assert briefing.shock_sentences(shocks) == [
        "Shock applied: levy — -30% to -10% from 2031-03 to 2031-06 in North, South.",
        "Shock applied: boom — +5% to +20% from 2031-02 in all regions.",
    ]
    assert briefing.shock_sentences([]) == []


def test_the_series_without_history_are_named_and_nothing_is_said_when_there_are_none():
    model = draws(["K1|North", "T1|North"])
    assert briefing.new_series_sentence(model, model) == ""
    more = xr.concat([model, draws(["NEW|South", "NEW|North"])], dim="unique_id")
    assert briefing.new_series_sentence(model, more) == (
        "2 series have no history and come from launches or the CRM pipeline: NEW|North, NEW|South."
    )


def test_the_overrides_sentence_gives_their_effect_on_total_demand():
    stat = draws(["K1|North"])
    text = briefing.overrides_sentence(pd.DataFrame({"sku": ["K1", "K1"]}), stat, stat + 25.0)
    assert text == "2 consensus overrides change total demand over the horizon by +100 units."  # 25 x 4 months
    o = pd.DataFrame({"from": [MONTHS[0]], "to": [MONTHS[2]], "change_pct": [0.1], "units": [np.nan]})
    assert briefing.overrides_view(o)[["from", "to"]].iloc[0].tolist() == ["2031-01", "2031-03"]


def test_the_forecast_tables_keep_the_statistical_forecast_beside_the_consensus():
    stat = draws(["K1|North", "K2|North", "T1|North"])
    cons = stat * 1.5
    meta = briefing.series_meta(cons, PRODUCTS)
    assert meta.loc["K2|North"].tolist() == ["K2", "North", "Kettles"]
    fc = briefing.forecast_table(cons, stat, meta, (0.1, 0.5, 0.9))
    assert len(fc) == 3 * len(MONTHS)
    np.testing.assert_allclose(fc["mean"], 1.5 * fc["stat_mean"])
    assert {"stat_p10", "stat_p50", "stat_p90", "sku", "region", "family"} <= set(fc.columns)
    fam = briefing.family_forecast(cons, meta, (0.1, 0.5, 0.9))
    assert sorted(fam["family"].unique()) == ["Kettles", "Toasters"]
    kettles = fam[fam["family"] == "Kettles"]["mean"].to_numpy()
    np.testing.assert_allclose(kettles, fc[fc["family"] == "Kettles"].groupby("ds")["mean"].sum().to_numpy())
    export = briefing.forecast_export(fc, PRODUCTS)
    assert list(export.columns[:2]) == ["sku", "name"]


def test_the_pipeline_sentence_counts_the_skus_above_the_forecast():
    check = pd.DataFrame({"sku": ["K1", "K2", "T1"], "status": ["green", "amber", "red"]})
    text = briefing.pipeline_check_sentence(check)
    assert text.startswith(f"Sales pipeline check, next {briefing.PIPELINE_CHECK_MONTHS} months: for 2 of 3 SKUs")
    assert "no SKU has open opportunities" in briefing.pipeline_check_sentence(check.iloc[:0])


def test_the_family_chart_sums_the_horizon_per_family_in_its_caption():
    fc_family = pd.DataFrame(
        {
            "family": ["Kettles"] * 4 + ["Toasters"] * 4,
            "ds": list(MONTHS) * 2,
            "mean": 10.0,
            "p10": [1000.0] * 4 + [10.0] * 4,
            "p50": [2000.0] * 4 + [20.0] * 4,
            "p90": [3000.0] * 4 + [30.0] * 4,
        }
    )
    fig, caption = briefing.family_fan_chart(sold(), fc_family)
    assert "Kettles: 8,000 units most likely over the horizon (worst 4,000 of P10 months, best 12,000)." in caption
    assert "Toasters: 80 units most likely" in caption
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Kettles", "Toasters"]


def launch(regions: str = "North;South;East") -> pd.Series:
    return pd.Series(
        {
            "sku": "NEW",
            "analog_sku": "K1",
            "regions": regions,
            "earliest_launch": MONTHS[1],
            "likely_launch": MONTHS[2],
            "latest_launch": MONTHS[3],
            "cannibalisation_pct": 0.4,
            "ramp_months": 2.0,
        }
    )


def test_a_launch_opens_the_regions_its_analog_does_not_sell_in():
    assert briefing.new_territories(launch(), sold()) == ["East"]
    assert briefing.new_territories(launch("North; South"), sold()) == []


def test_the_launch_caption_reads_its_window_analog_and_new_regions_from_the_data():
    sku_fc = pd.DataFrame(
        {
            "unique_id": ["K1"] * 4 + ["NEW"] * 4,
            "ds": list(MONTHS) * 2,
            "mean": [100.0] * 4 + [0.0, 50.0, 100.0, 150.0],
            "p10": 1.0,
            "p50": 2.0,
            "p90": 3.0,
        }
    )
    fig, caption = briefing.launch_chart(launch(), sold(), sku_fc, PRODUCTS)
    assert fig.get_suptitle() == "A new product and its analog: Kettle next (NEW) after Kettle one (K1)"
    assert caption.startswith("The successor launches between Feb 2031 and Apr 2031 (most likely Mar 2031, ")
    assert "it takes 40% of K1's demand as it ramps up over 2 months and opens East. " in caption
    assert caption.endswith("It sells 300 units in expectation within the horizon.")
    _, no_new = briefing.launch_chart(launch("North;South"), sold(), sku_fc, PRODUCTS)
    assert "ramps up over 2 months. It sells" in no_new


def test_the_horizon_totals_put_the_largest_revenue_first():
    cons = xr.concat([draws(["K1|North"], 10.0), draws(["K2|North"], 10.0), draws(["T1|North"], 100.0)], "unique_id")
    meta = briefing.series_meta(cons, PRODUCTS)
    totals = briefing.horizon_totals_table(cons, meta, PRODUCTS, (0.1, 0.5, 0.9))
    assert totals["sku"].tolist() == ["T1", "K2", "K1"]  # 2,000 EUR, 800 EUR, 400 EUR most likely
    assert totals.loc[totals["sku"] == "T1", "p50_revenue_eur"].iloc[0] == pytest.approx(2000, rel=0.05)
    assert set(briefing.totals_formats((0.1, 0.5, 0.9))) == {"mean", "p10", "p50", "p90", "p50_revenue_eur"}
    assert briefing.totals_detail(totals, 12).startswith("The largest of the 3 SKU × region series")


def test_without_list_prices_the_totals_rank_by_units_and_say_what_is_left_out():
    cons = xr.concat([draws(["K1|North"], 10.0), draws(["K2|North"], 30.0), draws(["T1|North"], 15.0)], "unique_id")
    thin = PRODUCTS.assign(list_price_eur=float("nan"))
    meta = briefing.series_meta(cons, thin)
    totals = briefing.horizon_totals_table(cons, meta, thin, (0.1, 0.5, 0.9))
    assert totals["sku"].tolist() == ["K2", "T1", "K1"] and "p50_revenue_eur" not in totals
    assert "by most-likely units" in briefing.totals_detail(totals, 12)
    assert briefing.revenue_left_out(thin, meta) == (
        "Revenue per series is not computed: the product master has no list price for any of the 3 SKUs."
    )
    some = PRODUCTS.assign(list_price_eur=[10.0, float("nan"), 5.0, 30.0])
    partial = briefing.horizon_totals_table(cons, meta, some, (0.1, 0.5, 0.9))
    assert partial["sku"].tolist() == ["K1", "T1", "K2"]  # K2 has no revenue: last, blank
    assert briefing.revenue_left_out(some, meta) == (
        "Revenue per series is computed for 2 of 3 SKUs only: the product master has no list price for K2."
    )
    assert briefing.revenue_left_out(PRODUCTS, meta) is None
