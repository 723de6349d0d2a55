"""Checks of each source against its contract, and of the sources against each other."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.errors
from pandera.pandas import Column, DataFrameSchema

from sop_lib.core.contracts import (
    CONTRACTS,
    DISCONTINUED_REFERENCES,
    FRESHNESS,
    HORIZON,
    ORDERED_DATES,
    REFERENCES,
    REGION_COLUMNS,
)
from sop_lib.core.params import SourceSpec
from sop_lib.data.problems import MAX_ROWS_SHOWN, Problem, _problem, row_label

# --- the contract ---------------------------------------------------------------------


def _types_only(schema: DataFrameSchema) -> DataFrameSchema:
    """The contract's column types without its value checks: used to hand over a typed
    table even when warn-level checks failed."""
    cols = {c: Column(col.dtype, nullable=True, required=False) for c, col in schema.columns.items()}
    return DataFrameSchema(cols, coerce=True, strict=False)


def validate_source(
    name: str, spec: SourceSpec, df: pd.DataFrame, schema: DataFrameSchema | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table against its contract (or ``schema``); collect every failure, phrase it for people."""
    schema = CONTRACTS[name] if schema is None else schema
    # a column that may be empty may also be absent (a product master without successors)
    df = df.assign(**{c: None for c, col in schema.columns.items() if col.nullable and c not in df.columns})
    missing = [c for c, col in schema.columns.items() if col.required and c not in df.columns]
    if missing:
        have = ", ".join(df.columns[:12])
        theirs = {ours: their for their, ours in spec.columns.items()}
        return df, [
            _problem(
                name,
                spec,
                "missing_column",
                c,
                "",
                f"columns: {have}",
                f"a column named '{theirs[c]}' (mapped to '{c}' in sources.{name}.columns)"
                if c in theirs
                else f"a column named '{c}' (map yours under sources.{name}.columns)",
            )
            for c in missing
        ]
    try:
        return schema.validate(df, lazy=True), []
    except pandera.errors.SchemaErrors as exc:
        problems = _explain_failures(name, spec, exc.failure_cases)
    try:
        df = _types_only(schema).validate(df, lazy=True)
    except pandera.errors.SchemaErrors:
        pass  # type errors are already among the problems (and always block)
    return df, problems


_CHECK_WORDS = {
    "greater_than_or_equal_to": "a value >= {}",
    "greater_than": "a value > {}",
    "in_range": "a value in [{}]",
    "isin": "one of {}",
    "field_uniqueness": "unique values",
    "multiple_fields_uniqueness": "one row per key",
    "not_nullable": "a value (not empty)",
}

_CHECK_NAMES = {
    "greater_than_or_equal_to": "out_of_range",
    "greater_than": "out_of_range",
    "in_range": "out_of_range",
    "isin": "invalid_category",
    "field_uniqueness": "duplicate_key",
    "multiple_fields_uniqueness": "duplicate_key",
    "not_nullable": "empty_value",
    "coerce_dtype": "wrong_type",
    "dtype": "wrong_type",
}


def _check_name(check: str) -> str:
    return _CHECK_NAMES.get(re.split(r"[(']", str(check))[0], "wrong_type")


def _expected(check: str, column: str) -> str:
    m = re.match(r"(\w+)\((.*)\)", str(check))
    if m and m.group(1) in _CHECK_WORDS:
        return _CHECK_WORDS[m.group(1)].format(m.group(2))
    if str(check).startswith("coerce_dtype"):
        return "a " + str(check).split("'")[1].replace("float64", "number").replace("datetime64[ns]", "date") + " value"
    if check in _CHECK_WORDS:
        return _CHECK_WORDS[check]
    return str(check)


def _explain_failures(name: str, spec: SourceSpec, cases: pd.DataFrame) -> list[Problem]:
    problems = []
    cases = cases.copy()
    cases["column"] = cases["column"].fillna("")
    cases["check"] = cases["check"].astype(str)
    # one duplicate key is one problem, not one per key column
    dup = cases["check"] == "multiple_fields_uniqueness"
    cases.loc[dup, "column"] = "+".join(CONTRACTS[name].unique or [])
    cases = cases[~dup | ~cases.duplicated(["check", "index"])]
    # a value that is not even of the right type gets one message: the type, not the checks after it
    untyped = set(cases.loc[cases["check"].str.startswith("coerce_dtype"), "column"])
    cases = cases[~cases["column"].isin(untyped) | cases["check"].str.startswith("coerce_dtype")]
    for (column, check), grp in cases.groupby(["column", "check"], sort=False, dropna=False):
        idx = [i for i in grp["index"].tolist() if i is not None and not (isinstance(i, float) and np.isnan(i))]
        if check == "multiple_fields_uniqueness":
            column = "+".join(CONTRACTS[name].unique or [])
            values = f"{len(idx)} rows share a key"
        elif check == "column_in_dataframe":
            continue
        elif check == "field_uniqueness":
            values = f"{len(idx)} rows share " + ", ".join(
                repr(v) for v in grp["failure_case"].drop_duplicates().head(MAX_ROWS_SHOWN)
            )
        else:
            values = ", ".join(repr(v) for v in grp["failure_case"].head(MAX_ROWS_SHOWN))
        rows = row_label(spec, sorted(set(idx))) if idx else ""
        expected = _expected(check, column)
        if str(check).startswith("isin(") and not spec.values.get(str(column)):
            expected += f" (other spellings can be mapped with sources.{name}.values.{column})"
        elif str(check).startswith("in_range(") and str(column) not in spec.scale:
            expected += f" (numbers in another unit, e.g. percent, can be converted with sources.{name}.scale.{column})"
        problems.append(_problem(name, spec, _check_name(check), str(column), rows, values, expected))
    return problems


def check_date_order(name: str, spec: SourceSpec, df: pd.DataFrame) -> list[Problem]:
    """Dates that must follow each other (earliest <= likely <= latest launch, start <= end)."""
    problems = []
    for src, cols, key in ORDERED_DATES:
        if src != name or not set(cols) <= set(df.columns):
            continue
        for a, b in zip(cols, cols[1:]):
            if not (pd.api.types.is_datetime64_any_dtype(df[a]) and pd.api.types.is_datetime64_any_dtype(df[b])):
                continue
            bad = df[a].notna() & df[b].notna() & (df[a] > df[b])
            if bad.any():
                rows = df[bad].head(MAX_ROWS_SHOWN)
                label = (lambda r, key=key: f"{r[key]}: ") if key in df.columns else (lambda r: "")
                values = ", ".join(f"{label(r)}{a} {r[a]:%Y-%m-%d} after {b} {r[b]:%Y-%m-%d}" for _, r in rows.iterrows())
                problems.append(
                    _problem(
                        name,
                        spec,
                        "date_order",
                        f"{a}, {b}",
                        row_label(spec, list(df.index[bad])),
                        values,
                        f"{' <= '.join(cols)}",
                    )
                )
    return problems


# --- across sources -------------------------------------------------------------------


def _rows_with_values(
    src: str, spec: SourceSpec, check: str, col: str, df: pd.DataFrame, bad: pd.Series, expected: str
) -> Problem:
    """One finding for the rows ``bad`` marks: their lines, and the distinct values found in ``col``."""
    values = sorted(set(df.loc[bad, col].astype(str)))
    return _problem(
        src, spec, check, col, row_label(spec, list(df.index[bad])), ", ".join(repr(v) for v in values[:MAX_ROWS_SHOWN]), expected
    )


def check_references(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec]) -> list[Problem]:
    """Cross-source integrity: every SKU, line and supplier referred to must exist."""
    problems = []
    for src, col, ref, ref_col in REFERENCES:
        if src not in tables or ref not in tables or col not in tables[src] or ref_col not in tables[ref]:
            continue
        known = set(tables[ref][ref_col].dropna().astype(str))
        values = tables[src][col].astype(str)
        bad = ~values.isin(known)
        if bad.any():
            problems.append(
                _rows_with_values(
                    src, specs[src], "unknown_reference", col, tables[src], bad, f"values listed in {ref}.{ref_col}"
                )
            )
    return problems


def drop_unknown_references(tables: dict[str, pd.DataFrame], problems: list[Problem]) -> dict[str, pd.DataFrame]:
    """Where an unknown reference is only a warning, its rows are left out of the plan
    (a later step cannot plan a SKU the product master does not describe)."""
    warned = {(p.source, p.column) for p in problems if p.check == "unknown_reference" and p.severity == "warn"}
    out = dict(tables)
    for src, col, ref, ref_col in REFERENCES:
        if (src, col) in warned and src in out and ref in out:
            keep = out[src][col].astype(str).isin(set(out[ref][ref_col].dropna().astype(str)))
            out[src] = out[src][keep]
    return out


def discontinued_skus(products: pd.DataFrame, cycle: str) -> set[str]:
    """SKUs the product master calls discontinued, or whose discontinuation date has passed."""
    gone = products["status"].astype(str).eq("discontinued")
    if "discontinue_date" in products and pd.api.types.is_datetime64_any_dtype(products["discontinue_date"]):
        gone |= products["discontinue_date"] <= pd.Timestamp(f"{cycle}-01")
    return set(products.loc[gone, "sku"].astype(str))


def check_discontinued(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec], cycle: str) -> list[Problem]:
    """Orders, BOM lines, opportunities, launches and future campaigns for a discontinued SKU."""
    if "products" not in tables or not {"sku", "status"} <= set(tables["products"].columns):
        return []
    gone = discontinued_skus(tables["products"], cycle)
    problems = []
    for src, col in DISCONTINUED_REFERENCES:
        df = tables.get(src)
        if df is None or col not in df.columns:
            continue
        bad = df[col].astype(str).isin(gone)
        if src == "marketing_calendar" and "end_date" in df and pd.api.types.is_datetime64_any_dtype(df["end_date"]):
            bad &= df["end_date"] >= pd.Timestamp(f"{cycle}-01")  # past campaigns are history, not a plan
        if bad.any():
            expected = "only SKUs that are active or planned in products.status"
            problems.append(_rows_with_values(src, specs[src], "discontinued_reference", col, df, bad, expected))
    return problems


def check_regions(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec], regions: list[str]) -> list[Problem]:
    """Regions outside the planning regions (after aliases); 'all' means every region."""
    if not regions:
        return []
    allowed = set(regions) | {"all"}
    problems = []
    for src, col in REGION_COLUMNS.items():
        df = tables.get(src)
        if df is None or col not in df.columns:
            continue
        bad = ~df[col].astype(str).isin(allowed)
        if bad.any():
            expected = f"one of {', '.join(regions)} (or add the spelling to data.region_aliases)"
            problems.append(_rows_with_values(src, specs[src], "unknown_region", col, df, bad, expected))
    return problems


def horizon_months(cycle: str, months: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(f"{cycle}-01"), periods=months, freq="MS")


def check_horizon(
    tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec], cycle: str, months: int
) -> tuple[pd.DataFrame, list[Problem]]:
    """Do targets, budget and marketing calendar reach to the end of the planning horizon?

    Returns per source the months covered (for the traffic light) and a finding for each
    group (family) with months missing.
    """
    horizon = horizon_months(cycle, months)
    span = f"{horizon[0]:%Y-%m} to {horizon[-1]:%Y-%m}"
    rows, problems = [], []
    for src, (col, by) in HORIZON.items():
        df = tables.get(src)
        if src not in specs or df is None or col not in df.columns or not pd.api.types.is_datetime64_any_dtype(df[col]):
            continue
        spec = specs[src]
        if src == "marketing_calendar":
            last = df[col].max()
            covered = int((horizon <= last).sum()) if pd.notna(last) else 0
            if covered < months:
                problems.append(
                    _problem(
                        src,
                        spec,
                        "horizon_coverage",
                        col,
                        "",
                        f"the last campaign ends {last:%Y-%m-%d}" if pd.notna(last) else "no campaigns",
                        f"campaigns planned to {horizon[-1]:%Y-%m} (the {months}-month planning horizon {span})",
                    )
                )
            rows.append({"source": src, "horizon_covered": covered, "horizon_months": months})
            continue
        groups = df.groupby(list(by)) if by else [((), df)]
        worst = months
        for key, grp in groups:
            have = set(grp[col].dt.to_period("M").dt.to_timestamp())
            missing = [m for m in horizon if m not in have]
            worst = min(worst, months - len(missing))
            if missing:
                who = f"{by[0]} '{key[0] if isinstance(key, tuple) else key}'" if by else ""
                shown = ", ".join(f"{m:%Y-%m}" for m in missing[:6]) + (
                    f" (+{len(missing) - 6} more)" if len(missing) > 6 else ""
                )
                problems.append(
                    _problem(
                        src,
                        spec,
                        "horizon_coverage",
                        col,
                        who,
                        f"no row for {shown}",
                        f"a row for every month {span} (the {months}-month planning horizon)",
                    )
                )
        rows.append({"source": src, "horizon_covered": worst, "horizon_months": months})
    return pd.DataFrame(rows, columns=["source", "horizon_covered", "horizon_months"]), problems


def freshness_rule(name: str, spec: SourceSpec, default_days: int) -> tuple[str | None, int]:
    """(date column or None for the file's modification time, maximum age in days)."""
    if spec.freshness is not None:
        return spec.freshness.column, spec.freshness.max_age_days
    return FRESHNESS.get(name, (None, default_days))


def check_freshness(
    tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec], lineage: pd.DataFrame, cycle: str, default_days: int = 45
) -> tuple[pd.DataFrame, list[Problem]]:
    """How old each export is at the cycle start, by its rule; stale ones become findings."""
    start = pd.Timestamp(f"{cycle}-01")
    modified = lineage.set_index("source")["modified"] if len(lineage) else pd.Series(dtype="datetime64[ns]")
    rows, problems = [], []
    for name, spec in specs.items():
        column, max_age = freshness_rule(name, spec, default_days)
        df = tables.get(name)
        if column is None:
            latest, basis = modified.get(name, pd.NaT), "file modified"
        else:
            basis = f"latest {column}"
            latest = (
                df[column].max()
                if df is not None and column in df and pd.api.types.is_datetime64_any_dtype(df[column])
                else pd.NaT
            )
        # an export made after the cycle started is as fresh as it gets: 0 days, not negative
        age = max(0, int((start - pd.Timestamp(latest).normalize()).days)) if pd.notna(latest) else None
        stale = age is not None and age > max_age
        rows.append(
            {"source": name, "fresh_by": basis, "latest_date": latest, "age_days": age, "max_age_days": max_age, "stale": stale}
        )
        if stale:
            problems.append(
                _problem(
                    name,
                    spec,
                    "stale",
                    column or "",
                    "",
                    f"{basis} {pd.Timestamp(latest):%Y-%m-%d}, {age} days before the cycle start {start:%Y-%m-%d}",
                    f"an export at most {max_age} days old (sources.{name}.freshness)",
                )
            )
    out = pd.DataFrame(rows, columns=["source", "fresh_by", "latest_date", "age_days", "max_age_days", "stale"])
    out["age_days"] = out["age_days"].astype("Int64")
    return out, problems
