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
========================  =====================  ====================================

Everything is drawn from one seeded generator, so the same ``(cycle, seed)`` always
gives the same numbers. The files are small (under 1 MB) and are *generated*, not
committed: ``sop demo`` or the first ``sop run`` writes them to ``data/demo/``.

The company contains the situation from ``shared/sop-domain.md``: the best-seller
*Barista Pro 200* gets a successor (*Barista Pro 300*) next year with an uncertain
launch month and a launch into a new territory; about 4,000 customers wait in a
backlog for the best-seller; its heating element comes from a supplier with a
two-week lead time that may go out of business.
"""

from __future__ import annotations

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
GENERATOR_VERSION = 3  # bump when the generator changes, so cached demo files are re-made
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


def _promotions(months: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Black-Friday promotions every November plus a few spring campaigns."""
    rows = []
    for m in months.append(pd.date_range(months[-1] + pd.DateOffset(months=1), periods=12, freq="MS")):
        if m.month == 11:
            for sku in ("ESP-PRO-200", "ESP-HOME-80", "GRN-CONICAL-30"):
                rows.append((sku, "all", m, m + pd.offsets.MonthEnd(0), 0.15, "Black Friday"))
        if m.month == 4 and rng.random() < 0.8:
            rows.append(("ESP-MILK-70", "DACH", m, m + pd.offsets.MonthEnd(0), 0.10, "Spring milk week"))
        if m.month == 3:
            rows.append(("GRN-FLAT-40", "all", m, m + pd.offsets.MonthEnd(0), 0.12, "Grinder spring deal"))
    return pd.DataFrame(
        rows, columns=["sku", "region", "start_date", "end_date", "discount_pct", "campaign"]
    )


def _promo_lookup(promos: pd.DataFrame, sku: str, region: str, month: pd.Timestamp) -> float:
    hit = promos[
        (promos["sku"] == sku)
        & (promos["region"].isin(["all", region]))
        & (promos["start_date"] <= month)
        & (promos["end_date"] >= month)
    ]
    return float(hit["discount_pct"].max()) if len(hit) else 0.0


def make_sales_history(cycle: str, rng: np.random.Generator, promos: pd.DataFrame) -> pd.DataFrame:
    """Monthly units per SKU and region, negative-binomial noise around trend x season x promo."""
    months = history_months(cycle)
    discontinued_from = months[-10]
    rows = []
    for s in _SKUS:
        if s.base == 0:
            continue
        for region, share in _REGION_SHARE.items():
            level = s.base * share * rng.lognormal(0, 0.08)
            for i, m in enumerate(months):
                if s.sku == DISCONTINUED and m >= discontinued_from:
                    continue
                trend = (1 + s.growth) ** (i / 12)
                promo = _promo_lookup(promos, s.sku, region, m)
                mu = level * trend * _SEASON[m.month - 1] * (1 + 2.5 * promo)
                if s.sku == "GRN-SINGLE-35":
                    mu *= 0.4  # intermittent niche product: many zero months
                k = 8.0
                units = rng.negative_binomial(k, k / (k + mu))
                price = s.price * (1 - promo) * rng.uniform(0.97, 1.0)
                rows.append((m, s.sku, region, int(units), round(units * price, 2)))
    df = pd.DataFrame(rows, columns=["month", "sku", "region", "units", "net_revenue_eur"])
    # Real exports have holes: the niche grinder's zero months were never booked.
    df = df[~((df["sku"] == "GRN-SINGLE-35") & (df["units"] == 0))]
    # ... and one fat-finger entry a planner will want flagged.
    idx = df[(df["sku"] == "GRN-HAND-5") & (df["region"] == "Nordics")].index[20]
    df.loc[idx, "units"] = df.loc[idx, "units"] * 10
    return df.sort_values(["month", "sku", "region"]).reset_index(drop=True)


def make_products(cycle: str) -> pd.DataFrame:
    start = cycle_start(cycle)
    rows = []
    for s in _SKUS:
        status, launch, disc, replaces = "active", pd.NaT, pd.NaT, ""
        if s.sku == SUCCESSOR:
            status, launch, replaces = "planned", start + pd.DateOffset(months=4), BEST_SELLER
        if s.sku == DISCONTINUED:
            status, disc = "discontinued", history_months(cycle)[-10]
        rows.append((s.sku, s.name, s.family, status, launch, disc, replaces, s.price, s.cost, "unit"))
    return pd.DataFrame(
        rows,
        columns=[
            "sku", "name", "family", "status", "launch_date", "discontinue_date",
            "replaces", "list_price_eur", "unit_cost_eur", "uom",
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
            "supplier_id", "supplier_name", "country", "lead_time_days",
            "lead_time_sd_days", "on_time_rate", "financial_risk", "capacity_units_per_month",
        ],
    )


def make_bom() -> pd.DataFrame:
    rows = []
    for s in _SKUS:
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
            ("production_worker", "all", 52, 140, "production hours per worker per month", 2),
        ],
        columns=["role", "region", "headcount", "capacity_per_head", "capacity_unit", "hiring_lead_months"],
    )
    marketing = _promotions(history_months(cycle), np.random.default_rng(7))
    launches = pd.DataFrame(
        [
            (
                SUCCESSOR, BEST_SELLER, ";".join(REGIONS + (NEW_TERRITORY,)),
                start + pd.DateOffset(months=2), start + pd.DateOffset(months=4),
                start + pd.DateOffset(months=8), 0.6, 3, 3200, 0.15,
            )
        ],
        columns=[
            "sku", "analog_sku", "regions", "earliest_launch", "likely_launch",
            "latest_launch", "cannibalisation_pct", "ramp_months", "peak_units_per_month", "new_territory_share",
        ],
    )
    return {
        "targets": targets,
        "budget": budget,
        "headcount": headcount,
        "marketing_calendar": marketing,
        "launches": launches,
    }


def write_demo_company(folder: str | Path, cycle: str, seed: int = 20261) -> Path:
    """Write the demo company's source files for ``cycle`` into ``folder``; return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    promos = _promotions(history_months(cycle), np.random.default_rng(7))
    sales = make_sales_history(cycle, rng, promos)
    products = make_products(cycle)
    orders = make_backlog_and_orders(cycle, rng)
    inventory = make_inventory(cycle, rng)
    lines, routings = make_production(cycle)
    pipeline = make_pipeline(cycle, rng)

    sales.assign(month=sales["month"].dt.strftime("%Y-%m")).to_csv(folder / "sales_history.csv", index=False)
    products.to_csv(folder / "products.csv", index=False, date_format="%Y-%m-%d")
    pipeline.to_csv(folder / "crm_pipeline.csv", index=False, date_format="%Y-%m-%d")

    db = folder / "erp.sqlite"
    db.unlink(missing_ok=True)
    with sqlite3.connect(db) as con:
        for name, df in {
            "open_orders": orders,
            "inventory": inventory,
            "production_lines": lines,
            "routings": routings,
            "bom": make_bom(),
            "suppliers": make_suppliers(),
        }.items():
            out = df.copy()
            for col in out.select_dtypes("datetime").columns:
                out[col] = out[col].dt.strftime("%Y-%m-%d")
            out.to_sql(name, con, index=False)

    with pd.ExcelWriter(folder / "planning_inputs.xlsx", engine="openpyxl") as xl:
        for sheet, df in make_planning_inputs(cycle, sales, products).items():
            df.to_excel(xl, sheet_name=sheet, index=False)
    (folder / "DEMO_CYCLE").write_text(f"{cycle} {seed} {GENERATOR_VERSION}\n")
    return folder


def ensure_demo_company(folder: str | Path, cycle: str, seed: int = 20261) -> Path:
    """Generate the demo files unless they already exist for this cycle and seed."""
    folder = Path(folder)
    marker = folder / "DEMO_CYCLE"
    if marker.exists() and marker.read_text().split() == [cycle, str(seed), str(GENERATOR_VERSION)]:
        return folder
    return write_demo_company(folder, cycle, seed)
