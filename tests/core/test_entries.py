"""Hand-written entries from YAML or a spreadsheet: the same entries, and messages that name file, row and column."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook

from sop_lib.core import entries

COLUMNS = ["who", "why", "sku", "from", "units"]


def xlsx(path, rows, sheet="Overrides"):
    book = Workbook()
    book.active.title = sheet
    for r in rows:
        book.active.append(r)
    book.save(path)
    return path


def test_the_same_entries_from_yaml_xlsx_and_csv(tmp_path):
    (tmp_path / "o.yaml").write_text("- {who: Sales, why: big deal, sku: '123', from: 2027-02, units: 50}\n")
    xlsx(tmp_path / "o.xlsx", [COLUMNS, ["Sales", "big deal", 123, dt.datetime(2027, 2, 1), 50.0]])
    (tmp_path / "o.csv").write_text("who;why;sku;from;units\nSales;big deal;123;2027-02;50\n", encoding="cp1252")
    read = {s: [e.values for e in entries.read_entries(tmp_path / f"o.{s}")] for s in ("yaml", "xlsx", "csv")}
    for values in read.values():
        assert {k: str(v) for k, v in values[0].items()} == {
            "who": "Sales",
            "why": "big deal",
            "sku": "123",
            "from": "2027-02",
            "units": "50",
        }


def test_rows_are_counted_as_the_spreadsheet_shows_them(tmp_path):
    path = xlsx(
        tmp_path / "o.xlsx",
        [["Overrides agreed 2026-11"], [], COLUMNS, ["S", "w", "A", "2027-01", 5], [], ["S", "w", "B", "2027-01", 1.5]],
    )
    got = entries.read_entries(path)
    assert [e.where for e in got] == ["sheet 'Overrides', row 4", "sheet 'Overrides', row 6"]
    assert got[1].values["units"] == 1.5 and got[0].name("units") == "column 'units'"


def test_a_decimal_comma_in_a_semicolon_csv_is_a_number(tmp_path):
    (tmp_path / "o.csv").write_text("who;why;sku;from;change_pct\nS;w;A;2027-01;-0,1\n", encoding="utf-8-sig")
    assert entries.read_entries(tmp_path / "o.csv")[0].values["change_pct"] == -0.1


def test_a_value_under_no_header_and_a_doubled_header_are_refused_with_the_row(tmp_path):
    path = xlsx(tmp_path / "a.xlsx", [COLUMNS, ["S", "w", "A", "2027-01", 5, "stray"]])
    with pytest.raises(
        entries.EntriesError, match=r"a\.xlsx: sheet 'Overrides', row 2: a value \('stray'\) under a column with no header"
    ):
        entries.read_entries(path)
    path = xlsx(tmp_path / "b.xlsx", [["who", "who"], ["S", "T"]])
    with pytest.raises(entries.EntriesError, match=r"row 1: column\(s\) \['who'\] appear twice"):
        entries.read_entries(path)


def test_a_damaged_workbook_and_an_unknown_suffix_are_named(tmp_path):
    (tmp_path / "o.xlsx").write_bytes(b"not a zip")
    with pytest.raises(entries.EntriesError, match="o.xlsx: not a readable Excel workbook"):
        entries.read_entries(tmp_path / "o.xlsx")
    with pytest.raises(entries.EntriesError, match=r"expected a \.yaml, \.xlsx or \.csv file, got '\.json'"):
        entries.read_entries(tmp_path / "o.json")


@pytest.mark.parametrize("kind", sorted(entries.TEMPLATES))
def test_a_template_reads_back_as_no_entries_and_explains_every_column(tmp_path, kind):
    path = entries.write_template(tmp_path / f"{kind}.xlsx", kind)
    assert entries.read_entries(path) == []
    book = load_workbook(path)
    assert [c.value for c in book.worksheets[0][1]] == list(entries.TEMPLATES[kind])
    explained = {r[0] for r in book["How to fill"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert explained == set(entries.TEMPLATES[kind])
