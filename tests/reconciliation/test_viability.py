"""Step 4's report: what the sentences, tables and charts say, from small tables."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sop_lib.reconciliation import BASE, viability

JAN, FEB = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def fin(targets: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": ["Kettles", "Kettles", "Toasters", "Toasters"],
            "month": [JAN, FEB, JAN, FEB],
            "revenue_eur": [60e3, 40e3, 30e3, 10e3],
            "gross_margin_eur": [30e3, 20e3, 9e3, 3e3],
            "revenue_target_eur": [50e3, 50e3, 20e3, 20e3] if targets else [np.nan] * 4,
            "gross_margin_target_pct": [0.45] * 4 if targets else [np.nan] * 4,
        }
    )


def test_revenue_caption_sets_the_horizon_against_the_target():
    total = viability.monthly_totals(fin())
    assert list(total["revenue_eur"]) == [90e3, 50e3]
    assert viability.revenue_caption(total).startswith("Over the horizon the plan ships €140k against a target of €140k (+0.0%).")
    assert "(no revenue target declared)" in viability.revenue_caption(viability.monthly_totals(fin(targets=False)))


def test_family_margins_against_target_and_without_targets_no_target_columns():
    by_fam = viability.family_margins(fin()).set_index("family")
    assert by_fam.loc["Kettles", "gross_margin_pct"] == pytest.approx(0.5)
    assert by_fam.loc["Toasters", "vs_target"] == pytest.approx(-0.0)
    assert by_fam.loc["Kettles", "target_margin_pct"] == pytest.approx(0.45)
    assert viability.family_sentence(by_fam).endswith(", against finance's revenue and margin targets.")
    bare = viability.family_margins(fin(targets=False))
    assert not {"revenue_target_eur", "target_margin_pct", "vs_target"} & set(bare.columns)
    assert viability.family_sentence(bare).endswith("per family over the horizon.")


def test_gap_caption_names_the_worst_month_in_euros():
    gap = pd.DataFrame({"family": ["Kettles", "Kettles"], "month": [JAN, FEB], "gap_units": [10.0, 0.0], "gap_eur": [5.6e6, 0.0]})
    fig, caption = viability.gap_chart(gap)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Kettles"]
    assert "€5.6M of orders wait in the worst month" in caption


def launch(delays=(0, 3)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "launch_delay_months": list(delays),
            "likely_launch": [pd.Timestamp("2027-03-01"), pd.Timestamp("2027-06-01")][: len(delays)],
            "customers_waiting_now": 4000,
            "customer_months_waiting": [11340.0, 11382.0][: len(delays)],
            "all_caught_up_by": FEB,
            "launch_units_in_horizon": [15444.0, 8118.0][: len(delays)],
            "revenue_eur": [90.1e6, 88.2e6][: len(delays)],
            "gross_margin_eur": [41.5e6, 40.576e6][: len(delays)],
            "overtime_hours": [695.0, 595.0][: len(delays)],
        }
    )


def test_launch_table_has_every_column_in_words():
    view = viability.launch_table(launch())
    assert list(view.columns) == list(viability.LAUNCH_COLUMNS.values())
    assert set(viability.LAUNCH_FORMATS) <= set(view.columns)


def test_launch_sentence_spells_the_delay_and_signs_the_changes():
    text = viability.launch_sentence(launch())
    assert text.startswith("Launching as planned (most likely Mar 2027) leaves 11,340 customer-months of waiting")
    assert "three months later leaves 11,382." in text
    assert "Revenue changes by -€1.9M and gross margin by -€924k over the horizon." in text
    assert "one month later" in viability.launch_sentence(launch(delays=(0, 1)))


def test_adopted_sentence_names_the_scenario_and_who_decided():
    a = {"id": "D-3", "cycle": "2026-10", "owner": "CFO", "scenario": {"name": "Second source"}}
    assert viability.adopted_sentence(a) == "Part of the plan: 'Second source', adopted on 2026-10 by CFO (decision D-3)."


def test_evaluation_sentence_says_operating_profit_is_before_opex_only_without_a_budget():
    with_budget = viability.evaluation_sentence(1, 1600, 0.84, 1, has_budget=True)
    assert with_budget.startswith(
        "The plan and 1 scenario, each planned by the same LP and run against the same 1,600 demand draws, in 0.8 s."
    )
    assert "operating expenses" not in with_budget
    without = viability.evaluation_sentence(6, 200, 2.0, 1, has_budget=False)
    assert "The plan and 6 scenarios" in without
    assert without.endswith("No opex budget is declared: operating profit is before operating expenses.")


def test_evaluation_sentence_says_when_the_plans_were_solved_side_by_side():
    assert "in 41.0 s on 2 processes side by side." in viability.evaluation_sentence(6, 200, 41.0, 2, has_budget=True)
    assert "side by side" not in viability.evaluation_sentence(6, 200, 41.0, 1, has_budget=True)


def results() -> pd.DataFrame:
    rows = []
    for sc, profit, fill, wait in [
        (BASE, 0.0, 0.0, 0.0),
        ("Price up", 480e3, 0.0, 0.0),
        ("Supplier fails", -8e6, -0.259, 340619.0),
    ]:
        for metric, d in [("operating_profit_eur", profit), ("fill_rate", fill), ("customer_months_waiting", wait)]:
            rows.append({"scenario": sc, "metric": metric, "delta_p10": d * 1.1, "delta_p50": d, "delta_p90": d * 0.9})
    return pd.DataFrame(rows)


def test_effects_caption_names_the_scenario_that_does_most_for_operating_profit():
    text = viability.effects_caption(results())
    assert text.endswith("Price up does most for operating profit (+€480k most likely).")


def test_the_base_never_wins_the_effects_caption_even_when_every_scenario_loses():
    r = results()
    r = r[r["scenario"] != "Price up"]
    assert "Supplier fails does most" in viability.effects_caption(r)


def test_one_bullet_per_declared_scenario_with_its_description():
    declared = [SimpleNamespace(name="Supplier fails", description="nothing for four months")]
    (bullet,) = viability.scenario_bullets(results(), declared)
    assert bullet.startswith("• Supplier fails (nothing for four months): operating profit -€8.0M against the plan")
    assert "fill rate -25.9 points" in bullet


def test_allocation_is_a_question_only_when_someone_waits_or_a_launch_competes():
    nobody = pd.DataFrame({"backlog_customer_months": [0.0, 0.0]})
    waiting = pd.DataFrame({"backlog_customer_months": [0.0, 12.0]})
    no_launch, a_launch = pd.DataFrame({"sku": []}), pd.DataFrame({"sku": ["NEW"]})
    assert not viability.allocation_matters(nobody, no_launch)
    assert viability.allocation_matters(nobody, a_launch)
    assert viability.allocation_matters(waiting, no_launch)


# --- a thin product master -------------------------------------------------------------


def thin_fin(**cols) -> pd.DataFrame:
    f = fin().assign(**cols)
    return f.assign(revenue_vs_target_eur=f["revenue_eur"] - f["revenue_target_eur"])


def test_without_revenue_there_is_no_chart_only_what_is_left_out():
    band = pd.DataFrame({"month": [JAN, FEB], "p10": np.nan, "p50": np.nan, "p90": np.nan})
    note = ["Revenue, gross margin and the euros of the demand–supply gap are not computed: ..."]
    fig, text = viability.revenue_chart(thin_fin(revenue_eur=np.nan, gross_margin_eur=np.nan), band, note)
    assert fig is None and text == note[0]
    by_fam = viability.family_margins(thin_fin(revenue_eur=np.nan, gross_margin_eur=np.nan))
    assert list(by_fam.columns) == ["family", "revenue_target_eur", "target_margin_pct"]
    assert viability.family_sentence(by_fam) == (
        "Finance's targets per family over the horizon: the plan's revenue and gross margin are not computed."
    )


def test_revenue_that_leaves_skus_out_is_not_set_against_the_target():
    partial = thin_fin()
    partial.loc[0, "revenue_vs_target_eur"] = np.nan  # Kettles in January: a SKU without a list price
    band = pd.DataFrame({"month": [JAN, FEB], "p10": 1.0, "p50": 2.0, "p90": 3.0})
    fig, text = viability.revenue_chart(partial, band, ["Revenue ... are computed for 3 of 4 SKUs only: ..."])
    assert fig is not None
    assert text.startswith("Over the horizon the plan ships €140k of the SKUs with a list price; the target of €140k")
    assert text.endswith("Revenue ... are computed for 3 of 4 SKUs only: ...")
    by_fam = viability.family_margins(partial).set_index("family")
    assert pd.isna(by_fam.loc["Kettles", "vs_target"]) and by_fam.loc["Toasters", "vs_target"] == pytest.approx(0)
    no_margin = viability.family_margins(thin_fin(gross_margin_eur=np.nan))
    assert viability.family_sentence(no_margin) == (
        "Revenue per family over the horizon, beside finance's targets: the gross margin is not computed."
    )


def test_gap_launch_and_scenario_sentences_say_not_valued_instead_of_a_number():
    gap = pd.DataFrame({"family": ["Kettles"], "month": [JAN], "gap_units": [10.0], "gap_eur": [np.nan]})
    _, caption = viability.gap_chart(gap)
    assert "up to 10 units of orders wait in a month (the product master lacks the list prices to value them" in caption
    assert "nan" not in caption
    text = viability.launch_sentence(launch().assign(revenue_eur=np.nan, gross_margin_eur=np.nan))
    assert text.endswith(
        "The change in revenue and gross margin is not valued (the product master lacks the list prices or unit costs)."
    )
    assert "gross margin is not valued" in viability.launch_sentence(launch().assign(gross_margin_eur=np.nan))
    r = results()
    r.loc[r["metric"] == "operating_profit_eur", ["delta_p10", "delta_p50", "delta_p90"]] = np.nan
    fig, caption = viability.effects_chart(r)
    assert fig is None and caption.startswith("The scenarios' effect on operating profit is not valued")
    (bullet,) = viability.scenario_bullets(r, [SimpleNamespace(name="Supplier fails", description="")])
    assert bullet.startswith("• Supplier fails: operating profit not valued") and "fill rate -25.9 points" in bullet


def test_allocation_without_profit_compares_waiting_only():
    table = pd.DataFrame(
        {
            "policy": ["cost", "backlog_first"],
            "rule": ["", ""],
            "backlog_customer_months": [30.0, 10.0],
            "launch_revenue_eur": np.nan,
            "gross_margin_eur": np.nan,
            "operating_profit_eur": np.nan,
        }
    )
    fig, text = viability.tradeoff(table, "cost")
    assert fig is None
    assert text.startswith("Customers waiting today are served fastest with 'backlog_first' (10 customer-months")
    assert "operating profit is not valued" in text
    assert list(viability.priority_table(table).columns) == ["policy", "rule", "backlog_customer_months"]


def test_values_sentence_names_the_skus_the_scenarios_cannot_value():
    products = pd.DataFrame({"sku": ["A", "B"], "list_price_eur": [1.0, 2.0], "unit_cost_eur": [0.5, np.nan]})
    plan = pd.DataFrame({"sku": ["A", "B"]})
    assert viability.values_sentence(products, plan) == (
        "The scenarios' revenue, margin, profit and stock value are computed for 1 of 2 SKUs only: the product master "
        "has no list price or unit cost for B."
    )
    assert viability.values_sentence(products.assign(unit_cost_eur=1.0), plan) is None
