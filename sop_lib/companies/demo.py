"""The embedded demo company: *Brewline Appliances*, a mid-size coffee-machine maker.

`write_demo_company(folder, cycle)` writes what such a company exports from its
systems, in the formats it really has:

========================  =====================  ====================================
file                      format                 system it stands for
========================  =====================  ====================================
``sales_history.csv``     CSV                    ERP sales ledger (SKU x region x month)
``products.csv``          CSV                    product master (PIM)
``crm_pipeline.csv``      CSV                    CRM opportunity export
``erp.sqlite``            SQLite database        ERP: open orders/backlog, inventory,
                                                 production lines, routings, BOM,
                                                 suppliers
``planning_inputs.xlsx``  Excel workbook         finance targets, budget, headcount,
                                                 marketing calendar, launches
``forecast_archive/``     Parquet, one per cycle the forecasts of the 12 earlier
                                                 cycles (statistical and consensus,
                                                 P10/P50/P90), for the prior-cycle review
========================  =====================  ====================================

Everything is drawn from seeded generators, so the same ``(cycle, seed)`` always
gives the same numbers. The sales are one calendar (`true_demand`): a month has the same
sales in every cycle's export, so running 2026-11 and then 2026-12 is a company moving on
by one month; the calendar also holds each month's expected demand (``mean_units``), the
truth a forecast of the demo can be held against. The files are small (under 1 MB) and are *generated*, not
committed: ``sop demo`` or the first ``sop run`` writes them to ``data/demo/``.

The files carry the modification time of an export made the evening before the cycle
starts (so the freshness checks of step 1 read the same on every run), and the product
master gives each SKU its pack size (``units_per_case``) for sources that count cases.

The forecast archive stands in for the ``reports/<cycle>/artifacts/demand_forecast.parquet``
files that a company running the suite monthly accumulates: a simple statistical forecast
(deseasonalised level of the last 12 months times the season, intervals from simulated
negative-binomial demand) that misses promotions and lags growth, and consensus overrides on
top that sometimes help (the sales team knows about Black Friday, cuts declining grinders)
and sometimes hurt (optimism on the espresso range, gut-feel changes). See `make_forecast_archive`.

The company contains the situation from ``shared/sop-domain.md``: the best-seller
*Barista Pro 200* gets a successor (*Barista Pro 300*) next year with an uncertain
launch month and a launch into a new territory; about 4,000 customers wait in a
backlog for the best-seller; its heating element comes from a supplier with a
two-week lead time that may go out of business.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ("DACH", "Benelux", "Nordics")
NEW_TERRITORY = "Iberia"
BEST_SELLER = "ESP-PRO-200"
SUCCESSOR = "ESP-PRO-300"
DISCONTINUED = "GRN-CLASSIC-10"
AT_RISK_SUPPLIER = "SUP-THERMO"
HISTORY_MONTHS = 48
# The demo's sales are one calendar, whatever the cycle: trend measured from TREND_EPOCH
# (each SKU's ``base`` is its level then), the classic grinder gone from DISCONTINUED_FROM,
# one mistyped export line in FAT_FINGER_MONTH.
WORLD_START, WORLD_END = pd.Timestamp("2016-01-01"), pd.Timestamp("2036-12-01")
TREND_EPOCH = pd.Timestamp("2022-11-01")
DISCONTINUED_FROM = pd.Timestamp("2026-01-01")
NOISE_K = 8.0  # the negative binomial's shape: sales are drawn around the expected demand with variance mu + mu^2 / k
FAT_FINGER_MONTH = pd.Timestamp("2024-07-01")
GENERATOR_VERSION = 6  # bump when the generator changes, so cached demo files are re-made
BACKLOG_CUSTOMERS = 4000


@dataclass(frozen=True)
class _Sku:
    sku: str
    name: str
    family: str
    base: float  # mean units per month, all regions, at the start of history
    growth: float  # yearly growth rate
    price: float
    cost: float
    line: str
    hours_per_unit: float


_SKUS: tuple[_Sku, ...] = (
    _Sku("ESP-PRO-200", "Barista Pro 200", "Espresso machines", 2400, 0.12, 649, 341, "L1", 0.085),
    _Sku("ESP-PRO-150", "Barista Pro 150", "Espresso machines", 900, 0.02, 529, 287, "L1", 0.080),
    _Sku("ESP-HOME-60", "Home Espresso 60", "Espresso machines", 1300, 0.04, 279, 151, "L2", 0.055),
    _Sku("ESP-HOME-80", "Home Espresso 80", "Espresso machines", 1100, 0.06, 339, 180, "L2", 0.060),
    _Sku("ESP-DUO-120", "Duo Boiler 120", "Espresso machines", 420, 0.08, 899, 512, "L1", 0.120),
    _Sku("ESP-COMPACT-40", "Compact 40", "Espresso machines", 1600, -0.05, 199, 112, "L2", 0.045),
    _Sku("ESP-LEVER-90", "Lever 90", "Espresso machines", 180, 0.03, 1099, 640, "L1", 0.150),
    _Sku("ESP-OFFICE-500", "Office 500", "Espresso machines", 260, 0.10, 1890, 1105, "L1", 0.200),
    _Sku("ESP-TRAVEL-10", "Travel 10", "Espresso machines", 75, 0.00, 129, 70, "L2", 0.040),
    _Sku("ESP-MILK-70", "Milk Master 70", "Espresso machines", 650, 0.07, 449, 242, "L2", 0.070),
    _Sku("ESP-PRO-300", "Barista Pro 300", "Espresso machines", 0, 0.0, 749, 389, "L1", 0.090),
    _Sku("GRN-CONICAL-20", "Conical Grinder 20", "Grinders", 1500, 0.05, 149, 71, "L3", 0.040),
    _Sku("GRN-CONICAL-30", "Conical Grinder 30", "Grinders", 1050, 0.07, 199, 95, "L3", 0.045),
    _Sku("GRN-FLAT-40", "Flat Burr 40", "Grinders", 520, 0.09, 329, 168, "L3", 0.060),
    _Sku("GRN-FLAT-64", "Flat Burr 64", "Grinders", 240, 0.12, 549, 290, "L3", 0.080),
    _Sku("GRN-HAND-5", "Hand Grinder 5", "Grinders", 700, 0.02, 69, 28, "L3", 0.020),
    _Sku("GRN-BLADE-1", "Blade Grinder 1", "Grinders", 900, -0.08, 29, 13, "L3", 0.012),
    _Sku("GRN-DOSE-50", "Doser 50", "Grinders", 140, 0.01, 399, 215, "L3", 0.070),
    _Sku("GRN-CLASSIC-10", "Classic Grinder 10", "Grinders", 380, -0.10, 99, 52, "L3", 0.030),
    _Sku("GRN-SINGLE-35", "Single Dose 35", "Grinders", 30, 0.15, 279, 150, "L3", 0.055),
)

_REGION_SHARE = {"DACH": 0.52, "Benelux": 0.28, "Nordics": 0.20}
# Coffee machines sell in the run-up to Christmas and around Black Friday.
_SEASON = np.array([0.82, 0.78, 0.88, 0.90, 0.92, 0.85, 0.80, 0.86, 0.96, 1.05, 1.38, 1.80])


def cycle_start(cycle: str) -> pd.Timestamp:
    """Return the first day of a ``YYYY-MM`` planning cycle."""
    return pd.Timestamp(f"{cycle}-01")


def history_months(cycle: str, months: int = HISTORY_MONTHS) -> pd.DatetimeIndex:
    """The closed months before the cycle: the ERP's history at cycle time."""
    start = cycle_start(cycle) - pd.DateOffset(months=months)
    return pd.date_range(start, periods=months, freq="MS")


def _promotions(months: pd.DatetimeIndex) -> pd.DataFrame:
    """Black-Friday promotions every November plus a few spring campaigns, up to a year past ``months``.

    Whether a spring milk week runs is drawn per calendar year, so two cycles see the same campaigns.
    """
    rows = []
    for m in months.append(pd.date_range(months[-1] + pd.DateOffset(months=1), periods=12, freq="MS")):
        if m.month == 11:
            for sku in ("ESP-PRO-200", "ESP-HOME-80", "GRN-CONICAL-30"):
                rows.append((sku, "all", m, m + pd.offsets.MonthEnd(0), 0.15, "Black Friday"))
        if m.month == 4 and np.random.default_rng([7, m.year]).random() < 0.8:
            rows.append(("ESP-MILK-70", "DACH", m, m + pd.offsets.MonthEnd(0), 0.10, "Spring milk week"))
        if m.month == 3:
            rows.append(("GRN-FLAT-40", "all", m, m + pd.offsets.MonthEnd(0), 0.12, "Grinder spring deal"))
    return pd.DataFrame(rows, columns=["sku", "region", "start_date", "end_date", "discount_pct", "campaign"])


def _promo_index(promos: pd.DataFrame) -> dict[tuple[str, str, pd.Timestamp], float]:
    """(sku, region or 'all', month) -> deepest discount running in that month."""
    index: dict[tuple[str, str, pd.Timestamp], float] = {}
    for r in promos.itertuples():
        for m in pd.date_range(r.start_date.to_period("M").to_timestamp(), r.end_date, freq="MS"):
            key = (r.sku, r.region, m)
            index[key] = max(index.get(key, 0.0), float(r.discount_pct))
    return index


def _promo_lookup(index: dict, sku: str, region: str, month: pd.Timestamp) -> float:
    return max(index.get((sku, "all", month), 0.0), index.get((sku, region, month), 0.0))


def _world_months() -> pd.DatetimeIndex:
    return pd.date_range(WORLD_START, WORLD_END, freq="MS")


def true_demand(seed: int = 20261) -> pd.DataFrame:
    """The demo's whole calendar: expected and sold units per SKU, region and month.

    One fixed history, not one per cycle: each series draws its level, its noise and its
    prices from its own generator over every month from ``WORLD_START`` to ``WORLD_END``, so
    a month's sales are the same whichever cycle exports them (the 2026-11 actuals reappear
    in the 2026-12 export), and ``mean_units`` is the expected demand the sales are drawn
    around. Columns: month, sku, region, mean_units, units, net_revenue_eur.
    """
    months = _world_months()
    promos = _promotions(months)
    promo_at = _promo_index(promos)
    years = np.asarray((months.year - TREND_EPOCH.year) * 12 + months.month - TREND_EPOCH.month) / 12
    season = _SEASON[months.month - 1]
    frames = []
    for i, s in enumerate(_SKUS):
        if s.base == 0:
            continue
        for j, (region, share) in enumerate(_REGION_SHARE.items()):
            rng = np.random.default_rng([seed, i, j])
            level = s.base * share * rng.lognormal(0, 0.08)
            promo = np.array([_promo_lookup(promo_at, s.sku, region, m) for m in months])
            mu = level * (1 + s.growth) ** years * season * (1 + 2.5 * promo)
            if s.sku == "GRN-SINGLE-35":
                mu *= 0.4  # intermittent niche product: many zero months
            k = NOISE_K
            units = rng.negative_binomial(k, k / (k + mu))
            price = s.price * (1 - promo) * rng.uniform(0.97, 1.0, len(months))
            frames.append(
                pd.DataFrame(
                    {
                        "month": months,
                        "sku": s.sku,
                        "region": region,
                        "mean_units": mu,
                        "units": units.astype(int),
                        "net_revenue_eur": np.round(units * price, 2),
                    }
                )
            )
    world = pd.concat(frames, ignore_index=True)
    world = world[~((world["sku"] == DISCONTINUED) & (world["month"] >= DISCONTINUED_FROM))]
    return world.reset_index(drop=True)


def make_sales_history(cycle: str, seed: int = 20261) -> pd.DataFrame:
    """Monthly units per SKU and region as the ERP exports them at ``cycle``: the closed months of the calendar."""
    months = history_months(cycle)
    if months[0] < WORLD_START or months[-1] > WORLD_END:
        raise ValueError(
            f"the demo company's calendar runs from {WORLD_START:%Y-%m} to {WORLD_END:%Y-%m}; "
            f"cycle {cycle} needs {months[0]:%Y-%m} to {months[-1]:%Y-%m}"
        )
    world = true_demand(seed)
    df = world[world["month"].between(months[0], months[-1])].drop(columns="mean_units")
    # Real exports have holes: the niche grinder's zero months were never booked.
    df = df[~((df["sku"] == "GRN-SINGLE-35") & (df["units"] == 0))].copy()
    # ... and one fat-finger entry a planner will want flagged.
    typo = (df["sku"] == "GRN-HAND-5") & (df["region"] == "Nordics") & (df["month"] == FAT_FINGER_MONTH)
    df.loc[typo, "units"] = df.loc[typo, "units"] * 10
    return df.sort_values(["month", "sku", "region"]).reset_index(drop=True)


def make_products(cycle: str) -> pd.DataFrame:
    start = cycle_start(cycle)
    rows = []
    for s in _SKUS:
        status, launch, disc, replaces = "active", pd.NaT, pd.NaT, ""
        if s.sku == SUCCESSOR:
            status, launch, replaces = "planned", start + pd.DateOffset(months=4), BEST_SELLER
        if s.sku == DISCONTINUED and DISCONTINUED_FROM < start:
            status, disc = "discontinued", DISCONTINUED_FROM
        per_case = 2 if s.family == "Espresso machines" else 6  # pieces per shipping case
        rows.append((s.sku, s.name, s.family, status, launch, disc, replaces, s.price, s.cost, "unit", per_case))
    return pd.DataFrame(
        rows,
        columns=[
            "sku",
            "name",
            "family",
            "status",
            "launch_date",
            "discontinue_date",
            "replaces",
            "list_price_eur",
            "unit_cost_eur",
            "uom",
            "units_per_case",
        ],
    )


def make_backlog_and_orders(cycle: str, rng: np.random.Generator) -> pd.DataFrame:
    """About 4,000 customers waiting for the best-seller, plus ordinary open orders."""
    start = cycle_start(cycle)
    n = BACKLOG_CUSTOMERS
    order_dates = start - pd.to_timedelta(rng.integers(1, 120, n), unit="D")
    regions = rng.choice(REGIONS, n, p=[0.5, 0.3, 0.2])
    qty = np.where(rng.random(n) < 0.93, 1, 2)
    backlog = pd.DataFrame(
        {
            "order_id": [f"SO-{100000 + i}" for i in range(n)],
            "customer_id": [f"C-{200000 + i}" for i in range(n)],
            "sku": BEST_SELLER,
            "region": regions,
            "qty": qty,
            "order_date": order_dates.normalize(),
            "requested_date": (order_dates + pd.Timedelta(days=14)).normalize(),
            "status": "backordered",
        }
    )
    m = 600
    skus = [s.sku for s in _SKUS if s.base > 0 and s.sku != DISCONTINUED]
    open_orders = pd.DataFrame(
        {
            "order_id": [f"SO-{300000 + i}" for i in range(m)],
            "customer_id": [f"C-{400000 + i}" for i in range(m)],
            "sku": rng.choice(skus, m),
            "region": rng.choice(REGIONS, m),
            "qty": rng.integers(1, 40, m),
            "order_date": (start - pd.to_timedelta(rng.integers(1, 20, m), unit="D")).normalize(),
            "requested_date": (start + pd.to_timedelta(rng.integers(3, 45, m), unit="D")).normalize(),
            "status": "open",
        }
    )
    return pd.concat([backlog, open_orders], ignore_index=True)


def make_inventory(cycle: str, rng: np.random.Generator) -> pd.DataFrame:
    as_of = cycle_start(cycle) - pd.Timedelta(days=1)
    rows = []
    for s in _SKUS:
        if s.base == 0:
            continue
        weeks = 0.0 if s.sku == BEST_SELLER else rng.uniform(2.5, 7.0)
        on_hand = 0 if s.sku == DISCONTINUED else int(s.base * weeks / 4.345)
        for wh, share in (("WH-Hamburg", 0.7), ("WH-Rotterdam", 0.3)):
            rows.append((s.sku, wh, int(on_hand * share), as_of))
    return pd.DataFrame(rows, columns=["sku", "warehouse", "on_hand", "as_of"])


def make_production(cycle: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = pd.DataFrame(
        {
            "line_id": ["L1", "L2", "L3"],
            "line_name": ["Espresso assembly A", "Espresso assembly B", "Grinder cell"],
            "hours_per_month": [600.0, 330.0, 280.0],
            "workers_per_shift": [14, 10, 8],
        }
    )
    routings = pd.DataFrame(
        [(s.sku, s.line, s.hours_per_unit) for s in _SKUS],
        columns=["sku", "line_id", "hours_per_unit"],
    )
    return lines, routings


def make_suppliers() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("SUP-THERMO", "ThermoCore s.r.o.", "CZ", 14, 4, 0.78, "high", 13000),
            ("SUP-FLOW", "FlowPumps Ltd", "UK", 28, 5, 0.95, "low", 20000),
            ("SUP-METAL", "MetalForm GmbH", "DE", 21, 3, 0.97, "low", 40000),
            ("SUP-BURR", "BurrTech S.p.A.", "IT", 35, 7, 0.92, "medium", 15000),
            ("SUP-MOTO", "MotoDrive AB", "SE", 21, 4, 0.96, "low", 20000),
        ],
        columns=[
            "supplier_id",
            "supplier_name",
            "country",
            "lead_time_days",
            "lead_time_sd_days",
            "on_time_rate",
            "financial_risk",
            "capacity_units_per_month",
        ],
    )


def make_bom() -> pd.DataFrame:
    rows = []
    for s in _SKUS:
        if s.sku == DISCONTINUED:
            continue  # the product lifecycle system retired its BOM with the product
        if s.family == "Espresso machines":
            rows += [
                (s.sku, "HEAT-ELEM", "Heating element", 1, "SUP-THERMO"),
                (s.sku, "PUMP-15BAR", "Vibration pump", 1, "SUP-FLOW"),
                (s.sku, "HOUSING-ESP", "Steel housing", 1, "SUP-METAL"),
            ]
        else:
            rows += [
                (s.sku, "BURR-SET", "Burr set", 1, "SUP-BURR"),
                (s.sku, "MOTOR-150W", "Motor", 0 if s.sku == "GRN-HAND-5" else 1, "SUP-MOTO"),
                (s.sku, "HOUSING-GRN", "Grinder housing", 1, "SUP-METAL"),
            ]
    bom = pd.DataFrame(rows, columns=["sku", "component", "component_name", "qty_per_unit", "supplier_id"])
    return bom[bom["qty_per_unit"] > 0].reset_index(drop=True)


def make_pipeline(cycle: str, rng: np.random.Generator) -> pd.DataFrame:
    """Open B2B opportunities (office and hospitality accounts) from the CRM."""
    start = cycle_start(cycle)
    stages = {"Prospecting": 0.1, "Qualification": 0.25, "Proposal": 0.5, "Negotiation": 0.75}
    skus = ["ESP-OFFICE-500", "ESP-DUO-120", "ESP-PRO-200", "GRN-FLAT-64", "ESP-PRO-300"]
    n = 80
    stage = rng.choice(list(stages), n, p=[0.35, 0.3, 0.2, 0.15])
    sku = rng.choice(skus, n, p=[0.35, 0.2, 0.2, 0.15, 0.1])
    units = rng.integers(5, 120, n)
    price = {s.sku: s.price for s in _SKUS}
    return pd.DataFrame(
        {
            "opportunity_id": [f"OPP-{5000 + i}" for i in range(n)],
            "account": [f"Account {i:03d}" for i in rng.integers(0, 400, n)],
            "region": rng.choice(list(REGIONS) + [NEW_TERRITORY], n, p=[0.4, 0.25, 0.15, 0.2]),
            "sku": sku,
            "stage": stage,
            "probability": [stages[s] for s in stage],
            "units": units,
            "amount_eur": [round(u * price[s] * 0.85, 2) for u, s in zip(units, sku)],
            "expected_close": (start + pd.to_timedelta(rng.integers(5, 270, n), unit="D")).normalize(),
        }
    )


def make_planning_inputs(cycle: str, sales: pd.DataFrame, products: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Sheets of the planners' Excel workbook: targets, budget, headcount, marketing."""
    start = cycle_start(cycle)
    horizon = pd.date_range(start, periods=12, freq="MS")
    last_year = sales[sales["month"] >= start - pd.DateOffset(months=12)]
    fam = last_year.merge(products[["sku", "family"]], on="sku").groupby("family")["net_revenue_eur"].sum()
    targets = []
    for family, revenue in fam.items():
        for m in horizon:
            targets.append((m, family, round(revenue / 12 * 1.08 * _SEASON[m.month - 1] / _SEASON.mean(), -3), 0.45))
    targets = pd.DataFrame(targets, columns=["month", "family", "revenue_target_eur", "gross_margin_target_pct"])
    budget = pd.DataFrame(
        {
            "month": horizon,
            "opex_budget_eur": 1_150_000.0,
            "overtime_budget_hours": 250.0,
            "inventory_budget_eur": 6_500_000.0,
        }
    )
    headcount = pd.DataFrame(
        [
            ("sales_rep", "DACH", 9, 12, "open opportunities per rep", 2),
            ("sales_rep", "Benelux", 5, 12, "open opportunities per rep", 2),
            ("sales_rep", "Nordics", 4, 12, "open opportunities per rep", 2),
            ("sales_rep", "Iberia", 0, 12, "open opportunities per rep", 3),
            ("service_agent", "all", 24, 1300, "orders per agent per month", 1),
            ("production_worker", "all", 96, 140, "production hours per worker per month", 2),
        ],
        columns=["role", "region", "headcount", "capacity_per_head", "capacity_unit", "hiring_lead_months"],
    )
    marketing = _promotions(history_months(cycle))
    # marketing has planned the whole horizon: an autumn campaign in its last month
    last = horizon[-1]
    marketing.loc[len(marketing)] = ("ESP-HOME-60", "all", last, last + pd.offsets.MonthEnd(0), 0.10, "Autumn espresso week")
    launches = pd.DataFrame(
        [
            (
                SUCCESSOR,
                BEST_SELLER,
                ";".join(REGIONS + (NEW_TERRITORY,)),
                start + pd.DateOffset(months=2),
                start + pd.DateOffset(months=4),
                start + pd.DateOffset(months=8),
                0.6,
                3,
                3200,
                0.15,
            )
        ],
        columns=[
            "sku",
            "analog_sku",
            "regions",
            "earliest_launch",
            "likely_launch",
            "latest_launch",
            "cannibalisation_pct",
            "ramp_months",
            "peak_units_per_month",
            "new_territory_share",
        ],
    )
    return {
        "targets": targets,
        "budget": budget,
        "headcount": headcount,
        "marketing_calendar": marketing,
        "launches": launches,
    }


ARCHIVE_CYCLES = 12  # earlier cycles in the demo's forecast archive
ARCHIVE_HORIZON = 12  # months each archived forecast looks ahead


def _season_factor(months: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    return (_SEASON / _SEASON.mean())[np.asarray(pd.DatetimeIndex(months).month) - 1]


def make_forecast_archive(
    cycle: str,
    sales: pd.DataFrame,
    products: pd.DataFrame,
    promos: pd.DataFrame,
    rng: np.random.Generator,
    cycles: int = ARCHIVE_CYCLES,
) -> dict[str, pd.DataFrame]:
    """The forecasts the ``cycles`` months before ``cycle`` would have archived, by cycle.

    Statistical forecast: each series' deseasonalised mean of the 12 months before that
    cycle, times the season, with a little estimation noise (no trend). It
    knows nothing about promotions and lags fast growth or decline, as simple models do.
    Its P10/P50/P90 come from simulated negative-binomial demand around a level that is
    itself uncertain (more so further ahead). Consensus: the statistical forecast times
    the overrides agreed in the meeting: Black-Friday and spring promotions (+2 x the
    discount; the real lift is 2.5 x), a cut for the declining blade and classic grinders,
    +7% optimism on the espresso range (+15% on the best-seller), and gut-feel changes on
    a few series each cycle.
    Columns as the demand step's ``demand_forecast`` plus ``cycle``, ``stat_mean``, ``stat_p50``.
    """
    start = cycle_start(cycle)
    actual = sales.pivot_table(index="month", columns=["sku", "region"], values="units", aggfunc="sum")
    actual = actual.reindex(history_months(cycle)).fillna(0.0)
    family = products.set_index("sku")["family"]
    disc = products.set_index("sku")["discontinue_date"]
    k = 8.0
    promo_at = _promo_index(promos)
    out = {}
    sigma = 0.06 * np.sqrt(np.arange(1, ARCHIVE_HORIZON + 1))
    for back in range(cycles, 0, -1):
        made = start - pd.DateOffset(months=back)
        months = pd.date_range(made, periods=ARCHIVE_HORIZON, freq="MS")
        past = actual[actual.index < made].tail(12)
        past_season, season = _season_factor(past.index), _season_factor(months)
        cols: dict[str, list] = {name: [] for name in ("series", "mean", "p10", "p50", "p90", "stat_mean", "stat_p50")}
        for sku, region in actual.columns:  # one series at a time: the generator's draws keep their order
            if pd.notna(disc.get(sku)) and made >= disc[sku]:
                continue
            level = float((past[(sku, region)].to_numpy() / past_season).mean())
            stat = level * season * rng.lognormal(0, 0.05)
            lam = stat[None, :] * np.exp(rng.normal(0, 1, (300, len(months))) * sigma - sigma**2 / 2)
            draws = rng.negative_binomial(k, k / (k + np.maximum(lam, 1e-6)))
            q = np.quantile(draws, [0.1, 0.5, 0.9], axis=0)
            factor = 1.0 + 2.0 * np.array([_promo_lookup(promo_at, sku, region, m) for m in months])
            if sku in ("GRN-BLADE-1", DISCONTINUED):
                factor *= 0.90
            if family[sku] == "Espresso machines":
                factor *= 1.15 if sku == BEST_SELLER else 1.07  # sales' optimism on the espresso range
            if rng.random() < 0.15:
                factor *= rng.lognormal(0, 0.15)
            cols["series"].append((sku, region))
            consensus = {"mean": stat * factor, "p10": q[0] * factor, "p50": q[1] * factor, "p90": q[2] * factor}
            for name, values in {**consensus, "stat_mean": stat, "stat_p50": q[1]}.items():
                cols[name].append(values)
        n = len(cols["series"])
        sku_of = np.repeat([s for s, _ in cols["series"]], len(months))
        region_of = np.repeat([r for _, r in cols["series"]], len(months))
        out[f"{made:%Y-%m}"] = pd.DataFrame(
            {
                "cycle": f"{made:%Y-%m}",
                "unique_id": [f"{s}|{r}" for s, r in zip(sku_of, region_of)],
                "ds": np.tile(months, n),
                **{name: np.concatenate(cols[name]) for name in ("mean", "p10", "p50", "p90")},
                "sku": sku_of,
                "region": region_of,
                "family": family.reindex(sku_of).to_numpy(),
                **{name: np.concatenate(cols[name]) for name in ("stat_mean", "stat_p50")},
            }
        )
    return out


def demo_tables(cycle: str, seed: int = 20261) -> dict[str, pd.DataFrame]:
    """Every table the demo company exports for ``cycle``, by source name (plus the archive's cycles)."""
    rng = np.random.default_rng(seed)
    promos = _promotions(history_months(cycle))
    sales = make_sales_history(cycle, seed)
    products = make_products(cycle)
    orders = make_backlog_and_orders(cycle, rng)
    inventory = make_inventory(cycle, rng)
    lines, routings = make_production(cycle)
    pipeline = make_pipeline(cycle, rng)
    archive = make_forecast_archive(cycle, sales, products, promos, np.random.default_rng(seed + 1))
    return {
        "sales_history": sales,
        "products": products,
        "pipeline": pipeline,
        "open_orders": orders,
        "inventory": inventory,
        "production_lines": lines,
        "routings": routings,
        "bom": make_bom(),
        "suppliers": make_suppliers(),
        **make_planning_inputs(cycle, sales, products),
        **{f"archive:{made}": fc for made, fc in archive.items()},
    }


ERP_TABLES = ("open_orders", "inventory", "production_lines", "routings", "bom", "suppliers")
PLANNING_SHEETS = ("targets", "budget", "headcount", "marketing_calendar", "launches")


def write_tables(folder: str | Path, cycle: str, tables: dict[str, pd.DataFrame], marker: str) -> Path:
    """Write `demo_tables`' output as the company's systems export it (CSV, SQLite, Excel, Parquet)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sales = tables["sales_history"]
    sales.assign(month=sales["month"].dt.strftime("%Y-%m")).to_csv(folder / "sales_history.csv", index=False)
    tables["products"].to_csv(folder / "products.csv", index=False, date_format="%Y-%m-%d")
    tables["pipeline"].to_csv(folder / "crm_pipeline.csv", index=False, date_format="%Y-%m-%d")

    db = folder / "erp.sqlite"
    db.unlink(missing_ok=True)
    with sqlite3.connect(db) as con:
        for name in ERP_TABLES:
            out = tables[name].copy()
            for col in out.select_dtypes("datetime").columns:
                out[col] = out[col].dt.strftime("%Y-%m-%d")
            out.to_sql(name, con, index=False)

    with pd.ExcelWriter(folder / "planning_inputs.xlsx", engine="openpyxl") as xl:
        for sheet in PLANNING_SHEETS:
            tables[sheet].to_excel(xl, sheet_name=sheet, index=False)
    archive = folder / "forecast_archive"
    archive.mkdir(exist_ok=True)
    for old in archive.glob("demand_forecast_*.parquet"):
        old.unlink()
    for name, fc in tables.items():
        if name.startswith("archive:"):
            fc.to_parquet(archive / f"demand_forecast_{name.split(':', 1)[1]}.parquet", index=False)

    exported = (cycle_start(cycle) - pd.Timedelta(hours=6)).timestamp()  # the evening before the cycle
    for file in ("sales_history.csv", "products.csv", "crm_pipeline.csv", "erp.sqlite", "planning_inputs.xlsx"):
        os.utime(folder / file, (exported, exported))
    (folder / "DEMO_CYCLE").write_text(marker + "\n")
    return folder


def write_demo_company(folder: str | Path, cycle: str, seed: int = 20261) -> Path:
    """Write the demo company's source files for ``cycle`` into ``folder``; return it."""
    return write_tables(folder, cycle, demo_tables(cycle, seed), f"{cycle} {seed} {GENERATOR_VERSION}")


def ensure_demo_company(folder: str | Path, cycle: str, seed: int = 20261) -> Path:
    """Generate the demo files unless they already exist for this cycle and seed."""
    folder = Path(folder)
    marker = folder / "DEMO_CYCLE"
    if marker.exists() and marker.read_text().split() == [cycle, str(seed), str(GENERATOR_VERSION)]:
        return folder
    return write_demo_company(folder, cycle, seed)
