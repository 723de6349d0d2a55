"""Financial view of a plan, on a plan small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.reconciliation.finance import (
    demand_supply_gap,
    financial_plan,
    incomplete_revenue,
    left_out_sentences,
    revenue_distribution,
    shipments,
)

M1, M2, M3 = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")

PRODUCTS = pd.DataFrame(
    {
        "sku": ["A", "B", "C"],
        "family": ["Espresso", "Espresso", "Grinders"],
        "list_price_eur": [10.0, 20.0, 30.0],
        "unit_cost_eur": [6.0, 5.0, 10.0],
    }
)


def plan_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sku", "month", "demand", "production", "inventory", "backorders"])


# --- shipments ------------------------------------------------------------------------


def test_shipments_carry_backorders_and_the_starting_backlog():
    plan = plan_frame(
        [
            ("A", M2, 100, 0, 0, 10),  # rows deliberately out of order
            ("A", M1, 100, 0, 0, 30),
            ("A", M3, 100, 0, 0, 0),
            ("B", M1, 50, 0, 0, 0),
            ("B", M2, 50, 0, 0, 0),
            ("B", M3, 50, 0, 0, 0),
        ]
    )
    out = shipments(plan, backlog=pd.Series({"A": 20.0})).set_index(["sku", "month"])["shipped"]
    # A: month 1 serves 20 waiting + 100 new - 30 still waiting = 90; then 100 + 30 - 10; then 100 + 10
    assert out[("A", M1)] == pytest.approx(90)
    assert out[("A", M2)] == pytest.approx(120)
    assert out[("A", M3)] == pytest.approx(110)
    assert [out[("B", m)] for m in (M1, M2, M3)] == pytest.approx([50, 50, 50])
    # over the horizon, everything wanted (demand + backlog) minus what still waits is shipped
    assert out.xs("A").sum() == pytest.approx(300 + 20 - 0)


def test_shipments_never_negative():
    plan = plan_frame([("A", M1, 0, 0, 0, 0), ("A", M2, 0, 0, 0, 5)])
    out = shipments(plan, backlog=pd.Series(dtype=float))
    assert (out["shipped"] >= 0).all()


# --- financial plan -------------------------------------------------------------------


def test_financial_plan_by_hand():
    plan = plan_frame(
        [
            ("A", M1, 100, 150, 50, 0),
            ("A", M2, 100, 50, 0, 0),
            ("C", M1, 100, 100, 0, 0),
            ("C", M2, 0, 0, 0, 0),
        ]
    )
    line_use = pd.DataFrame(
        {"line_id": ["L1", "L2", "L1", "L2"], "month": [M1, M1, M2, M2], "overtime_hours": [6.0, 4.0, 5.0, 0.0]}
    )
    targets = pd.DataFrame(
        {
            "month": [M1, M2, M1, M2],
            "family": ["Espresso", "Espresso", "Grinders", "Grinders"],
            "revenue_target_eur": [1200.0, 900.0, 3000.0, 0.0],
            "gross_margin_target_pct": [0.4, 0.4, 0.45, 0.45],
        }
    )
    fin = financial_plan(
        plan, PRODUCTS, targets, pd.Series(dtype=float), line_use=line_use, holding_pct_year=0.12, overtime_cost=50.0
    ).set_index(["family", "month"])
    esp1, esp2 = fin.loc[("Espresso", M1)], fin.loc[("Espresso", M2)]
    gri1, gri2 = fin.loc[("Grinders", M1)], fin.loc[("Grinders", M2)]
    # revenue = shipped x list price; cost of goods = shipped x unit cost
    assert esp1["revenue_eur"] == pytest.approx(1000) and gri1["revenue_eur"] == pytest.approx(3000)
    assert esp1["cogs_eur"] == pytest.approx(600) and gri1["cogs_eur"] == pytest.approx(1000)
    # holding: 50 units x 6 EUR x 12 % / 12 months = 3 EUR
    assert esp1["holding_eur"] == pytest.approx(3.0)
    assert esp2["holding_eur"] == pytest.approx(0.0)
    # overtime: month 1 has 10 h x 50 EUR = 500, split 1000 : 3000 by revenue
    assert esp1["overtime_eur"] == pytest.approx(125)
    assert gri1["overtime_eur"] == pytest.approx(375)
    # month 2: 5 h x 50 = 250, all of it on the only family with revenue
    assert esp2["overtime_eur"] == pytest.approx(250)
    assert gri2["overtime_eur"] == pytest.approx(0)
    assert esp1["gross_margin_eur"] == pytest.approx(1000 - 600 - 3 - 125)
    assert esp2["gross_margin_eur"] == pytest.approx(1000 - 600 - 250)
    assert gri1["gross_margin_eur"] == pytest.approx(3000 - 1000 - 375)
    assert esp1["gross_margin_pct"] == pytest.approx(272 / 1000)
    assert np.isnan(gri2["gross_margin_pct"])  # no revenue, no margin percentage
    assert esp1["revenue_vs_target_eur"] == pytest.approx(-200)
    assert esp2["revenue_vs_target_eur"] == pytest.approx(100)
    assert esp1["gross_margin_target_pct"] == pytest.approx(0.4)
    # overtime cost is neither lost nor double-counted
    assert fin["overtime_eur"].sum() == pytest.approx(750)


def test_financial_plan_books_backlog_catch_up_as_revenue():
    plan = plan_frame([("B", M1, 10, 40, 0, 0), ("B", M2, 10, 10, 0, 0)])
    targets = pd.DataFrame(columns=["month", "family", "revenue_target_eur", "gross_margin_target_pct"])
    line_use = pd.DataFrame({"line_id": ["L1"], "month": [M1], "overtime_hours": [0.0]})
    fin = financial_plan(
        plan, PRODUCTS, targets, pd.Series({"B": 30.0}), line_use=line_use, holding_pct_year=0.22, overtime_cost=58.0
    ).set_index("month")
    assert fin.loc[M1, "shipped"] == pytest.approx(40)  # 10 new + 30 waiting customers
    assert fin.loc[M1, "revenue_eur"] == pytest.approx(800)
    assert fin.loc[M2, "revenue_eur"] == pytest.approx(200)
    assert fin["revenue_target_eur"].isna().all()  # no target: shown as missing, not as 0


# --- demand / supply gap --------------------------------------------------------------


def test_demand_supply_gap_by_hand():
    plan = plan_frame(
        [
            ("A", M1, 100, 0, 0, 30),
            ("A", M2, 100, 0, 0, 0),
            ("C", M1, 1000, 0, 0, 10),
            ("C", M2, 1000, 0, 0, 0),
        ]
    )
    gap = demand_supply_gap(plan, PRODUCTS, pd.Series({"A": 20.0})).set_index(["family", "month"])
    esp1 = gap.loc[("Espresso", M1)]
    assert esp1["wanted"] == pytest.approx(120)  # demand + the backlog waiting at the start
    assert esp1["shipped"] == pytest.approx(90)
    assert esp1["gap_units"] == pytest.approx(30)
    assert esp1["gap_eur"] == pytest.approx(300)
    assert esp1["status"] == "red"  # 30 of 120 wanted is more than 5 %
    esp2 = gap.loc[("Espresso", M2)]
    assert esp2["wanted"] == pytest.approx(100)
    assert esp2["shipped"] == pytest.approx(130)
    assert esp2["status"] == "green"
    gri1 = gap.loc[("Grinders", M1)]
    assert gri1["gap_units"] == pytest.approx(10)
    assert gri1["gap_eur"] == pytest.approx(300)
    assert gri1["status"] == "amber"  # short, but by 1 % only
    assert gap.loc[("Grinders", M2), "status"] == "green"


# --- unconstrained revenue ----------------------------------------------------------


def test_revenue_distribution_by_hand():
    samples = np.arange(1, 101, dtype=float)
    values = np.stack([samples, np.full(100, 10.0)], axis=1)[:, :, None].repeat(2, axis=2)
    draws = xr.DataArray(
        values, dims=("sample", "sku", "ds"), coords={"sample": np.arange(100), "sku": ["A", "C"], "ds": [M1, M2]}
    )
    out = revenue_distribution(draws, PRODUCTS).set_index("month")
    # revenue per draw: 10 EUR x A units + 30 EUR x 10 C units
    assert out.loc[M1, "mean"] == pytest.approx(10 * 50.5 + 300)
    assert out.loc[M1, "p50"] == pytest.approx(10 * 50.5 + 300)
    assert out.loc[M1, "p10"] == pytest.approx(10 * np.quantile(samples, 0.1) + 300)
    assert out.loc[M2, "p90"] == pytest.approx(10 * np.quantile(samples, 0.9) + 300)


# --- a thin product master -------------------------------------------------------------


def _thin_plan():
    plan = plan_frame([("A", M1, 100, 100, 10, 0), ("B", M1, 50, 50, 0, 20), ("C", M1, 10, 10, 0, 0)])
    line_use = pd.DataFrame({"line_id": ["L1"], "month": [M1], "overtime_hours": [16.0]})
    targets = pd.DataFrame(
        {
            "month": [M1, M1],
            "family": ["Espresso", "Grinders"],
            "revenue_target_eur": [900.0, 300.0],
            "gross_margin_target_pct": 0.4,
        }
    )
    return plan, line_use, targets


def _fin(products):
    plan, line_use, targets = _thin_plan()
    out = financial_plan(
        plan, products, targets, pd.Series(dtype=float), line_use=line_use, holding_pct_year=0.12, overtime_cost=50.0
    )
    return out.set_index("family")


def test_without_any_price_revenue_and_margin_are_not_known_and_overtime_follows_units():
    fin = _fin(PRODUCTS.assign(list_price_eur=np.nan, unit_cost_eur=np.nan))
    for col in ("revenue_eur", "cogs_eur", "holding_eur", "gross_margin_eur", "gross_margin_pct", "revenue_vs_target_eur"):
        assert fin[col].isna().all(), col  # not €0
    # 800 EUR of overtime spread by units shipped: Espresso 130 of 140 (B ships 30: 50 demanded, 20 waiting)
    assert fin.loc["Espresso", "overtime_eur"] == pytest.approx(800 * 130 / 140)
    assert fin["overtime_eur"].sum() == pytest.approx(800)
    assert incomplete_revenue(fin).all()


def test_a_sku_without_a_price_is_left_out_and_its_family_is_not_set_against_the_target():
    fin = _fin(PRODUCTS.assign(list_price_eur=[10.0, np.nan, 30.0]))
    esp, gri = fin.loc["Espresso"], fin.loc["Grinders"]
    assert esp["revenue_eur"] == pytest.approx(1000) and esp["cogs_eur"] == pytest.approx(600)  # A only
    assert pd.isna(esp["revenue_vs_target_eur"]) and gri["revenue_vs_target_eur"] == pytest.approx(0)
    assert esp["gross_margin_eur"] == pytest.approx(1000 - 600 - 0.6 - 800 * 1000 / 1300)
    assert incomplete_revenue(fin).tolist() == [True, False]


def test_a_priced_sku_without_a_cost_leaves_its_familys_margin_not_computed():
    fin = _fin(PRODUCTS.assign(unit_cost_eur=[6.0, np.nan, 10.0]))
    assert fin.loc["Espresso", "revenue_eur"] == pytest.approx(1000 + 30 * 20)
    assert fin.loc["Espresso", ["cogs_eur", "holding_eur", "gross_margin_eur"]].isna().all()
    assert fin.loc["Grinders", "gross_margin_eur"] == pytest.approx(300 - 100 - 800 * 300 / 1900)


def test_left_out_sentences_name_the_unpriced_skus_and_the_families_without_a_margin():
    plan, _, _ = _thin_plan()
    assert left_out_sentences(plan, PRODUCTS) == []
    assert left_out_sentences(plan, PRODUCTS.assign(list_price_eur=np.nan)) == [
        "Revenue, gross margin and the euros of the demand–supply gap are not computed: the product master has no "
        "list price for any of the 3 SKUs."
    ]
    (price, cost) = left_out_sentences(plan, PRODUCTS.assign(list_price_eur=[10.0, np.nan, 30.0], unit_cost_eur=[6, 5, np.nan]))
    assert price.endswith("are computed for 2 of 3 SKUs only: the product master has no list price for B.")
    assert cost == "Gross margin is not computed for Grinders: the product master has no unit cost for C."


def test_without_prices_the_revenue_band_and_the_gap_in_euros_are_not_known():
    draws = xr.DataArray(
        np.ones((4, 2, 2)), dims=("sample", "sku", "ds"), coords={"sample": range(4), "sku": ["A", "C"], "ds": [M1, M2]}
    )
    band = revenue_distribution(draws, PRODUCTS.assign(list_price_eur=np.nan))
    assert band[["p10", "p50", "p90", "mean"]].isna().all().all() and len(band) == 2
    partial = revenue_distribution(draws, PRODUCTS.assign(list_price_eur=[10.0, 20.0, np.nan]))
    assert partial["p50"].tolist() == pytest.approx([10.0, 10.0])  # C is left out
    plan = plan_frame([("A", M1, 100, 0, 0, 30), ("C", M1, 10, 0, 0, 5)])
    gap = demand_supply_gap(plan, PRODUCTS.assign(list_price_eur=[10.0, 20.0, np.nan]), pd.Series(dtype=float))
    by_family = gap.set_index("family")["gap_eur"]
    assert by_family["Espresso"] == pytest.approx(300) and pd.isna(by_family["Grinders"])  # not €0
    waiting = plan_frame([("A", M1, 100, 0, 0, 0), ("B", M1, 10, 0, 0, 4)])  # only B, without a price, leaves customers waiting
    gap = demand_supply_gap(waiting, PRODUCTS.assign(list_price_eur=[10.0, np.nan, 30.0]), pd.Series(dtype=float))
    assert pd.isna(gap["gap_eur"].iloc[0]) and gap["gap_units"].iloc[0] == 4  # not €0 while 4 units wait
