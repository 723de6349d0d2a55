"""`sop init` and `sop sources`: a folder of exports becomes a params file whose guesses are
right for a company the suite was not written around, and the contracts' documentation is
the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from sop_lib import data
from sop_lib.batch import cli
from sop_lib.companies.demo import write_demo_company
from sop_lib.companies.wholesaler import write_wholesaler
from sop_lib.core.contracts import CONTRACTS, describe
from sop_lib.core.params import load_params
from sop_lib.data import onboarding

ROOT = Path(__file__).resolve().parents[2]
CYCLE = "2026-11"


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    return write_wholesaler(tmp_path_factory.mktemp("wholesaler") / "exports", CYCLE)


@pytest.fixture(scope="module")
def proposed(exports, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("proposal") / "params.yaml"
    onboarding.init(exports, out)
    return out


def test_german_exports_are_read_as_they_are(proposed):
    p = load_params(proposed)
    sales = p.sources["sales_history"]
    assert (sales.encoding, sales.delimiter, sales.decimal, sales.date_format) == ("cp1252", ";", ",", "%d.%m.%Y")
    assert sales.columns == {"Monat": "month", "Artikelnummer": "sku", "Menge": "units", "Umsatz": "net_revenue_eur"}
    assert sales.constants == {"region": onboarding.ONE_REGION} and p.data.regions == [onboarding.ONE_REGION]
    assert p.sources["products"].values == {"status": {"aktiv": "active", "ausgelaufen": "discontinued"}}
    assert p.sources["open_orders"].values == {"status": {"Rückstand": "backordered", "offen": "open"}}
    assert p.sources["open_orders"].kind == "sql" and p.sources["open_orders"].table == "Auftraege"
    assert p.sources["suppliers"].values["financial_risk"] == {"hoch": "high", "mittel": "medium", "niedrig": "low"}
    assert p.sources["suppliers"].scale == {"on_time_rate": 0.01}
    assert p.sources["pipeline"].scale == {"probability": 0.01}
    assert p.sources["targets"].sheet == "Umsatzziele" and p.sources["targets"].scale == {"gross_margin_target_pct": 0.01}
    assert p.sources["headcount"].values == {"role": {"Kundenservice": "service_agent", "Vertrieb": "sales_rep"}}
    assert p.data.region_aliases == {"gesamt": "all"}  # HR's company-wide rows
    assert "production_lines" not in p.sources and "launches" not in p.sources
    assert (p.demand.model, p.demand.time_budget_s, p.cycle) == ("auto", 300, CYCLE)


def test_the_proposal_comes_with_the_spreadsheets_a_planner_fills_in(exports, proposed):
    """An empty overrides sheet the params file points at (so the proposal runs with no overrides),
    and a decisions template that is not read as any cycle's decisions."""
    from sop_lib import demand
    from sop_lib.executive import records

    p = load_params(proposed)
    overrides = p.base_dir / p.demand.overrides
    assert overrides == proposed.parent / "overrides" / f"{CYCLE}.xlsx" and demand.load_overrides(overrides).empty
    assert (proposed.parent / "decisions" / "TEMPLATE.xlsx").is_file()
    assert records.earlier_cycles(proposed.parent, "2099-01") == []
    before = overrides.stat().st_mtime_ns
    onboarding.init(exports, proposed, force=True)
    assert overrides.stat().st_mtime_ns == before, "a planner's filled-in sheet is never replaced"


def test_every_guess_carries_a_comment(proposed):
    lines = proposed.read_text(encoding="utf-8").splitlines()
    guesses = [
        ln
        for ln in lines
        if re.match(
            r"\s+(encoding|delimiter|decimal|date_format|columns|values|scale|"
            r"constants|regions|region_aliases):",
            ln,
        )
    ]
    assert guesses and all("# guess:" in ln for ln in guesses)


def test_the_proposal_loads_without_a_blocking_problem(proposed):
    loaded = data.load_sources(load_params(proposed))
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    products = loaded.tables["products"]
    assert "Gießkanne 10 l" in set(products["name"])  # cp1252 decoded
    assert loaded.tables["pipeline"]["probability"].between(0, 1).all()
    assert loaded.tables["open_orders"]["status"].isin(["open", "backordered"]).all()


def test_what_cannot_be_mapped_is_listed_not_guessed(exports, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for f in exports.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    pd.DataFrame({"Kennzahl": ["a"], "Wert": [1]}).to_csv(folder / "notizen.csv", index=False)
    master = pd.read_csv(folder / "Artikelstamm.csv", sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    master.loc[0, "Status"] = "Sonderposten"
    master.to_csv(folder / "Artikelstamm.csv", sep=";", encoding="cp1252", index=False)
    out, unmapped = onboarding.init(folder)
    text = out.read_text(encoding="utf-8")
    assert any("notizen.csv" in u and "matches no source" in u for u in unmapped)
    assert any("products.status: value 'Sonderposten'" in u for u in unmapped)
    assert "# Could not map:" in text and "Sonderposten" in text
    with pytest.raises(ValueError, match="exists; choose another --out or pass --force"):
        onboarding.init(folder)


def test_a_folder_without_sales_says_what_it_looked_for(tmp_path):
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "other.csv", index=False)
    with pytest.raises(ValueError, match=r"no table looks like sales_history or products .*found: other.csv"):
        onboarding.init(tmp_path)


def test_the_demo_exports_map_to_every_source(tmp_path):
    folder = write_demo_company(tmp_path / "demo", CYCLE)
    out, unmapped = onboarding.init(folder)
    p = load_params(out)
    assert set(p.sources) == set(CONTRACTS)
    assert not [p for p in data.load_sources(p).problems if p.severity == "block"]


def test_sop_init_command_prints_what_step_1_will_find(exports, tmp_path, capsys):
    assert cli.main(["init", str(exports), "--out", str(tmp_path / "p.yaml")]) == 0
    out = capsys.readouterr().out
    assert "0 blocking problem(s)" in out and f"sop run --params {tmp_path / 'p.yaml'}" in out
    assert cli.main(["init", str(exports), "--out", str(tmp_path / "p.yaml")]) == 2  # no overwrite
    assert "pass --force" in capsys.readouterr().err


def test_sop_sources_prints_every_contract_and_the_docs_hold_the_same(capsys):
    assert cli.main(["sources"]) == 0
    printed = capsys.readouterr().out
    assert printed == describe()
    for name, schema in CONTRACTS.items():
        assert f"#### `{name}`" in printed and all(f"| `{c}` |" in printed for c in schema.columns)
    assert "one of: active, planned, discontinued" in printed and "optional; without it:" in printed
    page = (ROOT / "docs" / "data-contracts.md").read_text(encoding="utf-8")
    section = page.split("## Sources\n\n", 1)[1].split("\n## Checks\n", 1)[0]
    assert section == printed, "docs/data-contracts.md differs from `sop sources`: run `python docs/generate.py`"


def _write(folder: Path, name: str, rows: list[list[str]], sep: str = ",") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")


MASTER = [
    ["Item", "Name", "Family", "Status", "Price", "Cost"],
    ["AB-1", "One", "F", "active", "10", "4"],
    ["AB-2", "Two", "F", "active", "12", "5"],
]


def test_codes_that_match_the_master_only_in_upper_case_are_normalised_and_the_rest_listed(tmp_path):
    _write(tmp_path, "products.csv", MASTER)
    _write(
        tmp_path,
        "sales.csv",
        [["Item", "Month", "Qty"], [" ab-1", "2026-09", "3"], ["AB-2 ", "2026-09", "4"], ["xy-9", "2026-10", "1"]],
    )
    out, unmapped = onboarding.init(tmp_path)
    assert load_params(out).data.codes.upper and not load_params(out).data.codes.strip_zeros
    assert any("1 code(s) not in the product master, e.g. XY-9" in u for u in unmapped)
    verdict = onboarding.try_proposal(out)
    assert not verdict.runs and any("data.codes" in k for k in verdict.keys)  # XY-9 is unknown: the key to set is named


def test_a_channel_column_becomes_the_region_of_a_company_without_one(tmp_path):
    _write(tmp_path, "products.csv", MASTER)
    rows = [["Item", "Month", "Channel", "Qty"]] + [
        [s, m, c, "2"] for s in ("AB-1", "AB-2") for m in ("2026-08", "2026-09") for c in ("Web", "Shop")
    ]
    _write(tmp_path, "sales.csv", rows)
    out, _ = onboarding.init(tmp_path)
    p = load_params(out)
    assert p.sources["sales_history"].columns["Channel"] == "region" and p.data.regions == ["Shop", "Web"]
    assert "'Channel' (2 values) becomes the planning region" in out.read_text()
    assert onboarding.try_proposal(out).runs


def test_a_master_without_status_or_family_is_proposed_with_both_said(tmp_path):
    _write(tmp_path, "products.csv", [["Item", "Name"], ["AB-1", "One"], ["AB-2", "Two"]])
    _write(tmp_path, "sales.csv", [["Item", "Month", "Qty"], ["AB-1", "2026-09", "3"], ["AB-2", "2026-09", "4"]])
    out, unmapped = onboarding.init(tmp_path)
    spec = load_params(out).sources["products"]
    assert spec.constants == {"status": "active", "family": onboarding.ONE_FAMILY}
    text = out.read_text()
    assert "every product is taken as active" in text and "one family for all" in text
    assert any("no column for list_price_eur or unit_cost_eur" in u for u in unmapped)
    assert onboarding.try_proposal(out).runs


def test_a_proposal_that_cannot_run_names_the_keys_to_set_and_no_next_step(tmp_path, capsys):
    master = [r[:] for r in MASTER]
    master[1][3] = "status 7"  # a status the vocabulary does not know
    _write(tmp_path, "products.csv", master)
    _write(tmp_path, "sales.csv", [["Item", "Month", "Qty"], ["AB-1", "2026-09", "3"], ["AB-2", "2026-09", "4"]])
    assert cli.main(["init", str(tmp_path)]) == 1  # written, but not ready to run
    out = capsys.readouterr().out
    assert "1 blocking problem(s)" in out and "sources.products.values.status" in out
    assert "Next: sop run" not in out


@pytest.mark.parametrize(
    ("cells", "delimiter", "read"),
    [
        (["2,256", "1,030", "17"], ",", {"thousands": ","}),  # a quoted English CSV: never 2.256 units
        (["12,250", "7,000"], ";", {"decimal": ","}),  # SAP's kilograms with three decimals: ';' is a decimal-comma locale's
        (["1,234,567", "7,000"], ";", {"thousands": ","}),  # but two groups can only be thousands
        (["1.234,5", "12,5"], ";", {"decimal": ","}),
        (["1.234", "17"], ";", {"decimal": ","}),  # '.' between thousands, German
        (["1,234.50", "12.25"], ",", {"thousands": ","}),
        (["2\u00a0256", "17"], ";", {"thousands": " "}),
        (["2'256", "(17)"], ",", {"thousands": "'"}),
        (["17", "12.5"], ",", {}),
    ],
)
def test_how_numbers_are_written_is_read_from_the_cells(cells, delimiter, read):
    t = onboarding.Table("csv", "sales.csv", pd.DataFrame({"Qty": cells}), read={"delimiter": delimiter})
    onboarding._numbers_read(t)
    assert {k: v for k, v in t.read.items() if k != "delimiter"} == read


def test_a_date_written_two_ways_takes_the_reading_that_spreads_over_most_months():
    us = pd.Series(["01/01/2024", "02/01/2024", "03/01/2024", "04/01/2024"])  # the first of each month, US order
    assert onboarding.date_format(us) == "%m/%d/%Y"
    assert onboarding.date_format(pd.Series(["15/01/2024", "03/02/2024"])) == "%d/%m/%Y"
    assert onboarding.date_format(pd.Series(["45292", "45323"])) == "excel"
    assert onboarding.date_format(pd.Series(["001.2024", "012.2024"])) == "0%m.%Y"


def test_blank_lines_and_a_note_below_the_table_are_left_out_and_counted(tmp_path):
    _write(tmp_path, "products.csv", MASTER)
    rows = [["Item", "Month", "Qty"], ["AB-1", "2026-08", "3"], ["AB-2", "", "4"], ["AB-1", "2026-09", "5"]]
    _write(tmp_path, "sales.csv", rows + [["", "", ""], ["", "", ""], ["Generated by the ERP on 03.10.2026", "", ""]])
    out, _ = onboarding.init(tmp_path)
    loaded = data.load_sources(load_params(out))
    # the empty month in the middle is a finding; the three lines at the foot are not
    assert [p.rows for p in loaded.problems if p.check == "empty_value"] == ["line 3"]
    sales = loaded.reconciliation.set_index("source").loc["sales_history"]
    assert "3 blank or a note below the table" in sales["refused because"]


def test_an_export_taken_mid_month_plans_that_month_and_counts_its_rows_as_not_closed(tmp_path):
    _write(tmp_path, "products.csv", MASTER)
    days = pd.date_range("2025-01-01", "2026-10-12", freq="D")  # taken on 12 October: October is not closed
    rows = [["Item", "Date", "Qty"]] + [[f"AB-{1 + i % 2}", f"{d:%Y-%m-%d}", "2"] for i, d in enumerate(days)]
    _write(tmp_path, "sales.csv", rows)
    out, _ = onboarding.init(tmp_path)
    params = load_params(out)
    assert params.cycle == "2026-10" and "inside its month" in out.read_text()
    loaded = data.load_sources(params)
    assert not [p for p in loaded.problems if p.severity == "block"]
    sales = loaded.reconciliation.set_index("source").loc["sales_history"]
    assert "12 in 2026-10 or later, not closed yet" in sales["refused because"]
    assert sales["units refused"] == 24 and sales["units handed on"] == 2 * (len(days) - 12)


def test_a_month_header_in_another_format_is_refused_by_name_not_dropped(tmp_path):
    _write(tmp_path, "products.csv", MASTER)
    _write(tmp_path, "sales.csv", [["Item", "Jan 2026", "Feb 2026", "Mar 2026", "Apr-26"], ["AB-1", "3", "4", "5", "6"]])
    out, _ = onboarding.init(tmp_path)
    verdict = onboarding.try_proposal(out)
    assert not verdict.runs
    (problem,) = verdict.blocking
    assert "'Apr-26' look like months but do not read with '%b %Y'" in str(problem) and "would be lost" in str(problem)


def test_monthly_rows_repeated_in_two_files_are_refused_not_summed(tmp_path):
    """Two exports whose months overlap: summing them would count the overlap twice."""
    _write(tmp_path, "products.csv", MASTER)
    rows = [["Item", "Month", "Qty"]] + [[f"AB-{i}", f"2026-{m:02d}", "5"] for i in (1, 2) for m in range(1, 10)]
    _write(tmp_path, "sales_2026_1.csv", rows[:1] + rows[1:13])
    _write(tmp_path, "sales_2026_2.csv", rows[:1] + rows[7:])
    out, _ = onboarding.init(tmp_path)
    spec = load_params(out).sources["sales_history"]
    assert spec.path == "sales_*_*.csv" and not spec.sum_to_month
    verdict = onboarding.try_proposal(out)
    assert [p.check for p in verdict.blocking] == ["duplicate_key"]


def test_one_file_per_region_reads_every_file_with_its_region(tmp_path):
    _write(tmp_path, "products.csv", MASTER)
    for region, qty in (("north", "3"), ("south", "4")):
        _write(tmp_path, f"sales_{region}.csv", [["Item Code", "Posting Date", "Quantity sold"], ["AB-1", "2026-09-14", qty]])
    out, _ = onboarding.init(tmp_path)
    params = load_params(out)
    assert params.sources["sales_history"].from_file_name == "region"
    sales = data.load_sources(params).tables["sales_history"]
    assert dict(zip(sales["region"], sales["units"])) == {"north": 3.0, "south": 4.0}


def test_french_and_us_headers_statuses_and_prices_with_their_currency(tmp_path):
    """Accents are no obstacle (Région, Désignation), an 'Item Status' column is read, prices keep their value."""
    _write(
        tmp_path,
        "articles.csv",
        [["Code article", "Désignation", "Famille", "Item Status", "Prix", "Coût"],
         ["AB-1", "Un", "F", "Released", "€ 19,90", "9,10 €"], ["AB-2", "Deux", "F", "Obsolete", "€ 1.249,00", "130,00 €"]],
        sep=";",
    )  # fmt: skip
    _write(tmp_path, "ventes.csv", [["Code article", "Mois", "Région", "Quantité"], ["AB-1", "2026-09", "Nord", "3"]], sep=";")
    out, _ = onboarding.init(tmp_path)
    params = load_params(out)
    assert params.sources["sales_history"].columns["Région"] == "region" and params.data.regions == ["Nord"]
    products = data.load_sources(params).tables["products"].set_index("sku")
    assert products.loc["AB-2", "status"] == "discontinued" and products.loc["AB-1", "status"] == "active"
    assert products.loc["AB-2", "list_price_eur"] == 1249.0 and products.loc["AB-1", "unit_cost_eur"] == 9.1
