"""Prior-cycle review: archived forecasts against the actuals now known."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sop_lib.data import monthly_sales, review

CYCLE = "2026-11"


def _fc(
    cycle: str, months: list[str], mean: float, stat: float | None = None, p10=None, p90=None, sku: str = "A", family: str = "Fam"
) -> pd.DataFrame:
    ds = pd.to_datetime(months)
    return pd.DataFrame(
        {
            "unique_id": f"{sku}|R",
            "ds": ds,
            "mean": mean,
            "p10": p10 if p10 is not None else mean * 0.8,
            "p50": mean,
            "p90": p90 if p90 is not None else mean * 1.2,
            "sku": sku,
            "region": "R",
            "family": family,
            "stat_mean": stat if stat is not None else mean,
            "stat_p50": stat if stat is not None else mean,
        }
    ).assign(cycle=cycle, origin="test")


def _actuals(values: dict[str, float], sku: str = "A", family: str = "Fam") -> pd.DataFrame:
    return pd.DataFrame(
        {"family": family, "sku": sku, "region": "R", "month": pd.to_datetime(list(values)), "units": list(values.values())}
    )


def test_wape_bias_and_coverage_on_known_numbers():
    archive = _fc("2026-08", ["2026-08-01", "2026-09-01"], mean=110.0, p10=90, p90=105)
    actual = _actuals({"2026-08-01": 100.0, "2026-09-01": 100.0})
    matched = review.match_actuals(review._tidy([archive]), actual, CYCLE)
    assert list(matched["lag"]) == [1, 2]
    fam = review.family_review(matched).set_index("family")
    assert fam.loc["Fam", "wape"] == pytest.approx(0.10)
    assert fam.loc["Fam", "bias"] == pytest.approx(0.10)  # forecast 10% too high
    assert fam.loc["Fam", "coverage_p10_p90"] == pytest.approx(1.0)
    assert fam.loc["All families", "forecasts"] == 2


def test_months_not_closed_yet_are_not_judged():
    archive = _fc("2026-10", ["2026-10-01", "2026-11-01", "2026-12-01"], mean=50.0)
    actual = _actuals({"2026-10-01": 50.0})
    matched = review.match_actuals(review._tidy([archive]), actual, CYCLE)
    assert list(matched["ds"].dt.strftime("%Y-%m")) == ["2026-10"]


def test_persistent_over_forecast_trips_the_tracking_signal():
    months = [f"2026-0{m}-01" for m in range(1, 8)]
    archive = pd.concat([_fc(m[:7], [m], mean=120.0, p10=80, p90=125) for m in months])
    actual = _actuals({m: 100.0 for m in months})
    matched = review.match_actuals(review._tidy([archive]), actual, CYCLE)
    ts = review.tracking_signal(matched)
    assert ts["tracking_signal"].iloc[-1] == pytest.approx(7.0)  # seven errors the same way
    fam = review.family_review(matched).set_index("family")
    assert fam.loc["Fam", "status"] == "red"
    text = review.findings(review.family_review(matched), review.override_review(matched), review.worst_misses(matched))
    assert text[0] == (
        "Fam: forecasts ran 20% too high, and kept going that way (tracking signal +7.0, beyond ±4): "
        "a bias to correct, not bad luck."
    )


def test_errors_that_alternate_keep_the_tracking_signal_small():
    months = [f"2026-0{m}-01" for m in range(1, 9)]
    archive = pd.concat([_fc(m[:7], [m], mean=100.0) for m in months])
    actual = _actuals({m: 100.0 + (10 if i % 2 else -10) for i, m in enumerate(months)})
    matched = review.match_actuals(review._tidy([archive]), actual, CYCLE)
    assert abs(review.tracking_signal(matched)["tracking_signal"].iloc[-1]) <= 1.0
    fam = review.family_review(matched)
    assert review.findings(fam, review.override_review(matched), review.worst_misses(matched))[:2] == [
        "Fam: no material bias (+0%); WAPE 10%.",
        "Actual sales fell inside the P10–P90 band 100% of the time (about 80% is honest): wider than needed.",
    ]
    assert fam.set_index("family").loc["Fam", "status"] == "amber"  # bands too wide to be honest


def test_forecast_value_added_of_overrides():
    # the override moved A closer (helped), B farther (hurt, by less)
    archive = pd.concat(
        [
            _fc("2026-09", ["2026-09-01"], mean=95.0, stat=80.0, sku="A"),
            _fc("2026-09", ["2026-09-01"], mean=105.0, stat=100.0, sku="B"),
        ]
    )
    actual = pd.concat([_actuals({"2026-09-01": 100.0}, sku="A"), _actuals({"2026-09-01": 100.0}, sku="B")])
    matched = review.match_actuals(review._tidy([archive]), actual, CYCLE)
    fam = review.family_review(matched).set_index("family")
    assert fam.loc["Fam", "wape_statistical"] == pytest.approx(0.10)
    assert fam.loc["Fam", "wape"] == pytest.approx(0.05)
    assert fam.loc["Fam", "fva_points"] == pytest.approx(5.0)
    ov = review.override_review(matched).set_index("family")
    assert (ov.loc["Fam", "overridden"], ov.loc["Fam", "helped"], ov.loc["Fam", "hurt"]) == (2, 1, 1)


def test_overrides_that_help_one_family_and_hurt_another_are_named_per_family():
    archive = pd.concat(
        [
            _fc("2026-09", ["2026-09-01"], mean=95.0, stat=80.0, sku="A", family="Good"),
            _fc("2026-09", ["2026-09-01"], mean=120.0, stat=100.0, sku="B", family="Bad"),
        ]
    )
    actual = pd.concat(
        [_actuals({"2026-09-01": 100.0}, sku="A", family="Good"), _actuals({"2026-09-01": 100.0}, sku="B", family="Bad")]
    )
    matched = review.match_actuals(review._tidy([archive]), actual, CYCLE)
    text = review.findings(review.family_review(matched), review.override_review(matched), review.worst_misses(matched))
    assert "By family, the overrides saved 15.0 points on Good and cost 20.0 points on Bad." in text


def test_without_statistical_forecast_fva_is_left_empty():
    archive = _fc("2026-09", ["2026-09-01"], mean=90.0).assign(stat_mean=float("nan"))
    matched = review.match_actuals(review._tidy([archive]), _actuals({"2026-09-01": 100.0}), CYCLE)
    assert pd.isna(review.family_review(matched).set_index("family").loc["Fam", "fva_points"])
    assert review.override_review(matched).empty


def _write_cycle(root: Path, name: str, mean: float, complete: bool = True) -> None:
    art = root / name / "artifacts"
    art.mkdir(parents=True)
    _fc(name[:7], ["2026-09-01"], mean=mean).drop(columns=["cycle", "origin"]).to_parquet(art / "demand_forecast.parquet")
    if complete:
        (root / name / "manifest.json").write_text("{}")


def test_reads_completed_earlier_cycles_and_prefers_them_over_the_archive_folder(tmp_path):
    reports = tmp_path / "reports"
    _write_cycle(reports, "2026-09", 101.0)
    _write_cycle(reports, "2026-08", 1.0, complete=False)  # a run that never finished
    _write_cycle(reports, "2026-10.partial", 2.0)
    _write_cycle(reports, "2026-07.replaced-20260801-101010", 3.0)
    _write_cycle(reports, "2026-12", 4.0)  # later than the cycle under review
    folder = tmp_path / "forecast_archive"
    folder.mkdir()
    _fc("2026-09", ["2026-09-01"], mean=999.0).to_parquet(folder / "demand_forecast_2026-09.parquet")
    _fc("2026-06", ["2026-09-01"], mean=90.0).to_parquet(folder / "demand_forecast_2026-06.parquet")
    archive = review.combine_archives(review.read_report_archive(reports, CYCLE), review.read_folder_archive(folder, CYCLE))
    summary = review.archive_summary(archive)
    assert list(zip(summary["cycle"], summary["origin"])) == [
        ("2026-06", "forecast_archive/demand_forecast_2026-06.parquet"),
        ("2026-09", "reports/2026-09"),
    ]
    assert archive.set_index("cycle").loc["2026-09", "mean"] == 101.0
    assert review.read_report_archive(tmp_path / "no_reports", CYCLE).empty


def test_review_of_the_demo_archive(tmp_path):
    from sop_lib.companies.demo import write_demo_company

    folder = write_demo_company(tmp_path / "demo", CYCLE)
    sales = pd.read_csv(folder / "sales_history.csv", parse_dates=["month"])
    products = pd.read_csv(folder / "products.csv", parse_dates=["discontinue_date"])
    monthly = monthly_sales(sales.assign(units=sales["units"].astype(float)), products, CYCLE)
    archive = review.read_folder_archive(folder / "forecast_archive", CYCLE)
    matched = review.match_actuals(archive, monthly, CYCLE)
    fam = review.family_review(matched).set_index("family")
    # the demo's espresso optimism shows up as a bias the tracking signal catches
    assert fam.loc["Espresso machines", "bias"] > 0.02
    assert fam.loc["Espresso machines", "tracking_signal"] > 4
    assert fam.loc["Espresso machines", "status"] == "red"
    # bands roughly honest, and the overrides both help and hurt
    assert 0.7 < fam.loc["All families", "coverage_p10_p90"] < 0.85
    ov = review.override_review(matched).set_index("family")
    # the espresso optimism costs accuracy; the grinders' overrides (promotions, the cut on decline) cost less
    assert ov.loc["Grinders", "fva_points"] > ov.loc["Espresso machines", "fva_points"]
    assert ov.loc["Espresso machines", "fva_points"] < 0
    assert 0.3 < ov.loc["All families", "share_helped"] < 0.7
    text = review.findings(review.family_review(matched), review.override_review(matched), review.worst_misses(matched))
    assert any(t.startswith("Consensus overrides changed") for t in text)
    lags = review.lag_review(matched)
    assert list(lags["months_ahead"]) == list(range(1, 13))


def test_a_companys_first_cycle_has_nothing_to_review_and_does_not_crash(tmp_path):
    """No archived forecast anywhere (a new company): every review is empty, none raises."""
    archive = review.combine_archives(
        review.read_report_archive(tmp_path / "reports", CYCLE), review.read_folder_archive(None, CYCLE)
    )
    matched = review.match_actuals(archive, _actuals({"2026-09-01": 5, "2026-10-01": 7}), CYCLE)
    assert matched.empty
    fam, over, worst = review.family_review(matched), review.override_review(matched), review.worst_misses(matched)
    assert fam.empty and over.empty and worst.empty and review.tracking_signal(matched).empty
    assert review.lag_review(matched).empty and review.archive_summary(archive).empty
    assert review.findings(fam, over, worst) == []
