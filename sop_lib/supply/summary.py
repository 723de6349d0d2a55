"""Step 3's report: the sentences, tables and charts that say what the supply plan means.

Every function here is pure: tables in, a sentence, a table or a ``(figure, caption)`` out,
so notebook 03 stays a memo of a few calls and every sentence is tested on small data.
A chart function returns ``(None, sentence)`` when there is nothing to chart; the sentence
then says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sop_lib.core import reporting as rp
from sop_lib.supply.backlog import (
    backlog_burndown,
    backlog_facts,
    backlog_sentence,
    launch_effect_on_backlog,
    most_waited_for,
    shared_resources,
)
from sop_lib.supply.inventory import AT_RISK, RISK_MONTHS, near_term_stockout
from sop_lib.supply.plan import COST, left_out_text, listing
from sop_lib.supply.production import PlanResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MONTH_BAR_DAYS = 20  # a monthly bar on a date axis, in days: wide, with a gap between months
BOTTLENECKS_SHOWN = 6  # the binding limits worth a sentence each, dearest first
AT_RISK_SHOWN = 12  # SKUs on the stock-out chart

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def in_words(n: int) -> str:
    """'three' for 3: a sentence spells small counts out (digits from 13 on)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


# --- the plan ---------------------------------------------------------------------


def adopted_sentence(decision: dict) -> str:
    """Which earlier decision put a scenario into this plan (a decision record of `executive.records`)."""
    return (
        f"In the plan by decision {decision['id']} of {decision['cycle']} ({decision['owner']}): {decision['scenario']['name']}."
    )


def plan_sentence(plan: PlanResult, scenario: str, service_level: float) -> str:
    """What was planned, for which demand view, and what the planning cost is made of (and, for a
    thin product master, which stand-ins for prices or costs the plan weighs: `supply.planning_values`)."""
    p, c = plan.plan, plan.costs
    return (
        f"Plan built for the {scenario.upper()} demand view at a {service_level:.0%} cycle service level: "
        f"{p['production'].sum():,.0f} units over {p['month'].nunique()} months for "
        f"{rp.fmt_eur(plan.cost_eur)} of planning cost: customers waiting {rp.fmt_eur(c['waiting_eur'])}, "
        f"new workers {rp.fmt_eur(c['new_workers_eur'])}, "
        + (
            f"the risk of customers waiting in the demand draws {rp.fmt_eur(c['shortage_risk_eur'])}, "
            if c.get("shortage_risk_eur")
            else f"stock under safety level {rp.fmt_eur(c['below_safety_eur'])}, "
        )
        + f"holding {rp.fmt_eur(c['holding_eur'])}, overtime {rp.fmt_eur(c['overtime_eur'])}."
    ) + (f" {plan.valuation}" if plan.valuation else "")


# --- the inventory policy ---------------------------------------------------------


def policy_costs(params) -> dict:
    """The cost keywords of `inventory.cost_optimal_service_level` and `service_cost_curve` from a `RunParams`."""
    return dict(
        holding_pct_year=params.finance.holding_cost_pct_per_year,
        stockout_pct_of_price=params.supply.stockout_cost_pct_of_price,
        review_months=params.supply.review_period_months,
    )


def valued(ss: pd.DataFrame, facts: dict[str, pd.Series]) -> pd.DataFrame:
    """The safety-stock rows of the SKUs with both a list price and a unit cost (`supply.plan_inputs`):
    the ones whose inventory cost can be computed (every row for a full product master)."""
    both = facts["price"].notna() & facts["unit_cost"].notna()
    return ss[ss["sku"].isin(set(both.index[both.to_numpy()]))]


def policy_left_out(optimum: pd.DataFrame) -> str | None:
    """Which SKUs the inventory cost leaves out: those without an optimum (`inventory.cost_optimal_service_level`
    has none without a list price or a unit cost); None when none is left out."""
    missing = sorted(map(str, optimum.loc[optimum["optimal_service_level"].isna(), "sku"]))
    return left_out_text("The inventory policy's costs", missing, len(optimum), "list price or unit cost")


def service_cost_chart(
    curve: pd.DataFrame, optimum: pd.DataFrame, target: float, stockout_pct: float
) -> tuple[Figure | None, str]:
    """Holding against shortage cost over the service level, and what the target costs over the cheapest level
    (``(None, sentence)`` when no SKU has a price and a cost; the SKUs left out are named)."""
    left_out = policy_left_out(optimum)
    if curve.empty:
        return None, left_out or "No SKU has a safety stock: there is no inventory cost to chart."
    best = curve.loc[curve["total_eur_per_year"].idxmin()]
    at = curve.iloc[(curve["service_level"] - target).abs().argmin()]
    scope = "the SKUs with a price and a cost" if left_out else "all SKUs"
    fig, ax = rp.new_chart(f"Yearly inventory cost against the cycle service level ({scope})", "€ per year")
    x = curve["service_level"] * 100
    ax.plot(x, curve["holding_eur_per_year"], color=rp.PALETTE["p50"], label="holding the buffer")
    ax.plot(x, curve["shortage_eur_per_year"], color=rp.PALETTE["bad"], label="expected shortages")
    ax.plot(x, curve["total_eur_per_year"], color="k", lw=2, label="total")
    ax.axvline(target * 100, color=rp.PALETTE["target"], ls="--", lw=1, label="target")
    ax.axvline(best["service_level"] * 100, color=rp.PALETTE["good"], ls=":", lw=1.5, label="cheapest")
    ax.set_xlabel("cycle service level, %")
    ax.yaxis.set_major_formatter(lambda v, _: rp.fmt_eur(v))
    ax.legend(frameon=False, fontsize=8)
    known = optimum["optimal_service_level"].dropna()
    caption = (
        f"At the {target:.0%} target the safety stock is {at['safety_stock_units']:,.0f} units "
        f"({rp.fmt_eur(at['safety_stock_eur'])}); holding it costs {rp.fmt_eur(at['holding_eur_per_year'])} a year "
        f"and expected shortages {rp.fmt_eur(at['shortage_eur_per_year'])}. The cheapest common level is "
        f"{best['service_level']:.1%}, {rp.fmt_eur(at['total_eur_per_year'] - best['total_eur_per_year'])} a year "
        f"cheaper than the target: a lost sale ({stockout_pct:.0%} of price) costs far "
        f"more than a month of holding. Per SKU the newsvendor optimum ranges from "
        f"{known.min():.1%} to {known.max():.1%}."
    )
    return fig, caption + (f" {left_out}" if left_out else "")


def inventory_policy(ss: pd.DataFrame, fill_rate_ss: pd.DataFrame, optimum: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Per SKU: safety stock and reorder point, the fill-rate variant, the cost optimum, and the money tied up (dearest first)."""
    policy = (
        ss[["sku", "mean_monthly_demand", "lead_time_days", "safety_stock", "reorder_point", "fill_rate"]]
        .merge(fill_rate_ss[["sku", "safety_stock"]].rename(columns={"safety_stock": "safety_stock_for_fill_rate"}), on="sku")
        .merge(optimum[["sku", "optimal_service_level", "optimal_safety_stock"]], on="sku")
    )
    cost = products.set_index("sku")[COST] if COST in products else pd.Series(dtype=float)
    value = policy["safety_stock"] * policy["sku"].map(cost)  # NaN without a unit cost: listed last
    return policy.assign(safety_stock_value_eur=value).sort_values("safety_stock_value_eur", ascending=False)


def fill_rate_sentence(policy: pd.DataFrame, service_level: float) -> str:
    """How much safety stock a fill-rate promise needs instead of a cycle-service promise at the same level."""
    return (
        f"Promising {service_level:.0%} of units from stock (fill rate) instead of {service_level:.0%} of cycles "
        f"without a stock-out needs {policy['safety_stock_for_fill_rate'].sum():,.0f} units of safety stock instead of "
        f"{policy['safety_stock'].sum():,.0f}."
    )


POLICY_COLUMNS = [
    "sku",
    "name",
    "mean_monthly_demand",
    "safety_stock",
    "safety_stock_value_eur",
    "reorder_point",
    "fill_rate",
    "optimal_service_level",
]
POLICY_FORMATS = {
    "safety_stock_value_eur": rp.fmt_eur,
    "mean_monthly_demand": ",.0f",
    "safety_stock": ",.0f",
    "reorder_point": ",.0f",
    "fill_rate": ".1%",
    "optimal_service_level": ".1%",
}
POLICY_DETAIL = (
    "Safety stock, reorder point, fill rate and cost-optimal service level per SKU, "
    "where the safety stock ties up most money first (lead times and the fill-rate variant in the file)"
)

# --- capacity ---------------------------------------------------------------------

NO_ROUTING = "No capacity check: no SKU has a routing on a production line, so the plan is limited by demand, not hours."
LINE_USE_FORMATS = {"hours": ",.0f", "capacity": ",.0f", "overtime_hours": ",.0f", "shadow_price_eur_per_hour": ",.0f"}


def line_hours_chart(cap: pd.DataFrame, cap_p90: pd.DataFrame) -> tuple[Figure | None, str]:
    """Line hours most-likely demand needs against the hours each line has, one panel per line."""
    lines = list(cap["line_id"].unique())
    if not lines:
        return None, NO_ROUTING
    fig, axes = rp.new_chart(
        "Line hours needed by most-likely demand versus hours available", "hours per month", ncols=len(lines), width=11
    )
    axes = np.atleast_1d(axes)
    for ax, lid in zip(axes, lines):
        c = cap[cap["line_id"] == lid]
        ax.bar(c["month"], c["hours_needed"], width=MONTH_BAR_DAYS, color=[rp.STATUS_COLOUR[s] for s in c["status"]])
        ax.axhline(c["hours_per_month"].iloc[0], color="k", lw=1, label="regular hours")
        ax.axhline(c["hours_with_overtime"].iloc[0], color="k", lw=1, ls="--", label="with overtime")
        ax.set_title(c["line_name"].iloc[0], fontsize=10, loc="left")
        ax.tick_params(axis="x", labelrotation=45)
    axes[0].legend(frameon=False, fontsize=8)
    caption = (
        f"Bars: hours the most likely (P50) demand would need; green fits regular hours, amber needs overtime, "
        f"red exceeds even overtime. {(cap['status'] == 'red').sum()} line-months are red at P50 and "
        f"{(cap_p90['status'] == 'red').sum()} at P90; the plan pre-builds or lets customers wait in those months."
    )
    return fig, caption


def bottleneck_sentences(neck: pd.DataFrame, shown: int = BOTTLENECKS_SHOWN) -> list[str]:
    """The sentences of `production.bottlenecks` worth reading: the dearest ``shown`` limits."""
    return list(neck["sentence"].head(shown))


# --- the backlog ------------------------------------------------------------------

NO_BACKLOG = "No launch is planned and no customer is waiting: there is no backlog to burn down."
NOBODY_WAITS = " Nobody waits at any month end, so there is no burn-down to chart."


def backlog_subject(launches: pd.DataFrame, facts: dict[str, pd.Series], orders: pd.DataFrame) -> tuple[str | None, str | None]:
    """(the SKU whose waiting customers to follow, the SKU launched after it): the first launch's predecessor,
    else the most waited-for SKU and no launch; ``(None, None)`` when nobody waits and nothing launches."""
    if len(launches):
        return launches["analog_sku"].iloc[0], launches["sku"].iloc[0]
    return most_waited_for(facts, orders), None


def backlog_with_and_without(
    plan: pd.DataFrame, plan_without_launch: pd.DataFrame, facts: dict[str, pd.Series], sku: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the burn-down of ``sku``'s waiting customers under the plan, the same with and without the launch side by side)."""
    if sku is None:
        burn = backlog_burndown(plan, sku, 0.0, 0.0, 1.0)  # no rows
        return burn, launch_effect_on_backlog(burn, burn)
    back = backlog_facts(facts, sku)
    args = (sku, back["units"], back["on_hand"], back["per_customer"])
    burn = backlog_burndown(plan, *args)
    return burn, launch_effect_on_backlog(burn, backlog_burndown(plan_without_launch, *args))


def backlog_chart(
    burn: pd.DataFrame,
    effect: pd.DataFrame,
    facts: dict[str, pd.Series],
    sku: str | None,
    new_sku: str | None,
    tables: dict[str, pd.DataFrame],
) -> tuple[Figure | None, str]:
    """Customers waiting for ``sku`` at each month end, with the launch of ``new_sku`` and without it."""
    if sku is None:
        return None, NO_BACKLOG
    shared = shared_resources(new_sku, sku, tables["routings"], tables["bom"], tables["production_lines"]) if new_sku else ""
    label = rp.sku_label(sku, tables["products"])
    text = backlog_sentence(burn, effect, int(facts["backlog_customers"].get(sku, 0)), label, new_sku, sku, shared)
    if not effect[["all_waiting_customers_with_launch", "all_waiting_customers_without_launch"]].to_numpy().any():
        return None, text + NOBODY_WAITS
    fig, ax = rp.new_chart(f"Customers waiting for {label} at month end", "customers")
    ax.bar(
        effect["month"],
        effect["all_waiting_customers_with_launch"],
        width=MONTH_BAR_DAYS,
        color=rp.PALETTE["band"],
        label=f"with the {new_sku} launch" if new_sku else "under the plan",
    )
    if new_sku:
        ax.plot(
            effect["month"],
            effect["all_waiting_customers_without_launch"],
            color=rp.PALETTE["p50"],
            marker="o",
            label="without the launch",
        )
    ax.legend(frameon=False, fontsize=8)
    return fig, text


# --- stock-out risk ---------------------------------------------------------------


def stockout_chart(risk: pd.DataFrame, products: pd.DataFrame, n_draws: int, shown: int = AT_RISK_SHOWN) -> tuple[Figure, str]:
    """The SKUs most likely to leave customers waiting in the next `RISK_MONTHS` months, over every demand draw."""
    top = near_term_stockout(risk)
    head = top.head(shown)
    fig, ax = rp.new_chart(
        f"Highest stock-out probability in the next {RISK_MONTHS} months: the {len(head)} SKUs most at risk",
        "probability of stock-out",
        height=max(2.5, 0.32 * len(head) + 1),
    )
    ax.barh([rp.sku_label(s, products) for s in head.index[::-1]], head.values[::-1], color=rp.PALETTE["p50"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of stock-out")
    ax.set_ylabel("")
    caption = (
        f"Share of the {n_draws} demand scenarios in which the plan leaves customers waiting, worst of "
        f"the next {in_words(RISK_MONTHS)} months. {(top > AT_RISK).sum()} SKUs exceed {AT_RISK:.0%}. "
        "Later months are re-planned each cycle, so their open-loop risk is not shown here."
    )
    return fig, caption


# --- the promise: what service will this plan give? -------------------------------------------

PROMISE_SHOWN = 8  # products below target named in the table
PROMISE_FORMATS = {
    "cycle service level": ".0%",
    "fill rate": ".0%",
    "chance someone waits then": ".0%",
    "units short then": ",.0f",
}
MEASURE_WORDS = {"cycle_service_level": "cycle service level", "fill_rate": "fill rate"}


def promise_cards(promise: pd.DataFrame) -> list[dict]:
    """One card per measure: the expected value with its P10–P90, green when it reaches the target."""
    cards = []
    for r in promise.itertuples():
        reached = r.expected >= r.target - 0.005
        cards.append(
            {
                "label": f"Expected {MEASURE_WORDS[r.measure]}, next {r.months} months",
                "value": f"{r.expected:.0%}",
                "note": f"P10–P90 {100 * r.p10:.0f}–{r.p90:.0%}; target {r.target:.0%}",
                "tone": "good" if reached else ("warn" if r.expected >= r.target - 0.05 else "bad"),
            }
        )
    return cards


def promise_sentence(promise: pd.DataFrame, by_sku: pd.DataFrame, target: float) -> str:
    """Does the plan keep the service level it was built for, and where not."""
    csl = promise.set_index("measure").loc["cycle_service_level"]
    fill = promise.set_index("measure").loc["fill_rate"]
    head = (
        f"Held fixed against every demand draw, the plan leaves nobody waiting at month end in {csl['expected']:.0%} "
        f"of product-months over the next {int(csl['months'])} months (P10–P90 {100 * csl['p10']:.0f}–{csl['p90']:.0%}) "
        f"and serves {fill['expected']:.0%} of demand in its month, against a {target:.0%} target."
    )
    short = by_sku[by_sku["cycle_service_level"] < target]
    if short.empty:
        return head + " Every product reaches the target."
    worst = short.head(3)
    named = ", ".join(f"{r.sku} ({r.cycle_service_level:.0%}, most at risk in {r.worst_month:%b %Y})" for r in worst.itertuples())
    return head + f" {rp.plural(len(short), 'product')} of {len(by_sku)} {'falls' if len(short) == 1 else 'fall'} short: {named}."


def promise_table(by_sku: pd.DataFrame, products: pd.DataFrame, target: float, shown: int = PROMISE_SHOWN) -> pd.DataFrame:
    """The products furthest below the target, with the month the promise is most at risk."""
    short = by_sku[by_sku["cycle_service_level"] < target].head(shown)
    named = short.merge(products[["sku", "name"]].drop_duplicates("sku"), on="sku", how="left")
    return named.assign(worst_month=named["worst_month"].dt.strftime("%b %Y"))[
        ["sku", "name", "cycle_service_level", "fill_rate", "worst_month", "chance_waiting_then", "units_short_then"]
    ].rename(
        columns={
            "cycle_service_level": "cycle service level",
            "fill_rate": "fill rate",
            "worst_month": "most at risk in",
            "chance_waiting_then": "chance someone waits then",
            "units_short_then": "units short then",
        }
    )


def closing_sentence(gap: pd.DataFrame, hours: pd.DataFrame, lines: pd.DataFrame, target: float) -> str:
    """What it would take to keep the promise: the extra units, and on which line the hours are missing."""
    if gap.empty:
        return f"The plan needs no more units to reach the {target:.0%} target in every month."
    first = gap["needed_by"].min()
    head = (
        f"To reach the {target:.0%} target in every month the plan would need {gap['extra_units'].sum():,.0f} more units "
        f"of {rp.plural(len(gap), 'product')}, the first by {first:%b %Y}."
    )
    if hours.empty:
        return head + " None of them is made on a line, so line hours are not what stops it."
    names = lines.drop_duplicates("line_id").set_index("line_id")["line_name"] if "line_name" in lines else pd.Series(dtype=str)
    said = []
    for r in hours[hours["missing_hours"] > 0.5].itertuples():
        share = f", {r.missing_hours / r.month_hours:.0%} of a month's regular hours" if r.month_hours > 0 else ""
        said.append(
            f"{names.get(r.line_id, r.line_id)} needs {r.extra_hours:,.0f} more hours for them by {r.needed_by:%b %Y} "
            f"and has {r.spare_hours:,.0f} free (overtime included): {r.missing_hours:,.0f} hours short{share}."
        )
    free = [names.get(x, x) for x in hours.loc[hours["missing_hours"] <= 0.5, "line_id"]]
    if free:
        said.append(
            f"{listing([str(x) for x in free])} {'has' if len(free) == 1 else 'have'} the free hours for {'its' if len(free) == 1 else 'their'} "
            "part: there the plan chose waiting over stock built ahead at today's costs, or a component's supply binds."
        )
    return " ".join([head, *said])


def targets_sentence(targets: pd.DataFrame | None, scenario: str, service_level: float) -> str:
    """How the plan was built against the draws: the stock above its view that the target asks for, month by month."""
    if targets is None or targets.empty:  # a fill-rate target: the formula's buffer, one level per product
        return "The plan holds the inventory policy's safety stock above its demand view in every month."
    per_month = targets.groupby("month")["safety_stock"].sum()
    near = per_month.iloc[: min(RISK_MONTHS, len(per_month))]
    return (
        f"The plan weighs the customers each demand draw would leave waiting against the cost of holding stock. "
        f"Covering {service_level:.0%} of the draws from now to each month's end takes {per_month.iloc[0]:,.0f} units above "
        f"the {scenario.upper()} view at the end of {per_month.index[0]:%b %Y} and {near.iloc[-1]:,.0f} by "
        f"{near.index[-1]:%b %Y}: where the lines have room the plan holds that, made ahead where a month's line cannot; "
        "where they do not, customers already waiting are served before buffers are built."
    )
