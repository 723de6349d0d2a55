"""Data contracts: what each department's export must look like.

One pandera schema per source, on *our* column names (a source's ``columns``
mapping in params renames theirs first). Dates are parsed before the schema runs
(see `sop_lib.data`), so the schemas see real timestamps.

Cross-source rules (every SKU in the orders exists in the product master, every BOM
supplier exists) live in `REFERENCES`, checked by `sop_lib.data.check_references`.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.pandas import Check, Column, DataFrameSchema

_NONNEG = Check.ge(0)
_PROB = Check.in_range(0, 1)


def _schema(columns: dict[str, Column], unique: list[str] | None = None) -> DataFrameSchema:
    return DataFrameSchema(columns, unique=unique, coerce=True, strict=False)


def _c(dtype, meaning: str, *checks: Check, **kw) -> Column:
    """A contract column with its meaning (shown by `sop sources` and in docs/data-contracts.md)."""
    return Column(dtype, list(checks) or None, description=meaning, **kw)


_SKU = "the product's article number, as in the product master"
_REGION = "planning region (after data.region_aliases); 'all' = every region"

CONTRACTS: dict[str, DataFrameSchema] = {
    "sales_history": _schema(
        {
            "month": _c("datetime64[ns]", "month of the booking (any day in the month)"),
            "sku": _c(str, _SKU),
            "region": _c(str, _REGION),
            "units": _c(float, "units sold (net of returns) in that month and region", _NONNEG),
            "net_revenue_eur": _c(float, "net revenue in EUR", _NONNEG, required=False),
        },
        unique=["month", "sku", "region"],
    ),
    "products": _schema(
        {
            "sku": _c(str, "article number, one row per product", unique=True),
            "name": _c(str, "product name as people know it (shown beside the SKU in reports)"),
            "family": _c(str, "product family: the level the forecast pools and reports by"),
            "status": _c(str, "life-cycle status", Check.isin(["active", "planned", "discontinued"])),
            "launch_date": _c("datetime64[ns]", "first month on sale (empty for old products)", nullable=True),
            "discontinue_date": _c("datetime64[ns]", "last day on sale, if it is being phased out", nullable=True),
            "replaces": _c(str, "SKU this product succeeds, if any", nullable=True),
            "list_price_eur": _c(
                float, "list price per unit, EUR (empty or absent: revenue is not computed)", Check.gt(0), nullable=True
            ),
            "unit_cost_eur": _c(
                float,
                "standard cost per unit (material, labour, freight), EUR (empty or absent: costs and margin are not computed)",
                _NONNEG,
                nullable=True,
            ),
            "uom": _c(str, "unit of measure of the quantities in other sources", Check.isin(["unit", "case"]), required=False),
            "units_per_case": _c(float, "units in one case (with uom: case)", Check.gt(0), nullable=True, required=False),
        }
    ),
    "open_orders": _schema(
        {
            "order_id": _c(str, "order line id", unique=True),
            "customer_id": _c(str, "customer id (counts customers waiting)"),
            "sku": _c(str, _SKU),
            "region": _c(str, _REGION),
            "qty": _c(float, "units still to deliver", Check.gt(0)),
            "order_date": _c("datetime64[ns]", "day the order was taken"),
            "requested_date": _c("datetime64[ns]", "day the customer asked for"),
            "status": _c(str, "open, or backordered (promised date missed)", Check.isin(["open", "backordered"])),
        }
    ),
    "inventory": _schema(
        {
            "sku": _c(str, _SKU),
            "warehouse": _c(str, "warehouse or stock location"),
            "on_hand": _c(float, "units on hand", _NONNEG),
            "as_of": _c("datetime64[ns]", "date of the stock snapshot"),
        },
        unique=["sku", "warehouse"],
    ),
    "pipeline": _schema(
        {
            "opportunity_id": _c(str, "CRM opportunity id", unique=True),
            "region": _c(str, _REGION),
            "sku": _c(str, _SKU),
            "stage": _c(str, "sales stage, as the CRM names it"),
            "probability": _c(float, "chance to win, 0-1 (scale: 0.01 for percent)", _PROB),
            "units": _c(float, "units if won", _NONNEG),
            "amount_eur": _c(float, "value if won, EUR", _NONNEG),
            "expected_close": _c("datetime64[ns]", "expected closing date"),
        }
    ),
    "production_lines": _schema(
        {
            "line_id": _c(str, "line or work-centre id", unique=True),
            "line_name": _c(str, "its name, for the reports"),
            "hours_per_month": _c(float, "regular hours available per month", Check.gt(0)),
            "workers_per_shift": _c(
                float, "crew a running line needs; enables the production-worker plan", Check.gt(0), required=False
            ),
        }
    ),
    "routings": _schema(
        {
            "sku": _c(str, _SKU),
            "line_id": _c(str, "line that makes it"),
            "hours_per_unit": _c(float, "line hours per unit", Check.gt(0)),
        },
        unique=["sku", "line_id"],
    ),
    "bom": _schema(
        {
            "sku": _c(str, _SKU),
            "component": _c(str, "component or purchased article"),
            "component_name": _c(str, "its name, for the reports", required=False),
            "qty_per_unit": _c(float, "components per unit of the SKU", Check.gt(0)),
            "supplier_id": _c(str, "supplier of the component"),
        },
        unique=["sku", "component"],
    ),
    "suppliers": _schema(
        {
            "supplier_id": _c(str, "supplier id", unique=True),
            "supplier_name": _c(str, "its name, for the reports"),
            "lead_time_days": _c(float, "days from order to receipt", Check.in_range(0, 365)),
            "lead_time_sd_days": _c(float, "standard deviation of the lead time, days", _NONNEG),
            "on_time_rate": _c(float, "share of deliveries on time, 0-1", _PROB),
            "financial_risk": _c(str, "risk rating", Check.isin(["low", "medium", "high"])),
        }
    ),
    "targets": _schema(
        {
            "month": _c("datetime64[ns]", "month of the target"),
            "family": _c(str, "product family"),
            "revenue_target_eur": _c(float, "revenue target, EUR", _NONNEG),
            "gross_margin_target_pct": _c(float, "gross margin target, 0-1", _PROB),
        },
        unique=["month", "family"],
    ),
    "budget": _schema(
        {
            "month": _c("datetime64[ns]", "month", unique=True),
            "opex_budget_eur": _c(float, "operating expenses budgeted, EUR", _NONNEG),
        }
    ),
    "headcount": _schema(
        {
            "role": _c(
                str, "role whose workload follows demand", Check.isin(["sales_rep", "service_agent", "production_worker"])
            ),
            "region": _c(str, _REGION),
            "headcount": _c(float, "people in the role today", _NONNEG),
            "capacity_per_head": _c(float, "units (or orders) one person handles per month", Check.gt(0)),
            "hiring_lead_months": _c(float, "months from the decision to hire to a productive person", _NONNEG),
        },
        unique=["role", "region"],
    ),
    "marketing_calendar": _schema(
        {
            "sku": _c(str, _SKU),
            "region": _c(str, _REGION),
            "start_date": _c("datetime64[ns]", "first day of the campaign"),
            "end_date": _c("datetime64[ns]", "last day of the campaign"),
            "discount_pct": _c(float, "price discount, 0-0.9", Check.in_range(0, 0.9)),
            "campaign": _c(str, "campaign name"),
        }
    ),
    "launches": _schema(
        {
            "sku": _c(str, "the new product's SKU (in the product master, status planned)", unique=True),
            "analog_sku": _c(str, "the existing product whose history it will resemble"),
            "earliest_launch": _c("datetime64[ns]", "earliest launch date"),
            "likely_launch": _c("datetime64[ns]", "most likely launch date"),
            "latest_launch": _c("datetime64[ns]", "latest launch date"),
            "cannibalisation_pct": _c(float, "share of the analog's demand it takes over, 0-1", _PROB),
            "ramp_months": _c(float, "months to reach full sales", Check.ge(1)),
            "peak_units_per_month": _c(float, "units a month at full sales, all regions", _NONNEG),
            "regions": _c(str, "regions it launches in, ';'-separated"),
            "new_territory_share": _c(float, "share of its demand from regions the analog does not sell in", _PROB),
        }
    ),
}

REQUIRED_SOURCES = ("sales_history", "products")  # every other source is optional (OPTIONAL_SOURCES)

# What each source is, and for the optional ones what a cycle does without them (every
# source but REQUIRED_SOURCES may be left out; each step then says what it skipped).
SOURCE_MEANING: dict[str, str] = {
    "sales_history": "monthly sales per SKU and region: what the forecast learns from",
    "products": "the product master: names, families, prices, costs, life cycle",
    "open_orders": "order lines not yet delivered: the customers waiting today",
    "inventory": "stock on hand per SKU and warehouse",
    "pipeline": "CRM opportunities: demand that has no history yet",
    "production_lines": "lines or work centres and their regular hours",
    "routings": "which line makes each SKU and how many hours a unit takes",
    "bom": "bill of materials: components per SKU and who supplies them",
    "suppliers": "supplier lead times, reliability and risk rating",
    "targets": "revenue and margin targets per family and month",
    "budget": "operating expense budget per month",
    "headcount": "people per role and region, and what one person handles",
    "marketing_calendar": "price promotions per SKU, region and period",
    "launches": "new products: launch window, analog, ramp-up, cannibalisation",
}
WITHOUT: dict[str, str] = {
    "open_orders": "no backlog: nobody is counted as waiting today",
    "inventory": "no stock on hand: the plan starts from zero inventory",
    "pipeline": "no CRM demand for series without history",
    "production_lines": "no capacity check: production is not limited by line hours",
    "routings": "no capacity check: no SKU is assigned to a line",
    "bom": "no component limits and no supplier risk per SKU",
    "suppliers": "no supplier lead times: safety stock covers the review period only; no supplier risk",
    "targets": "no comparison with revenue and margin targets",
    "budget": "operating profit in the what-if scenarios is before operating expenses",
    "headcount": "no people plan",
    "marketing_calendar": "no promotions in the forecast",
    "launches": "no product launches",
}
# Which steps use each optional source (a step names what it skipped).
USED_BY: dict[str, tuple[int, ...]] = {
    "open_orders": (3, 4, 5),
    "inventory": (3, 4, 5),
    "pipeline": (2,),
    "production_lines": (3, 4, 5),
    "routings": (3, 4, 5),
    "bom": (3, 4),
    "suppliers": (3, 4),
    "targets": (4, 5),
    "budget": (4,),
    "headcount": (3, 4),
    "marketing_calendar": (2,),
    "launches": (2, 3, 4),
}

# (source, column) must appear in (reference source, reference column).
REFERENCES: list[tuple[str, str, str, str]] = [
    ("sales_history", "sku", "products", "sku"),
    ("open_orders", "sku", "products", "sku"),
    ("inventory", "sku", "products", "sku"),
    ("pipeline", "sku", "products", "sku"),
    ("routings", "sku", "products", "sku"),
    ("routings", "line_id", "production_lines", "line_id"),
    ("bom", "sku", "products", "sku"),
    ("bom", "supplier_id", "suppliers", "supplier_id"),
    ("targets", "family", "products", "family"),
    ("launches", "sku", "products", "sku"),
    ("launches", "analog_sku", "products", "sku"),
]

# Codes that must be written alike wherever they meet (`data.codes` normalises them): the
# columns on both sides of every reference, and a product's predecessor.
CODE_COLUMNS: dict[str, tuple[str, ...]] = {}
for _src, _col, _ref, _ref_col in REFERENCES + [("products", "replaces", "products", "sku")]:
    if _col != "family":
        CODE_COLUMNS[_src] = tuple(dict.fromkeys(CODE_COLUMNS.get(_src, ()) + (_col,)))
        CODE_COLUMNS[_ref] = tuple(dict.fromkeys(CODE_COLUMNS.get(_ref, ()) + (_ref_col,)))

DATE_COLUMNS: dict[str, list[str]] = {
    name: [c for c, col in schema.columns.items() if str(col.dtype).startswith("datetime")] for name, schema in CONTRACTS.items()
}

# Every check a finding can come from: name -> (default severity, what it means).
# ``data.checks`` / ``sources.<name>.severity`` in params override the configurable ones
# (`sop_lib.core.params.CheckName`); the others always block.
CHECKS: dict[str, tuple[str, str]] = {
    "unreadable": ("block", "the source cannot be read (file, sheet, table or query missing, empty, wrong encoding)"),
    "missing_column": ("block", "a column the contract needs is not in the export"),
    "wrong_type": ("block", "a value is not of the column's type (text in a number column)"),
    "empty_value": ("block", "a required cell is empty"),
    "unparseable_date": ("block", "a date that cannot be read with the declared format"),
    "out_of_range": ("block", "a quantity below zero, a probability above 1, ..."),
    "invalid_category": ("block", "a value outside the allowed list (status, risk rating, role)"),
    "duplicate_key": ("block", "two rows for the same key (month+SKU+region, order id, ...)"),
    "implausible_date": ("block", "a date before 1990 or more than ten years after the cycle"),
    "future_date": ("block", "sales booked for a month that has not closed yet"),
    "date_order": ("block", "dates in the wrong order (earliest launch after latest, an end before its start)"),
    "unknown_reference": ("block", "a SKU, line or supplier that its master table does not list"),
    "discontinued_reference": ("warn", "an order, BOM line or plan entry for a discontinued SKU"),
    "unknown_region": ("warn", "a region that is not one of the planning regions (after aliases)"),
    "stale": ("warn", "the export is older than its freshness rule allows"),
    "horizon_coverage": ("warn", "targets, budget or marketing calendar end before the planning horizon"),
    "missing_months": ("warn", "months absent from the sales export (treated as zero sales)"),
    "zero_months": ("warn", "a zero month in a series that normally sells (a lost booking?)"),
    "outlier": ("warn", "a month far from its series' usual level after removing seasonality"),
    "returns_exceed_sales": ("warn", "a month whose returns exceed its sales (it nets below zero and counts as 0)"),
}
STRUCTURAL_CHECKS = ("unreadable", "missing_column", "wrong_type", "empty_value", "unparseable_date")

# Freshness: the date column whose latest value dates the export (None = the file's
# modification time) and how many days before the cycle start it may be.
FRESHNESS: dict[str, tuple[str | None, int]] = {
    "sales_history": ("month", 45),  # the last closed month starts ~31 days before the cycle
    "inventory": ("as_of", 7),  # a stock snapshot older than a week misleads the supply plan
    "open_orders": ("order_date", 14),  # no order in two weeks means the export is old
    "pipeline": (None, 14),
    "products": (None, 365),
    "production_lines": (None, 180),
    "routings": (None, 180),
    "bom": (None, 180),
    "suppliers": (None, 90),
    "targets": (None, 120),
    "budget": (None, 120),
    "headcount": (None, 60),
    "marketing_calendar": (None, 60),
    "launches": (None, 60),
}

# (source, date columns that must be in this order, key column that names the row)
ORDERED_DATES: list[tuple[str, tuple[str, ...], str]] = [
    ("launches", ("earliest_launch", "likely_launch", "latest_launch"), "sku"),
    ("marketing_calendar", ("start_date", "end_date"), "campaign"),
    ("products", ("launch_date", "discontinue_date"), "sku"),
    ("open_orders", ("order_date", "requested_date"), "order_id"),
]

# (source, SKU column): rows that plan for a SKU the product master calls discontinued.
DISCONTINUED_REFERENCES: list[tuple[str, str]] = [
    ("open_orders", "sku"),
    ("pipeline", "sku"),
    ("bom", "sku"),
    ("launches", "sku"),
    ("marketing_calendar", "sku"),  # campaigns still running at the cycle start or later
]

# Sources that must cover the planning horizon: (month column, columns to cover it for).
HORIZON: dict[str, tuple[str, tuple[str, ...]]] = {
    "targets": ("month", ("family",)),
    "budget": ("month", ()),
    "marketing_calendar": ("end_date", ()),  # campaigns must be planned to the horizon's end
}

# Region columns, harmonised through ``data.region_aliases``; "all" means every region.
REGION_COLUMNS: dict[str, str] = {
    "sales_history": "region",
    "open_orders": "region",
    "pipeline": "region",
    "headcount": "region",
    "marketing_calendar": "region",
}

# Quantity columns in pieces: converted from cases when a source declares ``unit: case``.
QUANTITY_COLUMNS: dict[str, str] = {
    "sales_history": "units",
    "open_orders": "qty",
    "inventory": "on_hand",
    "pipeline": "units",
}

__all__ = [
    "CONTRACTS",
    "SOURCE_MEANING",
    "WITHOUT",
    "USED_BY",
    "REFERENCES",
    "DATE_COLUMNS",
    "CODE_COLUMNS",
    "CHECKS",
    "STRUCTURAL_CHECKS",
    "FRESHNESS",
    "ORDERED_DATES",
    "DISCONTINUED_REFERENCES",
    "HORIZON",
    "REGION_COLUMNS",
    "QUANTITY_COLUMNS",
    "pa",
]


def _rule(column: Column) -> str:
    """A column's checks in words: 'one of: a, b', '>= 0', '0 to 1'."""
    words = []
    for check in column.checks or []:
        st = check.statistics or {}
        if "allowed_values" in st:
            words.append("one of: " + ", ".join(map(str, st["allowed_values"])))
        elif "min_value" in st and "max_value" in st:
            words.append(f"{st['min_value']:g} to {st['max_value']:g}")
        elif "min_value" in st:
            words.append(f"{'>' if check.name == 'greater_than' else '>='} {st['min_value']:g}")
    if column.unique:
        words.append("unique")
    if column.nullable:
        words.append("may be empty")
    if not column.required:
        words.append("optional column")
    return "; ".join(words)


def _type(column: Column) -> str:
    dtype = str(column.dtype)
    return "date" if dtype.startswith("datetime") else ("number" if dtype.startswith("float") else "text")


def describe() -> str:
    """Every contract as Markdown: what `sop sources` prints and docs/data-contracts.md
    holds (a test keeps the two equal, so the documentation cannot drift)."""
    out = []
    for name, schema in CONTRACTS.items():
        need = "required" if name in REQUIRED_SOURCES else f"optional; without it: {WITHOUT[name]}"
        out.append(f"#### `{name}` ({need})\n\n{SOURCE_MEANING[name][0].upper()}{SOURCE_MEANING[name][1:]}.")
        if schema.unique:
            out[-1] += f" One row per {' + '.join(schema.unique)}."
        rows = ["| column | type | meaning | allowed |", "|---|---|---|---|"]
        rows += [f"| `{col}` | {_type(c)} | {c.description} | {_rule(c)} |" for col, c in schema.columns.items()]
        out.append("\n".join(rows))
    return "\n\n".join(out) + "\n"
