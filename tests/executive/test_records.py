"""Meeting decisions from YAML or a spreadsheet: the same decisions, carried the same way, with messages naming file, row and column."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from sop_lib.core import entries
from sop_lib.executive import records

HEADER = ["id", "decision", "owner", "due", "status"]


def decisions_sheet(base, cycle, *rows, suffix=".xlsx"):
    path = base / "decisions" / f"{cycle}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        path.write_text("\n".join(",".join("" if c is None else str(c) for c in r) for r in [HEADER, *rows]) + "\n")
        return path
    book = Workbook()
    book.active.title = "Decisions"
    for r in [HEADER, *rows]:
        book.active.append(r)
    book.save(path)
    return path


def test_decisions_in_a_spreadsheet_are_carried_into_the_next_cycle(tmp_path):
    decisions_sheet(tmp_path, "2026-10", ["D1", "Saturday shift", "Operations", "2026-10", None])
    decisions_sheet(tmp_path, "2026-11", ["D1", "Saturday shift", "Operations", "2026-10", "done"], suffix=".csv")
    (tmp_path / "decisions" / "TEMPLATE.xlsx").write_bytes(b"")  # not a cycle: never read
    assert records.earlier_cycles(tmp_path, "2026-12") == ["2026-10", "2026-11"]
    carried = records.carried_actions(tmp_path, "2026-12")
    assert carried[["id", "taken", "status"]].values.tolist() == [["D1", "2026-10", "done"]]
    assert records.carried_actions(tmp_path, "2026-11")["status"].tolist() == ["overdue"]


def test_a_bad_decision_row_names_file_row_and_column(tmp_path):
    path = decisions_sheet(tmp_path, "2026-11", ["D1", "Saturday shift", None, "next month", None])
    with pytest.raises(records.RecordError) as err:
        records.load_decisions(tmp_path, "2026-11")
    msg = str(err.value)
    assert f"{path}: sheet 'Decisions', row 2, column 'owner': required column is missing or empty" in msg
    assert "row 2, column 'due': Value error, expected YYYY-MM" in msg


def test_two_files_for_one_cycle_are_refused_and_sop_decide_does_not_overwrite_a_spreadsheet(tmp_path):
    decisions_sheet(tmp_path, "2026-11", ["D1", "Saturday shift", "Operations", "2026-12", None])
    decision = records.Decision(id="D2", decision="Hire two", owner="HR", due="2027-01")
    with pytest.raises(records.RecordError, match="kept in a spreadsheet; add the decision there as a row"):
        records.record(tmp_path, "2026-11", decision)
    (tmp_path / "decisions" / "2026-11.yaml").write_text("[]\n")
    with pytest.raises(records.RecordError, match=r"2026-11\.yaml and 2026-11\.xlsx both hold cycle 2026-11"):
        records.load_decisions(tmp_path, "2026-11")


def test_the_templates_columns_are_the_keys_the_loaders_accept():
    assert set(entries.TEMPLATES["decisions"]) == set(records.Decision.model_fields) - {"expected"}
