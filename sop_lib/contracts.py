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


CONTRACTS: dict[str, DataFrameSchema] = {
    "sales_history": _schema(
        {
            "month": Column("datetime64[ns]"),
            "sku": Column(str),
            "region": Column(str),
            "units": Column(float, _NONNEG),
            "net_revenue_eur": Column(float, _NONNEG, required=False),
        },
        unique=["month", "sku", "region"],
    ),
    "products": _schema(
        {
            "sku": Column(str, unique=True),
            "name": Column(str),
            "family": Column(str),
            "status": Column(str, Check.isin(["active", "planned", "discontinued"])),
            "launch_date": Column("datetime64[ns]", nullable=True),
            "discontinue_date": Column("datetime64[ns]", nullable=True),
            "replaces": Column(str, nullable=True),
            "list_price_eur": Column(float, Check.gt(0)),
            "unit_cost_eur": Column(float, _NONNEG),
            "uom": Column(str, Check.isin(["unit", "case"]), required=False),
            "units_per_case": Column(float, Check.gt(0), nullable=True, required=False),
        }
    ),
    "open_orders": _schema(
        {
            "order_id": Column(str, unique=True),
            "customer_id": Column(str),
            "sku": Column(str),
            "region": Column(str),
            "qty": Column(float, Check.gt(0)),
            "order_date": Column("datetime64[ns]"),
            "requested_date": Column("datetime64[ns]"),
            "status": Column(str, Check.isin(["open", "backordered"])),
        }
    ),
    "inventory": _schema(
        {
            "sku": Column(str),
            "warehouse": Column(str),
            "on_hand": Column(float, _NONNEG),
            "as_of": Column("datetime64[ns]"),
        },
        unique=["sku", "warehouse"],
    ),
    "pipeline": _schema(
        {
            "opportunity_id": Column(str, unique=True),
            "region": Column(str),
            "sku": Column(str),
            "stage": Column(str),
            "probability": Column(float, _PROB),
            "units": Column(float, _NONNEG),
            "amount_eur": Column(float, _NONNEG),
            "expected_close": Column("datetime64[ns]"),
        }
    ),
    "production_lines": _schema(
        {
            "line_id": Column(str, unique=True),
            "line_name": Column(str),
            "hours_per_month": Column(float, Check.gt(0)),
        }
    ),
    "routings": _schema(
        {"sku": Column(str), "line_id": Column(str), "hours_per_unit": Column(float, Check.gt(0))},
        unique=["sku", "line_id"],
    ),
    "bom": _schema(
        {
            "sku": Column(str),
            "component": Column(str),
            "qty_per_unit": Column(float, Check.gt(0)),
            "supplier_id": Column(str),
        },
        unique=["sku", "component"],
    ),
    "suppliers": _schema(
        {
            "supplier_id": Column(str, unique=True),
            "supplier_name": Column(str),
            "lead_time_days": Column(float, Check.in_range(0, 365)),
            "lead_time_sd_days": Column(float, _NONNEG),
            "on_time_rate": Column(float, _PROB),
            "financial_risk": Column(str, Check.isin(["low", "medium", "high"])),
        }
    ),
    "targets": _schema(
        {
            "month": Column("datetime64[ns]"),
            "family": Column(str),
            "revenue_target_eur": Column(float, _NONNEG),
            "gross_margin_target_pct": Column(float, _PROB),
        },
        unique=["month", "family"],
    ),
    "budget": _schema(
        {"month": Column("datetime64[ns]", unique=True), "opex_budget_eur": Column(float, _NONNEG)}
    ),
    "headcount": _schema(
        {
            "role": Column(str, Check.isin(["sales_rep", "service_agent", "production_worker"])),
            "region": Column(str),
            "headcount": Column(float, _NONNEG),
            "capacity_per_head": Column(float, Check.gt(0)),
            "hiring_lead_months": Column(float, _NONNEG),
        },
        unique=["role", "region"],
    ),
    "marketing_calendar": _schema(
        {
            "sku": Column(str),
            "region": Column(str),
            "start_date": Column("datetime64[ns]"),
            "end_date": Column("datetime64[ns]"),
            "discount_pct": Column(float, Check.in_range(0, 0.9)),
            "campaign": Column(str),
        }
    ),
    "launches": _schema(
        {
            "sku": Column(str, unique=True),
            "analog_sku": Column(str),
            "earliest_launch": Column("datetime64[ns]"),
            "likely_launch": Column("datetime64[ns]"),
            "latest_launch": Column("datetime64[ns]"),
            "cannibalisation_pct": Column(float, _PROB),
            "ramp_months": Column(float, Check.ge(1)),
            "peak_units_per_month": Column(float, _NONNEG),
            "regions": Column(str),
            "new_territory_share": Column(float, _PROB),
        }
    ),
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

DATE_COLUMNS: dict[str, list[str]] = {
    name: [c for c, col in schema.columns.items() if str(col.dtype).startswith("datetime")]
    for name, schema in CONTRACTS.items()
}

# Every check a finding can come from: name -> (default severity, what it means).
# ``data.checks`` / ``sources.<name>.severity`` in params override the configurable ones
# (`sop_lib.params.CheckName`); the others always block.
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
    ("open_orders", "sku"), ("pipeline", "sku"), ("bom", "sku"), ("launches", "sku"),
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
    "sales_history": "region", "open_orders": "region", "pipeline": "region",
    "headcount": "region", "marketing_calendar": "region",
}

# Quantity columns in pieces: converted from cases when a source declares ``unit: case``.
QUANTITY_COLUMNS: dict[str, str] = {
    "sales_history": "units", "open_orders": "qty", "inventory": "on_hand", "pipeline": "units",
}

__all__ = ["CONTRACTS", "REFERENCES", "DATE_COLUMNS", "CHECKS", "STRUCTURAL_CHECKS", "FRESHNESS",
           "ORDERED_DATES", "DISCONTINUED_REFERENCES", "HORIZON", "REGION_COLUMNS", "QUANTITY_COLUMNS", "pa"]
