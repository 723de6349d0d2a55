"""A thin product master: the demo company with no list price and no unit cost in its product
export runs all five steps, and every report says what it could not compute instead of
showing NaN or €0 as if it were a figure."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sop_lib.batch import cli
from sop_lib.companies.demo import write_demo_company
from sop_lib.core.handover import read_table
from sop_lib.core.params import load_params

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "params" / "default.yaml"
STEPS = ("01_data_preparation", "02_demand_planning", "03_supply_planning", "04_pre_sop_reconciliation", "05_executive_review")


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Path:
    """The demo company's exports without the products' price and cost columns, through `sop run` (fast profile)."""
    work = tmp_path_factory.mktemp("thin_master")
    demo = load_params(DEFAULT, check_files=False)
    data = write_demo_company(work / "data", demo.cycle, demo.data.demo_seed)
    products = pd.read_csv(data / "products.csv")
    products.drop(columns=["list_price_eur", "unit_cost_eur"]).to_csv(data / "products.csv", index=False)
    params = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    params["data"].update(folder=str(data), demo=False)
    params["demand"].update(
        model="ets", method="map", draws=50, tune=50, overrides=str(ROOT / "params" / "overrides" / "2026-11.yaml")
    )
    pfile = work / "thin.yaml"
    pfile.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    assert cli.main(["run", "--params", str(pfile), "--reports", str(work / "reports"), "--quiet"]) == 0
    return work / "reports" / demo.cycle


def text(page: Path) -> str:
    """What a reader sees: the page's words, without markup and embedded images."""
    html = re.sub(r"<(script|style).*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    html = re.sub(r'src="data:[^"]*"', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&amp;", "&")


def test_the_products_after_step_1_carry_both_value_columns_empty(cycle):
    products = read_table(cycle, "products")
    assert products[["list_price_eur", "unit_cost_eur"]].isna().all().all()


def test_every_step_says_what_it_could_not_compute(cycle):
    pages = {stem: text(cycle / f"{stem}.html") for stem in STEPS}
    expected = {
        "02_demand_planning": ["Revenue per series is not computed: the product master has no list price for any of the"],
        "03_supply_planning": [
            "so the plan values every unit alike, at €",  # the LP still plans, every unit valued alike
            "The inventory policy's costs are not computed: the product master has no list price or unit cost",
            "Revenue at risk figures are not computed",
        ],
        "04_pre_sop_reconciliation": [
            "Revenue, gross margin and the euros of the demand–supply gap are not computed",
            "The scenarios' revenue, margin, profit and stock value are not computed",
            "The scenarios' effect on operating profit is not valued",
            "the policies' operating profit is not valued",
            "The change in revenue and gross margin is not valued",
        ],
        "05_executive_review": [
            "The plan's revenue is not computed: the product master has no list price",
            "the revenue that depends on it is not known (no list prices)",
            "Risks in euros are not computed",
        ],
    }
    for stem, sentences in expected.items():
        for sentence in sentences:
            assert sentence in pages[stem], f"{stem}: {sentence!r} missing"


def test_no_report_shows_nan_or_a_zero_revenue_as_a_figure(cycle):
    pages = [cycle.parent / "index.html", cycle / "index.html", *(cycle / f"{s}.html" for s in STEPS)]
    for page in [*pages, *sorted((cycle / "views").glob("*.html"))]:
        words = text(page)
        assert "Traceback" not in words, page.name
        assert not re.search(r"\bnan\b", words, re.I), f"{page.name}: {words[max(0, words.lower().find('nan') - 120) :][:240]}"
        for phrase in ("€0 of the horizon's revenue", "ships €0", "Revenue plan €0", "revenue by +€0", "revenue changes by +€0"):
            assert phrase not in words, f"{page.name}: {phrase!r}"
    cards = read_table(cycle, "headline").set_index("label")["value"]
    assert cards["Revenue plan, next 12 months"] == "not known" and cards["Gross margin"] == "not known"
    assert cards["Revenue on at-risk suppliers"] == "not known"
    kpis = read_table(cycle, "kpis").set_index("metric")["value"]
    assert kpis[["revenue_eur", "gross_margin_pct", "revenue_at_risk_eur"]].isna().all()  # not known, not 0
    assert kpis["backlog_customers"] == 4000  # what needs no price is still there
