"""Step 1's report: what its sentences, cards and charts say for the data they are given."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from sop_lib.data import report, robust_outliers


def quality(statuses: list[str]) -> pd.DataFrame:
    n = len(statuses)
    return pd.DataFrame(
        {
            "status": statuses,
            "source": [f"src{i}" for i in range(n)],
            "findings": "none",
            "rows": 10,
            "latest_date": pd.Timestamp("2030-01-31"),
            "age_days": 1,
            "max_age_days": 30,
            "horizon": "",
            "location": "x.csv",
            "fresh_by": "file modified",
            "blocking": 0,
            "warnings": 0,
        }
    )


def test_the_traffic_light_lists_red_first_then_amber_keeping_the_source_order():
    q = report.sorted_quality(quality(["green", "amber", "red", "green", "amber"]))
    assert list(q["status"]) == ["red", "amber", "amber", "green", "green"]
    assert list(q["source"]) == ["src2", "src1", "src4", "src0", "src3"]


def test_the_sources_sentence_counts_each_colour_for_the_cycle():
    text = report.sources_sentence(quality(["green", "amber", "green"]), "2030-02")
    assert text == "2 of 3 sources are green, 1 amber and 0 red for cycle 2030-02."


def test_the_quality_table_speaks_the_readers_words():
    view = report.quality_view(quality(["green"]))
    assert {"data as of", "age (days)", "limit (days)"} <= set(view.columns)
    assert "location" not in view.columns and "location" in report.quality_detail(quality(["green"])).columns


def problems(severities: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": "sales",
            "location": "sales.csv",
            "column": "units",
            "rows": "3",
            "values": "-1",
            "expected": ">= 0",
            "severity": severities,
            "check": "range",
        }
    )


def test_findings_blocking_first_and_counted():
    p = report.sorted_findings(problems(["warn", "block", "warn"]))
    assert list(p["severity"]) == ["block", "warn", "warn"]
    assert report.findings_sentence(p) == "1 blocking and 2 warning findings, blocking first."
    assert "found" in report.findings_view(p).columns
    assert report.findings_detail(p) == "All 3 findings"


def test_no_findings_says_every_source_matches_its_contract():
    assert report.findings_sentence(problems([]).iloc[:0]) == "No findings: every source matches its contract."


def monthly(months: int = 36, families=("Kettles", "Toasters"), regions=("North", "South")) -> pd.DataFrame:
    idx = pd.date_range("2027-01-01", periods=months, freq="MS")
    rows = []
    for f in families:
        for r in regions:
            for m in idx:
                rows.append({"month": m, "family": f, "sku": f"{f[:3]}-1", "region": r, "units": 100.0 + 50 * (m.month == 3)})
    return pd.DataFrame(rows)


def test_the_family_chart_names_the_span_the_peak_and_the_counts_from_the_data():
    fig, caption = report.family_sales_chart(monthly())
    assert caption.startswith("Monthly units sold, Jan 2027 to Dec 2029, all regions. ")
    assert "March" in caption and "(highest month: Mar 2027)" in caption
    assert caption.endswith("2 SKUs in 2 regions.")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Kettles", "Toasters"]


def test_the_family_chart_says_one_region_in_the_singular():
    _, caption = report.family_sales_chart(monthly(regions=("North",)))
    assert caption.endswith("in 1 region.")


def test_the_completeness_sentence_counts_gaps_zeros_and_outliers():
    gaps = pd.DataFrame({"sku": ["a", "b", "c"], "region": "R", "missing_months": [2, 0, 1]})
    zeros = pd.DataFrame({"sku": ["a"]})
    outliers = pd.DataFrame({"sku": ["b", "c"]})
    text = report.completeness_sentence(gaps, zeros, outliers)
    assert text.startswith("Completeness: 2 of 3 series have months missing from the export (3 months, counted as zero).")
    assert "1 zero month(s)" in text and "2 month(s) look implausible" in text
    assert f"robust z-score above {report.OUTLIER_Z:g} " in text
    assert list(report.missing_months(gaps)["sku"]) == ["a", "c"]


def test_the_outlier_threshold_in_the_sentence_is_the_one_the_check_uses():
    assert report.OUTLIER_Z == inspect.signature(robust_outliers).parameters["threshold"].default == 5.0


def test_the_archive_sentence_tells_the_suites_own_cycles_from_the_folders():
    sources = pd.DataFrame({"cycle": ["2029-10", "2029-11", "2029-12"], "origin": ["reports/2029-10", "archive", "archive"]})
    matched = pd.DataFrame({"x": range(1234)})
    text = report.archive_sentence(sources, matched, "old_forecasts")
    assert text == (
        "3 earlier cycle(s) compared: 1 archived by this suite in the reports folder, 2 from the archive folder "
        "(old_forecasts); 1,234 SKU-region-month forecasts now have actuals."
    )
    assert "(none declared)" in report.archive_sentence(sources.iloc[:0], matched.iloc[:0], None)


@pytest.mark.parametrize("bias, tone", [(0.05, "good"), (-0.05, "good"), (0.051, "warn"), (-0.2, "warn")])
def test_bias_within_five_percent_is_good(bias, tone):
    assert report.bias_tone(bias) == tone


@pytest.mark.parametrize("cov, tone", [(0.7, "good"), (0.8, "good"), (0.9, "good"), (0.69, "warn"), (0.91, "warn")])
def test_coverage_between_seventy_and_ninety_percent_is_good(cov, tone):
    assert report.coverage_tone(cov) == tone


def test_overrides_that_saved_points_are_good_those_that_cost_are_bad_and_none_is_neutral():
    assert report.fva_tone(0.5) == "good"
    assert report.fva_tone(0.0) == "bad" and report.fva_tone(-1.0) == "bad"
    assert report.fva_tone(np.nan) == ""


def fam_review(bias=0.031, coverage=0.81, fva=-0.8) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": ["Kettles", report.ALL_FAMILIES],
            "forecasts": [10, 20],
            "actual_units": [100.0, 200.0],
            "wape": [0.3, 0.29],
            "bias": [0.0, bias],
            "tracking_signal": [1.0, 2.0],
            "coverage_p10_p90": [0.8, coverage],
            "wape_statistical": [0.3, 0.28],
            "fva_points": [0.0, fva],
            "status": ["green", "green"],
        }
    )


def test_the_review_cards_read_the_all_families_row():
    cards = {c["label"]: c for c in report.review_cards(fam_review())}
    assert cards["forecast error (WAPE)"]["value"] == "29%" and "tone" not in cards["forecast error (WAPE)"]
    assert (cards["bias"]["value"], cards["bias"]["tone"]) == ("+3.1%", "good")
    assert (cards["inside P10–P90"]["value"], cards["inside P10–P90"]["tone"]) == ("81%", "good")
    assert (cards["consensus value added"]["value"], cards["consensus value added"]["tone"]) == ("-0.8 pts", "bad")


def test_the_review_cards_flip_tone_at_the_thresholds():
    cards = {c["label"]: c for c in report.review_cards(fam_review(bias=-0.08, coverage=0.6, fva=1.2))}
    assert cards["bias"]["tone"] == "warn" and cards["inside P10–P90"]["tone"] == "warn"
    assert (cards["consensus value added"]["value"], cards["consensus value added"]["tone"]) == ("+1.2 pts", "good")
    no_stat = {c["label"]: c for c in report.review_cards(fam_review(fva=np.nan))}
    assert no_stat["consensus value added"]["value"] == "n/a" and no_stat["consensus value added"]["tone"] == ""


def test_the_family_review_table_has_a_format_for_each_renamed_column():
    view = report.family_review_view(fam_review())
    assert set(report.FAMILY_REVIEW_FORMATS) <= set(view.columns)


def tracking(families=("Kettles", "Toasters")) -> pd.DataFrame:
    ds = pd.date_range("2029-01-01", periods=4, freq="MS")
    return pd.concat(
        pd.DataFrame(
            {
                "family": f,
                "ds": ds,
                "actual": 100.0,
                "forecast": 110.0,
                "p10": 90.0,
                "p90": 130.0,
                "tracking_signal": [1.0, 2.0, 3.0, 4.5 + i],
            }
        )
        for i, f in enumerate(families)
    )


def test_the_tracking_chart_has_a_panel_per_family_with_its_latest_signal():
    fig, caption = report.tracking_chart(tracking())
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["Kettles (tracking signal +4.5)", "Toasters (tracking signal +5.5)"]
    assert caption.startswith("Family totals, Jan 2029 to Apr 2029: ")


def test_the_tracking_chart_works_for_a_single_family():
    fig, _ = report.tracking_chart(tracking(families=("Kettles",)))
    assert len(fig.axes) == 1 and fig.axes[0].get_legend() is not None


def test_the_handover_sentence_counts_the_tables():
    assert report.handover_sentence(20) == "Handed over 20 tables to the later steps."


def _accounts(**sales) -> pd.DataFrame:
    line = {
        "source": "sales_history",
        "files": 3,
        "rows read": 499,
        "rows refused": 0,
        "refused because": "",
        "rows handed on": 223,
        "summed over": "order, customer",
        "units read": 7135.0,
        "units returned": 40.0,
        "units refused": 0.0,
        "units below zero set to 0": 0.0,
        "units handed on": 7135.0,
        "unit": "unit",
    }
    return pd.DataFrame([{**line, **sales}])


def test_the_reconciliation_says_where_the_units_went_and_that_they_add_up():
    monthly = pd.DataFrame({"units": [7000.0, 135.0]})
    text = report.reconciliation_sentence(report.with_monthly_units(_accounts(), monthly))
    assert text == (
        "The sales history: 499 rows from 3 file(s), summed to 223 monthly rows (over order, customer). "
        "The monthly table holds 7,135 units, the export's 7,135 net of 40 returned: every unit is accounted for."
    )


def test_units_lost_on_the_way_are_a_figure_not_a_silence():
    monthly = pd.DataFrame({"units": [7000.0]})
    text = report.reconciliation_sentence(
        report.with_monthly_units(
            _accounts(**{"rows refused": 2, "refused because": "unknown to its master table (warned)", "units refused": 35.0}),
            monthly,
        )
    )
    assert "2 refused (unknown to its master table (warned), 35 units)" in text
    assert "holds 7,000 units where 7,100 were expected: -100 units unaccounted for" in text


def test_the_reconciliation_table_leaves_out_columns_with_nothing_to_say():
    view = report.reconciliation_view(report.with_monthly_units(_accounts(), pd.DataFrame({"units": [7135.0]})))
    assert "rows refused" not in view and "units below zero set to 0" not in view and "units returned" in view
