"""Step 5's panels: the charts and small tables of the executive page, each with the
sentence that says what it shows, and the sentences on decisions and earlier actions.

A chart function returns ``(figure, caption)`` for `reporting.panel`; where there is
nothing to draw it returns ``(None, sentence)`` and the notebook says the sentence instead.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sop_lib.core import reporting as rp
from sop_lib.reconciliation import BASE
from sop_lib.reconciliation.outcomes import NOT_VALUED

HALF = {"width": 6.2, "height": 2.7}  # a chart two to a row
TOP_RISKS = 5  # risks shown in the table
PLAN_CHANGE_READS = ("demand_forecast", "products", "financial_plan", "launches")  # both cycles', for the waterfall

NO_DECISIONS = "No decision is asked for this month: capacity, suppliers, targets and people are within their limits."
NO_RISKS = "No stock-out, supplier or supply-gap risk carries euros at risk."
FIRST_CYCLE = "First cycle: there is no earlier plan to compare with."
ACTIONS_DETAIL = "Every action with its owner, due month and status"
OUTCOMES_NOTE = (
    "What happened since the decisions that rested on a scenario, beside what the scenario expected. This is "
    "not the decisions' effect: demand, supply and other decisions changed too."
)
OUTCOMES_DETAIL = "Expected against what happened, per decision"

Shown = tuple[Figure | None, str]


def scenario_effects(results: pd.DataFrame) -> Shown:
    """Each scenario's change against the plan, naming the costliest in operating profit (nothing with one
    scenario; a sentence alone when the product master's prices or costs leave the profit not valued)."""
    if results["scenario"].nunique() < 2:
        return None, ""
    op = results[(results["metric"] == "operating_profit_eur") & (results["scenario"] != BASE)]
    if not op["delta_p50"].notna().any():
        return None, f"The what-if scenarios' effect on operating profit is {NOT_VALUED}; step 4 gives their service."
    fig, _ = rp.scenario_effects_chart(results, width=7.6, row_height=0.32)
    worst = op.loc[op["delta_p50"].idxmin()]
    return fig, (
        "Each dot is a scenario's most likely change against the plan, the line its P10–P90 range. "
        f"The costliest is {worst['scenario']} ({rp.fmt_eur_change(worst['delta_p50'])} of operating profit)."
    )


RISK_FORMATS = {"at risk": rp.fmt_eur}


def risk_table(risks: pd.DataFrame, left_out: str | None = None) -> tuple[pd.DataFrame | None, str]:
    """The largest risks (`asks.top_risks`) as a small table, and its caption naming the largest, then
    ``left_out`` (`asks.risks_left_out`); ``(None, sentence)`` when no risk carries euros."""
    note = f" {left_out}" if left_out else ""
    if risks.empty:  # nothing valued: what is left out says why, else nothing carries euros
        return None, left_out or NO_RISKS
    top = risks.iloc[0]
    caption = (
        f"The {min(len(risks), TOP_RISKS)} largest of {len(risks)} risks by euros at risk; the "
        f"largest is a {top['kind']}: {top['risk']}, {rp.fmt_eur(top['eur_at_risk'])}."
    )
    return risks.head(TOP_RISKS).rename(columns={"eur_at_risk": "at risk"}), caption + note


def plan_change_chart(change: pd.DataFrame, since: str, cycle: str) -> Shown:
    """The waterfall from last cycle's revenue plan to this one's (`since_last.plan_change`), naming the largest
    step; a sentence alone when a cycle's revenue plan is not known (no list prices)."""
    if change["eur"].isna().any():
        return None, f"How the revenue plan moved since {since} is not known: a cycle's product master has no list prices."
    first, last = change["first_month"].iloc[0], change["last_month"].iloc[0]
    fig, _ = rp.waterfall_chart(change, f"Revenue plan: {since} against {cycle}, {first:%b %Y} to {last:%b %Y}", **HALF)
    steps = change.iloc[1:-1]
    biggest = steps.loc[steps["eur"].abs().idxmax()]
    return fig, (
        f"The plan for the months both cycles cover moved from {rp.fmt_eur(change['eur'].iloc[0])} "
        f"to {rp.fmt_eur(change['eur'].iloc[-1])}; the largest step is {biggest['step']} "
        f"({rp.fmt_eur_change(biggest['eur'])}). The axis does not start at zero."
    )


def revenue_panel(fin: pd.DataFrame, band: pd.DataFrame, left_out: str | None = None) -> Shown:
    """Revenue per month: plan, target and the demand band (``revenue_distribution``), and the months below target.
    ``left_out`` (`headline.Figures.revenue_note`) says which SKUs the revenue leaves out: then no comparison with
    the target; with no revenue known at all, the sentence alone."""
    total = fin.groupby("month")[["revenue_eur", "revenue_target_eur"]].sum(min_count=1)
    if total["revenue_eur"].isna().all():
        return None, left_out or "The plan's revenue is not known: no SKU has a list price."
    fig, _ = rp.revenue_chart("Revenue: plan, target and market range", total, band, **HALF)
    if left_out:
        return fig, f"The plan ships {rp.fmt_eur(fin['revenue_eur'].sum())} over {len(total)} months. {left_out}"
    if not fin["revenue_target_eur"].sum() > 0:
        return (
            fig,
            f"The plan ships {rp.fmt_eur(fin['revenue_eur'].sum())} over {len(total)} months; no revenue target is declared.",
        )
    short = total[total["revenue_eur"] < total["revenue_target_eur"]]
    most = f", most in {(total['revenue_eur'] - total['revenue_target_eur']).idxmin():%b %Y}." if len(short) else "."
    return fig, f"The plan is below target in {len(short)} of {len(total)} months{most}"


def backlog_panel(
    burn: pd.DataFrame, launch: pd.DataFrame, products: pd.DataFrame, waiting_today: int, caught_up: pd.Timestamp | None
) -> Shown:
    """Customers waiting at each month end for the product the burn-down follows; a sentence when nobody waits."""
    if burn.empty or not burn["all_waiting_customers"].any():
        served = f", all served by {caught_up:%b %Y}" if caught_up is not None and waiting_today else ""
        return None, (
            f"{waiting_today:,} customers wait today{served}; under the plan nobody waits at any month end of the horizon."
        )
    sku = burn["sku"].iloc[0]
    fig, ax = rp.new_chart(f"Customers waiting for {rp.sku_label(sku, products)}", "customers at month end", **HALF)
    ax.bar(burn["month"], burn["all_waiting_customers"], width=20, color=rp.PALETTE["band"])
    followed = "the product the launch competes with" if len(launch) else "the product with the most waiting customers"
    text = f"{waiting_today:,} customers wait today across all products; the chart follows {sku}, {followed}. "
    if len(launch):
        a, b = launch.iloc[0], launch.iloc[-1]
        text += (
            f"With the launch as planned they and new waiting customers add up to "
            f"{a['customer_months_waiting']:,.0f} customer-months of waiting; a launch "
            f"{int(b['launch_delay_months'])} months later gives {b['customer_months_waiting']:,.0f}."
        )
    else:
        text += f"Under the plan its customers add up to {burn['all_waiting_customers'].sum():,.0f} customer-months of waiting."
    return fig, text


def line_load_panel(capacity: pd.DataFrame, overtime_pct: float) -> Shown:
    """Each line's load from most-likely demand against regular hours and regular hours plus overtime."""
    if capacity.empty:
        return None, "No line load to show: the params file declares no production lines with routings."
    u = capacity.pivot_table(index="month", columns="line_name", values="utilisation")
    fig, ax = rp.new_chart("Line load from most-likely demand", "% of regular hours", **HALF)
    for col in u.columns:
        ax.plot(u.index, u[col] * 100, marker="o", label=col)
    ax.axhline(100, color="k", lw=1)
    ax.axhline(100 * (1 + overtime_pct), color="k", lw=1, ls="--")
    ax.legend(frameon=False, fontsize=8)
    over = capacity[capacity["utilisation"] > 1 + overtime_pct]
    if not len(over):
        return fig, "Every line stays within regular hours plus overtime."
    return fig, (
        f"Above the dashed line demand exceeds regular hours plus overtime: {len(over)} "
        f"line-months, worst {over['utilisation'].max():.0%} of capacity."
    )


def actions_sentences(actions: pd.DataFrame, cycle: str) -> list[str]:
    """How the actions of earlier cycles stand (`records.carried_actions`), one sentence per overdue action."""
    if actions.empty:
        return [
            f"No decision of an earlier cycle is on record. Record this meeting's with sop decide --cycle {cycle} "
            "(or in decisions/<cycle>.yaml beside the params file)."
        ]
    n = actions["status"].value_counts()
    out = [
        f"{rp.plural(len(actions), 'action')} from earlier cycles: {n.get('done', 0)} done, {n.get('open', 0)} open, "
        f"{n.get('overdue', 0)} overdue, {n.get('dropped', 0)} dropped."
    ]
    out += [
        f"Overdue since {a['due']}: {a['decision']} (owner {a['owner']}, decided in {a['taken']})."
        for _, a in actions[actions["status"] == "overdue"].iterrows()
    ]
    return out


OUTCOME_COLUMNS = {
    "expected_operating_profit_eur": "expected profit change",
    "expected_fill_rate_points": "expected fill (pts)",
    "planned_revenue_eur": "revenue planned",
    "booked_revenue_eur": "revenue booked",
    "customers_waiting_then": "waiting then",
    "customers_waiting_now": "waiting now",
}
OUTCOME_FORMATS = {
    "expected profit change": rp.fmt_eur_change,
    "expected fill (pts)": "+.1f",
    "revenue planned": rp.fmt_eur,
    "revenue booked": rp.fmt_eur,
    "waiting then": ",.0f",
    "waiting now": ",.0f",
}


def outcome_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """`records.outcome_review` for the reader: without the decision's text, columns in words (`OUTCOME_FORMATS`)."""
    return outcomes.drop(columns=["decision"]).rename(columns=OUTCOME_COLUMNS)
