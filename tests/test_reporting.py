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
