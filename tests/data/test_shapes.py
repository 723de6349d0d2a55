"""A title above the header and months as columns, as `sop init` and the reader see them."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from sop_lib.data.shapes import (
    detect_month_format,
    file_parts,
    header_month,
    header_position,
    melt_months,
    month_text,
    unread_month_headers,
)


@pytest.mark.parametrize(
    ("header", "fmt", "month"),
    [
        ("Jan 2023", "%b %Y", "2023-01"),
        ("Mär 2024", "%b %Y", "2024-03"),
        ("Okt-23", "%b-%y", "2023-10"),
        ("2023-07", "%Y-%m", "2023-07"),
        ("01.2023", "%m.%Y", "2023-01"),
        (datetime(2025, 12, 1), "%Y-%m-%d", "2025-12"),
        ("Dezember 2022", "%b %Y", "2022-12"),
        ("janv. 2024", "%b %Y", "2024-01"),
        ("févr. 2024", "%b %Y", "2024-02"),
        ("août 2024", "%b %Y", "2024-08"),
        ("dic-24", "%b-%y", "2024-12"),
        ("mrt 2024", "%b %Y", "2024-03"),
        ("M07 2024", "M%m %Y", "2024-07"),
    ],
)
def test_month_headers_in_the_ways_exports_write_them(header, fmt, month):
    assert header_month(header, fmt) == pd.Timestamp(f"{month}-01")


def test_a_header_that_is_not_a_month_is_none():
    assert header_month("Article", "%b %Y") is None
    assert month_text("Description") == "Description"


def test_the_format_under_which_most_headers_are_months_is_detected():
    cols = ["Article", "Region", "Jan-23", "Feb-23", "Mär-23", "Apr-23"]
    assert detect_month_format(cols) == "%b-%y"
    assert detect_month_format(["sku", "month", "units", "2023"]) is None  # one number is not a wide layout


def test_melting_keeps_every_filled_cell_and_where_it_came_from():
    wide = pd.DataFrame({"Article": ["A", "B"], "Jan 2023": ["5", ""], "Feb 2023": ["0", "7"]})
    long, origin = melt_months(wide, "%b %Y")
    assert long.to_dict("records") == [
        {"Article": "A", "units": "5", "month": pd.Timestamp("2023-01-01")},
        {"Article": "A", "units": "0", "month": pd.Timestamp("2023-02-01")},
        {"Article": "B", "units": "7", "month": pd.Timestamp("2023-02-01")},
    ]
    assert origin["_row"].tolist() == [0, 0, 1] and origin["_header"].tolist() == ["Jan 2023", "Feb 2023", "Feb 2023"]


@pytest.mark.parametrize(
    ("rows", "pos"),
    [
        ([["sku", "month", "units"], ["A", "2023-01", "3"]], 0),
        ([["Sales report ACME"], ["Stand: 03.11.2026"], [], ["Item", "Date", "Qty"], ["A", "2023-01-05", "3"]], 3),
        ([["Umsatz 2025", None, None], ["Artikel", "2023-01", "2023-02"], ["A", "1", "2"]], 1),
    ],
)
def test_the_header_is_the_first_row_as_wide_as_the_table(rows, pos):
    assert header_position(rows) == pos


def test_a_month_header_the_format_cannot_read_is_named_not_dropped():
    """A wide export whose headers are half in another format would lose those months' units."""
    columns = ["Article", "Jan 2024", "Feb 2024", "Mar 2024", "Apr-24", "Descr", "Total 2024"]
    assert unread_month_headers(columns, "%b %Y") == ["Apr-24"]


@pytest.mark.parametrize(
    ("names", "parts", "pattern"),
    [
        (["sales_north.csv", "sales_south.csv"], ["north", "south"], "sales_*.csv"),
        (["Umsatz Nord.csv", "Umsatz Nordost.csv"], ["Nord", "Nordost"], "Umsatz *.csv"),
        (["north.csv", "south.csv"], ["north", "south"], None),  # nothing in common: no series
    ],
)
def test_files_that_differ_in_a_word_of_their_name(names, parts, pattern):
    assert file_parts(names) == (parts, pattern)
