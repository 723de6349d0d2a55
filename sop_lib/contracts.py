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

__all__ = ["CONTRACTS", "REFERENCES", "DATE_COLUMNS", "pa"]
