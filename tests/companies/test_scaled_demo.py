"""The demo company at scale (`sop demo --skus N`): the demo's shape with N SKUs, consistent
across tables, and a params file that step 1 reads without a blocking problem."""

from __future__ import annotations

import pytest

from sop_lib import data
from sop_lib.batch import cli
from sop_lib.companies import demo
from sop_lib.companies import scaled as scaled_demo
from sop_lib.core.params import load_params

CYCLE = "2026-11"


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaled") / "co"
    assert cli.main(["demo", "--skus", "100", "--regions", "2", "--folder", str(folder)]) == 0
    return folder


def test_copy_zero_is_the_demo_and_the_copies_sell_differently():
    t = scaled_demo.scaled_tables(CYCLE, 60, 3)
    base = demo.demo_tables(CYCLE)
    products = t["products"]
    assert len(products) == 3 * 20 - 2  # two copies without the launch's successor
    assert set(base["products"]["sku"]) <= set(products["sku"])
    sales = t["sales_history"].set_index(["month", "region", "sku"])["units"]
    a = sales.xs("ESP-PRO-200", level="sku")
    b = sales.xs("ESP-PRO-200-C001", level="sku")
    assert a.sum() != b.sum() and 0.7 < b.sum() / a.sum() < 1.3  # another draw, the same product's size
    lines = t["production_lines"].set_index("line_id")["hours_per_month"]
    assert lines["L1"] == 3 * base["production_lines"].set_index("line_id").loc["L1", "hours_per_month"]
    assert (t["open_orders"]["status"] == "backordered").sum() == demo.BACKLOG_CUSTOMERS  # the story of copy 0
    assert len(t["launches"]) == 1 and t["routings"]["sku"].is_unique and t["open_orders"]["order_id"].is_unique


def test_sop_demo_skus_writes_a_company_step_1_reads_cleanly(company):
    params = load_params(company / "params.yaml")
    assert params.demand.model == "auto" and params.demand.draws == 300  # the profile recommended at this size
    assert params.data.regions == ["DACH", "Benelux", "Iberia"]
    assert not any("Nordics" in s.model_dump_json() for s in params.scenarios)
    loaded = data.load_sources(params)
    blocking = [p for p in loaded.problems if p.severity == "block"]
    assert not blocking, blocking[:3]
    sales = loaded.tables["sales_history"]
    assert sales["sku"].nunique() == 5 * 19  # the successor has no sales yet; the discontinued grinders had some
    assert set(sales["region"]) == {"DACH", "Benelux"}


def test_bad_sizes_get_one_line(tmp_path, capsys):
    assert cli.main(["demo", "--skus", "5", "--folder", str(tmp_path / "x")]) == 2
    assert "--skus must be at least 20" in capsys.readouterr().err
    assert cli.main(["demo", "--skus", "100", "--regions", "4", "--folder", str(tmp_path / "y")]) == 2
    assert "--regions must be between 1 and 3, got 4" in capsys.readouterr().err
    assert cli.main(["demo", "--skus", "100"]) == 2
    assert "needs --folder" in capsys.readouterr().err
