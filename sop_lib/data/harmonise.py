"""One source of truth: one spelling per region, one unit system, one complete monthly sales grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_lib.core.contracts import (
    CODE_COLUMNS,
    QUANTITY_COLUMNS,
    REGION_COLUMNS,
)
from sop_lib.core.params import CodeRule, SourceSpec
from sop_lib.data.problems import MAX_ROWS_SHOWN, Problem, row_label, source_location


def code_text(values: pd.Series, rule: CodeRule) -> pd.Series:
    """Codes as text written one way: trimmed, '123.0' (a number read from Excel) as '123',
    '="00123"' (Excel's way of keeping leading zeros in a CSV) as '00123', and, as the rule
    says, upper case and no leading zeros on all-digit codes."""
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip().str.replace(r'^="(.*)"$', r"\1", regex=True)
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    if rule.upper:
        text = text.str.upper()
    if rule.strip_zeros:
        digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
        text = text.where(~digits, text.str.lstrip("0").replace("", "0"))
    return text.astype(object).where(text.notna(), np.nan)


def normalise_codes(name: str, df: pd.DataFrame, rule: CodeRule) -> pd.DataFrame:
    """Every code column of one source (SKU, line, supplier...) written as `code_text` says."""
    cols = [c for c in CODE_COLUMNS.get(name, ()) if c in df.columns]
    return df.assign(**{c: code_text(df[c], rule) for c in cols}) if cols else df


def harmonise_regions(tables: dict[str, pd.DataFrame], aliases: dict[str, str]) -> dict[str, pd.DataFrame]:
    """One spelling per region across departments ('Nordic', 'NORDICS' -> 'Nordics')."""
    if not aliases:
        return tables
    out = dict(tables)
    for src, col in REGION_COLUMNS.items():
        if src in out and col in out[src].columns:
            out[src] = out[src].assign(**{col: out[src][col].replace(aliases)})
    return out


def to_base_units(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec]) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """One unit system: quantities from sources that count cases become pieces, with the
    product master's ``units_per_case``. A SKU without a pack size cannot be converted."""
    out, problems = dict(tables), []
    products = tables.get("products")
    per_case = (
        products.set_index("sku")["units_per_case"]
        if products is not None and "units_per_case" in products.columns
        else pd.Series(dtype=float)
    )
    for src, col in QUANTITY_COLUMNS.items():
        if src not in out or specs[src].unit != "case" or col not in out[src].columns:
            continue
        df = out[src]
        factor = df["sku"].map(per_case)
        bad = factor.isna()
        if bad.any():
            problems.append(
                Problem(
                    src,
                    source_location(specs[src]),
                    col,
                    row_label(specs[src], list(df.index[bad])),
                    ", ".join(repr(v) for v in sorted(set(df.loc[bad, "sku"].astype(str)))[:MAX_ROWS_SHOWN]),
                    f"a units_per_case in products for every SKU (sources.{src}.unit is 'case')",
                    "block",
                    "missing_column",
                )
            )
        out[src] = df.assign(**{col: df[col] * factor.fillna(1.0)})
    if products is not None:
        out["products"] = products.assign(
            uom="unit",
            units_per_case=pd.to_numeric(products["units_per_case"], errors="coerce").fillna(1.0)
            if "units_per_case" in products
            else 1.0,
        )
    return out, problems


# --- harmonisation --------------------------------------------------------------


def _month_index(ts: pd.Series) -> pd.Series:
    """Months as integers (year * 12 + month - 1): month arithmetic without date offsets."""
    return ts.dt.year * 12 + ts.dt.month - 1


def monthly_sales(sales: pd.DataFrame, products: pd.DataFrame, cycle: str) -> pd.DataFrame:
    """Sales on one complete monthly grid per SKU x region; months with no booking are 0.

    A series runs from its first booking to the month before the cycle, or to its
    discontinuation date, so a missing month means "sold nothing", not "unknown".
    Vectorised (no loop over series): a million bookings take about a second.
    """
    end = pd.Timestamp(f"{cycle}-01") - pd.DateOffset(months=1)
    month = sales["month"].dt.to_period("M").dt.to_timestamp()
    agg = sales.assign(month=month).groupby(["sku", "region", "month"], as_index=False)[["units"]].sum()
    span = agg.groupby(["sku", "region"])["month"].agg(["min", "max"]).reset_index()
    disc = pd.to_datetime(span["sku"].map(products.set_index("sku")["discontinue_date"]))
    start_i, max_i = _month_index(span["min"]), _month_index(span["max"])
    end_i = end.year * 12 + end.month - 1
    last_i = _month_index(disc) - (disc.dt.day == 1).astype(int)  # a 1st-of-month stop ends the month before
    stop_i = np.where(disc.notna(), np.minimum(end_i, np.maximum(last_i.fillna(end_i), max_i)), end_i)
    n = np.clip(stop_i - start_i.to_numpy() + 1, 0, None).astype(int)  # never drop units that were booked
    grid = span.loc[span.index.repeat(n), ["sku", "region"]].reset_index(drop=True)
    m_i = np.repeat(start_i.to_numpy(), n) + grid.groupby(["sku", "region"]).cumcount().to_numpy()
    grid["month"] = pd.to_datetime(pd.DataFrame({"year": m_i // 12, "month": m_i % 12 + 1, "day": 1}))
    out = grid.merge(agg, on=["sku", "region", "month"], how="left").fillna({"units": 0.0})
    out = out.merge(products[["sku", "family"]], on="sku", how="left")
    return out[["family", "sku", "region", "month", "units"]]
