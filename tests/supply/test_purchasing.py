"""Suggested purchase orders and supplier risk."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import norm

from sop_lib.supply.purchasing import (
    component_requirements,
    purchase_orders,
    supplier_risk,
)

JAN, FEB, MAR, APR = (pd.Timestamp(f"2027-0{m}-01") for m in (1, 2, 3, 4))

PLAN = pd.DataFrame(
    {
        "sku": ["A"] * 4 + ["B"] * 4,
        "month": [JAN, FEB, MAR, APR] * 2,
        "production": [100.0, 100.0, 100.0, 100.0, 10.0, 10.0, 10.0, 10.0],
    }
)
BOM = pd.DataFrame(
    {
        "sku": ["A", "B", "A"],
        "component": ["HEAT", "HEAT", "PUMP"],
        "qty_per_unit": [1.0, 2.0, 1.0],
        "supplier_id": ["S-T", "S-T", "S-F"],
    }
)
SUPPLIERS = pd.DataFrame(
    {
        "supplier_id": ["S-T", "S-F"],
        "supplier_name": ["Thermo", "Flow"],
        "lead_time_days": [15.0, 45.0],
        "lead_time_sd_days": [0.0, 0.0],
    }
)


def test_component_requirements_follow_the_bom():
    req = component_requirements(PLAN, BOM).set_index(["component", "month"])["required"]
    assert req[("HEAT", JAN)] == 120  # 100 x 1 + 10 x 2
    assert req[("PUMP", JAN)] == 100


def test_orders_are_placed_lead_time_before_need_and_frozen_months_are_skipped():
    po = purchase_orders(PLAN, BOM, SUPPLIERS, today=JAN)
    heat = po[po["component"] == "HEAT"].set_index("need_date")
    # January would have to be ordered Dec 17: inside the frozen window, assumed on order
    assert list(heat.index) == [FEB, MAR, APR]
    assert list(heat["quantity"]) == [120, 120, 120]
    assert heat.loc[FEB, "order_date"] == pd.Timestamp("2027-01-17")  # Feb 1 - 15 days
    assert heat["supplier_name"].eq("Thermo").all()
    pump = po[po["component"] == "PUMP"]
    assert list(pump["need_date"]) == [MAR, APR]  # 45 days: February is frozen too
    assert not po["late"].any() and (po["status"] == "green").all()


def test_lead_time_uncertainty_adds_a_buffer_to_the_first_order():
    sup = SUPPLIERS.assign(lead_time_sd_days=[6.08, 0.0])
    po = purchase_orders(PLAN, BOM, sup, today=JAN, service_level=0.95)
    heat = po[po["component"] == "HEAT"].set_index("need_date")["quantity"]
    buffer = norm.ppf(0.95) * 120 / 30.4 * 6.08  # z x daily use x lead-time sd
    assert heat[FEB] == pytest.approx(120 + buffer, abs=1)
    assert heat[MAR] == 120 and heat[APR] == 120


def test_nothing_on_order_for_this_month_is_an_expedite_and_risky_suppliers_are_flagged():
    on_order = pd.DataFrame({"component": ["PUMP"], "month": [FEB], "qty": [100.0]})
    risk = pd.DataFrame(
        {"supplier_id": ["S-T", "S-F"], "status": ["red", "green"], "suggestion": ["qualify a second source now", "no action"]}
    )
    po = purchase_orders(PLAN, BOM, SUPPLIERS, today=JAN, on_order=on_order, risk=risk)
    jan_pump = po[(po["component"] == "PUMP") & (po["need_date"] == JAN)].iloc[0]
    assert bool(jan_pump["late"]) and jan_pump["status"] == "red" and "expedite" in jan_pump["note"]
    assert jan_pump["order_date"] == JAN
    assert FEB not in set(po.loc[po["component"] == "PUMP", "need_date"])  # covered by what is on order
    heat = po[po["component"] == "HEAT"]
    assert (heat["status"].isin(["amber", "red"])).all()
    assert heat["note"].str.contains("second source").all()


def test_supplier_risk_single_source_high_risk_is_red():
    suppliers = pd.DataFrame(
        {
            "supplier_id": ["SUP-T", "SUP-F1", "SUP-F2", "SUP-B"],
            "supplier_name": ["Thermo", "Flow one", "Flow two", "Burr"],
            "lead_time_days": [14, 28, 30, 35],
            "on_time_rate": [0.78, 0.95, 0.9, 0.92],
            "financial_risk": ["high", "low", "high", "medium"],
        }
    )
    bom = pd.DataFrame(
        {
            "sku": ["A", "A", "B", "B", "B"],
            "component": ["HEAT", "PUMP", "HEAT", "PUMP", "BURR"],
            "supplier_id": ["SUP-T", "SUP-F1", "SUP-T", "SUP-F2", "SUP-B"],
        }
    )
    demand = pd.DataFrame({"sku": ["A", "A", "B"], "month": [JAN, FEB, JAN], "units": [10.0, 5.0, 4.0]})
    price = pd.Series({"A": 100.0, "B": 50.0, "C": 999.0})
    out = supplier_risk(bom, suppliers, demand, price).set_index("supplier_id")
    # revenue: A 15 x 100 = 1500, B 4 x 50 = 200
    thermo = out.loc["SUP-T"]
    assert thermo["status"] == "red" and bool(thermo["single_source"]) is True
    assert thermo["revenue_at_risk_eur"] == pytest.approx(1700)
    assert thermo["skus"] == 2 and thermo["components"] == "HEAT"
    assert "second source" in thermo["suggestion"]
    assert out.index[0] == "SUP-T"  # sorted by revenue at risk
    assert bool(out.loc["SUP-F1", "single_source"]) is False and out.loc["SUP-F1", "status"] == "green"
    assert out.loc["SUP-F2", "status"] == "amber"  # high risk, but a second source exists
    assert out.loc["SUP-B", "status"] == "amber"  # medium risk, single source


def test_supplier_revenue_counts_the_priced_skus_and_is_not_known_when_none_has_a_price():
    suppliers = pd.DataFrame(
        {
            "supplier_id": ["S1", "S2", "S3"],
            "supplier_name": ["One", "Two", "Three"],
            "lead_time_days": [10, 10, 10],
            "on_time_rate": [1.0, 1.0, 1.0],
            "financial_risk": ["low", "low", "low"],
        }
    )
    bom = pd.DataFrame({"sku": ["A", "B", "B", "Z"], "component": ["X", "X", "Y", "W"], "supplier_id": ["S1", "S1", "S2", "S3"]})
    demand = pd.DataFrame({"sku": ["A", "B"], "month": [JAN, JAN], "units": [10.0, 4.0]})
    out = supplier_risk(bom, suppliers, demand, pd.Series({"A": 100.0, "B": float("nan")})).set_index("supplier_id")
    assert out.loc["S1", "revenue_at_risk_eur"] == pytest.approx(1000)  # A's only: B has no list price
    assert pd.isna(out.loc["S2", "revenue_at_risk_eur"])  # B alone, without a price: not known, not 0
    assert out.loc["S3", "revenue_at_risk_eur"] == 0.0  # Z is not demanded: nothing at risk
