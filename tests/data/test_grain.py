"""Sales rows finer than the month summed to it, returns netted, every row and unit accounted for."""

from __future__ import annotations

import pandas as pd

from sop_lib.core.params import SourceSpec
from sop_lib.data.grain import account, raw_contract, sum_to_month

SPEC = SourceSpec(kind="csv", path="sales.csv", sum_to_month=True)


def _lines(rows):
    return pd.DataFrame(rows, columns=["sku", "region", "month", "units", "customer"]).assign(
        month=lambda d: pd.to_datetime(d["month"])
    )


def test_order_lines_on_days_become_one_row_per_month_with_returns_netted():
    lines = _lines(
        [
            ("A", "N", "2026-01-03", 5.0, "K1"),
            ("A", "N", "2026-01-20", 7.0, "K2"),
            ("A", "N", "2026-01-28", -2.0, "K1"),  # a return in the same month
            ("A", "N", "2026-02-01", 4.0, "K3"),
            ("B", "N", "2026-01-09", 1.0, "K1"),
        ]
    )
    out, problems, lifted = sum_to_month("sales_history", SPEC, lines)
    assert out[["sku", "month", "units"]].to_dict("records") == [
        {"sku": "A", "month": pd.Timestamp("2026-01-01"), "units": 10.0},
        {"sku": "A", "month": pd.Timestamp("2026-02-01"), "units": 4.0},
        {"sku": "B", "month": pd.Timestamp("2026-01-01"), "units": 1.0},
    ]
    assert problems == [] and lifted == 0.0
    assert "customer" not in out


def test_a_month_with_more_returns_than_sales_is_a_warning_naming_its_rows_and_counts_as_zero():
    lines = _lines(
        [("A", "N", "2026-03-02", 2.0, "K1"), ("A", "N", "2026-03-15", -5.0, "K1"), ("A", "N", "2026-04-02", 3.0, "K2")]
    )
    out, [problem], lifted = sum_to_month("sales_history", SPEC, lines)
    assert out["units"].tolist() == [0.0, 3.0] and lifted == 3.0
    assert problem.check == "returns_exceed_sales" and problem.severity == "warn"
    assert problem.rows == "lines 2, 3" and "2026-03 A N: -3" in problem.values


def test_summed_rows_are_checked_without_the_one_row_per_key_rule_and_may_be_negative():
    schema = raw_contract("sales_history", SPEC)
    assert schema.unique is None and not schema.columns["units"].checks
    assert raw_contract("sales_history", SPEC.model_copy(update={"sum_to_month": False})).unique == ["month", "sku", "region"]


def test_the_account_adds_up_rows_and_units():
    read = _lines(
        [("A", "N", "2026-01-03", 5.0, "K1"), ("Z", "N", "2026-01-04", 2.0, "K1"), ("A", "N", "2026-01-05", -1.0, "K1")]
    )
    kept = read[read["sku"] != "Z"]
    out, _, lifted = sum_to_month("sales_history", SPEC, kept)
    line = account("sales_history", SPEC, read, kept, out, lifted)
    assert (line["rows read"], line["rows refused"], line["rows handed on"]) == (3, 1, 1)
    assert (line["units read"], line["units refused"], line["units handed on"]) == (6.0, 2.0, 4.0)
    assert line["summed over"] == "customer"
