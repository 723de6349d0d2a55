"""Reports escape text that comes from data and render charts with titles and units."""

import pandas as pd

from sop_lib import reporting


def test_table_escapes_product_names():
    df = pd.DataFrame({"name": ['<script>alert("x")</script>'], "units": [1200.0]})
    html = reporting.table_html(df, formats={"units": ",.0f"})
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "1,200" in html


def test_kpi_cards_escape_and_show_values():
    html = reporting.kpi_cards([{"label": "Supplier <b>", "value": "€1.2M", "note": "a & b", "tone": "bad"}])
    assert "Supplier &lt;b&gt;" in html and "a &amp; b" in html and "€1.2M" in html


def test_new_chart_sets_title_and_unit():
    fig, ax = reporting.new_chart("Units sold", "units per month")
    assert fig._suptitle.get_text() == "Units sold"
    assert ax.get_ylabel() == "units per month"


def test_money_format_is_readable():
    assert reporting.fmt_eur(92_063_632) == "€92.1M"
    assert reporting.fmt_eur(-12_400) == "€-12k"
    assert reporting.fmt_eur(950) == "€950"


def test_revenue_chart_shows_plan_target_and_demand_band_in_euros():
    months = pd.date_range("2027-01-01", periods=3, freq="MS")
    total = pd.DataFrame({"revenue_eur": [1e6, 2e6, 3e6], "revenue_target_eur": [1.5e6] * 3}, index=months)
    band = pd.DataFrame({"month": months, "p10": [0.5e6] * 3, "p90": [4e6] * 3})
    fig, ax = reporting.revenue_chart("Revenue", total, band)
    assert ax.get_ylabel() == "€ per month"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("plan" in t for t in labels) and any("target" in t for t in labels) and any("P10" in t for t in labels)
    assert ax.yaxis.get_major_formatter()(2e6, 0) == "€2.0M"
