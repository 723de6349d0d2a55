"""Step 5's panels: each chart's sentence says what its data says, and a sentence replaces
the chart where there is nothing to draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sop_lib.executive import panels  # sets the Agg backend (sop_lib.core.reporting)

MONTHS = pd.date_range("2027-01-01", periods=3, freq="MS")
PRODUCTS = pd.DataFrame({"sku": ["K-1"], "name": ["Kettle"]})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_the_scenario_panel_names_the_costliest_scenario_and_is_absent_with_one_scenario():
    rows = [
        ("base", "operating_profit_eur", 0.0),
        ("late supplier", "operating_profit_eur", -12_000.0),
        ("extra shift", "operating_profit_eur", 3_000.0),
        ("base", "fill_rate", 0.0),
        ("late supplier", "fill_rate", -0.02),
        ("extra shift", "fill_rate", 0.01),
    ]
    results = pd.DataFrame(rows, columns=["scenario", "metric", "delta_p50"]).assign(
        delta_p10=lambda d: d["delta_p50"] - 1, delta_p90=lambda d: d["delta_p50"] + 1
    )
    fig, caption = panels.scenario_effects(results)
    assert fig is not None and caption.endswith("The costliest is late supplier (-€12k of operating profit).")
    assert panels.scenario_effects(results[results["scenario"] == "base"]) == (None, "")


def test_the_risk_table_shows_the_largest_five_and_names_the_largest():
    risks = pd.DataFrame(
        {
            "kind": ["supplier"] + ["stock-out"] * 6,
            "risk": [f"risk {i}" for i in range(7)],
            "eur_at_risk": [9e6, 6, 5, 4, 3, 2, 1],
        }
    )
    table, caption = panels.risk_table(risks)
    assert list(table.columns) == ["kind", "risk", "at risk"] and len(table) == 5
    assert caption == "The 5 largest of 7 risks by euros at risk; the largest is a supplier: risk 0, €9.0M."
    table, caption = panels.risk_table(risks.tail(2))
    assert caption.startswith("The 2 largest of 2 risks")


def test_the_waterfall_names_the_largest_step_whatever_its_sign():
    steps = ["last cycle's plan", "demand forecast", "launch timing", "price and mix", "this cycle's plan"]
    change = pd.DataFrame({"step": steps, "eur": [1e6, 2e4, -9e4, 1e4, 9.4e5]}).assign(
        first_month=MONTHS[0], last_month=MONTHS[-1]
    )
    fig, caption = panels.plan_change_chart(change, "2026-12", "2027-01")
    assert fig.get_suptitle() == "Revenue plan: 2026-12 against 2027-01, Jan 2027 to Mar 2027"
    assert caption == (
        "The plan for the months both cycles cover moved from €1.0M to €940k; the largest step is launch timing "
        "(-€90k). The axis does not start at zero."
    )


def fin(target: float) -> pd.DataFrame:
    return pd.DataFrame({"month": MONTHS, "revenue_eur": [100.0, 80.0, 120.0], "revenue_target_eur": target})


BAND = pd.DataFrame({"month": MONTHS, "p10": 50.0, "p90": 150.0})


def test_the_revenue_panel_counts_the_months_below_target_and_names_the_worst():
    assert panels.revenue_panel(fin(110.0), BAND)[1] == "The plan is below target in 2 of 3 months, most in Feb 2027."
    assert panels.revenue_panel(fin(50.0), BAND)[1] == "The plan is below target in 0 of 3 months."
    assert panels.revenue_panel(fin(0.0), BAND)[1] == "The plan ships €300 over 3 months; no revenue target is declared."


def burn(waiting: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"sku": "K-1", "month": MONTHS, "all_waiting_customers": waiting})


LAUNCH = pd.DataFrame({"launch_delay_months": [0, 3], "customer_months_waiting": [1234.0, 2345.0]})


def test_the_backlog_panel_follows_the_product_and_the_launch_it_competes_with():
    fig, text = panels.backlog_panel(burn([5.0, 2.0, 0.0]), LAUNCH, PRODUCTS, 7, MONTHS[2])
    assert fig.get_suptitle() == "Customers waiting for Kettle (K-1)"
    assert text == (
        "7 customers wait today across all products; the chart follows K-1, the product the launch competes with. "
        "With the launch as planned they and new waiting customers add up to 1,234 customer-months of waiting; "
        "a launch 3 months later gives 2,345."
    )
    _, text = panels.backlog_panel(burn([5.0, 2.0, 0.0]), LAUNCH.iloc[0:0], PRODUCTS, 7, MONTHS[2])
    assert text.endswith(
        "the product with the most waiting customers. Under the plan its customers add up to 7 customer-months of waiting."
    )


def test_when_nobody_waits_at_a_month_end_a_sentence_replaces_the_backlog_chart():
    fig, text = panels.backlog_panel(burn([0.0, 0.0, 0.0]), LAUNCH, PRODUCTS, 1200, MONTHS[0])
    assert fig is None
    assert (
        text == "1,200 customers wait today, all served by Jan 2027; under the plan nobody waits at any month end of the horizon."
    )
    _, text = panels.backlog_panel(burn([0.0, 0.0, 0.0]).iloc[0:0], LAUNCH, PRODUCTS, 0, None)
    assert text == "0 customers wait today; under the plan nobody waits at any month end of the horizon."


def test_the_line_load_panel_counts_line_months_above_regular_hours_plus_overtime():
    cap = pd.DataFrame(
        {"month": list(MONTHS) * 2, "line_name": ["L1"] * 3 + ["L2"] * 3, "utilisation": [0.9, 1.15, 1.3, 0.5, 1.21, 0.7]}
    )
    fig, text = panels.line_load_panel(cap, 0.2)
    assert fig is not None
    assert text == "Above the dashed line demand exceeds regular hours plus overtime: 2 line-months, worst 130% of capacity."
    assert panels.line_load_panel(cap, 0.3)[1] == "Every line stays within regular hours plus overtime."
    assert panels.line_load_panel(cap.iloc[0:0], 0.2) == (
        None,
        "No line load to show: the params file declares no production lines with routings.",
    )


def test_the_actions_sentences_count_by_status_and_list_each_overdue_action():
    actions = pd.DataFrame(
        {
            "decision": ["Hire a planner", "Second source", "Raise prices"],
            "owner": ["HR", "Buyer", "CFO"],
            "taken": ["2026-10", "2026-11", "2026-11"],
            "due": ["2026-12", "2027-03", "2026-12"],
            "status": ["overdue", "open", "done"],
        }
    )
    assert panels.actions_sentences(actions, "2027-01") == [
        "3 actions from earlier cycles: 1 done, 1 open, 1 overdue, 0 dropped.",
        "Overdue since 2026-12: Hire a planner (owner HR, decided in 2026-10).",
    ]
    (only,) = panels.actions_sentences(actions.iloc[0:0], "2027-01")
    assert "sop decide --cycle 2027-01" in only and only.startswith("No decision of an earlier cycle is on record.")


def test_the_outcome_table_drops_the_decision_text_and_names_its_columns_in_words():
    outcomes = pd.DataFrame(
        columns=[
            "id",
            "decision",
            "taken",
            "months",
            "expected_operating_profit_eur",
            "expected_fill_rate_points",
            "planned_revenue_eur",
            "booked_revenue_eur",
            "customers_waiting_then",
            "customers_waiting_now",
        ]
    )
    table = panels.outcome_table(outcomes)
    assert "decision" not in table.columns
    assert set(panels.OUTCOME_FORMATS) <= set(table.columns)


def test_without_revenue_or_profit_the_panels_are_sentences_that_say_not_known():
    nan = float("nan")
    fig, text = panels.revenue_panel(fin(110.0).assign(revenue_eur=nan), BAND, "The plan's revenue is not computed: ...")
    assert fig is None and text == "The plan's revenue is not computed: ..."
    fig, text = panels.revenue_panel(fin(110.0), BAND, "The revenue figures leave out 1 of 3 SKUs, ...")
    assert fig is not None and text == "The plan ships €300 over 3 months. The revenue figures leave out 1 of 3 SKUs, ..."
    results = pd.DataFrame(
        {"scenario": ["base", "out"], "metric": "operating_profit_eur", "delta_p10": nan, "delta_p50": nan, "delta_p90": nan}
    )
    fig, text = panels.scenario_effects(results)
    assert fig is None and text.startswith("The what-if scenarios' effect on operating profit is not valued")
    change = pd.DataFrame(
        {"step": ["last cycle's plan", "this cycle's plan"], "eur": nan, "first_month": MONTHS[0], "last_month": MONTHS[-1]}
    )
    fig, text = panels.plan_change_chart(change, "2026-12", "2027-01")
    assert fig is None and text.startswith("How the revenue plan moved since 2026-12 is not known")
    table, caption = panels.risk_table(
        pd.DataFrame(columns=["kind", "risk", "eur_at_risk"]), "Risks in euros are not computed: ..."
    )
    assert table is None and caption == "Risks in euros are not computed: ..."
    assert panels.risk_table(pd.DataFrame(columns=["kind", "risk", "eur_at_risk"])) == (None, panels.NO_RISKS)
