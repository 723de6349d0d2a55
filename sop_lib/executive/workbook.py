"""The cycle's plan as one Excel workbook, ``reports/<cycle>/plan.xlsx``: where planners and finance work.

One sheet per hand-over a planner works from (the forecast, the production plan, purchase
orders, safety stock, the financial plan against its targets, the scenarios, the decisions
the review asks for), each with its header frozen, filters on, units and euros as number
formats and readable column widths, and a cover sheet saying the cycle, the company and
where each sheet's figures come from. The values are the hand-overs' own, not rounded (a
number format only changes what is shown; a cell keeps Excel's 15 significant digits), so
the workbook and the Parquet files agree.

Written in openpyxl's write-only mode, so a company of 10,000 SKUs does not hold every
cell in memory. Text from the data that a spreadsheet would take for a formula (a product
name starting with ``=``) is written as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sop_lib.core import handover

WORKBOOK = "plan.xlsx"
FORMATS = {
    "units": "#,##0",
    "eur": '#,##0 "€"',
    "pct": "0.0%",
    "month": "mmm yyyy",
    "date": "yyyy-mm-dd",
    "days": "0",
    "number": "#,##0.00",
    "text": "@",
    "bool": "General",
}
MAX_WIDTH = 48  # characters: a long comment wraps in the cell, not across the screen


@dataclass(frozen=True)
class Column:
    name: str  # the hand-over's column
    header: str  # what the sheet calls it, with its unit
    kind: str  # a key of FORMATS


@dataclass(frozen=True)
class Sheet:
    title: str
    artifact: str  # the hand-over it shows (`core.handover.ARTIFACTS`)
    about: str  # one line for the cover: what the sheet holds
    columns: tuple[Column, ...]
    order: tuple[str, ...] = ()  # sort keys


SHEETS = (
    Sheet(
        "Forecast",
        "demand_forecast",
        "the consensus demand forecast per product, region and month: P10, P50 (median) and P90 of the demand draws",
        (
            Column("sku", "SKU", "text"),
            Column("region", "Region", "text"),
            Column("family", "Family", "text"),
            Column("ds", "Month", "month"),
            Column("p10", "P10 (units)", "units"),
            Column("p50", "P50 (units)", "units"),
            Column("p90", "P90 (units)", "units"),
            Column("mean", "Mean (units)", "units"),
        ),
        ("sku", "region", "ds"),
    ),
    Sheet(
        "Production plan",
        "supply_plan",
        "what to make per product and month, with the demand it is planned for, the stock at month end and the customers waiting",
        (
            Column("sku", "SKU", "text"),
            Column("month", "Month", "month"),
            Column("demand", "Planned demand (units)", "units"),
            Column("production", "Production (units)", "units"),
            Column("inventory", "Stock at month end (units)", "units"),
            Column("backorders", "Waiting at month end (units)", "units"),
        ),
        ("sku", "month"),
    ),
    Sheet(
        "Purchase orders",
        "purchase_orders",
        "the component orders the plan needs: what, from whom, how many, when to order and when it is needed",
        (
            Column("component", "Component", "text"),
            Column("supplier_id", "Supplier", "text"),
            Column("supplier_name", "Supplier name", "text"),
            Column("order_date", "Order by", "date"),
            Column("need_date", "Needed by", "date"),
            Column("quantity", "Quantity (units)", "units"),
            Column("lead_time_days", "Lead time (days)", "days"),
            Column("late", "Late", "bool"),
            Column("status", "Status", "text"),
            Column("note", "Note", "text"),
        ),
        ("order_date", "component"),
    ),
    Sheet(
        "Safety stock",
        "safety_stock",
        "the inventory policy per product: monthly demand, safety stock and reorder point for the target service level",
        (
            Column("sku", "SKU", "text"),
            Column("mean_monthly_demand", "Mean monthly demand (units)", "units"),
            Column("lead_time_days", "Lead time (days)", "days"),
            Column("safety_stock", "Safety stock (units)", "units"),
            Column("reorder_point", "Reorder point (units)", "units"),
            Column("service_level", "Cycle service level", "pct"),
            Column("fill_rate", "Fill rate", "pct"),
        ),
        ("sku",),
    ),
    Sheet(
        "Financial plan",
        "financial_plan",
        "revenue and gross margin per family and month from the plan, against the finance targets",
        (
            Column("family", "Family", "text"),
            Column("month", "Month", "month"),
            Column("revenue_eur", "Revenue (€)", "eur"),
            Column("revenue_target_eur", "Revenue target (€)", "eur"),
            Column("revenue_vs_target_eur", "Revenue against target (€)", "eur"),
            Column("cogs_eur", "Cost of goods (€)", "eur"),
            Column("gross_margin_eur", "Gross margin (€)", "eur"),
            Column("gross_margin_pct", "Gross margin (%)", "pct"),
            Column("gross_margin_target_pct", "Gross margin target (%)", "pct"),
        ),
        ("family", "month"),
    ),
    Sheet(
        "Scenarios",
        "scenario_results",
        "each what-if scenario's outcome over the demand draws (P10, P50, P90) and its change against the plan",
        (
            Column("scenario", "Scenario", "text"),
            Column("metric", "Measure", "text"),
            Column("p10", "P10", "number"),
            Column("p50", "P50", "number"),
            Column("p90", "P90", "number"),
            Column("delta_p50", "Change against the plan (P50)", "number"),
        ),
    ),
    Sheet(
        "Decisions",
        "decisions",
        "the decisions the executive review asks for, with who owns each and why",
        (Column("owner", "Owner", "text"), Column("decision", "Decision", "text"), Column("because", "Because", "text")),
    ),
)


def metric_kind(metric: str) -> str:
    """A scenario measure's number format from its name: euros, shares, or units."""
    if metric.endswith("_eur"):
        return "eur"
    if metric in ("fill_rate", "service_level") or metric.startswith("p_") or metric.endswith("_pct"):
        return "pct"
    return "units"


def sheet_table(sheet: Sheet, table: pd.DataFrame) -> pd.DataFrame:
    """The hand-over's columns the sheet shows, in its order (a column the hand-over lacks is left out)."""
    cols = [c.name for c in sheet.columns if c.name in table.columns]
    keys = [k for k in sheet.order if k in cols]
    out = table[cols]
    return out.sort_values(keys, kind="stable").reset_index(drop=True) if keys else out.reset_index(drop=True)


def _cell_value(value):
    """A value as openpyxl writes it: no NaN or NaT (an empty cell), Python scalars, naive datetimes."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _width(header: str, values: pd.Series, kind: str) -> float:
    sample = values.head(200)
    longest = sample.map(lambda v: len(str(v))).max() if kind == "text" and len(sample) else 12
    return float(min(max(len(header), int(longest) if pd.notna(longest) else 0, 10) + 2, MAX_WIDTH))


def _write_sheet(wb, sheet: Sheet, table: pd.DataFrame) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet.title)
    cols = [c for c in sheet.columns if c.name in table.columns]
    for i, c in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(c.header, table[c.name], c.kind)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(table) + 1}"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    header = []
    for c in cols:
        cell = WriteOnlyCell(ws, value=c.header)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    per_row_kind = sheet.artifact == "scenario_results"
    for row in table.itertuples(index=False):
        cells = []
        kinds = {c.name: (metric_kind(str(row.metric)) if per_row_kind and c.kind == "number" else c.kind) for c in cols}
        for c, value in zip(cols, row):
            cell = WriteOnlyCell(ws, value=_cell_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: "=..." from the data is no formula
            cell.number_format = FORMATS[kinds[c.name]]
            cells.append(cell)
        ws.append(cells)


def _write_cover(wb, params, made: list[tuple[Sheet, int]], missing: list[Sheet]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet("Cover", 0)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 22, 34, 90
    title = WriteOnlyCell(ws, value=f"S&OP plan {params.cycle}: {params.company}")
    title.font, title.data_type = Font(bold=True, size=14), "s"
    ws.append([title])
    ws.append(["Cycle", params.cycle])
    company = WriteOnlyCell(ws, value=params.company)
    company.data_type = "s"
    ws.append(["Company", company])
    ws.append(["Written", pd.Timestamp.now().strftime("%Y-%m-%d %H:%M")])
    ws.append(
        [
            "Figures",
            "each sheet holds the values of one hand-over of the cycle (reports/<cycle>/artifacts/<name>.parquet), "
            "not rounded: the number formats only change what is shown",
        ]
    )
    ws.append([])
    bold = Font(bold=True)
    head = [WriteOnlyCell(ws, value=v) for v in ("Sheet", "From", "What it holds")]
    for cell in head:
        cell.font = bold
    ws.append(head)
    for sheet, rows in made:
        step = handover.ARTIFACTS.get(sheet.artifact)
        about = WriteOnlyCell(ws, value=f"{sheet.about} ({rows:,} rows)")
        about.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([sheet.title, f"step {step}: artifacts/{sheet.artifact}.parquet", about])
    for sheet in missing:
        ws.append([sheet.title, "not in this cycle", f"the cycle wrote no {sheet.artifact} hand-over, so there is no sheet"])


def write_workbook(cycle_dir: str | Path, params) -> Path:
    """``plan.xlsx`` in ``cycle_dir`` from its hand-overs; a hand-over the cycle did not write gets no sheet, and the cover says so."""
    import openpyxl

    cycle_dir = Path(cycle_dir)
    wb = openpyxl.Workbook(write_only=True)
    made, missing = [], []
    for sheet in SHEETS:
        if not handover.has_table(cycle_dir, sheet.artifact):
            missing.append(sheet)
            continue
        table = sheet_table(sheet, handover.read_table(cycle_dir, sheet.artifact))
        _write_sheet(wb, sheet, table)
        made.append((sheet, len(table)))
    _write_cover(wb, params, made, missing)
    out = cycle_dir / WORKBOOK
    tmp = out.with_suffix(".xlsx.partial")
    wb.save(tmp)
    tmp.replace(out)
    return out
