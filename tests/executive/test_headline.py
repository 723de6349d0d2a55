"""Step 5's headline cards: figures from the hand-over tables, tones at their thresholds, and
the change since last cycle, on a tiny company without a cycle."""

from __future__ import annotations

import math

import pandas as pd

from sop_lib.executive import headline

MONTHS = pd.date_range("2027-01-01", periods=4, freq="MS")


def tables(**changes) -> dict[str, pd.DataFrame]:
    """A company planning 4 months: €1,000 of revenue a month against a €900 target, one customer waiting."""
    out = {
        "financial_plan": pd.DataFrame(
            {
                "month": MONTHS,
                "family": "F",
                "revenue_eur": 1000.0,
                "revenue_target_eur": 900.0,
                "gross_margin_eur": 400.0,
                "gross_margin_target_pct": 0.35,
            }
        ),
        "forecast_accuracy": pd.DataFrame(
            {"method": ["engine", "seasonal naive", "engine, chosen on the other half"], "wape": [0.2, 0.3, 0.25]}
        ),
        "backlog_burndown": pd.DataFrame(
            {"sku": "A", "month": MONTHS, "all_waiting_customers": [3.0, 1.0, 0.0, 0.0], "backlog_customers": 0.0}
        ),
        "inventory_risk": pd.DataFrame(
            {
                "sku": ["A", "A", "B", "C"],
                "month": [MONTHS[0], MONTHS[3], MONTHS[1], MONTHS[2]],
                "stockout_probability": [0.1, 0.9, 0.25, 0.2],
            }
        ),
        "supplier_risk": pd.DataFrame(
            {
                "supplier_name": ["Acme", "Bolt", "Cog"],
                "status": ["red", "green", "red"],
                "revenue_at_risk_eur": [500.0, 50.0, 250.0],
            }
        ),
        "open_orders": pd.DataFrame({"customer_id": ["c1", "c1", "c2"], "status": ["backordered", "backordered", "open"]}),
        "demand_diagnostics": pd.DataFrame({"inference": ["nuts"], "ok": [True]}),
    }
    out.update(changes)
    return out


def by_label(cards: list[dict]) -> dict[str, dict]:
    return {c["label"]: c for c in cards}


def test_the_figures_are_the_plan_totals_the_customers_waiting_and_the_near_term_risk():
    f = headline.figures(tables())
    assert (f.months, f.revenue, f.target, f.margin) == (4, 4000.0, 3600.0, 0.4)
    assert f.backlog_customers == 1  # one customer with two backordered lines
    assert f.caught_up == MONTHS[2]  # nobody waits after the second month
    # B (25%) is at risk in the next 3 months; A's 90% is in month 4, C's 20% is not above the limit
    assert f.skus_at_risk == 1
    assert f.red_suppliers == ("Acme", "Cog") and f.revenue_at_risk == 750.0
    assert (f.wape, f.naive_wape, f.fair_wape, f.fit_check) == (0.2, 0.3, 0.25, "sampler OK")


def test_cards_on_a_first_cycle_say_so_and_carry_their_tones():
    cards = by_label(headline.cards(headline.figures(tables())))
    rev = cards["Revenue plan, next 4 months"]
    assert (rev["value"], rev["tone"]) == ("€4k", "good")
    assert rev["note"] == "+11.1% vs target €4k · first cycle"
    assert cards["Gross margin"]["note"] == "target 35% · first cycle" and cards["Gross margin"]["tone"] == "good"
    waiting = cards["Customers in backlog today"]
    assert (waiting["value"], waiting["note"], waiting["tone"]) == ("1", "all served by Mar 2027 · first cycle", "warn")
    risk = cards["SKUs with >20% stock-out risk"]
    assert (risk["value"], risk["note"], risk["tone"]) == ("1", "in the next 3 months · first cycle", "bad")
    sup = cards["Revenue on at-risk suppliers"]
    assert (sup["value"], sup["note"], sup["tone"]) == ("€750", "Acme, Cog · first cycle", "bad")
    wape = cards["Forecast error (WAPE, hold-out)"]
    assert wape["value"] == "20%" and wape["tone"] == "good"
    assert wape["note"] == "seasonal naive 30%; sampler OK; model chosen on these months (25% if chosen on others) · first cycle"


def test_tones_flip_at_their_thresholds():
    plan = tables()["financial_plan"]
    below = headline.cards(headline.figures(tables(financial_plan=plan.assign(revenue_target_eur=1000.01))))
    assert below[0]["tone"] == "bad" and below[0]["note"].startswith("-0.0% vs target")
    exact = headline.cards(headline.figures(tables(financial_plan=plan.assign(revenue_target_eur=1000.0))))
    assert exact[0]["tone"] == "good"
    thin = headline.cards(headline.figures(tables(financial_plan=plan.assign(gross_margin_target_pct=0.41))))
    assert thin[1]["tone"] == "warn"
    worse = tables()["forecast_accuracy"].assign(wape=[0.3, 0.3, 0.3])
    assert headline.cards(headline.figures(tables(forecast_accuracy=worse)))[5]["tone"] == "warn"
    calm = tables()["supplier_risk"].assign(status="green")
    sup = headline.cards(headline.figures(tables(supplier_risk=calm)))[4]
    assert (sup["value"], sup["note"], sup["tone"]) == ("€0", "none · first cycle", "good")


def test_a_company_without_targets_suppliers_or_waiting_customers_is_told_plainly():
    t = tables(
        financial_plan=tables()["financial_plan"].assign(revenue_target_eur=0.0, gross_margin_target_pct=math.nan),
        supplier_risk=tables()["supplier_risk"].iloc[0:0],
        open_orders=tables()["open_orders"].assign(status="open"),
        forecast_accuracy=tables()["forecast_accuracy"].iloc[:2],
        demand_diagnostics=pd.DataFrame({"inference": ["map"], "ok": [True]}),
    )
    cards = headline.cards(headline.figures(t))
    assert [c["tone"] for c in cards] == ["", "", "good", "bad", "", "good"]
    assert [c["note"].split(" · ")[0] for c in cards[:3]] == ["no target declared", "no target declared", "nobody waiting"]
    assert cards[4]["note"] == "no supplier data · first cycle"
    assert cards[5]["note"] == "seasonal naive 30%; MAP fit, no sampler · first cycle"


def test_a_backlog_not_cleared_within_the_horizon_is_said():
    burn = tables()["backlog_burndown"].assign(all_waiting_customers=[3.0, 2.0, 1.0, 1.0])
    f = headline.figures(tables(backlog_burndown=burn))
    assert f.caught_up is None
    assert headline.cards(f)[2]["note"] == "not cleared in horizon · first cycle"


def test_each_card_says_how_its_number_moved_since_last_cycle():
    f = headline.figures(tables())
    before = {
        "revenue_eur": 3000.0,
        "gross_margin_pct": 0.42,
        "backlog_customers": 1.0,
        "skus_at_risk": 3.0,
        "revenue_at_risk_eur": 750.0,
    }  # no wape last cycle
    notes = [c["note"].split(" · ")[-1] for c in headline.cards(f, before, "2026-12")]
    assert notes == [
        "▲ +€1k since 2026-12",
        "▼ -2.0 pts since 2026-12",
        "no change since 2026-12",
        "▼ -2 since 2026-12",
        "no change since 2026-12",
        "first cycle",
    ]


def test_the_kpis_table_holds_the_card_numbers_and_the_target_for_the_next_cycle():
    k = headline.kpis_table(headline.figures(tables()))
    assert list(k["metric"]) == [
        "revenue_eur",
        "gross_margin_pct",
        "backlog_customers",
        "skus_at_risk",
        "revenue_at_risk_eur",
        "wape",
        "revenue_target_eur",
    ]
    assert list(k["value"]) == [4000.0, 0.4, 1.0, 1.0, 750.0, 0.2, 3600.0] and k["value"].dtype == float


# --- a thin product master -------------------------------------------------------------


def thin_tables(price: list[float], **changes) -> dict[str, pd.DataFrame]:
    return tables(
        products=pd.DataFrame({"sku": ["A", "B", "C"], "list_price_eur": price}),
        supply_plan=pd.DataFrame({"sku": ["A", "B", "C"]}),
        **changes,
    )


def test_without_list_prices_the_revenue_cards_say_not_known():
    nan = math.nan
    plan = tables()["financial_plan"].assign(revenue_eur=nan, gross_margin_eur=nan)
    red = tables()["supplier_risk"].assign(revenue_at_risk_eur=nan)
    f = headline.figures(thin_tables([nan] * 3, financial_plan=plan, supplier_risk=red))
    assert math.isnan(f.revenue) and math.isnan(f.margin) and math.isnan(f.revenue_at_risk)
    cards = headline.cards(f, {"revenue_eur": 3000.0, "gross_margin_pct": 0.4}, "2026-12")
    rev, margin, sup = cards[0], cards[1], cards[4]
    assert (rev["value"], rev["note"], rev["tone"]) == ("not known", "no list prices in the product master", "")
    assert (margin["value"], margin["note"]) == ("not known", "no list prices or unit costs to compute it")
    assert sup["value"] == "not known"
    assert not any("nan" in c["value"] + c["note"] or c["value"] == "€0" for c in cards)
    assert f.revenue_note() == "The plan's revenue is not computed: the product master has no list price for any of the 3 SKUs."


def test_revenue_that_leaves_skus_out_is_shown_with_them_named_and_not_set_against_the_target():
    f = headline.figures(thin_tables([1.0, math.nan, 2.0]))
    assert f.unpriced == ("B",) and f.plan_skus == 3
    rev = headline.cards(f, {"revenue_eur": 3000.0}, "2026-12")[0]
    assert (rev["value"], rev["note"], rev["tone"]) == ("€4k", "1 of 3 SKUs without a list price left out", "")
    assert f.revenue_note() == "The revenue figures leave out 1 of 3 SKUs, which have no list price in the product master (B)."
    assert headline.figures(thin_tables([1.0, 1.0, 2.0])).revenue_note() is None


def test_a_margin_known_for_some_families_only_is_their_margin():
    plan = tables()["financial_plan"].assign(family=["F", "F", "G", "G"], gross_margin_eur=[400.0, 400.0, math.nan, math.nan])
    assert headline.figures(tables(financial_plan=plan)).margin == 0.4  # F's 800 of F's 2,000


def test_the_service_the_plan_gives_is_a_card_beside_its_target():
    promise = pd.DataFrame(
        [
            {"measure": "cycle_service_level", "expected": 0.86, "p10": 0.8, "p90": 0.91, "target": 0.95, "months": 3},
            {"measure": "fill_rate", "expected": 0.97, "p10": 0.95, "p90": 0.98, "target": 0.95, "months": 3},
        ]
    )
    f = headline.figures(tables(service_promise=promise))
    card = headline.cards(f, {"wape": 0.2}, "2026-12")[-1]
    assert card["label"] == "Service level the plan gives" and card["value"] == "86%" and card["tone"] == "bad"
    assert card["note"] == "target 95%; P10–P90 80–91%, next 3 months · not measured in 2026-12"
    assert headline.kpis(f)["expected_service_level"] == 0.86
    assert headline.service_card(headline.figures(tables())) is None  # a cycle from before the promise: no card
