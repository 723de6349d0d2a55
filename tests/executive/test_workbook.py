"""plan.xlsx: the cycle's plan where planners work, with the hand-overs' own values."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sop_lib.core import handover
from sop_lib.executive import workbook

JAN, FEB = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")
PARAMS = SimpleNamespace(cycle="2027-01", company="Acme <Tools> & Co")


def _cycle(tmp_path):
    handover.write_table(
        tmp_path,
        "supply_plan",
        pd.DataFrame(
            {
                "sku": ["=CMD()", "B", "=CMD()"],
                "month": [FEB, JAN, JAN],
                "demand": [10.25, 5.0, 8.0],
                "production": [12.0, 5.0, np.nan],
                "inventory": [1.75, 0.0, 0.0],
                "backorders": [0.0, 0.0, 2.0],
                "below_safety": [0.0, 0.0, 0.0],
            }
        ),
    )
    handover.write_table(
        tmp_path,
        "scenario_results",
        pd.DataFrame(
            {
                "scenario": ["base", "base"],
                "metric": ["revenue_eur", "fill_rate"],
                "p10": [1.0e6, 0.91],
                "p50": [1.2e6, 0.95],
                "p90": [1.4e6, 0.97],
                "delta_p50": [0.0, 0.0],
            }
        ),
    )
    return workbook.write_workbook(tmp_path, PARAMS)


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def test_each_sheet_is_its_hand_over_sorted_with_a_frozen_header_and_filters(tmp_path):
    wb = openpyxl.load_workbook(_cycle(tmp_path))
    assert wb.sheetnames == ["Cover", "Production plan", "Scenarios"]
    ws = wb["Production plan"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F4"
    rows = _rows(ws)
    assert rows[0][:3] == ("SKU", "Month", "Planned demand (units)")
    # sorted by product and month; values unrounded; an empty value is an empty cell
    assert rows[1][:4] == ("=CMD()", JAN.to_pydatetime(), 8.0, None)
    assert rows[2][2] == 10.25 and rows[3][0] == "B"
    assert ws["C2"].number_format == "#,##0" and ws["B2"].number_format == "mmm yyyy"


def test_text_from_the_data_that_looks_like_a_formula_stays_text(tmp_path):
    ws = openpyxl.load_workbook(_cycle(tmp_path))["Production plan"]
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=CMD()"


def test_a_scenario_measure_gets_the_format_of_its_unit(tmp_path):
    ws = openpyxl.load_workbook(_cycle(tmp_path))["Scenarios"]
    assert ws["D2"].number_format == workbook.FORMATS["eur"] and ws["D3"].number_format == workbook.FORMATS["pct"]


def test_the_cover_names_the_cycle_company_and_where_each_sheet_comes_from(tmp_path):
    rows = _rows(openpyxl.load_workbook(_cycle(tmp_path))["Cover"])
    assert rows[0][0] == "S&OP plan 2027-01: Acme <Tools> & Co"
    by_sheet = {r[0]: r for r in rows if r and r[0] in {s.title for s in workbook.SHEETS}}
    assert by_sheet["Production plan"][1] == "step 3: artifacts/supply_plan.parquet"
    assert "(3 rows)" in by_sheet["Production plan"][2]
    assert by_sheet["Forecast"][1] == "not in this cycle"  # no demand_forecast hand-over here


@pytest.mark.parametrize(
    ("metric", "kind"),
    [("revenue_eur", "eur"), ("fill_rate", "pct"), ("p_revenue_target", "pct"), ("customer_months_waiting", "units")],
)
def test_metric_kind(metric, kind):
    assert workbook.metric_kind(metric) == kind
