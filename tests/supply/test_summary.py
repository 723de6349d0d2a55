"""Step 3's report: what the sentences and charts say, from small tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sop_lib.supply import AT_RISK, RISK_MONTHS, PlanResult, summary

JAN, FEB, MAR, APR = (pd.Timestamp(f"2027-0{m}-01") for m in (1, 2, 3, 4))
PRODUCTS = pd.DataFrame({"sku": ["A", "B", "C"], "name": ["Alpha", "Beta", ""], "unit_cost_eur": [10.0, 100.0, 1.0]})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_small_counts_are_spelt_out_and_large_ones_are_digits():
    assert summary.in_words(1) == "one"
    assert summary.in_words(3) == "three"
    assert summary.in_words(12) == "twelve"
    assert summary.in_words(13) == "13"


def test_plan_sentence_adds_up_the_plan_and_names_each_cost():
    plan = PlanResult(
        plan=pd.DataFrame({"sku": ["A", "A", "B"], "month": [JAN, FEB, JAN], "production": [1000.0, 500.0, 250.0]}),
        line_use=pd.DataFrame(),
        components=pd.DataFrame(),
        cost_eur=2_600_000.0,
        status="optimal",
        costs={
            "waiting_eur": 1.3e6,
            "new_workers_eur": 0.0,
            "below_safety_eur": 856e3,
            "holding_eur": 396e3,
            "overtime_eur": 4e4,
        },
    )
    text = summary.plan_sentence(plan, "p50", 0.95)
    assert text.startswith("Plan built for the P50 demand view at a 95% cycle service level: 1,750 units over 2 months")
    assert "€2.6M of planning cost" in text
    assert "customers waiting €1.3M, new workers €0, stock under safety level €856k, holding €396k, overtime €40k." in text


def test_adopted_sentence_names_the_decision_and_its_scenario():
    text = summary.adopted_sentence({"id": "D-7", "cycle": "2026-10", "owner": "COO", "scenario": {"name": "Second source"}})
    assert text == "In the plan by decision D-7 of 2026-10 (COO): Second source."


def curve() -> pd.DataFrame:
    levels = pd.Series([0.90, 0.95, 0.97, 0.99])
    holding = pd.Series([100.0, 200.0, 300.0, 600.0])
    shortage = pd.Series([900.0, 400.0, 150.0, 50.0])
    return pd.DataFrame(
        {
            "service_level": levels,
            "safety_stock_units": [50.0, 100.0, 150.0, 300.0],
            "safety_stock_eur": [5e3, 1e4, 1.5e4, 3e4],
            "holding_eur_per_year": holding,
            "shortage_eur_per_year": shortage,
            "total_eur_per_year": holding + shortage,
        }
    )


def test_service_cost_caption_compares_the_target_with_the_cheapest_level():
    opt = pd.DataFrame({"sku": ["A", "B"], "optimal_service_level": [0.966, 0.976]})
    fig, caption = summary.service_cost_chart(curve(), opt, target=0.95, stockout_pct=0.3)
    assert fig is not None
    assert caption.startswith("At the 95% target the safety stock is 100 units (€10k); holding it costs €200 a year")
    assert "expected shortages €400" in caption
    # cheapest: 97% at 450 a year, 150 cheaper than 600 at the target
    assert "The cheapest common level is 97.0%, €150 a year cheaper than the target" in caption
    assert "a lost sale (30% of price)" in caption
    assert caption.endswith("ranges from 96.6% to 97.6%.")


def test_inventory_policy_lists_the_dearest_buffer_first_and_the_fill_rate_needs_less():
    ss = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "mean_monthly_demand": [100.0, 10.0],
            "lead_time_days": [14.0, 28.0],
            "safety_stock": [50.0, 20.0],
            "reorder_point": [120.0, 30.0],
            "fill_rate": [0.99, 0.98],
        }
    )
    fr = ss[["sku"]].assign(safety_stock=[30.0, 5.0])
    opt = pd.DataFrame({"sku": ["A", "B"], "optimal_service_level": [0.97, 0.96], "optimal_safety_stock": [60.0, 25.0]})
    policy = summary.inventory_policy(ss, fr, opt, PRODUCTS)
    assert list(policy["sku"]) == ["B", "A"]  # 20 x €100 ties up more than 50 x €10
    assert list(policy["safety_stock_value_eur"]) == [2000.0, 500.0]
    assert set(summary.POLICY_COLUMNS) - {"name"} <= set(policy.columns)
    assert summary.fill_rate_sentence(policy, 0.95) == (
        "Promising 95% of units from stock (fill rate) instead of 95% of cycles without a stock-out "
        "needs 35 units of safety stock instead of 70."
    )


def capacity(status: list[str], line: str = "L1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line_id": line,
            "month": [JAN, FEB, MAR][: len(status)],
            "hours_needed": [100.0, 130.0, 150.0][: len(status)],
            "line_name": f"Line {line}",
            "hours_per_month": 110.0,
            "hours_with_overtime": 140.0,
            "status": status,
        }
    )


def test_line_hours_caption_counts_red_line_months_at_p50_and_p90():
    cap = pd.concat([capacity(["green", "amber", "red"]), capacity(["green", "green", "green"], "L2")])
    cap90 = pd.concat([capacity(["amber", "red", "red"]), capacity(["red", "red", "red"], "L2")])
    fig, caption = summary.line_hours_chart(cap, cap90)
    assert len(fig.axes) == 2  # one panel per line
    assert "1 line-months are red at P50 and 5 at P90" in caption


def test_without_routings_there_is_no_capacity_chart_and_the_sentence_says_why():
    fig, caption = summary.line_hours_chart(capacity([]), capacity([]))
    assert fig is None
    assert caption == summary.NO_ROUTING


def test_only_the_dearest_bottlenecks_get_a_sentence():
    neck = pd.DataFrame({"sentence": [f"limit {i}" for i in range(10)]})
    assert summary.bottleneck_sentences(neck) == [f"limit {i}" for i in range(summary.BOTTLENECKS_SHOWN)]
    assert summary.bottleneck_sentences(neck.head(2)) == ["limit 0", "limit 1"]


FACTS = {
    "backlog": pd.Series({"A": 40.0}),
    "backlog_customers": pd.Series({"A": 4}),
    "on_hand": pd.Series({"A": 0.0}),
}
ORDERS = pd.DataFrame({"sku": ["B", "B", "A"], "qty": [1.0, 2.0, 3.0]})


def test_the_backlog_followed_is_the_launch_predecessor_else_the_most_waited_for():
    launches = pd.DataFrame({"sku": ["NEW"], "analog_sku": ["B"]})
    assert summary.backlog_subject(launches, FACTS, ORDERS) == ("B", "NEW")
    assert summary.backlog_subject(launches.head(0), FACTS, ORDERS) == ("A", None)
    nobody = {**FACTS, "backlog_customers": pd.Series(dtype=float)}
    assert summary.backlog_subject(launches.head(0), nobody, ORDERS.head(0)) == (None, None)


def plan_rows(production: list[float], backorders: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"sku": "A", "month": [JAN, FEB, MAR], "production": production, "backorders": backorders})


def tables() -> dict[str, pd.DataFrame]:
    empty = pd.DataFrame({"sku": pd.Series(dtype=str)})
    return {"products": PRODUCTS, "routings": empty, "bom": empty, "production_lines": pd.DataFrame()}


def test_backlog_chart_shows_the_waiting_with_and_without_the_launch():
    plan = plan_rows([20.0, 20.0, 20.0], [20.0, 10.0, 0.0])
    without = plan_rows([30.0, 30.0, 30.0], [10.0, 0.0, 0.0])
    burn, effect = summary.backlog_with_and_without(plan, without, FACTS, "A")
    assert list(burn["backlog_customers"]) == [2, 0, 0]
    assert list(effect["extra_waiting"]) == [1, 1, 0]
    fig, caption = summary.backlog_chart(burn, effect, FACTS, "A", "NEW", tables())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["without the launch", "with the NEW launch"]
    assert caption.startswith("4 customers are waiting for Alpha (A) today; today's backlog is served by Feb 2027")
    assert "The launch's demand adds 2 customer-months of waiting" in caption


def test_backlog_chart_without_a_launch_has_no_comparison_line():
    plan = plan_rows([20.0, 20.0, 20.0], [20.0, 10.0, 0.0])
    burn, effect = summary.backlog_with_and_without(plan, plan, FACTS, "A")
    fig, caption = summary.backlog_chart(burn, effect, FACTS, "A", None, tables())
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["under the plan"]
    assert caption.endswith("No launch is planned, so nothing else competes for its supply.")


def test_when_nobody_waits_at_any_month_end_there_is_no_chart_only_the_sentence():
    plan = plan_rows([50.0, 20.0, 20.0], [0.0, 0.0, 0.0])
    burn, effect = summary.backlog_with_and_without(plan, plan, FACTS, "A")
    fig, caption = summary.backlog_chart(burn, effect, FACTS, "A", None, tables())
    assert fig is None
    assert caption.endswith(summary.NOBODY_WAITS)


def test_nothing_to_follow_means_no_backlog_rows_and_the_sentence_says_so():
    burn, effect = summary.backlog_with_and_without(plan_rows([1.0] * 3, [0.0] * 3), None, FACTS, None)
    assert burn.empty and effect.empty
    assert summary.backlog_chart(burn, effect, FACTS, None, None, tables()) == (None, summary.NO_BACKLOG)


def test_stockout_chart_counts_skus_above_the_at_risk_share_in_the_near_months_only():
    months = pd.date_range(JAN, periods=RISK_MONTHS + 1, freq="MS")
    late_only = [0.0] * RISK_MONTHS + [0.9]  # risky only after the near months: re-planned before it comes
    risk = pd.DataFrame(
        {
            "sku": ["A"] * len(months) + ["B"] * len(months) + ["C"] * len(months),
            "month": list(months) * 3,
            "stockout_probability": [AT_RISK + 0.1] + [0.0] * RISK_MONTHS + [AT_RISK] * len(months) + late_only,
        }
    )
    fig, caption = summary.stockout_chart(risk, PRODUCTS, n_draws=400)
    bars = fig.axes[0].get_yticklabels()
    assert [b.get_text() for b in bars][-1] == "Alpha (A)"  # the riskiest at the top
    assert f"in the next {RISK_MONTHS} months" in fig.get_suptitle()
    assert caption.startswith(
        f"Share of the 400 demand scenarios in which the plan leaves customers waiting, worst of the next {summary.in_words(RISK_MONTHS)} months."
    )
    assert f"1 SKUs exceed {AT_RISK:.0%}." in caption  # B sits at the threshold, C's risk is beyond the near months


# --- a thin product master -------------------------------------------------------------


def test_plan_sentence_ends_with_the_stand_ins_the_plan_weighs():
    plan = PlanResult(
        plan=pd.DataFrame({"sku": ["A"], "month": [JAN], "production": [10.0]}),
        line_use=pd.DataFrame(),
        components=pd.DataFrame(),
        cost_eur=100.0,
        status="optimal",
        costs={"waiting_eur": 1.0, "new_workers_eur": 0.0, "below_safety_eur": 0.0, "holding_eur": 0.0, "overtime_eur": 0.0},
        valuation="The product master has no list price for any of the 1 SKUs.",
    )
    assert summary.plan_sentence(plan, "p50", 0.95).endswith(
        "overtime €0. The product master has no list price for any of the 1 SKUs."
    )


def test_only_skus_with_a_price_and_a_cost_are_costed_and_the_others_are_named():
    ss = pd.DataFrame({"sku": ["A", "B"], "protection_sd": [1.0, 1.0]})
    facts = {"price": pd.Series({"A": 10.0, "B": float("nan")}), "unit_cost": pd.Series({"A": 5.0, "B": 2.0})}
    assert summary.valued(ss, facts)["sku"].tolist() == ["A"]
    optimum = pd.DataFrame({"sku": ["A", "B"], "optimal_service_level": [0.9, float("nan")]})
    _, caption = summary.service_cost_chart(curve(), optimum, 0.95, 0.3)
    assert "newsvendor optimum ranges from 90.0% to 90.0%" in caption
    assert caption.endswith(
        "The inventory policy's costs are computed for 1 of 2 SKUs only: the product master has no list price or unit cost for B."
    )
    none = optimum.assign(optimal_service_level=float("nan"))
    fig, text = summary.service_cost_chart(curve().iloc[:0], none, 0.95, 0.3)
    assert fig is None
    assert (
        text
        == "The inventory policy's costs are not computed: the product master has no list price or unit cost for any of the 2 SKUs."
    )


def test_the_promise_is_said_beside_its_target_with_the_products_that_fall_short():
    import numpy as np
    import xarray as xr

    from sop_lib.supply import promise

    months = pd.date_range("2026-11-01", periods=3, freq="MS")
    draws = xr.DataArray(
        np.random.default_rng(3).poisson(10, (100, 2, 3)).astype(float),
        dims=("sample", "sku", "ds"),
        coords={"sku": ["A", "B"], "ds": months},
    )
    plan = pd.DataFrame([{"sku": s, "month": m, "production": q} for s, q in (("A", 16), ("B", 8)) for m in months])
    lived = promise.live_through(draws, plan, pd.Series(0.0, ["A", "B"]), pd.Series(0.0, ["A", "B"]))
    expected, by_sku = promise.expected_service(lived, 0.95), promise.service_by_sku(lived)
    text = summary.promise_sentence(expected, by_sku, 0.95)
    assert text.startswith("Held fixed against every demand draw, the plan leaves nobody waiting at month end in ")
    assert "against a 95% target. 1 product of 2 falls short: B (" in text
    cards = summary.promise_cards(expected)
    assert [c["label"] for c in cards] == ["Expected cycle service level, next 3 months", "Expected fill rate, next 3 months"]
    assert cards[0]["tone"] == "bad" and cards[0]["note"].endswith("; target 95%")
    table = summary.promise_table(by_sku, pd.DataFrame({"sku": ["A", "B"], "name": ["Alpha", "Beta"]}), 0.95)
    assert list(table["name"]) == ["Beta"] and table["most at risk in"].iloc[0] in ("Nov 2026", "Dec 2026", "Jan 2027")


def test_plan_planned_against_the_draws_names_its_risk_cost_not_a_safety_shortfall():
    plan = PlanResult(
        plan=pd.DataFrame({"sku": ["A"], "month": [JAN], "production": [10.0]}),
        line_use=pd.DataFrame(),
        components=pd.DataFrame(),
        cost_eur=1000.0,
        status="optimal",
        costs={
            "waiting_eur": 100.0,
            "new_workers_eur": 0.0,
            "below_safety_eur": 0.0,
            "shortage_risk_eur": 600.0,
            "holding_eur": 300.0,
            "overtime_eur": 0.0,
        },
    )
    text = summary.plan_sentence(plan, "p50", 0.95)
    assert "the risk of customers waiting in the demand draws €600" in text and "safety level" not in text


def test_targets_sentence_says_what_the_target_asks_above_the_view_each_month():
    targets = pd.DataFrame(
        {"sku": ["A", "B"] * 3, "month": [JAN, JAN, FEB, FEB, MAR, MAR], "safety_stock": [10.0, 5.0, 20.0, 8.0, 30.0, 9.0]}
    )
    text = summary.targets_sentence(targets, "p50", 0.9)
    assert (
        "Covering 90% of the draws from now to each month's end takes 15 units above the P50 view at the end of Jan 2027" in text
    )
    assert "and 39 by Mar 2027" in text
    assert summary.targets_sentence(None, "p50", 0.9).startswith("The plan holds the inventory policy's safety stock")
