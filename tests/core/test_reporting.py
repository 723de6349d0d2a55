"""Reports escape text that comes from data and render charts with titles and units."""

import pandas as pd
import pytest

from sop_lib.core import reporting
from sop_lib.core import reporting as rp


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


def test_a_long_table_shows_its_first_rows_and_links_every_row():
    df = pd.DataFrame({"sku": [f"S{k}" for k in range(30)], "units": range(30)})
    html = rp.table_html(df, max_rows=25, full="artifacts/demand_forecast.csv")
    assert html.count("<tr>") == 26  # header + 25 rows
    assert "25 of 30 rows shown; every row: " in html
    assert '<a href="artifacts/demand_forecast.csv" download>demand_forecast.csv</a>' in html
    short = rp.table_html(df.head(3), full="artifacts/x.csv")
    assert "every row as a file" in short and "rows shown" not in short
    assert "caption" not in rp.table_html(df.head(3))


def test_horizon_totals_are_quantiles_of_the_summed_draws_not_sums_of_monthly_quantiles():
    import numpy as np
    import xarray as xr

    from sop_lib import demand

    rng = np.random.default_rng(0)
    draws = xr.DataArray(
        rng.normal(100, 30, size=(4000, 2, 12)),
        dims=("sample", "unique_id", "ds"),
        coords={"unique_id": ["a", "b"], "ds": pd.date_range("2027-01-01", periods=12, freq="MS")},
    )
    tot = demand.horizon_totals(draws).set_index("unique_id")
    monthly = demand.summarise_draws(draws).groupby("unique_id")["p90"].sum()
    assert tot.loc["a", "p50"] == pytest.approx(1200, rel=0.01)
    assert tot.loc["a", "p90"] < monthly["a"] - 200  # independent months: the total's spread is sqrt(12) narrower


def test_a_chart_with_nothing_to_draw_leaves_only_its_sentence(monkeypatch):
    import IPython.display

    from sop_lib.core import reporting as rp

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    rp.finish(None, "No line has a routing, so there is no line load to chart.")
    assert [type(o).__name__ for o in shown] == ["HTML"]  # the sentence, and no image
    assert "No line has a routing" in shown[0].data


def test_a_figure_not_known_is_a_dash_never_euro_nan():
    nan = float("nan")
    assert rp.fmt_eur(nan) == rp.fmt_eur_change(nan) == "—"
    assert rp.kpi_change(nan, 1.2e6, "2026-10", rp.fmt_eur) == "not known (was €1.2M in 2026-10)"
