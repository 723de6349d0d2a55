"""What-if scenarios: declared in params, applied as changed inputs of the one planning path,
evaluated on the same demand draws as the plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from sop_lib.core.params import ParamsError, RunParams, Scenario, load_params
from sop_lib.reconciliation import (
    BASE,
    ScenarioError,
    check_scenarios,
    evaluate_scenarios,
    raise_for_scenarios,
    scenario_inputs,
)
from sop_lib.reconciliation.outcomes import profit_and_loss, simulate
from sop_lib.supply import build_plan

MONTHS = pd.date_range("2027-01-01", periods=6, freq="MS")
IDS = ["A|R1", "A|R2", "B|R1"]
KW = dict(service_level=0.9, scenario="p50", overtime_pct=0.0, holding_pct_year=0.22, overtime_cost=58.0)


def tables() -> dict[str, pd.DataFrame]:
    """Two products on two lines, each with its own supplier; no launches, a budget, targets."""
    return {
        "products": pd.DataFrame(
            {
                "sku": ["A", "B"],
                "name": ["Alpha", "Beta"],
                "family": ["F1", "F2"],
                "unit_cost_eur": [60.0, 20.0],
                "list_price_eur": [100.0, 50.0],
            }
        ),
        "inventory": pd.DataFrame({"sku": ["A", "B"], "on_hand": [50.0, 50.0]}),
        "open_orders": pd.DataFrame({"sku": ["A"], "qty": [10.0], "customer_id": ["C1"], "status": ["backordered"]}),
        "production_lines": pd.DataFrame(
            {"line_id": ["L1", "L2"], "line_name": ["One", "Two"], "hours_per_month": [300.0, 300.0]}
        ),
        "routings": pd.DataFrame({"sku": ["A", "B"], "line_id": ["L1", "L2"], "hours_per_unit": [1.0, 1.0]}),
        "bom": pd.DataFrame(
            {"sku": ["A", "B"], "component": ["CA", "CB"], "qty_per_unit": [1.0, 1.0], "supplier_id": ["S1", "S2"]}
        ),
        "suppliers": pd.DataFrame(
            {
                "supplier_id": ["S1", "S2"],
                "supplier_name": ["One Ltd", "Two Ltd"],
                "lead_time_days": [0.0, 0.0],
                "lead_time_sd_days": [0.0, 0.0],
                "on_time_rate": [1.0, 1.0],
                "financial_risk": ["high", "low"],
            }
        ),
        "headcount": pd.DataFrame(columns=["role", "region", "headcount", "capacity_per_head", "hiring_lead_months"]),
        "launches": pd.DataFrame(
            columns=[
                "sku",
                "analog_sku",
                "earliest_launch",
                "likely_launch",
                "latest_launch",
                "cannibalisation_pct",
                "ramp_months",
                "peak_units_per_month",
                "regions",
                "new_territory_share",
            ]
        ),
        "budget": pd.DataFrame({"month": MONTHS, "opex_budget_eur": 1000.0}),
        "targets": pd.DataFrame({"month": MONTHS, "family": "F1", "revenue_target_eur": 15000.0, "gross_margin_target_pct": 0.3}),
        "sales_history": pd.DataFrame({"region": ["R1", "R2"]}),
    }


def draws(samples: int = 300, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    mean = np.array([150.0, 60.0, 200.0])[None, :, None]
    d = rng.gamma(20, mean / 20, size=(samples, len(IDS), len(MONTHS)))
    da = xr.DataArray(
        d, dims=("sample", "unique_id", "ds"), coords={"sample": np.arange(samples), "unique_id": IDS, "ds": MONTHS}
    )
    return xr.Dataset({"demand": da, "statistical": da, "base": da})


def scenario(*changes: dict, name: str = "what if") -> Scenario:
    return Scenario.model_validate({"name": name, "changes": list(changes)})


def evaluate(*scenarios: Scenario, samples: int = 300):
    return evaluate_scenarios(list(scenarios), draws(samples), tables(), plan_kwargs=KW, seed=1)


def delta(ev, name: str, metric: str) -> np.ndarray:
    return ev.per_draw[name][metric].to_numpy() - ev.per_draw[BASE][metric].to_numpy()


# --- params -------------------------------------------------------------------------


def _params(tmp_path, scenarios: list) -> str:
    raw = {
        "company": "T",
        "cycle": "2027-01",
        "data": {"folder": "."},
        "sources": {"sales_history": {"kind": "csv", "path": "s.csv"}, "products": {"kind": "csv", "path": "p.csv"}},
        "scenarios": scenarios,
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(path, check_files=False)
    return str(info.value)


@pytest.mark.parametrize(
    "changes, expected",
    [
        ([{"supplier_failure": {"supplier": "S1", "from": "2027-01", "months": 2}}], "supplier_failure: unknown key"),
        ([{"supplier_outage": {"supplier": "S1", "from": "Jan 2027", "months": 2}}], "expected YYYY-MM"),
        (
            [
                {
                    "supplier_outage": {"supplier": "S1", "from": "2027-01", "months": 2},
                    "line_outage": {"line": "L1", "from": "2027-01", "months": 1},
                }
            ],
            "exactly one of",
        ),
        ([{"demand_change": {"region": "R1", "from": "2027-01", "pct_low": -10, "pct_high": -20}}], "pct_low must not exceed"),
        ([{"price_change": {"pct": 5, "from": "2027-01"}}], "exactly one of family or sku"),
    ],
)
def test_bad_scenarios_are_refused_naming_the_key(tmp_path, changes, expected):
    msg = _params(tmp_path, [{"name": "x", "changes": changes}])
    assert "scenarios.0.changes.0" in msg and expected in msg


def test_scenario_names_are_unique(tmp_path):
    change = [{"launch_delay": {"sku": "A", "months": 1}}]
    assert "unique" in _params(tmp_path, [{"name": "x", "changes": change}, {"name": "x", "changes": change}])


def test_references_the_data_lacks_are_named():
    bad = [
        scenario(
            {"supplier_outage": {"supplier": "S9", "from": "2027-01", "months": 1}},
            {"line_outage": {"line": "L1", "from": "2031-01", "months": 1}},
            {"demand_change": {"region": "Mars", "from": "2027-01", "pct_low": -5, "pct_high": 0}},
            {"launch_delay": {"sku": "A", "months": 2}},
            {"second_source": {"component": "CZ", "from": "2027-01", "lead_time_days": 10}},
            name="bad",
        )
    ]
    problems = check_scenarios(bad, tables(), ["R1", "R2"], MONTHS)
    assert any("changes[0].supplier_outage.supplier: 'S9' is not in suppliers (known: S1, S2)" in p for p in problems)
    assert any("changes[1].line_outage.from: 2031-01 is after the planning horizon" in p for p in problems)
    assert any("changes[2].demand_change.region: 'Mars' is not in data.regions" in p for p in problems)
    assert any("changes[3].launch_delay.sku: 'A' is not in launches" in p for p in problems)
    assert any("changes[4].second_source.component: 'CZ' is not in bom (known: CA, CB)" in p for p in problems)
    assert all(p.startswith("params: scenarios[0] 'bad'") for p in problems) and len(problems) == 5
    params = RunParams.model_validate(
        {
            "company": "T",
            "cycle": "2027-01",
            "data": {"folder": ".", "regions": ["R1"]},
            "sources": {"sales_history": {"kind": "csv", "path": "s"}, "products": {"kind": "csv", "path": "p"}},
            "scenarios": [bad[0].model_dump(by_alias=True)],
            "demand": {"horizon_months": 6},
        }
    )
    with pytest.raises(ScenarioError, match="5 problem"):
        raise_for_scenarios(params, tables())


# --- changes do what they say, and nothing else --------------------------------------


def test_the_base_plan_is_the_step_3_plan():
    ev = evaluate()
    step3, _ = build_plan(scenario_inputs(None, draws(), tables(), seed=1).draws, tables(), **KW)
    pd.testing.assert_frame_equal(ev.plans[BASE], step3.plan)


def test_a_zero_month_outage_is_the_base_draw_for_draw():
    ev = evaluate(scenario({"supplier_outage": {"supplier": "S1", "from": "2027-02", "months": 0}}))
    pd.testing.assert_frame_equal(ev.per_draw["what if"], ev.per_draw[BASE])


def test_a_supplier_outage_stops_only_the_products_that_need_it():
    ev = evaluate(scenario({"supplier_outage": {"supplier": "S1", "from": "2027-02", "months": 2}}))
    base, out = ev.plans[BASE].set_index(["sku", "month"]), ev.plans["what if"].set_index(["sku", "month"])
    assert out.loc[("A", MONTHS[1]), "production"] == pytest.approx(0, abs=1e-6)
    assert out.loc[("A", MONTHS[2]), "production"] == pytest.approx(0, abs=1e-6)
    assert out.xs("A")["backorders"].sum() > base.xs("A")["backorders"].sum() + 100
    np.testing.assert_allclose(out.xs("B")["backorders"], base.xs("B")["backorders"], atol=1e-6)
    assert (delta(ev, "what if", "fill_rate") < 0).mean() > 0.9
    assert np.median(delta(ev, "what if", "operating_profit_eur")) < 0  # the plan pre-builds, but loses sales


def test_a_line_outage_and_an_extra_shift_change_that_line_only():
    ev = evaluate(
        scenario({"line_outage": {"line": "L2", "from": "2027-03", "months": 1}}, name="L2 down"),
        scenario(
            {
                "capacity_change": {
                    "line": "L1",
                    "hours_per_month": 100,
                    "from": "2027-01",
                    "to": "2027-02",
                    "cost_eur_per_hour": 10,
                }
            },
            name="shift",
        ),
    )
    down = ev.plans["L2 down"].set_index(["sku", "month"])
    assert down.loc[("B", MONTHS[2]), "production"] == pytest.approx(0, abs=1e-6)
    np.testing.assert_allclose(
        down.xs("A")["production"], ev.plans[BASE].set_index(["sku", "month"]).xs("A")["production"], atol=1e-6
    )
    # the shift's cost (2 months x 100 h x EUR 10) is an operating expense
    dop = ev.per_draw["shift"]["operating_profit_eur"] - ev.per_draw["shift"]["gross_margin_eur"]
    dop0 = ev.per_draw[BASE]["operating_profit_eur"] - ev.per_draw[BASE]["gross_margin_eur"]
    np.testing.assert_allclose(dop - dop0, -2000.0)


def test_a_demand_change_scales_its_region_and_months_only():
    sc = scenario({"demand_change": {"region": "R1", "from": "2027-04", "pct_low": -30, "pct_high": -30}})
    base = scenario_inputs(None, draws(), tables(), seed=1).draws
    changed = scenario_inputs(sc, draws(), tables(), seed=1).draws
    ratio = (changed / base).mean("sample")
    d = draws()["demand"]
    factor = xr.DataArray(np.where(MONTHS >= "2027-04-01", 0.7, 1.0), dims="ds", coords={"ds": MONTHS})
    expected_a = (factor * d.sel(unique_id="A|R1") + d.sel(unique_id="A|R2")).mean("sample")
    np.testing.assert_allclose(ratio.sel(sku="B").values, [1, 1, 1, 0.7, 0.7, 0.7])
    np.testing.assert_allclose(changed.sel(sku="A").mean("sample").values, expected_a.values, rtol=1e-9)


def test_a_price_change_moves_revenue_not_service_on_common_draws():
    ev = evaluate(scenario({"price_change": {"sku": "B", "pct": 10, "from": "2027-04"}}))
    np.testing.assert_allclose(delta(ev, "what if", "fill_rate"), 0.0)
    assert (delta(ev, "what if", "revenue_eur") > 0).all()
    r = ev.results.set_index(["scenario", "metric"])
    assert r.loc[("what if", "fill_rate"), "delta_p90"] == 0.0  # common random numbers: no noise in the difference


def test_the_same_inputs_give_the_same_numbers():
    a, b = evaluate(), evaluate()
    pd.testing.assert_frame_equal(a.results, b.results)


# --- the plan under uncertainty ------------------------------------------------------


def _sim(prod: list[float], demand: list[float], start: float = 0.0) -> pd.DataFrame:
    months = MONTHS[: len(prod)]
    plan = pd.DataFrame({"sku": "A", "month": months, "production": prod})
    d = xr.DataArray(
        np.array(demand, float)[None, None, :], dims=("sample", "sku", "ds"), coords={"sample": [0], "sku": ["A"], "ds": months}
    )
    return simulate(
        plan,
        d,
        on_hand=pd.Series({"A": start}),
        backlog=pd.Series(dtype=float),
        price=pd.Series({"A": 10.0}),
        unit_cost=pd.Series({"A": 4.0}),
        holding_pct_year=0.12,
    )


def test_what_is_sold_is_what_the_plan_makes_available():
    short = _sim([10, 10], [15, 5]).iloc[0]  # 5 wait a month, then are served
    assert short["revenue_eur"] == pytest.approx(200.0)  # all 20 shipped in the end
    assert short["fill_rate"] == pytest.approx(0.75)  # 15 of 20 served in the month ordered
    assert short["backorder_unit_months"] == pytest.approx(5.0)
    ample = _sim([10, 10], [5, 15]).iloc[0]
    assert ample["fill_rate"] == pytest.approx(1.0) and ample["avg_inventory_eur"] == pytest.approx(10.0)
    pnl = profit_and_loss(
        _sim([10, 10], [15, 5]), overtime_eur=7, hiring_eur=3, opex_eur=50, extra_cost_eur=0, units_per_customer=2.5
    ).iloc[0]
    assert pnl["gross_margin_eur"] == pytest.approx(200 - 80 - 0 - 7)
    assert pnl["operating_profit_eur"] == pytest.approx(200 - 80 - 7 - 50 - 3)
    assert pnl["customer_months_waiting"] == pytest.approx(2.0)


def test_a_longer_lead_time_changes_the_supplier_table_of_that_scenario_only():
    t = tables()
    inp = scenario_inputs(scenario({"lead_time_change": {"supplier": "S1", "days": 60}}), draws(), t, seed=1)
    assert inp.tables["suppliers"].set_index("supplier_id").loc["S1", "lead_time_days"] == 60
    assert t["suppliers"]["lead_time_days"].eq(0).all()  # the base tables are untouched
    _, ss_base = build_plan(inp.draws, t, **KW)
    _, ss_long = build_plan(inp.draws, inp.tables, **KW)
    assert ss_long.set_index("sku").loc["A", "safety_stock"] > ss_base.set_index("sku").loc["A", "safety_stock"]
    assert ss_long.set_index("sku").loc["B", "safety_stock"] == ss_base.set_index("sku").loc["B", "safety_stock"]


def test_a_launch_delay_rebuilds_demand_as_step_2_did():
    from sop_lib.demand import apply_launches

    t = tables()
    t["products"] = pd.concat(
        [
            t["products"],
            pd.DataFrame({"sku": ["N"], "name": ["New"], "family": ["F1"], "unit_cost_eur": [70.0], "list_price_eur": [120.0]}),
        ]
    )
    t["launches"] = pd.DataFrame(
        {
            "sku": ["N"],
            "analog_sku": ["A"],
            "earliest_launch": [MONTHS[1]],
            "likely_launch": [MONTHS[1]],
            "latest_launch": [MONTHS[2]],
            "cannibalisation_pct": [0.5],
            "ramp_months": [2.0],
            "peak_units_per_month": [100.0],
            "regions": ["R1;R2"],
            "new_territory_share": [0.0],
        }
    )
    ds = draws()
    plan_demand = apply_launches(ds["base"], t["launches"], seed=1)  # what step 2 hands over
    ds = xr.Dataset({"demand": plan_demand, "statistical": plan_demand, "base": ds["base"]})  # as step 2 writes it
    same = scenario_inputs(scenario({"launch_delay": {"sku": "N", "months": 0}}), ds, t, seed=1).draws
    base = scenario_inputs(None, ds, t, seed=1).draws
    xr.testing.assert_allclose(same, base)
    late = scenario_inputs(scenario({"launch_delay": {"sku": "N", "months": 3}}), ds, t, seed=1).draws
    assert float(late.sel(sku="N").isel(ds=slice(0, 4)).sum()) < float(base.sel(sku="N").isel(ds=slice(0, 4)).sum())
    assert float(late.sel(sku="A").isel(ds=slice(1, 4)).mean()) > float(base.sel(sku="A").isel(ds=slice(1, 4)).mean())


def test_a_hiring_freeze_stops_hiring_in_its_months_only():
    from sop_lib.supply.production import plan_production

    months = pd.date_range("2027-01-01", periods=6, freq="MS")
    demand = pd.DataFrame({"sku": "A", "month": months, "units": [100, 100, 400, 400, 400, 400.0]})
    one = pd.Series({"A": 1.0})
    common = dict(
        demand=demand,
        on_hand=one * 0,
        backlog=one * 0,
        safety=one * 0,
        routings=pd.DataFrame({"sku": ["A"], "line_id": ["L1"], "hours_per_unit": [1.0]}),
        lines=pd.DataFrame({"line_id": ["L1"], "line_name": ["One"], "hours_per_month": [1000.0], "workers_per_shift": [1.0]}),
        bom=pd.DataFrame(columns=["sku", "component", "qty_per_unit", "supplier_id"]),
        suppliers=pd.DataFrame(columns=["supplier_id"]),
        unit_cost=one * 50,
        price=one * 100,
        workers=1.0,
        hours_per_worker=100.0,
        hiring_lead_months=1,
        worker_cost_eur_per_month=100.0,
    )
    free = plan_production(**common).labour.set_index("month")["new_workers"]
    frozen = plan_production(**common, hiring_frozen=list(months[1:3])).labour.set_index("month")["new_workers"]
    assert free.loc[months[2]] > 2  # hires for the step up in March
    assert frozen.loc[months[1]] == pytest.approx(0, abs=1e-6) and frozen.loc[months[2]] == pytest.approx(0, abs=1e-6)
    assert frozen.loc[months[3]] > 2  # and hires once the freeze ends


def test_a_priority_policy_puts_its_products_first_when_units_are_scarce():
    from sop_lib.supply import priority_weights

    t = tables()
    t["production_lines"] = pd.DataFrame({"line_id": ["L1"], "line_name": ["One"], "hours_per_month": [250.0]})
    t["routings"] = pd.DataFrame({"sku": ["A", "B"], "line_id": ["L1", "L1"], "hours_per_unit": [1.0, 1.0]})
    cost = evaluate_scenarios([], draws(), t, plan_kwargs={**KW, "priority": "cost"}, seed=1)
    backlog = evaluate_scenarios([], draws(), t, plan_kwargs={**KW, "priority": "backlog_first"}, seed=1)
    wait = lambda ev, sku: ev.plans[BASE].query("sku == @sku")["backorders"].sum()  # noqa: E731
    assert wait(backlog, "A") < wait(cost, "A") or wait(cost, "A") == 0  # A has the customers waiting today
    assert list(priority_weights("backlog_first", t).loc[["A", "B"]]) == [10.0, 1.0]
    assert priority_weights("cost", t) is None
    with pytest.raises(ValueError, match="unknown priority"):
        priority_weights("loudest_customer", t)


def test_a_second_source_brings_back_what_an_outage_stopped_at_a_premium():
    outage = {"supplier_outage": {"supplier": "S1", "from": "2027-02", "months": 4}}
    second = {"second_source": {"component": "CA", "from": "2027-02", "lead_time_days": 31, "cost_premium_pct": 20}}
    ev = evaluate(scenario(outage, name="out"), scenario(outage, second, name="out + second source"))
    out = ev.plans["out"].set_index(["sku", "month"])
    both = ev.plans["out + second source"].set_index(["sku", "month"])
    assert out.loc[("A", MONTHS[3]), "production"] == pytest.approx(0, abs=1e-6)
    assert both.loc[("A", MONTHS[1]), "production"] == pytest.approx(0, abs=1e-6)  # still inside its lead time
    assert both.loc[("A", MONTHS[3]), "production"] > 100  # from March the second source delivers
    assert (delta(ev, "out + second source", "fill_rate") > delta(ev, "out", "fill_rate")).mean() > 0.9
    # the premium: 20% of A's standard cost (60) on every unit of A made with it, as an operating expense
    made = both.xs("A").loc[MONTHS[2] : MONTHS[4], "production"].sum()
    op = ev.per_draw["out + second source"]
    np.testing.assert_allclose(
        op["gross_margin_eur"]
        - op["operating_profit_eur"]
        - (ev.per_draw[BASE]["gross_margin_eur"] - ev.per_draw[BASE]["operating_profit_eur"]),
        0.2 * 60 * made,
        rtol=1e-9,
    )


# --- a thin product master -------------------------------------------------------------


def _thin_sim(price: dict, cost: dict) -> pd.DataFrame:
    months = MONTHS[:2]
    plan = pd.DataFrame({"sku": ["A", "A", "B", "B"], "month": list(months) * 2, "production": [10.0, 10.0, 5.0, 5.0]})
    d = xr.DataArray(
        np.array([[[10.0, 10.0], [5.0, 5.0]]]),
        dims=("sample", "sku", "ds"),
        coords={"sample": [0], "sku": ["A", "B"], "ds": months},
    )
    sim = simulate(
        plan,
        d,
        on_hand=pd.Series({"A": 4.0, "B": 0.0}),
        backlog=pd.Series(dtype=float),
        price=pd.Series(price, dtype=float),
        unit_cost=pd.Series(cost, dtype=float),
        holding_pct_year=0.12,
        groups={"launch": ["B"]},
    )
    return (
        profit_and_loss(sim, overtime_eur=0, hiring_eur=0, opex_eur=0, extra_cost_eur=0, units_per_customer=1)
        .assign(launch=sim["revenue_eur[launch]"])
        .iloc[0]
    )


def test_a_scenario_without_prices_or_costs_has_service_but_no_euros():
    nan = float("nan")
    none = _thin_sim({"A": nan, "B": nan}, {"A": nan, "B": nan})
    assert none["fill_rate"] == pytest.approx(1.0)
    for metric in ("revenue_eur", "gross_margin_eur", "operating_profit_eur", "avg_inventory_eur", "launch"):
        assert pd.isna(none[metric]), metric  # not valued, not €0
    some = _thin_sim({"A": 10.0, "B": nan}, {"A": 4.0, "B": 2.0})
    assert some["revenue_eur"] == pytest.approx(200.0) and pd.isna(some["launch"])  # A's only
    assert some["gross_margin_eur"] == pytest.approx(200 - 80 - 4 * 4 * 0.12 / 12 * 2)  # A: 4 units held both months
    assert some["avg_inventory_eur"] == pytest.approx(16.0)  # A's 4 units at 4 EUR (B's stock is nil)


def test_scenario_table_drops_what_is_not_valued_and_says_so():
    from sop_lib.reconciliation.outcomes import describe, side_by_side, summarise

    per_draw = {
        name: pd.DataFrame(
            {
                "revenue_eur": [np.nan] * 3,
                "gross_margin_eur": np.nan,
                "operating_profit_eur": np.nan,
                "fill_rate": [0.9, 0.95, 1.0] if name == BASE else [0.8, 0.85, 0.9],
                "customer_months_waiting": [10.0, 5.0, 0.0],
                "avg_inventory_eur": np.nan,
                "cash_tied_up_eur": np.nan,
            }
        )
        for name in (BASE, "out")
    }
    results = summarise(per_draw, revenue_target_eur=100.0)
    assert "p_revenue_target" not in set(results["metric"])  # no revenue: no chance of the target
    table = side_by_side(results, lambda v: f"€{v:,.0f}")
    assert list(table.columns) == ["scenario", "fill rate", "customer-months waiting"]
    assert describe(results, "out").startswith("out: operating profit not valued (the product master lacks")


def test_scenarios_and_policies_solved_side_by_side_give_the_plans_of_a_loop():
    from sop_lib.reconciliation import compare_priorities

    outage = {"supplier_outage": {"supplier": "S1", "from": "2027-02", "months": 4}}
    second = {"second_source": {"component": "CA", "from": "2027-02", "lead_time_days": 31, "cost_premium_pct": 20}}
    each = [scenario(outage, name="out"), scenario(outage, second, name="out + second source")]
    alone = evaluate_scenarios(each, draws(), tables(), plan_kwargs=KW, seed=1)
    side = evaluate_scenarios(each, draws(), tables(), plan_kwargs=KW, seed=1, workers=2)
    assert (alone.workers, side.workers) == (1, 2)
    assert list(side.plans) == [BASE, "out", "out + second source"]  # the order of a loop, whoever finished first
    for name in side.plans:
        pd.testing.assert_frame_equal(side.plans[name], alone.plans[name])
        pd.testing.assert_frame_equal(side.per_draw[name], alone.per_draw[name])
    pd.testing.assert_frame_equal(side.results, alone.results)
    policies = [compare_priorities(draws(), tables(), plan_kwargs=KW, seed=1, workers=w) for w in (1, 2)]
    pd.testing.assert_frame_equal(policies[0], policies[1])
