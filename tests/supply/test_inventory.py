"""Inventory policy: textbook formulas, checked against stockpyl on the same inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import norm
from stockpyl import loss_functions, newsvendor

from sop_lib.supply.inventory import (
    cost_optimal_service_level,
    expected_cycle_cost,
    inventory_risk,
    normal_loss,
    safety_stock,
    service_cost_curve,
    z_for_fill_rate,
)

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


def draws_array(per_sku: dict[str, list[np.ndarray]]) -> xr.DataArray:
    """(sample, sku, ds) draws; per_sku maps a SKU to one sample vector per month."""
    skus = list(per_sku)
    months = pd.date_range(JAN, periods=len(next(iter(per_sku.values()))), freq="MS")
    values = np.stack([np.stack(per_sku[s], axis=1) for s in skus], axis=1)
    return xr.DataArray(
        values, dims=("sample", "sku", "ds"), coords={"sample": np.arange(values.shape[0]), "sku": skus, "ds": months}
    )


PM = np.where(np.arange(20_000) % 2 == 0, 1.0, -1.0)  # exactly mean 0, sd 1


def one_sku(mean: float = 100.0, sd: float = 20.0, lead_days: float = 30.4, lead_sd_days: float = 0.0):
    draws = draws_array({"A": [mean + sd * PM] * 3})
    suppliers = pd.DataFrame({"supplier_id": ["S"], "lead_time_days": [lead_days], "lead_time_sd_days": [lead_sd_days]})
    bom = pd.DataFrame({"sku": ["A"], "component": ["c"], "supplier_id": ["S"]})
    return draws, suppliers, bom


# --- cycle service level ---------------------------------------------------------------


def test_safety_stock_textbook_formula_with_lead_time_uncertainty():
    # A: mean 100 and sd 20 in the first three months; month 4 is far off and must be ignored. B: mean 50, sd 5
    draws = draws_array(
        {
            "A": [100 + 20 * PM, 100 + 20 * PM, 100 + 20 * PM, 5000 + 900 * PM],
            "B": [50 + 5 * PM] * 4,
        }
    )
    suppliers = pd.DataFrame(
        {"supplier_id": ["S-FAST", "S-SLOW"], "lead_time_days": [15.2, 30.4], "lead_time_sd_days": [3.04, 15.2]}
    )
    bom = pd.DataFrame({"sku": ["A", "A"], "component": ["c1", "c2"], "supplier_id": ["S-FAST", "S-SLOW"]})
    out = safety_stock(draws, suppliers, bom, 0.95).set_index("sku")
    z = norm.ppf(0.95)
    # A: protection = 1 review month + 1 month lead time (slowest supplier), lead time sd 0.5 month
    expected_a = z * np.sqrt(2.0 * 20.0**2 + 100.0**2 * 0.5**2)
    assert expected_a == pytest.approx(94.49, abs=0.01)
    assert out.loc["A", "safety_stock"] == pytest.approx(expected_a, rel=1e-3)
    assert out.loc["A", "reorder_point"] == pytest.approx(200 + expected_a, rel=1e-3)
    # B has no BOM row: no supplier lead time, protection is the review month only
    assert out.loc["B", "safety_stock"] == pytest.approx(z * 5, rel=1e-3)
    assert (out["service_level"] == 0.95).all()


def test_safety_stock_is_the_newsvendor_quantile_of_stockpyl():
    # Protection 2 months (review 1 + lead 1), no lead-time noise: stockpyl's newsvendor with
    # lead_time=1 sees the same lead-time demand N(200, 20 * sqrt 2); its optimal base stock for
    # critical ratio p / (p + h) = 0.95 must equal our reorder point at a 95 % service level.
    draws, suppliers, bom = one_sku()
    ours = safety_stock(draws, suppliers, bom, 0.95).iloc[0]
    base_stock, _ = newsvendor.newsvendor_normal(
        holding_cost=1.0, stockout_cost=19.0, demand_mean=100.0, demand_sd=20.0, lead_time=1
    )
    assert ours["reorder_point"] == pytest.approx(base_stock, rel=1e-4)


# --- fill rate ---------------------------------------------------------------------------


def test_normal_loss_matches_stockpyl():
    for z in (-1.5, 0.0, 0.7, 2.3):
        assert normal_loss(z) == pytest.approx(loss_functions.standard_normal_loss(z)[0], rel=1e-9)


def test_fill_rate_stock_leaves_the_promised_share_short_by_stockpyl_loss():
    # fill rate 98 %: expected units short per cycle must be 2 % of a cycle's demand (100 units)
    draws, suppliers, bom = one_sku(lead_sd_days=6.08)
    out = safety_stock(draws, suppliers, bom, 0.95, fill_rate=0.98).iloc[0]
    mu_p = 200.0
    short, _ = loss_functions.normal_loss(out["reorder_point"], mu_p, out["protection_sd"])
    assert short == pytest.approx(0.02 * 100.0, rel=1e-4)
    assert out["fill_rate"] == pytest.approx(0.98, abs=1e-6)
    # the same promise as a cycle service level needs more stock: 98 % fill rate < 98 % no-stockout cycles
    csl = safety_stock(draws, suppliers, bom, 0.98).iloc[0]
    assert out["safety_stock"] < csl["safety_stock"]
    assert out["service_level"] < 0.98


def test_fill_rate_that_needs_no_buffer_gives_zero_safety_stock():
    # huge cycle demand relative to its noise: even z < 0 meets a 50 % fill rate
    assert z_for_fill_rate(0.5, cycle_demand=1000.0, sigma=10.0) < 0
    draws, suppliers, bom = one_sku(sd=1.0)
    assert safety_stock(draws, suppliers, bom, 0.95, fill_rate=0.5)["safety_stock"].iloc[0] == 0.0


# --- cost-optimal service level ----------------------------------------------------------


def _costs():
    unit_cost, price = pd.Series({"A": 240.0}), pd.Series({"A": 100.0})
    return unit_cost, price  # h = 240 * 0.25 / 12 = 5 per month; p = 0.45 * 100 = 45 -> ratio 0.9


def test_cost_optimal_service_level_is_the_critical_ratio_and_stockpyls_optimum():
    draws, suppliers, bom = one_sku()
    policy = safety_stock(draws, suppliers, bom, 0.95)
    unit_cost, price = _costs()
    out = cost_optimal_service_level(policy, unit_cost, price, holding_pct_year=0.25, stockout_pct_of_price=0.45).iloc[0]
    assert out["overage_eur"] == pytest.approx(5.0) and out["underage_eur"] == pytest.approx(45.0)
    assert out["optimal_service_level"] == pytest.approx(0.9)
    base_stock, _ = newsvendor.newsvendor_normal(5.0, 45.0, 100.0, 20.0, lead_time=1)
    assert 200.0 + out["optimal_safety_stock"] == pytest.approx(base_stock, rel=1e-6)


def test_expected_cycle_cost_matches_stockpyl_newsvendor_cost():
    sigma = 20.0 * np.sqrt(2)
    for z in (-0.5, 0.8, 1.6):
        hold, short = expected_cycle_cost(z, sigma, 5.0, 45.0)
        theirs = newsvendor.newsvendor_normal_cost(200.0 + z * sigma, 5.0, 45.0, 100.0, 20.0, lead_time=1)
        assert hold + short == pytest.approx(theirs, rel=1e-6)


def test_trade_off_curve_is_cheapest_at_the_critical_ratio():
    draws, suppliers, bom = one_sku()
    policy = safety_stock(draws, suppliers, bom, 0.95)
    unit_cost, price = _costs()
    curve = service_cost_curve(
        policy, unit_cost, price, holding_pct_year=0.25, stockout_pct_of_price=0.45, levels=np.linspace(0.5, 0.995, 991)
    )
    best = curve.loc[curve["total_eur_per_year"].idxmin(), "service_level"]
    assert best == pytest.approx(0.9, abs=0.001)
    assert curve["holding_eur_per_year"].is_monotonic_increasing
    assert curve["shortage_eur_per_year"].is_monotonic_decreasing
    assert curve["safety_stock_units"].iloc[-1] == pytest.approx(norm.ppf(0.995) * 20 * np.sqrt(2), rel=1e-6)


# --- inventory risk ----------------------------------------------------------------------


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


def test_inventory_risk_with_huge_production_is_no_stockout():
    out = inventory_risk(_risk_draws(), _flat_plan(1e6), on_hand=pd.Series({"A": 0.0}), backlog=pd.Series({"A": 0.0}))
    assert (out["stockout_probability"] == 0.0).all()
    assert (out["expected_units_short"] == 0.0).all()


def test_inventory_risk_counts_the_backlog_and_on_hand():
    # production equals mean demand: on hand 500 against backlog 500 leaves a coin flip
    draws = _risk_draws()
    out = inventory_risk(draws, _flat_plan(100.0), on_hand=pd.Series({"A": 500.0}), backlog=pd.Series({"A": 500.0}))
    assert out["stockout_probability"].between(0.35, 0.65).all()
    assert out["inventory_p50"].abs().max() < 10
    big = inventory_risk(draws, _flat_plan(100.0), on_hand=pd.Series({"A": 0.0}), backlog=pd.Series({"A": 1000.0}))
    assert (big["stockout_probability"] == 1.0).all()


def test_without_a_priced_and_costed_sku_there_is_no_trade_off_curve():
    draws, suppliers, bom = one_sku()
    policy = safety_stock(draws, suppliers, bom, 0.95)
    unit_cost, price = _costs()
    curve = service_cost_curve(policy.iloc[:0], unit_cost, price, holding_pct_year=0.25, stockout_pct_of_price=0.45)
    assert curve.empty and "total_eur_per_year" in curve
    opt = cost_optimal_service_level(policy, unit_cost * float("nan"), price, holding_pct_year=0.25, stockout_pct_of_price=0.45)
    assert opt["optimal_service_level"].isna().all()
