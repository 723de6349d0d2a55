"""Supply planning on cases small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import norm

from sop_lib.supply import (
    backlog_burndown,
    capacity_check,
    inventory_risk,
    plan_production,
    safety_stock,
    scenario_demand,
    sku_draws,
    supplier_risk,
)

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


# --- plan_production: one SKU, one line, hours_per_unit = 1 ----------------------------


def one_sku_plan(*, hours: float, demand=(150.0, 20.0), price: float = 100.0, overtime_pct: float = 0.0,
                 on_hand: float = 0.0, backlog: float = 0.0, safety: float = 0.0,
                 supplier_capacity: float = 1e6, overtime_cost: float = 58.0):
    months = [JAN, FEB, MAR][: len(demand)]
    return plan_production(
        pd.DataFrame({"sku": "A", "month": months, "units": list(demand)}),
        on_hand=pd.Series({"A": on_hand}), backlog=pd.Series({"A": backlog}), safety=pd.Series({"A": safety}),
        routings=pd.DataFrame({"sku": ["A"], "line_id": ["L1"], "hours_per_unit": [1.0]}),
        lines=pd.DataFrame({"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [hours]}),
        bom=pd.DataFrame({"sku": ["A"], "component": ["HEAT"], "qty_per_unit": [1.0], "supplier_id": ["S1"]}),
        suppliers=pd.DataFrame({"supplier_id": ["S1"], "capacity_units_per_month": [supplier_capacity]}),
        unit_cost=pd.Series({"A": 60.0}), price=pd.Series({"A": price}),
        holding_pct_year=0.22, overtime_pct=overtime_pct, overtime_cost=overtime_cost,
    )


def test_binding_capacity_gives_backorders_and_a_shadow_price():
    # 100 hours a month, demand 150 then 20: 50 customers wait one month.
    res = one_sku_plan(hours=100, demand=(150, 20), price=100)
    plan = res.plan.set_index("month")
    assert plan.loc[JAN, "production"] == pytest.approx(100)
    assert plan.loc[JAN, "backorders"] == pytest.approx(50)
    assert plan.loc[FEB, "production"] == pytest.approx(70)
    assert plan.loc[FEB, "backorders"] == pytest.approx(0)
    lines = res.line_use.set_index("month")
    assert lines.loc[JAN, "hours"] == pytest.approx(100)
    assert lines.loc[JAN, "capacity"] == pytest.approx(100)
    # one more hour in January saves one unit-month of waiting: 0.08 * price + 1 = 9 EUR
    assert lines.loc[JAN, "shadow_price_eur_per_hour"] == pytest.approx(9.0, abs=1e-6)
    assert lines.loc[FEB, "shadow_price_eur_per_hour"] == pytest.approx(0.0, abs=1e-9)
    assert res.cost_eur == pytest.approx(50 * 9.0 + 170 * 1e-3, rel=1e-6)


def test_enough_capacity_gives_no_backorders_and_zero_shadow_price():
    res = one_sku_plan(hours=1000, demand=(150, 20))
    plan = res.plan.set_index("month")
    assert list(plan["production"]) == pytest.approx([150, 20])
    assert list(plan["backorders"]) == pytest.approx([0, 0])
    assert list(plan["inventory"]) == pytest.approx([0, 0])
    assert (res.line_use["shadow_price_eur_per_hour"].abs() < 1e-9).all()
    assert (res.line_use["overtime_hours"] == 0).all()
    assert (res.components["shadow_price"].abs() < 1e-9).all()


def test_binding_supplier_gives_component_shadow_price():
    res = one_sku_plan(hours=1000, demand=(150, 20), supplier_capacity=100)
    plan = res.plan.set_index("month")
    assert plan.loc[JAN, "backorders"] == pytest.approx(50)
    comp = res.components.set_index("month")
    assert comp.loc[JAN, "component"] == "HEAT" and comp.loc[JAN, "supplier_id"] == "S1"
    assert comp.loc[JAN, "used"] == pytest.approx(100)
    assert comp.loc[JAN, "shadow_price"] == pytest.approx(9.0, abs=1e-6)
    assert (res.line_use["shadow_price_eur_per_hour"].abs() < 1e-9).all()


def test_overtime_is_used_when_waiting_costs_more_than_overtime():
    # price 1000: waiting costs 81 EUR per unit-month > 58 EUR per overtime hour.
    res = one_sku_plan(hours=100, demand=(150, 20), price=1000, overtime_pct=0.2)
    plan = res.plan.set_index("month")
    lines = res.line_use.set_index("month")
    assert lines.loc[JAN, "overtime_hours"] == pytest.approx(20)  # all the 20 % allowed
    assert lines.loc[JAN, "hours"] == pytest.approx(120)
    assert plan.loc[JAN, "backorders"] == pytest.approx(30)
    assert lines.loc[FEB, "overtime_hours"] == pytest.approx(0)


def test_overtime_is_not_used_when_waiting_is_cheaper():
    # price 100: waiting costs 9 EUR per unit-month < 58 EUR per overtime hour.
    res = one_sku_plan(hours=100, demand=(150, 20), price=100, overtime_pct=0.2)
    assert res.line_use["overtime_hours"].sum() == pytest.approx(0)
    assert res.plan.set_index("month").loc[JAN, "backorders"] == pytest.approx(50)


def test_backlog_is_cleared_and_safety_stock_built():
    # 10 on hand, 40 waiting, demand 50 a month, safety stock 30, plenty of capacity.
    res = one_sku_plan(hours=1000, demand=(50, 50), on_hand=10, backlog=40, safety=30)
    plan = res.plan.set_index("month")
    assert plan.loc[JAN, "production"] == pytest.approx(40 - 10 + 50 + 30)
    assert list(plan["backorders"]) == pytest.approx([0, 0])
    assert list(plan["inventory"]) == pytest.approx([30, 30])
    assert list(plan["below_safety"]) == pytest.approx([0, 0])


def test_plan_with_unknown_supplier_capacity_uses_line_capacity_only():
    """A supplier whose capacity is not known (empty cell) is skipped as a constraint,
    so the plan is limited by line hours only."""
    res = one_sku_plan(hours=1000, demand=(150, 20), supplier_capacity=float("nan"))
    plan = res.plan.set_index("month")
    assert list(plan["production"]) == pytest.approx([150, 20])
    assert res.components.empty


# --- safety stock ---------------------------------------------------------------------


def draws_array(per_sku: dict[str, list[np.ndarray]], months=None) -> xr.DataArray:
    """(sample, sku, ds) draws; per_sku maps a SKU to one sample vector per month."""
    skus = list(per_sku)
    n_months = len(next(iter(per_sku.values())))
    months = months if months is not None else pd.date_range(JAN, periods=n_months, freq="MS")
    values = np.stack([np.stack(per_sku[s], axis=1) for s in skus], axis=1)  # sample, sku, ds
    return xr.DataArray(values, dims=("sample", "sku", "ds"),
                        coords={"sample": np.arange(values.shape[0]), "sku": skus, "ds": months})


def test_safety_stock_textbook_formula():
    n = 20_000
    pm = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)  # exactly mean 0, sd 1
    # A: mean 100 and sd 20 in the first three months; month 4 is far off and must be ignored
    # B: mean 50, sd 5
    draws = draws_array({
        "A": [100 + 20 * pm, 100 + 20 * pm, 100 + 20 * pm, 5000 + 900 * pm],
        "B": [50 + 5 * pm, 50 + 5 * pm, 50 + 5 * pm, 50 + 5 * pm],
    })
    suppliers = pd.DataFrame({"supplier_id": ["S-FAST", "S-SLOW"], "lead_time_days": [15.2, 30.4],
                              "lead_time_sd_days": [3.04, 15.2]})
    bom = pd.DataFrame({"sku": ["A", "A"], "component": ["c1", "c2"], "supplier_id": ["S-FAST", "S-SLOW"]})
    out = safety_stock(draws, suppliers, bom, 0.95).set_index("sku")
    z = norm.ppf(0.95)
    # A: protection L = 1 review month + 1 month lead time (slowest supplier), sd_L = 0.5 month
    L, sd_L, d, sd = 2.0, 0.5, 100.0, 20.0
    expected_a = z * np.sqrt(L * sd**2 + d**2 * sd_L**2)
    assert out.loc["A", "mean_monthly_demand"] == pytest.approx(100)
    assert out.loc["A", "sd_monthly_demand"] == pytest.approx(20, rel=1e-3)
    assert out.loc["A", "safety_stock"] == pytest.approx(expected_a, rel=1e-3)
    assert expected_a == pytest.approx(94.49, abs=0.01)
    assert out.loc["A", "reorder_point"] == pytest.approx(d * L + expected_a, rel=1e-3)
    # B has no BOM row: no supplier lead time, protection is the review month only
    assert out.loc["B", "safety_stock"] == pytest.approx(z * 5, rel=1e-3)
    assert out.loc["B", "reorder_point"] == pytest.approx(50 + z * 5, rel=1e-3)
    assert (out["service_level"] == 0.95).all()


def test_safety_stock_grows_with_service_level():
    n = 2000
    pm = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    draws = draws_array({"A": [100 + 20 * pm] * 3})
    suppliers = pd.DataFrame({"supplier_id": ["S"], "lead_time_days": [30.4], "lead_time_sd_days": [0.0]})
    bom = pd.DataFrame({"sku": ["A"], "component": ["c"], "supplier_id": ["S"]})
    lo = safety_stock(draws, suppliers, bom, 0.90)["safety_stock"].iloc[0]
    hi = safety_stock(draws, suppliers, bom, 0.99)["safety_stock"].iloc[0]
    assert hi / lo == pytest.approx(norm.ppf(0.99) / norm.ppf(0.90), rel=1e-9)


# --- inventory risk -------------------------------------------------------------------


def _risk_draws() -> xr.DataArray:
    rng = np.random.default_rng(0)
    return draws_array({"A": [rng.normal(100, 10, 500) for _ in range(3)]})


def _flat_plan(production: float) -> pd.DataFrame:
    return pd.DataFrame({"sku": "A", "month": [JAN, FEB, MAR], "production": production})


def test_inventory_risk_without_production_is_certain_stockout():
    draws = _risk_draws()
    out = inventory_risk(draws, _flat_plan(0.0), on_hand=pd.Series({"A": 0.0}), backlog=pd.Series(dtype=float))
    assert list(out["month"]) == [JAN, FEB, MAR]
    assert (out["stockout_probability"] == 1.0).all()
    expected_short = draws.sel(sku="A").cumsum("ds").mean("sample").values
    assert out["expected_units_short"].to_numpy() == pytest.approx(expected_short)
    assert out["expected_units_short"].iloc[-1] == pytest.approx(300, rel=0.02)


def test_inventory_risk_with_huge_production_is_no_stockout():
    out = inventory_risk(_risk_draws(), _flat_plan(1e6), on_hand=pd.Series({"A": 0.0}),
                         backlog=pd.Series({"A": 0.0}))
    assert (out["stockout_probability"] == 0.0).all()
    assert (out["expected_units_short"] == 0.0).all()
    assert (out["inventory_p10"] > 0).all()


def test_inventory_risk_counts_the_backlog_and_on_hand():
    # production equals mean demand: on hand 500 against backlog 500 leaves a coin flip
    draws = _risk_draws()
    out = inventory_risk(draws, _flat_plan(100.0), on_hand=pd.Series({"A": 500.0}),
                         backlog=pd.Series({"A": 500.0}))
    assert out["stockout_probability"].between(0.35, 0.65).all()
    assert out["inventory_p50"].abs().max() < 10
    out_big_backlog = inventory_risk(draws, _flat_plan(100.0), on_hand=pd.Series({"A": 0.0}),
                                     backlog=pd.Series({"A": 1000.0}))
    assert (out_big_backlog["stockout_probability"] == 1.0).all()


# --- backlog burndown -----------------------------------------------------------------


def test_backlog_burndown_serves_the_backlog_first():
    plan = pd.DataFrame({
        "sku": ["A"] * 3 + ["B"] * 3,
        "month": [MAR, JAN, FEB] * 2,  # unsorted on purpose
        "production": [100.0, 100.0, 100.0, 999.0, 999.0, 999.0],
        "demand": [80.0, 80.0, 80.0, 0.0, 0.0, 0.0],
        "backorders": [0.0, 150.0, 40.0, 0.0, 0.0, 0.0],
    })
    out = backlog_burndown(plan, "A", backlog_units=250, on_hand=30, units_per_customer=1.25)
    assert list(out["month"]) == [JAN, FEB, MAR]
    # waiting customers get the stock first, whatever new demand does: 250 - 130, - 100, - 100
    assert list(out["backlog_units"]) == [120, 20, 0]
    assert list(out["backlog_customers"]) == [96, 16, 0]
    assert list(out["all_waiting_units"]) == [150, 40, 0]
    assert list(out["all_waiting_customers"]) == [120, 32, 0]


def test_backlog_burndown_with_stock_covering_the_backlog():
    plan = pd.DataFrame({"sku": "A", "month": [JAN, FEB], "production": [0.0, 0.0], "backorders": [0.0, 0.0]})
    out = backlog_burndown(plan, "A", backlog_units=50, on_hand=80, units_per_customer=1.0)
    assert list(out["backlog_customers"]) == [0, 0]


# --- capacity, suppliers ------------------------------------------------------------


def test_capacity_check_statuses():
    lines = pd.DataFrame({"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [100.0]})
    routings = pd.DataFrame({"sku": ["A", "B"], "line_id": ["L1", "L1"], "hours_per_unit": [0.5, 1.0]})
    months = [JAN, FEB, MAR, pd.Timestamp("2027-04-01"), pd.Timestamp("2027-05-01")]
    # hours needed per month: 90, 100, 105, 110, 115 (A at 0.5 h plus B at 1 h)
    demand = pd.DataFrame({
        "sku": ["A"] * 5 + ["B"] * 5,
        "month": months * 2,
        "units": [100, 100, 100, 100, 100, 40, 50, 55, 60, 65],
    })
    out = capacity_check(demand, routings, lines, overtime_pct=0.1).set_index("month")
    assert list(out["hours_needed"]) == pytest.approx([90, 100, 105, 110, 115])
    assert list(out["utilisation"]) == pytest.approx([0.9, 1.0, 1.05, 1.1, 1.15])
    assert list(out["hours_with_overtime"]) == pytest.approx([110] * 5)
    assert list(out["status"]) == ["green", "green", "amber", "amber", "red"]
    assert (out["line_name"] == "Line one").all()


def test_supplier_risk_single_source_high_risk_is_red():
    suppliers = pd.DataFrame({
        "supplier_id": ["SUP-T", "SUP-F1", "SUP-F2", "SUP-B"],
        "supplier_name": ["Thermo", "Flow one", "Flow two", "Burr"],
        "lead_time_days": [14, 28, 30, 35],
        "on_time_rate": [0.78, 0.95, 0.9, 0.92],
        "financial_risk": ["high", "low", "high", "medium"],
    })
    bom = pd.DataFrame({
        "sku": ["A", "A", "B", "B", "B"],
        "component": ["HEAT", "PUMP", "HEAT", "PUMP", "BURR"],
        "supplier_id": ["SUP-T", "SUP-F1", "SUP-T", "SUP-F2", "SUP-B"],
    })
    demand = pd.DataFrame({"sku": ["A", "A", "B"], "month": [JAN, FEB, JAN], "units": [10.0, 5.0, 4.0]})
    price = pd.Series({"A": 100.0, "B": 50.0, "C": 999.0})
    out = supplier_risk(bom, suppliers, demand, price).set_index("supplier_id")
    # revenue: A 15 x 100 = 1500, B 4 x 50 = 200
    thermo = out.loc["SUP-T"]
    assert thermo["status"] == "red"
    assert bool(thermo["single_source"]) is True
    assert thermo["revenue_at_risk_eur"] == pytest.approx(1700)
    assert thermo["skus"] == 2
    assert thermo["components"] == "HEAT"
    assert "second source" in thermo["suggestion"]
    assert out.index[0] == "SUP-T"  # sorted by revenue at risk
    # dual-sourced pump: not single source
    assert bool(out.loc["SUP-F1", "single_source"]) is False
    assert out.loc["SUP-F1", "status"] == "green"
    assert out.loc["SUP-F1", "revenue_at_risk_eur"] == pytest.approx(1500)
    assert out.loc["SUP-F2", "status"] == "amber"  # high risk, but a second source exists
    assert out.loc["SUP-B", "status"] == "amber"  # medium risk, single source
    assert out.loc["SUP-B", "revenue_at_risk_eur"] == pytest.approx(200)


# --- demand views -------------------------------------------------------------------


def test_sku_draws_sums_regions_and_scenario_demand_picks_quantiles():
    samples = np.arange(1, 101, dtype=float)  # 1..100
    values = np.stack([samples, 2 * samples, 10 * samples], axis=1)[:, :, None].repeat(2, axis=2)
    series = xr.DataArray(values, dims=("sample", "unique_id", "ds"),
                          coords={"sample": np.arange(100), "unique_id": ["A|DACH", "A|Nordics", "B|DACH"],
                                  "ds": [JAN, FEB]})
    by_sku = sku_draws(series)
    assert sorted(by_sku["sku"].values) == ["A", "B"]
    assert by_sku.sel(sku="A").values[:, 0] == pytest.approx(3 * samples)
    p50 = scenario_demand(by_sku, "p50").set_index(["sku", "month"])["units"]
    assert p50[("A", JAN)] == pytest.approx(3 * 50.5)
    assert p50[("B", FEB)] == pytest.approx(10 * 50.5)
    p90 = scenario_demand(by_sku, "p90").set_index(["sku", "month"])["units"]
    assert p90[("A", JAN)] == pytest.approx(3 * np.quantile(samples, 0.9))
    mean = scenario_demand(by_sku, "mean")
    assert set(mean.columns) == {"sku", "month", "units"}
