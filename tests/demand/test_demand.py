"""The demand engine on data whose truth is known: recovery, calibration, coherence, launches, bad input."""

import os

import numpy as np
import pandas as pd
import pytest

from sop_lib import demand

MONTHS = pd.date_range("2022-01-01", periods=48, freq="MS")
SEASON = np.array([0.0, -0.1, 0.0, 0.05, 0.1, 0.0, -0.2, -0.15, 0.0, 0.1, 0.25, -0.05])
SLOPE = {"A": 0.15, "B": -0.05}  # per year, log scale


def simulate(n_per_group: int = 6, months: pd.DatetimeIndex = MONTHS, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g, slope in SLOPE.items():
        for k in range(n_per_group):
            base = rng.uniform(40, 200)
            t = np.arange(len(months)) / 12
            mu = base * np.exp(slope * t + SEASON[months.month - 1])
            y = rng.negative_binomial(20, 20 / (20 + mu))
            rows += [(f"{g}{k}", m, float(v), g) for m, v in zip(months, y)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y", "family"])


# The statistical tests below must hold for any seed, not only the one CI uses: run them once
# under others with `SOP_TEST_SEED=7 pytest tests/demand/test_demand.py` (data and sampler seeds move).
SEED = int(os.environ.get("SOP_TEST_SEED", "3"))


@pytest.fixture(scope="module")
def fitted():
    full = simulate(seed=SEED - 2)
    cutoff = MONTHS[-7]
    train, test = full[full["ds"] <= cutoff], full[full["ds"] > cutoff]
    res = demand.forecast(train, 6, group_col="family", draws=200, tune=300, chains=2, seed=SEED, return_draws=True)
    return train, test, res


def test_forecast_has_statsforecast_layout(fitted):
    _, test, res = fitted
    t = res.table
    assert list(t.columns) == ["unique_id", "ds", "mean", "p10", "p50", "p90"]
    assert len(t) == 12 * 6
    assert (t["p10"] <= t["p50"]).all() and (t["p50"] <= t["p90"]).all()
    assert set(t["ds"]) == set(test["ds"])


def test_recovers_group_slopes_and_sampler_is_healthy(fitted):
    _, _, res = fitted
    post = res.idata.posterior["group_slope"]
    for g, true in SLOPE.items():
        draws = post.sel(group=g).values.ravel()
        lo, hi = np.quantile(draws, [0.02, 0.98])
        assert lo <= true <= hi, f"group {g}: true slope {true} outside [{lo:.3f}, {hi:.3f}]"
    # A smoke test of the sampler with a verdict that no CPU or BLAS can flip: the chains agree
    # (r-hat well below 1.1, not the third decimal) and divergences are rare, not absent.
    diag = demand.diagnostics(res.idata)
    assert diag["divergences"] <= 0.01 * diag["draws"], diag
    assert diag["max_r_hat"] < 1.1, diag
    assert diag["min_ess_bulk"] > 50, diag


def test_p10_p90_band_covers_about_80_percent_of_held_out_months(fitted):
    _, test, res = fitted
    cov = demand.interval_coverage(test, res.table, "p10", "p90")
    # 72 points, correlated within series: +-3 binomial sd around 0.8 is about 0.65-0.95
    assert 0.65 <= cov <= 0.95, cov


def test_beats_seasonal_naive_on_trending_series(fitted):
    train, test, res = fitted
    ours = demand.accuracy(test, res.table, train)
    naive = demand.accuracy(test, demand.seasonal_naive(train, 6), train)
    assert ours["wape"] < naive["wape"]


def test_aggregates_are_coherent_in_every_draw(fitted):
    _, _, res = fitted
    groups = pd.Series({u: u[0] for u in res.draws["unique_id"].values})
    agg = demand.aggregate_draws(res.draws, groups)
    for g in ("A", "B"):
        members = [u for u in groups.index if u[0] == g]
        np.testing.assert_allclose(agg.sel(unique_id=g).values, res.draws.sel(unique_id=members).sum("unique_id").values)


def test_same_seed_gives_same_numbers(fitted):
    train, _, res = fitted
    again = demand.forecast(train, 6, group_col="family", draws=200, tune=300, chains=2, seed=SEED)
    pd.testing.assert_frame_equal(again, res.table)


def test_new_product_without_history_launches_from_its_analog(fitted):
    _, _, res = fitted
    months = pd.DatetimeIndex(res.draws["ds"].values)
    probs = demand.launch_month_probabilities(months[2], months[3], months[4])
    out = demand.add_launch(
        res.draws, new_id="NEW", analog_id="A0", peak_units=100, ramp_months=2, launch_probs=probs, cannibalisation=0.5, seed=1
    )
    new = out.sel(unique_id="NEW").values
    assert (new[:, :2] == 0).all(), "nothing sells before the earliest launch month"
    assert new[:, -1].mean() > 50, "the ramp reaches most of the peak by the end"
    before, after = res.draws.sel(unique_id="A0").values, out.sel(unique_id="A0").values
    assert (after[:, :2] == before[:, :2]).all()
    assert after[:, -1].mean() < 0.6 * before[:, -1].mean(), "the analog is cannibalised after launch"


def test_launch_probabilities_are_triangular():
    p = demand.launch_month_probabilities(pd.Timestamp("2027-01-01"), pd.Timestamp("2027-03-01"), pd.Timestamp("2027-07-01"))
    assert p.sum() == pytest.approx(1)
    assert p.idxmax() == pd.Timestamp("2027-03-01")
    assert p.iloc[0] < p.iloc[2] and p.iloc[-1] < p.iloc[2]


def test_quantile_column_names():
    assert [demand.quantile_column(q) for q in (0.1, 0.5, 0.9, 0.975)] == ["p10", "p50", "p90", "p97.5"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.assign(ds=d["ds"] + pd.Timedelta(days=3)), "is not a month start"),
        (lambda d: d.assign(y=np.where(d.index == 5, -1.0, d["y"])), "expected a non-negative number"),
        (lambda d: d.assign(y=np.where(d.index == 5, np.nan, d["y"])), "expected a non-negative number"),
        (lambda d: d.drop(index=10), "month(s) missing"),
        (lambda d: d[d["ds"] >= "2025-06-01"], "needs at least 18"),
        (lambda d: d.drop(columns="y"), "missing column(s) ['y']"),
        (lambda d: pd.concat([d, d.head(1)]), "appears twice"),
    ],
)
def test_bad_input_names_the_series_and_the_fix(mutate, message):
    bad = mutate(simulate(n_per_group=1).reset_index(drop=True))
    with pytest.raises(demand.ForecastInputError) as err:
        demand.forecast(bad, 3, draws=50, tune=50)
    assert message in str(err.value)


def test_the_first_bad_series_by_name_is_the_one_named():
    good = simulate(n_per_group=2)
    ids = sorted(good["unique_id"].unique())
    ends_early = good[~((good["unique_id"] == ids[2]) & (good["ds"] == good["ds"].max()))]
    gap = ends_early[~((ends_early["unique_id"] == ids[1]) & (ends_early["ds"] == "2024-03-01"))]
    with pytest.raises(demand.ForecastInputError, match=f"series '{ids[1]}': 1 month"):
        demand.forecast(gap.sample(frac=1, random_state=0), 3, draws=50, tune=50)
    with pytest.raises(demand.ForecastInputError, match=f"series '{ids[2]}' ends in"):
        demand.forecast(ends_early, 3, draws=50, tune=50)


def test_seasonal_naive_repeats_each_series_last_year_even_a_short_one():
    months = pd.date_range("2025-01-01", periods=14, freq="MS")
    long = pd.DataFrame({"unique_id": "b", "ds": months, "y": np.arange(14.0)})
    short = pd.DataFrame({"unique_id": "a", "ds": months[-3:], "y": [7.0, 8.0, 9.0]})
    fc = demand.seasonal_naive(pd.concat([long, short]).sample(frac=1, random_state=1), horizon=13)
    assert fc["unique_id"].tolist() == ["a"] * 13 + ["b"] * 13
    assert fc.loc[fc["unique_id"] == "b", "mean"].tolist() == [*np.arange(2.0, 14.0), 2.0]  # Mar 2025 .. Feb 2026, then again
    assert fc.loc[fc["unique_id"] == "a", "mean"].tolist()[:4] == [7.0, 8.0, 9.0, 7.0]  # only three months to repeat
    assert fc["ds"].iloc[0] == pd.Timestamp("2026-03-01") and fc["ds"].iloc[-1] == pd.Timestamp("2027-03-01")


# --- drivers: shocks, consensus overrides, CRM pipeline (no model fit needed) -------------


def _draws(ids=("A|DACH", "A|Nordics", "B|DACH"), months=6, value=100.0, samples=400):
    import xarray as xr

    ds = pd.date_range("2027-01-01", periods=months, freq="MS")
    return xr.DataArray(
        np.full((samples, len(ids), months), value),
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(samples), "unique_id": list(ids), "ds": ds},
    )


def test_shock_scales_only_its_region_and_months_with_uncertain_size():
    from sop_lib.core.params import Shock

    shock = Shock(name="levy", start="2027-03", regions=["Nordics"], effect_low=-0.3, effect_high=-0.1)
    out = demand.apply_shocks(_draws(), [shock], seed=1)
    nordic = out.sel(unique_id="A|Nordics").values
    assert (nordic[:, :2] == 100).all(), "months before the start are untouched"
    assert 70 <= nordic[:, 2:].min() and nordic[:, 2:].max() <= 90
    assert nordic[:, 2].std() > 3, "the shock's size varies across draws"
    assert (out.sel(unique_id="A|DACH").values == 100).all()


def test_overrides_file_is_applied_and_statistical_kept(tmp_path):
    f = tmp_path / "ov.yaml"
    f.write_text(
        "- {who: Sales, why: big deal, sku: A, region: DACH, from: 2027-02, to: 2027-03, units: 50}\n"
        "- {who: Marketing, why: campaign, sku: B, from: 2027-01, change_pct: 0.2}\n"
    )
    ov = demand.load_overrides(f)
    stat = _draws()
    out = demand.apply_overrides(stat, ov)
    assert out.sel(unique_id="A|DACH").values[:, 1:3].mean() == pytest.approx(150)
    assert out.sel(unique_id="A|DACH").values[:, 0].mean() == pytest.approx(100)
    assert out.sel(unique_id="B|DACH").values[:, 0].mean() == pytest.approx(120)
    assert out.sel(unique_id="B|DACH").values[:, 1].mean() == pytest.approx(100), "'to' defaults to 'from'"
    assert (stat.values == 100).all(), "the statistical draws are not modified in place"


@pytest.mark.parametrize(
    "entry, message",
    [
        ("- {who: S, why: w, sku: A, from: 2027-01}", "exactly one of 'change_pct' or 'units'"),
        ("- {why: w, sku: A, from: 2027-01, units: 5}", "'who' is required"),
        ("- {who: S, why: w, sku: A, from: 2027-13, units: 5}", "'from' must be YYYY-MM"),
        ("- {who: S, why: w, sku: A, from: 2027-01, units: 5, colour: red}", "unknown key(s) ['colour']"),
        ("- {who: S, why: w, sku: A, from: 2027-01, change_pct: -2}", "would make demand negative"),
    ],
)
def test_bad_override_entries_name_file_entry_and_key(tmp_path, entry, message):
    f = tmp_path / "ov.yaml"
    f.write_text(entry + "\n")
    with pytest.raises(demand.OverrideError) as err:
        demand.load_overrides(f)
    assert str(f) in str(err.value) and "entry 1" in str(err.value) and message in str(err.value)


def test_override_for_unknown_sku_says_so(tmp_path):
    f = tmp_path / "ov.yaml"
    f.write_text("- {who: S, why: w, sku: ZZZ, from: 2027-01, units: 5}\n")
    with pytest.raises(demand.OverrideError, match="no forecast series for SKU 'ZZZ'"):
        demand.apply_overrides(_draws(), demand.load_overrides(f))


def test_pipeline_adds_only_series_without_history():
    pipe = pd.DataFrame(
        {
            "sku": ["A", "A"],
            "region": ["Iberia", "DACH"],
            "probability": [0.5, 0.9],
            "units": [40, 40],
            "expected_close": pd.to_datetime(["2027-02-10", "2027-02-10"]),
        }
    )
    extra = demand.pipeline_demand(pipe, _draws(), seed=3)
    assert list(extra["unique_id"].values) == ["A|Iberia"], "DACH has history: its deals are already in the model"
    won = extra.sel(unique_id="A|Iberia").values[:, 1]
    assert set(np.unique(won)) == {0.0, 40.0}
    assert won.mean() == pytest.approx(20, abs=4), "closes with its stated probability"
    combined = demand.add_series(_draws(), extra)
    assert "A|Iberia" in combined["unique_id"].values and combined.sizes["unique_id"] == 4


# --- the non-count observation model ----------------------------------------------


def test_trend_model_on_continuous_data_uses_student_errors_with_calibrated_intervals():
    rng = np.random.default_rng(5)
    rows = []
    for k in range(8):
        e, level = 0.0, rng.uniform(3, 6)
        for t, m in enumerate(MONTHS):
            e = 0.6 * e + rng.normal(0, 0.08)
            rows.append((f"s{k}", m, float(np.exp(level + 0.1 * t / 12 + SEASON[m.month - 1] + e))))
    df = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    train, test = df[df["ds"] <= MONTHS[-7]], df[df["ds"] > MONTHS[-7]]
    res = demand.forecast(train, 6, model="trend", draws=200, tune=300, seed=2, return_draws=True)
    assert res.likelihood == "student"
    assert "rho" in res.idata.posterior
    assert demand.accuracy(test, res.table, train)["wape"] < demand.accuracy(test, demand.seasonal_naive(train, 6), train)["wape"]
    assert 0.6 <= demand.interval_coverage(test, res.table, "p10", "p90") <= 1.0
    _, inside = demand.posterior_predictive_check(res, seed=1)
    assert 0.6 <= inside <= 0.98, "the one-step-ahead replicated history looks like the observed one"


def test_series_ending_early_is_refused_with_advice():
    df = simulate(n_per_group=1)
    df = df[~((df["unique_id"] == "A0") & (df["ds"] > "2025-06-01"))]
    with pytest.raises(demand.ForecastInputError, match="ends in 2025-06 but others run to 2025-12"):
        demand.forecast(df, 3, draws=50, tune=50)


def test_posterior_predictive_check_finds_the_history_typical(fitted):
    _, _, res = fitted
    table, inside = demand.posterior_predictive_check(res, seed=1)
    assert len(table) == res.design.y.shape[1]
    assert ((table["observed"] >= table["rep_p10"]) & (table["observed"] <= table["rep_p90"])).mean() > 0.6
    assert 0.7 <= inside <= 0.95, inside


def test_posterior_predictive_check_flags_a_model_that_does_not_fit(fitted):
    import copy

    _, _, res = fitted
    broken = copy.copy(res)
    broken.design = copy.copy(res.design)
    broken.design.y = res.design.y * 3  # the data the model would have to explain tripled
    _, inside = demand.posterior_predictive_check(broken, seed=1)
    assert inside < 0.3


@pytest.mark.parametrize(
    "diag, label, says",
    [
        (
            {"inference": "nuts", "ok": True, "divergences": 0, "max_r_hat": 1.01, "min_ess_bulk": 400, "draws": 1600},
            "sampler OK",
            "Sampler diagnostics are healthy",
        ),
        (
            {"inference": "nuts", "ok": False, "divergences": 4, "max_r_hat": 1.03, "min_ess_bulk": 146, "draws": 1000},
            "sampler FAILED checks",
            "WARNING: sampler diagnostics failed",
        ),
        (
            {"inference": "advi", "ok": True, "divergences": 0, "max_r_hat": float("nan"), "min_ess_bulk": 590, "draws": 600},
            "ADVI fit, no sampler checks",
            "no sampler diagnostics (no chains, so no r-hat",
        ),
        ({"inference": "map", "ok": True, "iterations": 200, "draws": 1}, "MAP fit, no sampler", "Fitted by MAP"),
    ],
)
def test_fit_health_is_said_for_the_inference_that_ran(diag, label, says):
    """ADVI used to be reported as 'healthy ... worst r-hat nan' and 'sampler OK': it has no sampler."""
    assert demand.fit_check_label(pd.DataFrame([diag])) == label
    text = demand.describe_fit(diag, 12.0)
    assert says in text and "nan" not in text


OVERRIDE_HEADER = ["who", "why", "sku", "region", "from", "to", "change_pct", "units"]


def _override_sheet(path, *rows):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Demand review"
    book.active.append(OVERRIDE_HEADER)
    for r in rows:
        book.active.append(r)
    book.save(path)
    return path


def test_overrides_from_a_spreadsheet_change_the_forecast_as_the_yaml_does(tmp_path):
    import datetime as dt

    yaml_file = tmp_path / "ov.yaml"
    yaml_file.write_text(
        "- {who: Sales, why: big deal, sku: A, region: DACH, from: 2027-02, to: 2027-03, units: 50}\n"
        "- {who: Marketing, why: campaign, sku: B, from: 2027-01, change_pct: 0.2}\n"
    )
    sheet = _override_sheet(
        tmp_path / "ov.xlsx",
        ["Sales", "big deal", "A", "DACH", dt.datetime(2027, 2, 1), "2027-03", None, 50],
        ["Marketing", "campaign", "B", None, "2027-01", None, 0.2, None],
    )
    csv = tmp_path / "ov.csv"
    csv.write_text(
        "who;why;sku;region;from;to;change_pct;units\nSales;big deal;A;DACH;2027-02;2027-03;;50\nMarketing;campaign;B;;2027-01;;0,2;\n",
        encoding="cp1252",
    )
    expected = demand.apply_overrides(_draws(), demand.load_overrides(yaml_file))
    for f in (sheet, csv):
        got = demand.apply_overrides(_draws(), demand.load_overrides(f))
        np.testing.assert_array_equal(got.values, expected.values)


@pytest.mark.parametrize(
    "row, message",
    [
        (["S", "w", "A", None, "2027-01", None, None, None], "row 2: give exactly one of 'change_pct' or 'units'"),
        ([None, "w", "A", None, "2027-01", None, None, 5], "row 2: column 'who' is required"),
        (["S", "w", "A", None, "2027-13", None, None, 5], "row 2: column 'from' must be YYYY-MM, got '2027-13'"),
        (["S", "w", "A", None, "2027-01", None, "ten", None], "row 2: column 'change_pct': the change must be a number"),
    ],
)
def test_bad_override_rows_name_file_sheet_row_and_column(tmp_path, row, message):
    f = _override_sheet(tmp_path / "ov.xlsx", row)
    with pytest.raises(demand.OverrideError) as err:
        demand.load_overrides(f)
    assert f"{f}: sheet 'Demand review', {message}" in str(err.value)


def test_the_overrides_template_sop_init_writes_has_the_keys_the_loader_accepts():
    from sop_lib.core import entries
    from sop_lib.demand import drivers

    assert list(entries.TEMPLATES["overrides"]) == list(drivers.OVERRIDE_KEYS)


def test_a_forecast_whose_draws_cannot_fit_in_memory_is_refused_before_any_fit():
    from types import SimpleNamespace

    D = SimpleNamespace(draws=300, chains=2, horizon_months=12)
    history = lambda n: pd.DataFrame({"unique_id": [f"s{i}" for i in range(n)]})  # noqa: E731
    assert demand.check_draws_memory(history(2_850), D, available_gb=24) == pytest.approx(2.9, abs=0.15)  # measured: 2.8 GB at 1k
    with pytest.raises(demand.ForecastInputError) as err:
        demand.check_draws_memory(history(28_500), D, available_gb=16)  # 10,000 SKUs x 3 regions on a 16 GB machine
    text = str(err.value)
    assert "28,500 series x 1,000 samples x 12 months" in text and "16.0 GB are free" in text
    horizon = int(text.split("demand.horizon_months to at most ")[1].split(",")[0])
    assert demand.check_draws_memory(history(28_500), SimpleNamespace(draws=300, chains=2, horizon_months=horizon), 16) <= 16
