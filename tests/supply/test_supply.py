"""Step 3's entry points: demand views, build_plan on step-1-shaped tables, the backlog."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.core.params import FinanceParams, SupplyParams
from sop_lib.supply import (
    PlanResult,
    backlog_burndown,
    build_plan,
    check_staffing,
    launch_effect_on_backlog,
    plan_kwargs,
    planning_values,
    priority_weights,
    scenario_demand,
    sku_draws,
    standin_value,
)

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


# --- build_plan on tables shaped like step 1's -------------------------------------------


def tiny_tables(workers: float = 10.0) -> dict[str, pd.DataFrame]:
    return {
        "products": pd.DataFrame({"sku": ["A"], "unit_cost_eur": [60.0], "list_price_eur": [100.0]}),
        "inventory": pd.DataFrame({"sku": ["A"], "on_hand": [0.0]}),
        "open_orders": pd.DataFrame({"sku": ["A"], "qty": [10.0], "customer_id": ["C1"], "status": ["backordered"]}),
        "production_lines": pd.DataFrame(
            {"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [1000.0], "workers_per_shift": [2]}
        ),
        "routings": pd.DataFrame({"sku": ["A"], "line_id": ["L1"], "hours_per_unit": [1.0]}),
        "bom": pd.DataFrame({"sku": ["A"], "component": ["HEAT"], "qty_per_unit": [1.0], "supplier_id": ["S1"]}),
        "suppliers": pd.DataFrame(
            {
                "supplier_id": ["S1"],
                "supplier_name": ["Thermo"],
                "lead_time_days": [0.0],
                "lead_time_sd_days": [0.0],
                "on_time_rate": [1.0],
                "capacity_units_per_month": [1e6],
            }
        ),
        "headcount": pd.DataFrame(
            {
                "role": ["production_worker"],
                "region": ["all"],
                "headcount": [workers],
                "capacity_per_head": [100.0],
                "hiring_lead_months": [5.0],
            }
        ),
    }


def flat_draws(units: float) -> xr.DataArray:
    return xr.DataArray(
        np.full((4, 1, 2), units), dims=("sample", "sku", "ds"), coords={"sample": np.arange(4), "sku": ["A"], "ds": [JAN, FEB]}
    )


KW = dict(service_level=0.95, scenario="p50", overtime_pct=0.0, holding_pct_year=0.22, overtime_cost=58.0)


def test_build_plan_takes_labour_from_the_headcount_table():
    # 10 workers x 100 h, crew of 2 -> 500 units a month; demand 400 plus 10 waiting fits
    res, ss = build_plan(flat_draws(400.0), tiny_tables(workers=10.0), **KW)
    assert isinstance(res, PlanResult)
    assert res.plan["backorders"].sum() == pytest.approx(0, abs=1e-6)
    assert res.plan.set_index("month").loc[JAN, "production"] == pytest.approx(410)
    assert ss["safety_stock"].iloc[0] == pytest.approx(0)  # no demand noise, no lead time
    # 2 workers -> 100 units a month: the rest waits, and labour is the named limit
    short, _ = build_plan(flat_draws(400.0), tiny_tables(workers=2.0), **KW)
    assert short.plan.set_index("month").loc[JAN, "production"] == pytest.approx(100)
    assert short.labour["shadow_price_eur_per_hour"].gt(0).all()
    free, _ = build_plan(flat_draws(400.0), tiny_tables(workers=2.0), labour=False, **KW)
    assert free.labour.empty and free.plan["backorders"].sum() == pytest.approx(0, abs=1e-6)


def test_plan_kwargs_reads_the_supply_and_finance_params():
    params = SimpleNamespace(
        supply=SupplyParams(storage_limit_units=5000, lateness_cost_pct_of_price_per_month=0.1, review_period_months=2),
        finance=FinanceParams(overtime_cost_eur_per_hour=70),
    )
    kw = plan_kwargs(params)
    assert kw["storage_limit"] == 5000 and kw["lateness_pct"] == 0.1 and kw["overtime_cost"] == 70
    assert kw["stockout_pct"] == 0.30 and kw["scenario"] == "p50" and kw["review_months"] == 2
    res, _ = build_plan(flat_draws(400.0), tiny_tables(), **kw)  # every key is one build_plan accepts
    assert res.constraints["group"].eq("storage limit").any()


def test_people_check_keeps_the_columns_later_steps_read():
    tables = tiny_tables()
    res, _ = build_plan(flat_draws(400.0), tables, **KW)
    demand = scenario_demand(flat_draws(400.0), "p50")
    pipeline = pd.DataFrame({"region": ["DACH"] * 30})
    head = pd.concat(
        [
            tables["headcount"],
            pd.DataFrame(
                {
                    "role": ["sales_rep"],
                    "region": ["DACH"],
                    "headcount": [1.0],
                    "capacity_per_head": [12.0],
                    "hiring_lead_months": [2.0],
                }
            ),
        ]
    )
    out = check_staffing(head, pipeline, demand, res.line_use, tables["production_lines"], today=JAN)
    assert {"role", "region", "available", "required_at_peak", "gap", "hiring_lead_months", "status"} <= set(out.columns)
    reps = out.set_index("role").loc["sales_rep"]
    assert reps["gap"] == 2 and reps["status"] == "red"  # short now, hiring takes 2 months
    workers = out.set_index("role").loc["production_worker"]
    assert workers["required_at_peak"] == 9  # 410 line hours x crew 2 / 100 h


# --- backlog burndown -----------------------------------------------------------------


def test_backlog_burndown_serves_the_backlog_first():
    plan = pd.DataFrame(
        {
            "sku": ["A"] * 3 + ["B"] * 3,
            "month": [MAR, JAN, FEB] * 2,  # unsorted on purpose
            "production": [100.0, 100.0, 100.0, 999.0, 999.0, 999.0],
            "demand": [80.0, 80.0, 80.0, 0.0, 0.0, 0.0],
            "backorders": [0.0, 150.0, 40.0, 0.0, 0.0, 0.0],
        }
    )
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


def test_launch_effect_compares_waiting_customers():
    months = [JAN, FEB]
    with_launch = pd.DataFrame({"month": months, "backlog_customers": [5.0, 0.0], "all_waiting_customers": [9.0, 3.0]})
    without = pd.DataFrame({"month": months, "backlog_customers": [5.0, 0.0], "all_waiting_customers": [6.0, 0.0]})
    out = launch_effect_on_backlog(with_launch, without).set_index("month")
    assert list(out["extra_waiting"]) == [3.0, 3.0]
    assert list(out["all_waiting_customers_without_launch"]) == [6.0, 0.0]


# --- demand views -------------------------------------------------------------------


def test_sku_draws_sums_regions_and_scenario_demand_picks_quantiles():
    samples = np.arange(1, 101, dtype=float)  # 1..100
    values = np.stack([samples, 2 * samples, 10 * samples], axis=1)[:, :, None].repeat(2, axis=2)
    series = xr.DataArray(
        values,
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(100), "unique_id": ["A|DACH", "A|Nordics", "B|DACH"], "ds": [JAN, FEB]},
    )
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


def test_shared_resources_are_named_from_the_companys_own_routings_and_bom():
    from sop_lib.supply import shared_resources

    routings = pd.DataFrame({"sku": ["NEW", "OLD", "X"], "line_id": ["L9", "L9", "L1"]})
    bom = pd.DataFrame(
        {
            "sku": ["NEW", "NEW", "OLD", "OLD"],
            "component": ["C1", "C2", "C1", "C3"],
            "component_name": ["Motor", "Lid", "Motor", "Base"],
        }
    )
    lines = pd.DataFrame({"line_id": ["L9"], "line_name": ["Press hall"]})
    assert shared_resources("NEW", "OLD", routings, bom, lines) == "line Press hall and component (motor)"
    assert shared_resources("NEW", "X", routings, bom, lines) == ""


def test_launch_delay_sentence_gives_a_reason_only_for_a_real_delay():
    from sop_lib.supply import launch_delay_sentence

    none = pd.DataFrame({"extra_waiting": [0.0, 0.0, -3.0]})
    some = pd.DataFrame({"extra_waiting": [0.0, 120.0, 40.0]})
    assert launch_delay_sentence(none, "NEW", "OLD", "line A") == (
        "The NEW launch keeps no one waiting longer, although it needs the same line A."
    )
    assert launch_delay_sentence(some, "NEW", "OLD", "line A") == (
        "The launch's demand adds 160 customer-months of waiting (peak 120 more customers in one month), "
        "because NEW needs the same line A."
    )
    assert launch_delay_sentence(none, "NEW", "OLD", "").endswith("it shares no line or component with OLD.")


# --- a thin product master: no list price or unit cost for some SKUs, or for all --------------


def thin(**values) -> dict[str, pd.DataFrame]:
    """`tiny_tables` with product A's price and cost replaced (NaN: the master has none)."""
    t = tiny_tables()
    t["products"] = t["products"].assign(**values)
    return t


def test_planning_values_are_the_masters_own_when_it_has_every_price_and_cost():
    t = tiny_tables()
    v = planning_values(t, overtime_cost=58.0, lateness_pct=0.08)
    assert v.price is not None and v.price.to_dict() == {"A": 100.0} and v.unit_cost.to_dict() == {"A": 60.0}
    assert v.sentence() is None


def test_without_any_price_every_unit_is_valued_alike_at_what_a_month_of_waiting_must_outweigh():
    # A takes 1 h on L1 (crew 2): overtime 58 + 2 workers x 4,000 / 100 h = 138 EUR an hour; / 8% lateness
    v = planning_values(thin(list_price_eur=np.nan, unit_cost_eur=np.nan), overtime_cost=58.0, lateness_pct=0.08)
    assert v.price["A"] == pytest.approx(138 / 0.08) and v.unit_cost["A"] == pytest.approx(138 / 0.08)
    assert v.sentence().startswith(
        "The product master has no list price for any of the 1 SKUs, so the plan values every unit alike, at €1,725"
    )
    assert "no unit cost either, so stock is costed at that value" in v.sentence()
    assert (
        standin_value(
            {**tiny_tables(), "routings": tiny_tables()["routings"].iloc[:0]},
            overtime_cost=58,
            lateness_pct=0.08,
            worker_cost=4000,
        )
        == 1.0
    )


def test_a_sku_without_a_price_or_cost_gets_the_median_of_the_others():
    t = tiny_tables()
    t["products"] = pd.DataFrame(
        {"sku": ["A", "B", "C"], "list_price_eur": [100.0, 300.0, np.nan], "unit_cost_eur": [50.0, np.nan, 10.0]}
    )
    v = planning_values(t, overtime_cost=58.0, lateness_pct=0.08)
    assert v.price.to_dict() == {"A": 100.0, "B": 300.0, "C": 200.0}  # the median list price
    assert v.unit_cost["B"] == pytest.approx(150.0)  # half its price: A's cost share
    text = v.sentence()
    assert "no list price for 1 of 3 SKUs (C), so the plan values their units at the median list price, €200" in text
    assert "no unit cost for 1 of 3 SKUs (B), so their stock is costed at 50% of their value" in text


def test_build_plan_plans_without_prices_or_costs_and_says_so():
    res, _ = build_plan(flat_draws(400.0), thin(list_price_eur=np.nan, unit_cost_eur=np.nan), **KW)
    assert res.plan["backorders"].sum() == pytest.approx(0, abs=1e-6)  # the waiting customers are served as before
    assert res.plan.set_index("month").loc[JAN, "production"] == pytest.approx(410)
    assert res.valuation and "values every unit alike" in res.valuation
    full, _ = build_plan(flat_draws(400.0), tiny_tables(), **KW)
    assert full.valuation is None


def test_margin_priority_gives_skus_without_a_margin_the_neutral_weight():
    t = tiny_tables()
    t["products"] = pd.DataFrame({"sku": ["A", "B"], "list_price_eur": [100.0, np.nan], "unit_cost_eur": [60.0, 1.0]})
    assert priority_weights("margin", t).to_dict() == {"A": pytest.approx(1.0), "B": 1.0}
    t["products"] = t["products"].assign(list_price_eur=np.nan)
    assert priority_weights("margin", t).to_dict() == {"A": 1.0, "B": 1.0}
