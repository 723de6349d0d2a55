"""Step 4's report: is the draft plan financially viable, and what do the what-ifs change?

Pure functions for notebook 04: tables in, a sentence, a table or a ``(figure, caption)``
out. The numbers come from `finance`, `launch_timing`, `evaluate` and `outcomes`; this
module only says what they mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import pandas as pd

from sop_lib.core import reporting as rp
from sop_lib.reconciliation.evaluate import BASE, priority_sentence
from sop_lib.reconciliation.finance import against_target, incomplete_revenue
from sop_lib.reconciliation.outcomes import NOT_VALUED, describe
from sop_lib.supply import COST, PRICE, in_words, left_out_sentence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LAUNCH_DELAYS = (0, 3)  # the launch-timing what-if: as planned, and this many months later

# --- revenue and margin -----------------------------------------------------------


def monthly_totals(fin: pd.DataFrame) -> pd.DataFrame:
    """Revenue, target and gross margin of `finance.financial_plan` per month, over every family (NaN: not known)."""
    return fin.groupby("month")[["revenue_eur", "revenue_target_eur", "gross_margin_eur"]].sum(min_count=1)


def revenue_caption(total: pd.DataFrame, compared: bool = True) -> str:
    """What the revenue chart says: the horizon's revenue against finance's target (not ``compared`` when the
    revenue leaves out SKUs without a list price)."""
    revenue, target = total["revenue_eur"].sum(), total["revenue_target_eur"].sum()
    if compared:
        shipped = against_target(revenue, target, rp.fmt_eur)
    elif pd.notna(target) and target > 0:
        shipped = (
            f"{rp.fmt_eur(revenue)} of the SKUs with a list price; the target of {rp.fmt_eur(target)} covers every SKU, "
            "so it is not compared"
        )
    else:
        shipped = f"{rp.fmt_eur(revenue)} of the SKUs with a list price (no revenue target declared)"
    return f"Over the horizon the plan ships {shipped}. The blue band is what customers would buy if supply were unlimited."


def revenue_chart(fin: pd.DataFrame, band: pd.DataFrame, left_out: list[str] = ()) -> tuple[Figure | None, str]:
    """The plan's revenue per month over the demand band and target, and what it says; ``left_out``
    (`finance.left_out_sentences`) follows the caption, or stands alone when no revenue is known."""
    total = monthly_totals(fin)
    note = " ".join(left_out)
    if total["revenue_eur"].isna().all():
        return None, note or "No revenue to chart: no SKU of the plan has a list price."
    fig, _ = rp.revenue_chart("Revenue per month: plan, market demand and target", total, band)
    caption = revenue_caption(total, compared=not incomplete_revenue(fin).any())
    return fig, caption + (f" {note}" if note else "")


def family_margins(fin: pd.DataFrame) -> pd.DataFrame:
    """Per family over the horizon: revenue, gross margin and its share, against target (no target columns
    without targets, no revenue or margin columns where the product master gives no price or cost)."""
    by_fam = fin.groupby("family")[["revenue_eur", "revenue_target_eur", "gross_margin_eur"]].sum(min_count=1)
    basis = fin["revenue_eur"].where(fin["gross_margin_eur"].notna()).groupby(fin["family"]).sum(min_count=1)
    by_fam["gross_margin_pct"] = by_fam["gross_margin_eur"] / basis  # the months whose margin is known
    by_fam["target_margin_pct"] = fin.groupby("family")["gross_margin_target_pct"].mean()
    compared = ~incomplete_revenue(fin).groupby(fin["family"]).any()
    by_fam["vs_target"] = (by_fam["revenue_eur"] / by_fam["revenue_target_eur"] - 1).where(compared)
    return by_fam.dropna(axis=1, how="all").reset_index()


FAMILY_FORMATS = {
    "revenue_eur": rp.fmt_eur,
    "revenue_target_eur": rp.fmt_eur,
    "gross_margin_eur": rp.fmt_eur,
    "gross_margin_pct": ".1%",
    "target_margin_pct": ".0%",
    "vs_target": "+.1%",
}


def family_sentence(by_family: pd.DataFrame) -> str:
    """What the family table holds; it names the targets only when finance declared some, and says
    what a blank cell means when the product master's prices or costs leave figures out."""
    if "revenue_eur" not in by_family:
        return "Finance's targets per family over the horizon: the plan's revenue and gross margin are not computed."
    if "gross_margin_eur" not in by_family:
        beside = ", beside finance's targets" if "revenue_target_eur" in by_family else ""
        return f"Revenue per family over the horizon{beside}: the gross margin is not computed."
    text = "Gross margin after standard cost, inventory holding and overtime, per family over the horizon" + (
        ", against finance's revenue and margin targets." if "vs_target" in by_family else "."
    )
    shown = [c for c in ("revenue_eur", "gross_margin_eur", "vs_target") if c in by_family]
    if by_family[shown].isna().any().any():
        text += " A blank cell is a figure the product master's missing prices or costs leave out."
    return text


# --- the demand-supply gap --------------------------------------------------------

GAP_FORMATS = {"wanted": ",.0f", "shipped": ",.0f", "gap_units": ",.0f", "gap_eur": rp.fmt_eur}
GAP_DETAIL = "Gap per family and month"


def gap_chart(gap: pd.DataFrame) -> tuple[Figure, str]:
    """Backorders at month end per family (`finance.demand_supply_gap`), and the worst month in euros."""
    piv = gap.pivot_table(index="month", columns="family", values="gap_units")
    fig, ax = rp.new_chart("Units demanded but not shipped in the month (backorders at month end)", "units")
    for col in piv.columns:
        ax.plot(piv.index, piv[col], marker="o", label=col)
    ax.legend(frameon=False)
    worst = (
        f"{rp.fmt_eur(gap['gap_eur'].max())} of orders wait in the worst month"
        if gap["gap_eur"].notna().all()
        else f"up to {gap['gap_units'].max():,.0f} units of orders wait in a month (the product master lacks the list "
        "prices to value them in euros)"
    )
    caption = (
        f"Backorders carried at month end per family under the plan; {worst}. Zero means every order of the month is shipped."
    )
    return fig, caption


# --- the launch-timing what-if ----------------------------------------------------

NO_LAUNCH = "No product launch is planned in this cycle, so there is no launch-timing question."
LAUNCH_COLUMNS = {
    "launch_delay_months": "delay (months)",
    "likely_launch": "most likely launch",
    "customer_months_waiting": "customer-months waiting",
    "all_caught_up_by": "everyone served by",
    "launch_units_in_horizon": "launch units",
    "revenue_eur": "revenue",
    "gross_margin_eur": "gross margin",
    "overtime_hours": "overtime hours",
}
LAUNCH_FORMATS = {
    "customer-months waiting": ",.0f",
    "launch units": ",.0f",
    "revenue": rp.fmt_eur,
    "gross margin": rp.fmt_eur,
    "overtime hours": ",.0f",
}


def launch_table(launch: pd.DataFrame) -> pd.DataFrame:
    """`launch_timing`'s rows with the columns a reader needs, in words."""
    return launch.rename(columns=LAUNCH_COLUMNS)[list(LAUNCH_COLUMNS.values())]


def launch_sentence(launch: pd.DataFrame) -> str:
    """Launching as planned against the latest delay: waiting customers, revenue and margin."""
    a, b = launch.iloc[0], launch.iloc[-1]
    delay = int(b["launch_delay_months"] - a["launch_delay_months"])
    later = f"{in_words(delay)} month{'' if delay == 1 else 's'} later"
    revenue, margin = b["revenue_eur"] - a["revenue_eur"], b["gross_margin_eur"] - a["gross_margin_eur"]
    if pd.notna(revenue) and pd.notna(margin):
        money = (
            f"Revenue changes by {rp.fmt_eur_change(revenue)} and gross margin by {rp.fmt_eur_change(margin)} over the horizon."
        )
    elif pd.notna(revenue):
        money = f"Revenue changes by {rp.fmt_eur_change(revenue)} over the horizon; the gross margin is {NOT_VALUED}."
    else:
        money = f"The change in revenue and gross margin is {NOT_VALUED}."
    return (
        f"Launching as planned (most likely {a['likely_launch']:%b %Y}) leaves {a['customer_months_waiting']:,.0f} "
        f"customer-months of waiting for the product it succeeds; {later} leaves {b['customer_months_waiting']:,.0f}. " + money
    )


# --- the what-if scenarios --------------------------------------------------------

NO_SCENARIOS = "No what-if scenario is declared (params: scenarios); the table shows the plan alone."


def adopted_sentence(decision: dict) -> str:
    """A scenario adopted in an earlier cycle that the plan (and every scenario) now starts from."""
    return (
        f"Part of the plan: '{decision['scenario']['name']}', adopted on {decision['cycle']} "
        f"by {decision['owner']} (decision {decision['id']})."
    )


def evaluation_sentence(n_scenarios: int, n_draws: int, seconds: float, workers: int, has_budget: bool) -> str:
    """How the scenario table was made, and what operating profit leaves out when no budget is declared."""
    side_by_side = f" on {workers} processes side by side" if workers > 1 else ""
    return (
        f"The plan and {rp.plural(n_scenarios, 'scenario')}, each planned by the same LP and run against the same "
        f"{n_draws:,} demand draws, in {seconds:.1f} s{side_by_side}. The plan is held fixed for the "
        "horizon here; each month's re-plan would recover part of a shortfall."
        + ("" if has_budget else " No opex budget is declared: operating profit is before operating expenses.")
    )


def values_sentence(products: pd.DataFrame, plan: pd.DataFrame) -> str | None:
    """What the scenario table's euro figures leave out for want of prices or costs (None: nothing)."""
    skus = sorted(set(map(str, plan["sku"])))
    return left_out_sentence("The scenarios' revenue, margin, profit and stock value", products, (PRICE, COST), skus)


def profit_valued(results: pd.DataFrame) -> bool:
    """Whether the scenarios' operating profit is known (a thin product master can leave it not valued)."""
    op = results[(results["metric"] == "operating_profit_eur") & (results["scenario"] != BASE)]
    return bool(op["delta_p50"].notna().any())


def effects_chart(results: pd.DataFrame) -> tuple[Figure | None, str]:
    """The scenario-effects chart and its caption; without a valued profit, a sentence alone (the bullets
    still give each scenario's fill rate and waiting)."""
    if not profit_valued(results):
        return None, f"The scenarios' effect on operating profit is {NOT_VALUED}: the bullets give fill rate and waiting."
    fig, _ = rp.scenario_effects_chart(results)
    return fig, effects_caption(results)


def effects_caption(results: pd.DataFrame) -> str:
    """What the scenario-effects chart shows, and which scenario does most for operating profit."""
    r = results[(results["metric"] == "operating_profit_eur") & (results["scenario"] != BASE)]
    best = r.loc[r["delta_p50"].idxmax()]
    return (
        "Change against the plan, draw by draw: the dot is the most likely change, the line the range "
        f"from P10 to P90. {best['scenario']} does most for operating profit "
        f"({rp.fmt_eur_change(best['delta_p50'])} most likely)."
    )


def scenario_bullets(results: pd.DataFrame, scenarios: Iterable) -> list[str]:
    """One bullet per declared scenario (params ``scenarios``): its effect on profit, fill rate and waiting."""
    return ["• " + describe(results, sc.name, sc.description) for sc in scenarios]


# --- allocation policies ----------------------------------------------------------

NO_ALLOCATION_QUESTION = "Nobody waits today and no launch is planned: the allocation policy changes nothing."
PRIORITY_COLUMNS = ["policy", "rule", "backlog_customer_months", "launch_revenue_eur", "gross_margin_eur", "operating_profit_eur"]
PRIORITY_FORMATS = {
    "backlog_customer_months": ",.0f",
    "launch_revenue_eur": rp.fmt_eur,
    "gross_margin_eur": rp.fmt_eur,
    "operating_profit_eur": rp.fmt_eur,
}
PRIORITY_DETAIL = "Allocation policies on common draws (most likely values)"


def allocation_matters(priorities: pd.DataFrame, launches: pd.DataFrame) -> bool:
    """Whether who gets the scarce units is a question at all: someone waits, or a launch competes."""
    return bool(priorities["backlog_customer_months"].max() > 0 or len(launches))


def tradeoff(priorities: pd.DataFrame, current: str) -> tuple[Figure | None, str]:
    """The allocation trade-off chart (waiting against operating profit) and its sentence; the sentence
    alone when the product master's prices or costs leave the profit not valued."""
    text = priority_sentence(priorities, current, rp.fmt_eur)
    if priorities["operating_profit_eur"].isna().all():
        return None, text
    fig, _ = rp.tradeoff_chart(priorities, current)
    return fig, text


def priority_table(priorities: pd.DataFrame) -> pd.DataFrame:
    """`PRIORITY_COLUMNS` of the allocation table, without a euro column no policy has a figure for."""
    cols = [c for c in PRIORITY_COLUMNS if c not in PRIORITY_FORMATS or priorities[c].notna().any()]
    return priorities[cols]
