"""The production LP on programmes small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.supply.production import (
    PlanInfeasible,
    bottlenecks,
    capacity_check,
    plan_production,
)

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


# --- one SKU, one line, hours_per_unit = 1 ------------------------------------------------


def one_sku_plan(
    *,
    hours: float,
    demand=(150.0, 20.0),
    price: float = 100.0,
    overtime_pct: float = 0.0,
    on_hand: float = 0.0,
    backlog: float = 0.0,
    safety: float | pd.DataFrame = 0.0,
    supplier_capacity: float = 1e6,
    overtime_cost: float = 58.0,
    crew: int | None = None,
    lead_days: float = 0.0,
    on_time: float = 1.0,
    **extra,
):
    """Hand-sized plan; ``crew`` adds workers per shift to the line (for labour)."""
    months = [JAN, FEB, MAR][: len(demand)]
    crew_col = {"workers_per_shift": [crew]} if crew is not None else {}
    return plan_production(
        pd.DataFrame({"sku": "A", "month": months, "units": list(demand)}),
        on_hand=pd.Series({"A": on_hand}),
        backlog=pd.Series({"A": backlog}),
        safety=safety if isinstance(safety, pd.DataFrame) else pd.Series({"A": safety}),
        routings=pd.DataFrame({"sku": ["A"], "line_id": ["L1"], "hours_per_unit": [1.0]}),
        lines=pd.DataFrame({"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [hours], **crew_col}),
        bom=pd.DataFrame({"sku": ["A"], "component": ["HEAT"], "qty_per_unit": [1.0], "supplier_id": ["S1"]}),
        suppliers=pd.DataFrame(
            {
                "supplier_id": ["S1"],
                "supplier_name": ["Thermo"],
                "capacity_units_per_month": [supplier_capacity],
                "lead_time_days": [lead_days],
                "on_time_rate": [on_time],
            }
        ),
        unit_cost=pd.Series({"A": 60.0}),
        price=pd.Series({"A": price}),
        holding_pct_year=0.22,
        overtime_pct=overtime_pct,
        overtime_cost=overtime_cost,
        **extra,
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


def test_binding_capacity_is_named_in_plain_words():
    res = one_sku_plan(hours=100, demand=(150, 20), price=100)
    table = bottlenecks(res)
    assert list(table["constraint"]) == ["line Line one"]
    row = table.iloc[0]
    assert row["peak_month"] == JAN and row["months_binding"] == 1
    assert row["peak_value_eur"] == pytest.approx(9.0, abs=1e-6)
    assert "Line one" in row["sentence"] and "Jan 2027" in row["sentence"] and "€9.00" in row["sentence"]
    assert "hour" in row["sentence"]


def test_no_bottleneck_when_nothing_binds():
    assert bottlenecks(one_sku_plan(hours=1000, demand=(150, 20))).empty


# --- storage -----------------------------------------------------------------------------


def test_storage_limit_caps_prebuild_and_its_dual_is_the_saved_lost_sale():
    # 60 hours a month, demand 0 then 100: without a limit 40 are built ahead in January.
    free = one_sku_plan(hours=60, demand=(0, 100))
    assert free.plan.set_index("month").loc[JAN, "inventory"] == pytest.approx(40)
    res = one_sku_plan(hours=60, demand=(0, 100), storage_limit=30)
    plan = res.plan.set_index("month")
    assert plan.loc[JAN, "inventory"] == pytest.approx(30)
    assert plan.loc[FEB, "backorders"] == pytest.approx(10)
    # one more unit of space: build one more in January (holding 60 * 0.22 / 12 = 1.1, tie-break 0.001)
    # and one customer fewer waits at the horizon end (waiting 0.08 * 100 + 1 = 9, lost sale 0.30 * 100 = 30)
    store = res.constraints[res.constraints["group"] == "storage limit"].set_index("month")
    assert store.loc[JAN, "shadow_price"] == pytest.approx(39 - 1.1 - 0.001, abs=1e-6)
    assert store.loc[FEB, "shadow_price"] == pytest.approx(0, abs=1e-9)
    # February's line hour is worth even more (39 - 0.001): both are listed, the line first
    assert list(bottlenecks(res)["constraint"]) == ["line Line one", "warehouse space"]


# --- labour and hiring -------------------------------------------------------------------


def test_labour_limits_production_and_has_a_dual():
    # crew of 2: one unit (1 line hour) takes 2 worker-hours; 1 worker x 100 h -> 50 units a month
    res = one_sku_plan(hours=1000, demand=(80, 0), crew=2, workers=1, hours_per_worker=100, hiring_lead_months=5)
    plan = res.plan.set_index("month")
    assert list(plan["production"]) == pytest.approx([50, 30])
    assert plan.loc[JAN, "backorders"] == pytest.approx(30)
    lab = res.labour.set_index("month")
    assert lab.loc[JAN, "worker_hours"] == pytest.approx(100)
    assert lab.loc[JAN, "workers_needed"] == pytest.approx(1)
    # one more worker-hour = half a unit that does not wait a month: 0.5 x 9 EUR
    assert lab.loc[JAN, "shadow_price_eur_per_hour"] == pytest.approx(4.5, abs=1e-6)
    assert (lab["new_workers"] == 0).all()


def test_hiring_starts_after_the_lead_time_and_hired_workers_stay():
    # 150 a month from February needs 3 workers; 1 today, hires allowed from month 1 (lead 1)
    res = one_sku_plan(
        hours=1000,
        demand=(50, 150, 150),
        crew=2,
        workers=1,
        hours_per_worker=100,
        hiring_lead_months=1,
        worker_cost_eur_per_month=100,
    )
    lab = res.labour.set_index("month")
    assert list(lab["new_workers"]) == pytest.approx([0, 2, 2])
    assert res.plan["backorders"].sum() == pytest.approx(0, abs=1e-6)
    assert res.costs["new_workers_eur"] == pytest.approx(400)


# --- components inside the supplier lead time --------------------------------------------


def test_inside_the_lead_time_only_components_on_order_count():
    # lead time 45 days: nothing new arrives in January, 52 % of February's capacity, all of March's
    on_order = pd.DataFrame({"component": ["HEAT"], "month": [JAN], "qty": [20.0]})
    res = one_sku_plan(hours=1000, demand=(100, 100, 100), supplier_capacity=1000, lead_days=45.6, on_order=on_order)
    plan = res.plan.set_index("month")
    assert plan.loc[JAN, "production"] == pytest.approx(20)
    assert plan.loc[JAN, "backorders"] == pytest.approx(80)
    assert plan.loc[FEB, "production"] == pytest.approx(180)
    comp = res.components.set_index("month")
    assert list(comp["capacity"]) == pytest.approx([20, 500, 1000])


def test_without_orders_on_file_the_frozen_window_counts_on_time_deliveries_only():
    # lead half a month, 80 % on time, 50 a month: 25 can still be ordered + 25 x 0.8 booked = 45
    res = one_sku_plan(hours=1000, demand=(100, 0), supplier_capacity=50, lead_days=15.2, on_time=0.8)
    assert res.components.set_index("month").loc[JAN, "capacity"] == pytest.approx(45)
    assert res.plan.set_index("month").loc[JAN, "production"] == pytest.approx(45)


def test_without_orders_on_file_later_months_get_the_first_months_supply():
    """Each month is made when it is the first month of a later plan: no plan counts on more."""
    res = one_sku_plan(hours=1000, demand=(100, 100, 100), supplier_capacity=50, lead_days=15.2, on_time=0.8)
    assert list(res.components["capacity"]) == pytest.approx([45, 45, 45])


# --- safety stock ------------------------------------------------------------------------


def test_stock_is_never_held_back_from_waiting_customers_to_look_like_a_buffer():
    # 40 waiting, demand 50 a month, safety stock 30, but the line makes only 60 a month
    res = one_sku_plan(hours=60, demand=(50, 50, 50), backlog=40, safety=30)
    plan = res.plan
    assert ((plan["inventory"] > 1e-6) & (plan["backorders"] > 1e-6)).sum() == 0
    assert plan["backorders"].iloc[0] == pytest.approx(30)  # 60 made: 40 waiting served first, then 20 of 50
    # the waiting unit-month is costed at its lateness (0.08 x price + 1), not also as a missing buffer
    # (30, 20, 10 waiting; the 10 still waiting at the end also cost the stockout share, 0.3 x price)
    assert plan["backorders"].tolist() == pytest.approx([30, 20, 10])
    assert res.costs["waiting_eur"] == pytest.approx(60 * 9.0 + 10 * 30.0)


def test_a_month_with_a_higher_stock_target_is_built_ahead_when_its_line_is_full():
    targets = pd.DataFrame({"sku": "A", "month": [JAN, FEB, MAR], "safety_stock": [0.0, 0.0, 40.0]})
    res = one_sku_plan(hours=100, demand=(50, 50, 100), price=1000.0, safety=targets)
    plan = res.plan.set_index("month")
    assert plan.loc[MAR, "inventory"] == pytest.approx(40)  # March's line makes 100: its buffer was made before
    assert plan["production"].sum() == pytest.approx(240)
    assert plan.loc[FEB, "below_safety"] == pytest.approx(0)


# --- infeasible plans --------------------------------------------------------------------


def test_minimum_run_rate_against_small_warehouse_names_both():
    # lines must run 90 h of 100 but only 10 units fit in the warehouse and demand is 20
    with pytest.raises(PlanInfeasible) as err:
        one_sku_plan(hours=100, demand=(20, 20), storage_limit=10, min_line_hours_pct=0.9)
    assert err.value.groups == ["minimum line hours", "storage limit"]
    msg = str(err.value)
    assert "cannot all hold together" in msg and "10 finished units" in msg and "90%" in msg
    assert "labour" not in msg and "component" not in msg


def test_stock_on_hand_over_the_storage_limit_is_named_alone():
    with pytest.raises(PlanInfeasible) as err:
        one_sku_plan(hours=100, demand=(0, 0), on_hand=500, storage_limit=100)
    assert err.value.groups == ["storage limit"]
    assert "this constraint cannot hold" in str(err.value)


def test_minimum_run_rate_against_component_supply_names_those_two():
    with pytest.raises(PlanInfeasible) as err:
        one_sku_plan(hours=100, demand=(200, 200), supplier_capacity=50, min_line_hours_pct=0.8)
    assert err.value.groups == ["minimum line hours", "component supply"]


# --- capacity check -----------------------------------------------------------------


def test_capacity_check_statuses():
    lines = pd.DataFrame({"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [100.0]})
    routings = pd.DataFrame({"sku": ["A", "B"], "line_id": ["L1", "L1"], "hours_per_unit": [0.5, 1.0]})
    months = [JAN, FEB, MAR, pd.Timestamp("2027-04-01"), pd.Timestamp("2027-05-01")]
    # hours needed per month: 90, 100, 105, 110, 115 (A at 0.5 h plus B at 1 h)
    demand = pd.DataFrame(
        {
            "sku": ["A"] * 5 + ["B"] * 5,
            "month": months * 2,
            "units": [100, 100, 100, 100, 100, 40, 50, 55, 60, 65],
        }
    )
    out = capacity_check(demand, routings, lines, overtime_pct=0.1).set_index("month")
    assert list(out["hours_needed"]) == pytest.approx([90, 100, 105, 110, 115])
    assert list(out["utilisation"]) == pytest.approx([0.9, 1.0, 1.05, 1.1, 1.15])
    assert list(out["hours_with_overtime"]) == pytest.approx([110] * 5)
    assert list(out["status"]) == ["green", "green", "amber", "amber", "red"]
    assert (out["line_name"] == "Line one").all()


# --- planned against the demand draws ------------------------------------------------------


def _two_sku_draws_plan(hours: float, backlog_b: float = 0.0, cost_b: float = 10.0):
    """A (dear) and B (cheap unless ``cost_b``) on one line, one hour a unit; demand draws with a long right tail."""
    from sop_lib.supply.inventory import shortage_cuts
    from sop_lib.supply.plan import scenario_demand

    rng = np.random.default_rng(3)
    months = [JAN, FEB, MAR]
    values = rng.gamma(4.0, 10.0, size=(2000, 2, 3))  # mean 40 a month, sd 20
    draws = xr.DataArray(values, dims=("sample", "sku", "ds"), coords={"sku": ["A", "B"], "ds": months})
    view = scenario_demand(draws, "p50")
    cuts = shortage_cuts(draws, view, 0.95)
    res = plan_production(
        view,
        on_hand=pd.Series({"A": 0.0, "B": 0.0}),
        backlog=pd.Series({"A": 0.0, "B": backlog_b}),
        safety=pd.Series({"A": 0.0, "B": 0.0}),
        shortage=cuts,
        service_level=0.95,
        routings=pd.DataFrame({"sku": ["A", "B"], "line_id": ["L1", "L1"], "hours_per_unit": [1.0, 1.0]}),
        lines=pd.DataFrame({"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [hours]}),
        bom=pd.DataFrame(columns=["sku", "component", "qty_per_unit", "supplier_id"]),
        suppliers=pd.DataFrame(columns=["supplier_id", "capacity_units_per_month", "lead_time_days", "on_time_rate"]),
        unit_cost=pd.Series({"A": 600.0, "B": cost_b}),
        price=pd.Series({"A": 1200.0, "B": 2 * cost_b}),
        overtime_pct=0.0,
    )
    return res, draws


def test_planned_against_the_draws_with_room_each_month_covers_the_target_share():
    res, draws = _two_sku_draws_plan(hours=10_000)
    made = res.plan.pivot_table(index="sku", columns="month", values="production").cumsum(axis=1)
    demand_to_date = np.cumsum(draws.values, axis=2)  # (sample, sku, month)
    covered = (demand_to_date <= made.to_numpy()[None] + 1e-6).mean(axis=0)
    assert covered.min() >= 0.93 and covered.max() <= 0.975  # at the 95% target, not padded far beyond
    assert res.costs["shortage_risk_eur"] > 0 and res.costs["below_safety_eur"] == 0


@pytest.mark.parametrize("mean, cost", [(40, 600.0), (40, 2.0), (150, 20.0)])
def test_a_product_nothing_limits_is_bought_to_the_target_share_of_whole_unit_draws(mean, cost):
    # bought, not made: no line, no supplier capacity, no warehouse limit; negative binomial draws of whole units
    from sop_lib.supply.inventory import shortage_cuts
    from sop_lib.supply.plan import scenario_demand

    rng = np.random.default_rng(3)
    values = rng.negative_binomial(8, 8 / (8 + mean), size=(1000, 2, 3)).astype(float)
    draws = xr.DataArray(values, dims=("sample", "sku", "ds"), coords={"sku": ["A", "B"], "ds": [JAN, FEB, MAR]})
    view = scenario_demand(draws, "p50")
    res = plan_production(
        view,
        on_hand=pd.Series({"A": 0.0, "B": 0.0}),
        backlog=pd.Series({"A": 0.0, "B": 0.0}),
        safety=pd.Series({"A": 0.0, "B": 0.0}),
        shortage=shortage_cuts(draws, view, 0.95),
        service_level=0.95,
        routings=pd.DataFrame(columns=["sku", "line_id", "hours_per_unit"]),
        lines=pd.DataFrame({"line_id": [], "line_name": [], "hours_per_month": []}),
        bom=pd.DataFrame(columns=["sku", "component", "qty_per_unit", "supplier_id"]),
        suppliers=pd.DataFrame(columns=["supplier_id", "capacity_units_per_month", "lead_time_days", "on_time_rate"]),
        unit_cost=pd.Series({"A": cost, "B": cost}),
        price=pd.Series({"A": 2 * cost, "B": 2 * cost}),
        overtime_pct=0.0,
    )
    bought = res.plan.pivot_table(index="sku", columns="month", values="production").cumsum(axis=1).to_numpy()
    covered = (np.cumsum(values, axis=2) <= bought[None] + 1e-6).mean(axis=0)
    assert covered.min() >= 0.95 and covered.max() <= 0.96  # on the target: nothing competes for supply


def test_when_the_line_is_short_waiting_customers_come_before_another_products_buffer():
    # A and B alike; B has 60 customers waiting; in January the line makes 140, 7 more than the
    # median demand and B's backlog need: nobody waits in the plan's view, the buffers share what is left
    res, _ = _two_sku_draws_plan(hours=140, backlog_b=60.0, cost_b=600.0)
    jan = res.plan[res.plan["month"] == JAN].set_index("sku")
    assert jan["backorders"].sum() == pytest.approx(0, abs=1e-6)
    assert jan["inventory"].sum() == pytest.approx(140 - jan["demand"].sum() - 60, abs=1e-6)


def _draw_family(kind: str, rng) -> np.ndarray:
    """(sample, sku, month) demand draws of one kind: what step 2 hands over, from slow movers to continuous."""
    shape = (int(rng.integers(40, 400)), 3, 4)
    if kind == "zeros":
        return np.zeros(shape)
    if kind == "constant":
        return np.full(shape, float(rng.integers(1, 50)))
    if kind == "slow":
        return rng.poisson(rng.uniform(0.05, 1.0), shape).astype(float)
    if kind == "counts":
        mean = rng.uniform(5, 500)
        return rng.negative_binomial(3, 3 / (3 + mean), shape).astype(float)
    return rng.lognormal(rng.uniform(0, 8), rng.uniform(0.05, 1.5), shape).astype(np.float32).astype(float)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["zeros", "constant", "slow", "counts", "continuous"])
def test_the_plans_shortage_curve_is_the_upper_envelope_of_the_draws_tangents(kind, seed):
    """The LP holds a SKU-month's expected backlog as segments between its tangents' corners: at any net
    stock, the cheapest the segments allow is the highest tangent (or zero), for every kind of draws."""
    from scipy.optimize import linprog

    from sop_lib.supply.inventory import shortage_cuts
    from sop_lib.supply.plan import scenario_demand
    from sop_lib.supply.production import _shortage_curves

    rng = np.random.default_rng(seed)
    values = _draw_family(kind, rng)
    months = pd.date_range("2027-01-01", periods=values.shape[2], freq="MS")
    draws = xr.DataArray(values, dims=("sample", "sku", "ds"), coords={"sku": ["A", "B", "C"], "ds": months})
    view = scenario_demand(draws, "p50")
    cuts = shortage_cuts(draws, view, float(rng.choice([0.9, 0.95, 0.98])))
    skus, free = ["A", "B", "C"], np.array([True, False, bool(seed % 2)])
    curves = _shortage_curves(cuts, skus, list(months), free)
    cuts = cuts[~cuts["fine"] | cuts["sku"].map(dict(zip(skus, free)))]
    for j, at in enumerate(curves.at):
        tangents = cuts[(cuts["sku"] == skus[at // len(months)]) & (cuts["month"] == months[at % len(months)])]
        cols = np.flatnonzero(curves.curve == j)
        span = tangents["net"].to_numpy()
        for x in np.r_[span, span.min() - 10.0, span.max() + 10.0, rng.uniform(span.min() - 5, span.max() + 5, 5)]:
            envelope = max(0.0, (tangents["expected_short"] - tangents["chance_short"] * (x - tangents["net"])).max())
            res = linprog(
                curves.slope[cols],
                A_eq=curves.sign[cols][None],
                b_eq=[x - curves.start[j]],
                bounds=[(0, None if np.isinf(w) else w) for w in curves.width[cols]],
                method="highs",
            )
            assert res.status == 0
            assert curves.level[j] + res.fun == pytest.approx(envelope, rel=1e-7, abs=1e-6 * (1 + abs(x)))


def test_a_plan_with_no_shortage_cuts_for_its_skus_makes_the_demand_and_holds_no_buffer():
    empty = pd.DataFrame(columns=["sku", "month", "level", "fine", "net", "expected_short", "chance_short"])
    res = plan_production(
        pd.DataFrame({"sku": "A", "month": [JAN, FEB], "units": [10.0, 20.0]}),
        on_hand=pd.Series({"A": 0.0}),
        backlog=pd.Series({"A": 0.0}),
        safety=pd.Series({"A": 0.0}),
        shortage=empty,
        service_level=0.95,
        routings=pd.DataFrame({"sku": ["A"], "line_id": ["L1"], "hours_per_unit": [1.0]}),
        lines=pd.DataFrame({"line_id": ["L1"], "line_name": ["Line one"], "hours_per_month": [100.0]}),
        bom=pd.DataFrame(columns=["sku", "component", "qty_per_unit", "supplier_id"]),
        suppliers=pd.DataFrame(columns=["supplier_id", "capacity_units_per_month", "lead_time_days", "on_time_rate"]),
        unit_cost=pd.Series({"A": 10.0}),
        price=pd.Series({"A": 20.0}),
    )
    assert res.plan["production"].tolist() == pytest.approx([10.0, 20.0]) and res.plan["inventory"].max() == pytest.approx(0.0)
    assert res.costs["shortage_risk_eur"] == 0.0
