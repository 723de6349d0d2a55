"""The replay's report: its sentences say what the replay found, the summary table reads in
words, and the tables behind the page are written beside it."""

from __future__ import annotations

import pandas as pd

from sop_lib.plan_quality import scorecard
from sop_lib.plan_quality.replay import SUMMARY_COLUMNS, Backtest

MONTHS = pd.date_range("2026-03-01", periods=3, freq="MS")


def summary() -> pd.DataFrame:
    rows = {
        "suite": [0.97, 0.96, 120.0, 50_000.0, 30_000.0, 20.0, 20_000.0, 9_000.0, 1_000.0, 0.1, 0.95, 0.98],
        "naive": [0.90, 0.85, 900.0, 60_000.0, 45_000.0, 80.0, 24_000.0, 20_000.0, 1_000.0, 0.3, float("nan"), float("nan")],
        "perfect": [1.0, 1.0, 0.0, 20_000.0, 25_000.0, 0.0, 8_000.0, 0.0, 17_000.0, 0.0, float("nan"), float("nan")],
    }
    return pd.DataFrame([[p, *v] for p, v in rows.items()], columns=SUMMARY_COLUMNS)


def backtest() -> Backtest:
    monthly = pd.DataFrame(
        {
            "policy": ["suite"] * 3 + ["naive"] * 3,
            "month": list(MONTHS) * 2,
            "fill_rate": [0.99, 0.931, 0.97, 0.5, 0.6, 0.7],
            "inventory_eur": 1000.0,
        }
    )
    records = pd.DataFrame({"policy": "suite", "month": MONTHS[0], "sku": ["A", "B", "B"], "demand": [1.0, 2.0, 3.0]})
    return Backtest(
        replayed=MONTHS,
        records=records,
        overtime=pd.DataFrame(),
        summary=summary(),
        monthly=monthly,
        profile="ets model by MAP, 100 draws",
        seconds=42.4,
    )


def test_the_opening_says_what_was_replayed_for_whom_and_how_long_it_took():
    assert scorecard.opening("Kettle Works", backtest(), 6) == (
        "Kettle Works: 3 months replayed, Mar 2026 to May 2026, 2 products, each month re-planned 6 months ahead. "
        "The suite's forecast in the replay: ets model by MAP, 100 draws. The replay took 42 s."
    )


def test_the_service_caption_is_the_verdict_against_the_target_service_level():
    assert scorecard.service_caption(summary(), 0.95).startswith(
        "The suite's plans served 97.0% of demand in the month it arose; 96% of product-months ended with nobody "
        "waiting (target 95%: reached)."
    )
    assert "(target 98%: not reached)" in scorecard.service_caption(summary(), 0.98)


def test_the_summary_table_names_policies_and_columns_for_a_reader():
    table = scorecard.summary_table(summary())
    assert list(table["policy"]) == ["the suite", "naive", "perfect foresight"]
    assert list(table.columns) == [
        "policy",
        "fill rate",
        "cycle service level",
        "promised",
        "customer-months waiting",
        "average inventory",
        "total cost",
        "cost gap to perfect",
    ]
    assert set(scorecard.SUMMARY_FORMATS) <= set(table.columns)
    assert scorecard.SUMMARY_FORMATS["cost gap to perfect"](20.0) == "+20%"
    assert scorecard.SUMMARY_FORMATS["cost gap to perfect"](-1234.4) == "-1,234%"


def test_a_gap_to_a_perfect_foresight_that_cost_nothing_is_left_out_not_shown_empty():
    free = summary().assign(cost_gap_to_perfect_pct=float("nan"))  # perfect foresight cost €0: no gap in per cent
    assert "cost gap to perfect" not in scorecard.summary_table(free).columns
    assert "promised" in scorecard.summary_table(free).columns


def test_policies_that_land_close_together_get_labels_that_do_not_overlap():
    from sop_lib.core import reporting as rp

    four = pd.DataFrame(
        {
            "policy": ["suite", "naive", "limit", "perfect"],
            "fill_rate": [0.992, 0.987, 0.992, 1.0],
            "avg_inventory_eur": [88_500.0, 103_000.0, 72_600.0, 0.0],
            "total_cost_eur": [21_000.0, 24_400.0, 17_200.0, 0.0],
        }
    )
    fig, ax = rp.policy_service_chart(four, scorecard.LABELS)
    assert "four ways" in fig.get_suptitle()
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_the_monthly_caption_names_the_suites_weakest_month():
    assert scorecard.monthly_caption(backtest().monthly).endswith("The suite's weakest month was Apr 2026 (93.1% served).")


def test_the_tables_behind_the_page_are_written_where_the_note_says(tmp_path):
    bt = backtest()
    paths = scorecard.write_tables(bt, tmp_path / "out")
    assert [p.name for p in paths] == ["backtest_summary.csv", "backtest_months.csv", "backtest_records.parquet"]
    assert all(p.name in scorecard.FILES_NOTE for p in paths)
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]), bt.summary)
    pd.testing.assert_frame_equal(pd.read_csv(paths[1], parse_dates=["month"]), bt.monthly)
    pd.testing.assert_frame_equal(pd.read_parquet(paths[2]), bt.records)


def test_the_opening_ends_with_the_stand_ins_of_a_thin_product_master():
    from dataclasses import replace

    bt = replace(backtest(), valuation="The product master has no list price for any of the 2 SKUs: ...")
    assert scorecard.opening("Kettle Works", bt, 6).endswith(
        "took 42 s. The product master has no list price for any of the 2 SKUs: ..."
    )
