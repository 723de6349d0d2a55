"""The demo company: deterministic files, exports dated the evening before the cycle, and a
forecast archive realistic enough that the prior-cycle review has something to find."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sop_lib.companies import demo

CYCLE = "2026-11"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return demo.write_demo_company(tmp_path_factory.mktemp("demo") / "demo", CYCLE)


def test_same_cycle_and_seed_give_identical_files(folder, tmp_path):
    again = demo.write_demo_company(tmp_path / "again", CYCLE)
    for name in ("sales_history.csv", "products.csv", "crm_pipeline.csv"):
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name
    a = pd.read_parquet(folder / "forecast_archive" / "demand_forecast_2026-10.parquet")
    b = pd.read_parquet(again / "forecast_archive" / "demand_forecast_2026-10.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_exports_are_dated_the_evening_before_the_cycle(folder):
    for name in ("sales_history.csv", "erp.sqlite", "planning_inputs.xlsx"):
        modified = pd.Timestamp((folder / name).stat().st_mtime, unit="s")
        assert modified == pd.Timestamp("2026-10-31 18:00"), name


def test_marker_names_cycle_seed_and_generator_version(folder):
    assert (folder / "DEMO_CYCLE").read_text().split() == [CYCLE, "20261", str(demo.GENERATOR_VERSION)]
    assert demo.GENERATOR_VERSION >= 4


def test_product_master_has_a_pack_size_per_sku(folder):
    products = pd.read_csv(folder / "products.csv")
    assert products["units_per_case"].gt(0).all()
    assert set(products["uom"]) == {"unit"}


def test_forecast_archive_has_twelve_earlier_cycles(folder):
    files = sorted(p.name for p in (folder / "forecast_archive").glob("*.parquet"))
    assert files[0] == "demand_forecast_2025-11.parquet" and files[-1] == "demand_forecast_2026-10.parquet"
    assert len(files) == demo.ARCHIVE_CYCLES == 12
    fc = pd.read_parquet(folder / "forecast_archive" / "demand_forecast_2026-03.parquet")
    assert {"unique_id", "ds", "mean", "p10", "p50", "p90", "sku", "region", "family", "stat_mean", "stat_p50"} <= set(fc.columns)
    assert fc["ds"].min() == pd.Timestamp("2026-03-01") and fc["ds"].nunique() == 12
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()
    assert (fc["unique_id"] == fc["sku"] + "|" + fc["region"]).all()
    # the discontinued grinder (discontinued 2026-01) is no longer forecast by later cycles
    assert demo.DISCONTINUED not in set(fc["sku"])


def test_consensus_overrides_differ_from_the_statistical_forecast(folder):
    fc = pd.read_parquet(folder / "forecast_archive" / "demand_forecast_2025-11.parquet")
    ratio = fc["mean"] / fc["stat_mean"]
    # Black Friday: the sales team lifts the promoted best-seller above the model
    bf = fc[(fc["sku"] == demo.BEST_SELLER) & (fc["ds"] == "2025-11-01")]
    assert (bf["mean"] / bf["stat_mean"]).min() > 1.3
    # the declining blade grinder is cut
    assert ratio[fc["sku"] == "GRN-BLADE-1"].max() < 1.0
    # most grinders are left as the model said
    grinders = ratio[(fc["family"] == "Grinders") & ~fc["sku"].isin(["GRN-BLADE-1", "GRN-FLAT-40", "GRN-CONICAL-30"])]
    assert np.isclose(grinders, 1.0).mean() > 0.7


def test_the_next_cycle_exports_the_same_months_plus_the_one_that_closed():
    now, later = demo.make_sales_history("2026-11"), demo.make_sales_history("2026-12")
    key = ["month", "sku", "region"]
    both = now.merge(later, on=key, suffixes=("_now", "_later"))
    assert len(both) == len(now[now["month"] >= "2022-12-01"])  # every overlapping month is there
    assert (both["units_now"] == both["units_later"]).all()
    assert (both["net_revenue_eur_now"] == both["net_revenue_eur_later"]).all()
    assert later["month"].max() == pd.Timestamp("2026-11-01")
    truth = demo.true_demand()
    november = truth[truth["month"] == "2026-11-01"]
    assert later[later["month"] == "2026-11-01"]["units"].sum() == november["units"].sum()


def test_a_cycle_outside_the_demo_calendar_is_refused_with_the_span():
    with pytest.raises(ValueError, match="calendar runs from 2016-01 to 2036-12"):
        demo.make_sales_history("2019-06")


def test_the_sales_scatter_around_the_expected_demand_the_calendar_holds():
    truth = demo.true_demand()
    year = truth[truth["month"].between("2025-11-01", "2026-10-01")]
    assert year["units"].sum() / year["mean_units"].sum() == pytest.approx(1.0, abs=0.03)
    # negative-binomial noise (k = 8): single months miss their mean by about a third
    one = year[year["mean_units"] > 100]
    assert 0.2 < ((one["units"] - one["mean_units"]).abs() / one["mean_units"]).mean() < 0.45
