"""Step 1: read every department's export, check it against its contract, harmonise.

``load_sources(params)`` reads each source declared in params with the library made
for its format (pandas for CSV/Parquet, openpyxl for Excel, SQLAlchemy or DuckDB
for databases), renames columns to ours, parses dates and numbers as declared,
validates it, and then checks the sources against each other (references, regions,
units, horizon coverage, freshness). Problems are *collected*, not raised one at a
time: each `Problem` names the source, the file (sheet or query), the column, the
first failing rows with their values and what was expected, and the check it comes
from. Its severity comes from params (``data.checks``, ``sources.<name>.severity``)
over the contract's default (`sop_lib.contracts.CHECKS`); ``raise_for_blocking``
then stops the cycle if any problem blocks.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import psutil
from pandera.pandas import Column, DataFrameSchema

from sop_lib.contracts import (
    CHECKS,
    CONTRACTS,
    DATE_COLUMNS,
    DISCONTINUED_REFERENCES,
    FRESHNESS,
    HORIZON,
    ORDERED_DATES,
    QUANTITY_COLUMNS,
    REFERENCES,
    REGION_COLUMNS,
    STRUCTURAL_CHECKS,
    USED_BY,
    WITHOUT,
)
from sop_lib.integrity import sha256_file
from sop_lib.params import RunParams, SourceSpec

MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one source, phrased for the person who owns the export."""

    source: str
    location: str
    column: str
    rows: str
    values: str
    expected: str
    severity: str = "block"  # "block" stops the cycle, "warn" goes into the report
    check: str = ""  # which check found it (a key of contracts.CHECKS)

    def __str__(self) -> str:
        where = f"{self.source} ({self.location})"
        col = f", column '{self.column}'" if self.column else ""
        rows = f", {self.rows}" if self.rows else ""
        vals = f": found {self.values}" if self.values else ""
        return f"{where}{col}{rows}{vals}; expected {self.expected}"


class DataError(ValueError):
    """Raised when blocking data problems were found; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = f"; first: {problems[0]}" if problems else ""
        lines = [f"{len(problems)} blocking data problem(s){first}"] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


@dataclass
class LoadedData:
    tables: dict[str, pd.DataFrame]
    problems: list[Problem] = field(default_factory=list)
    lineage: pd.DataFrame = field(default_factory=pd.DataFrame)
    freshness: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)

    def problems_frame(self) -> pd.DataFrame:
        cols = list(Problem.__dataclass_fields__)
        return pd.DataFrame([asdict(p) for p in self.problems], columns=cols)


def _problem(name: str, spec: SourceSpec, check: str, column: str, rows: str, values: str, expected: str) -> Problem:
    return Problem(name, source_location(spec), column, rows, values, expected, CHECKS[check][0], check)


# --- where things are -----------------------------------------------------------------


_ENV = re.compile(r"\$\{(\w+)\}")


def source_location(spec: SourceSpec) -> str:
    """How a person finds the data: file name plus sheet, table or query (no credentials)."""
    where = spec.path or re.sub(r"//[^@/]*@", "//***@", spec.url or "")
    if spec.kind == "excel":
        return f"{where}, sheet '{spec.sheet}'"
    if spec.kind == "sql":
        return f"{where}, " + (f"table '{spec.table}'" if spec.table else f"query '{spec.query}'")
    return where


def _row_label(spec: SourceSpec, index: list) -> str:
    """Row numbers as the owner sees them: file lines for CSV/Excel (header is line 1)."""
    shown = ", ".join(str(int(i) + 2) if spec.kind in ("csv", "excel") else str(int(i) + 1) for i in index[:MAX_ROWS_SHOWN])
    more = f" (+{len(index) - MAX_ROWS_SHOWN} more)" if len(index) > MAX_ROWS_SHOWN else ""
    noun = {"csv": "line", "excel": "row"}.get(spec.kind, "record")
    return f"{noun}{'s' if len(index) > 1 else ''} {shown}{more}"


def _first_undecodable_line(path: Path | None, encoding: str) -> str:
    """Where the reader's decode error is in the file (pandas reports offsets inside a field)."""
    if path is None or not path.is_file():
        return ""
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError as exc:
            return f" on line {number}, byte {exc.start + 1} of the line"
    return ""


def env_secrets(spec: SourceSpec) -> tuple[list[str], list[str]]:
    """The environment variables a URL names: (values that are set, names that are not)."""
    names = _ENV.findall(spec.url or "")
    return [os.environ[n] for n in names if os.environ.get(n)], [n for n in names if not os.environ.get(n)]


def redact(text: str, secrets: list[str]) -> str:
    """Never show a credential: a driver's error message may repeat the URL it was given."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(://[^:/@\s]*:)[^@\s]+@", r"\1***@", text)


def _sql_engine(spec: SourceSpec, folder: Path):
    """A SQLAlchemy engine for the source; a SQLite file is opened read-only (a query cannot change it)."""
    import sqlalchemy as sa

    if spec.url:
        return sa.create_engine(_ENV.sub(lambda m: os.environ.get(m.group(1), ""), spec.url))
    uri = f"{(folder / spec.path).resolve().as_uri()}?mode=ro"
    return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))


# --- reading --------------------------------------------------------------------------


# peak memory per byte of file: csv measured (340 MB of CSV -> 4.4 GiB, benchmarks/bench_data.py);
# excel and parquet are estimates (compressed formats unpack to more)
MEMORY_PER_FILE_BYTE = {"csv": 14, "excel": 40, "parquet": 30}


def _size(n: float) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def memory_needed(path: Path) -> int:
    """Rough peak memory to read, parse and check a file, so a too-large one fails with a message, not a swap storm."""
    kind = path.suffix.lower().lstrip(".")
    factor = MEMORY_PER_FILE_BYTE.get("excel" if kind in ("xlsx", "xls") else kind, MEMORY_PER_FILE_BYTE["csv"])
    return path.stat().st_size * factor


def read_source(name: str, spec: SourceSpec, folder: Path) -> pd.DataFrame:
    """Read one source with its format's own reader; raise `DataError` if it can't be read."""

    def fail(why: str, expected: str) -> DataError:
        return DataError([_problem(name, spec, "unreadable", "", "", why, expected)])

    path = folder / spec.path if spec.path else None
    if path is not None and not path.exists():
        what = "database file" if spec.kind == "sql" else "file"
        raise fail(f"no such {what}: {path}", "the file to exist (check data.folder and the path in params)")
    if path is not None and spec.kind in ("csv", "excel", "parquet"):
        need, free = memory_needed(path), psutil.virtual_memory().available
        if need > free:
            raise fail(f"a file of {_size(path.stat().st_size)}; reading and checking it takes about "
                       f"{_size(need)} of memory and {_size(free)} are free",
                       "a file that fits in memory: export fewer years or split it by year, or free memory")
    secrets, unset = env_secrets(spec)
    if unset:
        raise fail(f"environment variable(s) {', '.join(unset)} not set",
                   f"the variable(s) named in sources.{name}.url set in the environment of the run")
    try:
        if spec.kind == "csv":
            df = pd.read_csv(path, encoding=spec.encoding, sep=spec.delimiter, dtype=str, keep_default_na=True)
        elif spec.kind == "excel":
            with pd.ExcelFile(path, engine="openpyxl") as book:  # opened once: sheet names and data
                if spec.sheet not in book.sheet_names:
                    raise fail(f"no sheet '{spec.sheet}' (sheets: {', '.join(book.sheet_names)})",
                               f"a sheet named '{spec.sheet}'")
                df = book.parse(spec.sheet)
        elif spec.kind == "parquet":
            df = pd.read_parquet(path)
        else:
            sql = spec.query or f'SELECT * FROM "{spec.table}"'
            if path is not None and path.suffix == ".duckdb":
                import duckdb

                with duckdb.connect(str(path), read_only=True) as con:
                    df = con.execute(sql).df()
            else:
                import sqlalchemy as sa

                engine = _sql_engine(spec, folder)
                try:
                    with engine.connect() as con:  # never committed: what a query might change is rolled back
                        df = pd.read_sql_query(sa.text(sql), con)
                        con.rollback()
                finally:
                    engine.dispose()
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise fail(f"bytes that are not {spec.encoding} ({exc.reason}{_first_undecodable_line(path, spec.encoding)})",
                   f"text encoded as {spec.encoding} (set sources.{name}.encoding, e.g. latin-1)") from None
    except pd.errors.EmptyDataError:
        raise fail("an empty file", "a header line and at least one data row") from None
    except Exception as exc:  # the reader's own message, without its traceback or credentials
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(redact(f"{type(exc).__name__}: {msg[:300]}", secrets), f"a readable {spec.kind} source") from None
    if df.empty:
        raise fail("no data rows", "at least one data row")
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    df = df.rename(columns=spec.columns)
    present = sorted(set(spec.constants) & set(df.columns))
    if present:
        raise fail(f"column(s) {present} in the export and in sources.{name}.constants",
                   "a constant only for a column the export lacks (remove the constant, or the column's mapping)")
    return df.assign(**spec.constants)


def translate_values(spec: SourceSpec, df: pd.DataFrame) -> pd.DataFrame:
    """Their category values and units as ours (``values`` and ``scale`` of the source);
    cells that are not numbers are left as they are, for the contract to report."""
    out = df.copy()
    for column, mapping in spec.values.items():
        if column in out:
            text = out[column].astype("string").str.strip()
            hit = text.isin(list(mapping)).fillna(False).astype(bool)
            out[column] = out[column].where(~hit, text.map(mapping))
    for column, factor in spec.scale.items():
        if column in out:
            number = pd.to_numeric(out[column], errors="coerce")
            out[column] = out[column].where(number.isna(), number * factor)
    return out


def point_decimals(text: pd.Series) -> pd.Series:
    """'1.234,5' -> '1234.5': a decimal-comma number written as Python reads it."""
    return text.str.strip().str.replace(".", "", regex=False).str.replace(",", ".", regex=False)


def parse_numbers(name: str, spec: SourceSpec, df: pd.DataFrame) -> pd.DataFrame:
    """Numbers written with a decimal comma ('1.234,5') become '1234.5' before the contract
    coerces them; other text is left for the contract to report."""
    if spec.decimal == "." or name not in CONTRACTS:
        return df
    df = df.copy()
    for col, column in CONTRACTS[name].columns.items():
        # text columns: object in pandas 2, the "str" dtype in pandas 3
        if col in df.columns and str(column.dtype) == "float64" and not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = point_decimals(df[col])
    return df


def parse_dates(name: str, spec: SourceSpec, df: pd.DataFrame, cycle_end: pd.Timestamp | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse the contract's date columns; report unparseable and implausible dates.

    ``cycle_end`` is the cycle's first day: sales for that month or later are not closed
    yet, and a date ten years beyond it is a typo (2062 for 2026), not a plan.
    """
    problems: list[Problem] = []
    df = df.copy()
    latest_ok = (cycle_end or pd.Timestamp.now()) + pd.DateOffset(years=10)
    for col in DATE_COLUMNS.get(name, []):
        if col not in df.columns:
            continue
        raw = df[col]
        if pd.api.types.is_datetime64_any_dtype(raw):
            parsed = raw
        elif spec.date_format:
            parsed = pd.to_datetime(raw, format=spec.date_format, errors="coerce")
        else:
            parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        bad = raw.notna() & (raw.astype(str).str.strip() != "") & parsed.isna()
        if bad.any():
            idx = list(df.index[bad])
            problems.append(_problem(name, spec, "unparseable_date", col, _row_label(spec, idx),
                                     ", ".join(repr(str(v)) for v in raw[bad].head(MAX_ROWS_SHOWN)),
                                     f"dates like {spec.date_format or 'YYYY-MM-DD or YYYY-MM'}"
                                     + ("" if spec.date_format else f" (declare yours in sources.{name}.date_format)")))
        implausible = (parsed < pd.Timestamp("1990-01-01")) | (parsed > latest_ok)
        if implausible.any():
            idx = list(df.index[implausible])
            problems.append(_problem(name, spec, "implausible_date", col, _row_label(spec, idx),
                                     ", ".join(str(v.date()) for v in parsed[implausible].head(MAX_ROWS_SHOWN)),
                                     f"plausible dates (1990 to {latest_ok:%Y})"))
        df[col] = parsed
    if name == "sales_history" and cycle_end is not None and "month" in df.columns:
        future = df["month"] >= cycle_end
        if future.any():
            idx = list(df.index[future])
            problems.append(_problem(name, spec, "future_date", "month", _row_label(spec, idx),
                                     ", ".join(str(v.date()) for v in df.loc[future, "month"].head(MAX_ROWS_SHOWN)),
                                     f"only closed months before the cycle ({cycle_end:%Y-%m})"))
    return df, problems


# --- the contract ---------------------------------------------------------------------


def _types_only(schema: DataFrameSchema) -> DataFrameSchema:
    """The contract's column types without its value checks: used to hand over a typed
    table even when warn-level checks failed."""
    cols = {c: Column(col.dtype, nullable=True, required=False) for c, col in schema.columns.items()}
    return DataFrameSchema(cols, coerce=True, strict=False)


def validate_source(name: str, spec: SourceSpec, df: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table against its contract; collect every failure, phrase it for people."""
    schema = CONTRACTS[name]
    # a column that may be empty may also be absent (a product master without successors)
    df = df.assign(**{c: None for c, col in schema.columns.items() if col.nullable and c not in df.columns})
    missing = [c for c, col in schema.columns.items() if col.required and c not in df.columns]
    if missing:
        have = ", ".join(df.columns[:12])
        theirs = {ours: their for their, ours in spec.columns.items()}
        return df, [_problem(name, spec, "missing_column", c, "", f"columns: {have}",
                             f"a column named '{theirs[c]}' (mapped to '{c}' in sources.{name}.columns)" if c in theirs
                             else f"a column named '{c}' (map yours under sources.{name}.columns)")
                    for c in missing]
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
    "greater_than_or_equal_to": "out_of_range", "greater_than": "out_of_range", "in_range": "out_of_range",
    "isin": "invalid_category", "field_uniqueness": "duplicate_key", "multiple_fields_uniqueness": "duplicate_key",
    "not_nullable": "empty_value", "coerce_dtype": "wrong_type", "dtype": "wrong_type",
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
            values = f"{len(idx)} rows share " + ", ".join(repr(v) for v in grp["failure_case"].drop_duplicates().head(MAX_ROWS_SHOWN))
        else:
            values = ", ".join(repr(v) for v in grp["failure_case"].head(MAX_ROWS_SHOWN))
        rows = _row_label(spec, sorted(set(idx))) if idx else ""
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
                label = (lambda r: f"{r[key]}: ") if key in df.columns else (lambda r: "")
                values = ", ".join(f"{label(r)}{a} {r[a]:%Y-%m-%d} after {b} {r[b]:%Y-%m-%d}" for _, r in rows.iterrows())
                problems.append(_problem(name, spec, "date_order", f"{a}, {b}", _row_label(spec, list(df.index[bad])),
                                         values, f"{' <= '.join(cols)}"))
    return problems


# --- across sources -------------------------------------------------------------------


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
            idx = list(tables[src].index[bad])
            unknown = sorted(set(values[bad]))
            problems.append(_problem(src, specs[src], "unknown_reference", col, _row_label(specs[src], idx),
                                     ", ".join(repr(v) for v in unknown[:MAX_ROWS_SHOWN]),
                                     f"values listed in {ref}.{ref_col}"))
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
            problems.append(_problem(src, specs[src], "discontinued_reference", col, _row_label(specs[src], list(df.index[bad])),
                                     ", ".join(repr(v) for v in sorted(set(df.loc[bad, col].astype(str)))[:MAX_ROWS_SHOWN]),
                                     "only SKUs that are active or planned in products.status"))
    return problems


def harmonise_regions(tables: dict[str, pd.DataFrame], aliases: dict[str, str]) -> dict[str, pd.DataFrame]:
    """One spelling per region across departments ('Nordic', 'NORDICS' -> 'Nordics')."""
    if not aliases:
        return tables
    out = dict(tables)
    for src, col in REGION_COLUMNS.items():
        if src in out and col in out[src].columns:
            out[src] = out[src].assign(**{col: out[src][col].replace(aliases)})
    return out


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
            problems.append(_problem(src, specs[src], "unknown_region", col, _row_label(specs[src], list(df.index[bad])),
                                     ", ".join(repr(v) for v in sorted(set(df.loc[bad, col].astype(str)))[:MAX_ROWS_SHOWN]),
                                     f"one of {', '.join(regions)} (or add the spelling to data.region_aliases)"))
    return problems


def to_base_units(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec]) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """One unit system: quantities from sources that count cases become pieces, with the
    product master's ``units_per_case``. A SKU without a pack size cannot be converted."""
    out, problems = dict(tables), []
    products = tables.get("products")
    per_case = (products.set_index("sku")["units_per_case"]
                if products is not None and "units_per_case" in products.columns else pd.Series(dtype=float))
    for src, col in QUANTITY_COLUMNS.items():
        if src not in out or specs[src].unit != "case" or col not in out[src].columns:
            continue
        df = out[src]
        factor = df["sku"].map(per_case)
        bad = factor.isna()
        if bad.any():
            problems.append(Problem(src, source_location(specs[src]), col, _row_label(specs[src], list(df.index[bad])),
                                    ", ".join(repr(v) for v in sorted(set(df.loc[bad, "sku"].astype(str)))[:MAX_ROWS_SHOWN]),
                                    f"a units_per_case in products for every SKU (sources.{src}.unit is 'case')",
                                    "block", "missing_column"))
        out[src] = df.assign(**{col: df[col] * factor.fillna(1.0)})
    if products is not None:
        out["products"] = products.assign(
            uom="unit", units_per_case=products["units_per_case"].fillna(1.0) if "units_per_case" in products else 1.0)
    return out, problems


def horizon_months(cycle: str, months: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(f"{cycle}-01"), periods=months, freq="MS")


def check_horizon(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec], cycle: str,
                  months: int) -> tuple[pd.DataFrame, list[Problem]]:
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
                problems.append(_problem(src, spec, "horizon_coverage", col, "",
                                         f"the last campaign ends {last:%Y-%m-%d}" if pd.notna(last) else "no campaigns",
                                         f"campaigns planned to {horizon[-1]:%Y-%m} (the {months}-month planning horizon {span})"))
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
                shown = ", ".join(f"{m:%Y-%m}" for m in missing[:6]) + (f" (+{len(missing) - 6} more)" if len(missing) > 6 else "")
                problems.append(_problem(src, spec, "horizon_coverage", col, who, f"no row for {shown}",
                                         f"a row for every month {span} (the {months}-month planning horizon)"))
        rows.append({"source": src, "horizon_covered": worst, "horizon_months": months})
    return pd.DataFrame(rows, columns=["source", "horizon_covered", "horizon_months"]), problems


def freshness_rule(name: str, spec: SourceSpec, default_days: int) -> tuple[str | None, int]:
    """(date column or None for the file's modification time, maximum age in days)."""
    if spec.freshness is not None:
        return spec.freshness.column, spec.freshness.max_age_days
    return FRESHNESS.get(name, (None, default_days))


def check_freshness(tables: dict[str, pd.DataFrame], specs: dict[str, SourceSpec], lineage: pd.DataFrame,
                    cycle: str, default_days: int = 45) -> tuple[pd.DataFrame, list[Problem]]:
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
            latest = df[column].max() if df is not None and column in df and pd.api.types.is_datetime64_any_dtype(df[column]) else pd.NaT
        # an export made after the cycle started is as fresh as it gets: 0 days, not negative
        age = max(0, int((start - pd.Timestamp(latest).normalize()).days)) if pd.notna(latest) else None
        stale = age is not None and age > max_age
        rows.append({"source": name, "fresh_by": basis, "latest_date": latest, "age_days": age,
                     "max_age_days": max_age, "stale": stale})
        if stale:
            problems.append(_problem(name, spec, "stale", column or "", "", f"{basis} {pd.Timestamp(latest):%Y-%m-%d}, "
                                     f"{age} days before the cycle start {start:%Y-%m-%d}",
                                     f"an export at most {max_age} days old (sources.{name}.freshness)"))
    out = pd.DataFrame(rows, columns=["source", "fresh_by", "latest_date", "age_days", "max_age_days", "stale"])
    out["age_days"] = out["age_days"].astype("Int64")
    return out, problems


def severity_for(params: RunParams, source: str, check: str) -> str:
    """Params override the default, per source over all sources; structural checks always block."""
    if check in STRUCTURAL_CHECKS or check not in CHECKS:
        return "block"
    spec = params.sources.get(source)
    if spec is not None and check in spec.severity:
        return spec.severity[check]
    return params.data.checks.get(check, CHECKS[check][0])


def apply_severity(problems: list[Problem], params: RunParams) -> list[Problem]:
    return [replace(p, severity=severity_for(params, p.source, p.check)) if p.check else p for p in problems]


def file_sha256(path: Path) -> str:
    """The lineage's short fingerprint of a source file."""
    return sha256_file(path)[:16]


def _lineage_row(name: str, spec: SourceSpec, path: Path | None, rows: int) -> dict:
    is_file = path is not None and path.is_file()
    detail = f"sheet {spec.sheet}" if spec.kind == "excel" else (
        f"table {spec.table}" if spec.table else (f"query {spec.query}" if spec.query else ""))
    return {
        "source": name,
        "kind": spec.kind,
        "location": source_location(spec),
        "file": str(path) if path is not None else source_location(spec).split(",")[0],
        "detail": detail,
        "sha256": file_sha256(path) if is_file else "",
        "rows": rows,
        "modified": pd.Timestamp(path.stat().st_mtime, unit="s").floor("s") if is_file else pd.NaT,
        "columns_mapped": ", ".join(f"{a} -> {b}" for a, b in spec.columns.items()),
        "unit": spec.unit,
    }


def load_sources(params: RunParams) -> LoadedData:
    """Read, parse and validate every declared source, check them against each other,
    harmonise regions and units, and collect every problem with its configured severity."""
    folder = params.data_folder
    cycle_start = pd.Timestamp(f"{params.cycle}-01")
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    lineage = []
    for name, spec in params.sources.items():
        path = folder / spec.path if spec.path else None
        try:
            df = read_source(name, spec, folder)
        except DataError as exc:
            problems += exc.problems
            lineage.append(_lineage_row(name, spec, path, 0))
            continue
        df = translate_values(spec, parse_numbers(name, spec, df))
        df, date_problems = parse_dates(name, spec, df, cycle_start)
        problems += date_problems
        if name in CONTRACTS:
            df, contract_problems = validate_source(name, spec, df)
            # cells already reported as unreadable dates are not reported again as empty or duplicate
            unparsed = {p.column for p in date_problems if p.check == "unparseable_date"}
            problems += [p for p in contract_problems
                         if not (p.check in ("empty_value", "duplicate_key") and unparsed & set(p.column.split("+")))]
            problems += check_date_order(name, spec, df)
        tables[name] = df
        lineage.append(_lineage_row(name, spec, path, len(df)))
    lineage_df = pd.DataFrame(lineage)
    specs = params.sources
    tables = harmonise_regions(tables, params.data.region_aliases)
    problems += check_references(tables, specs)
    problems += check_discontinued(tables, specs, params.cycle)
    problems += check_regions(tables, specs, params.data.regions)
    tables, unit_problems = to_base_units(tables, specs)
    problems += unit_problems
    coverage, horizon_problems = check_horizon(tables, specs, params.cycle, params.demand.horizon_months)
    problems += horizon_problems
    fresh, stale_problems = check_freshness(tables, specs, lineage_df, params.cycle, params.data.stale_days)
    problems += stale_problems
    problems = apply_severity(problems, params)
    tables = drop_unknown_references(tables, problems)
    tables |= {name: empty_table(name) for name in absent_sources(params.sources)}
    return LoadedData(tables, problems, lineage_df, fresh, coverage)


def planning_regions(params: RunParams, tables: dict[str, pd.DataFrame]) -> list[str]:
    """The planning regions: as declared in params, else those the sales history books."""
    return list(params.data.regions) or sorted(tables["sales_history"]["region"].astype(str).unique())


def absent_sources(declared) -> list[str]:
    """Contract sources the params file does not declare (every one but the required two is optional)."""
    return [name for name in CONTRACTS if name not in declared]


def empty_table(name: str) -> pd.DataFrame:
    """An absent source as a table with no rows and the contract's typed columns, so later
    steps need no special case to run without it."""
    cols = {}
    for col, spec in CONTRACTS[name].columns.items():
        dtype = str(spec.dtype)
        cols[col] = pd.Series(dtype="datetime64[ns]" if dtype.startswith("datetime") else
                              ("float64" if dtype.startswith("float") else "object"))
    return pd.DataFrame(cols)


def skipped(declared, step: int) -> str:
    """One line: the optional sources this step would use that the params file leaves out,
    and what the step does without each ('' when nothing is missing)."""
    parts = [f"{name} ({WITHOUT[name]})" for name in absent_sources(declared) if step in USED_BY.get(name, ())]
    return ("Skipped for want of a source (declare it under sources: to enable it): " + "; ".join(parts) + "."
            if parts else "")


def raise_for_blocking(problems: list[Problem]) -> None:
    blocking = [p for p in problems if p.severity == "block"]
    if blocking:
        raise DataError(blocking)


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


def _rolling(x: pd.Series, keys: list[pd.Series], window: int, min_periods: int, how: str) -> pd.Series:
    """Centred rolling statistic within each series (one grouped call, not one per series)."""
    r = getattr(x.groupby(keys, sort=False).rolling(window, center=True, min_periods=min_periods), how)()
    return r.reset_index(level=list(range(len(keys))), drop=True).reindex(x.index)


def robust_outliers(monthly: pd.DataFrame, threshold: float = 5.0) -> pd.DataFrame:
    """Months far from their neighbours, after removing the family's seasonal profile.

    Robust z of log1p(units) against a centred 7-month median of the deseasonalised
    series, scaled by the median month-to-month change. The log scale keeps a big series' ordinary peak from looking extreme;
    median/MAD keep the outlier itself from inflating the spread it is measured
    against. Series selling under 5 units in a typical month are skipped: their
    zeros are normal, not suspicious.
    """
    x = np.log1p(monthly["units"].astype(float))
    keys = [monthly["sku"], monthly["region"]]
    level = _rolling(x, keys, 12, 6, "mean")
    moy = monthly["month"].dt.month
    season = (x - level).groupby([monthly["family"], moy]).transform("median")
    d = x - season
    resid = d - _rolling(d, keys, 7, 3, "median")
    # Spread from month-to-month differences: the rolling median passes through
    # many points exactly, so the MAD of ``resid`` itself would be too small.
    step = d.groupby(keys).diff().abs()
    spread = 1.4826 * step.groupby(keys).transform("median") / np.sqrt(2)
    z = resid / spread.clip(lower=0.1)
    typical = monthly.groupby(["sku", "region"])["units"].transform("median")
    out = monthly.assign(robust_z=z)
    out = out[(out["robust_z"].abs() > threshold) & (typical >= 5)]
    return out.sort_values("robust_z", key=np.abs, ascending=False)


_FINDING_WORDS = {
    "unreadable": "cannot be read", "missing_column": "column missing", "wrong_type": "wrong type",
    "empty_value": "empty cells", "unparseable_date": "unreadable dates", "out_of_range": "values out of range",
    "invalid_category": "invalid category", "duplicate_key": "duplicate keys", "implausible_date": "implausible dates",
    "future_date": "future months", "date_order": "dates out of order", "unknown_reference": "unknown references",
    "discontinued_reference": "discontinued SKUs", "unknown_region": "unknown regions", "stale": "stale",
    "horizon_coverage": "horizon not covered", "missing_months": "months missing", "zero_months": "zero months",
    "outlier": "outliers",
}


def quality_table(loaded: LoadedData) -> pd.DataFrame:
    """A traffic light per source for a department head: red blocks the cycle, amber is a
    warning to read, green is clean. One line per source with what was found, how old the
    export is against its freshness rule and how much of the planning horizon it covers."""
    probs = loaded.problems_frame()
    fresh = loaded.freshness.set_index("source") if len(loaded.freshness) else pd.DataFrame()
    cover = loaded.coverage.set_index("source") if len(loaded.coverage) else pd.DataFrame()
    rows = []
    for _, lin in loaded.lineage.iterrows():
        name = lin["source"]
        p = probs[probs["source"] == name]
        n_block = int((p["severity"] == "block").sum())
        n_warn = int((p["severity"] == "warn").sum())
        counts = p.groupby(["severity", "check"], sort=False).size()
        findings = "; ".join(
            f"{n} {_FINDING_WORDS.get(check, check)}" + (" (blocks)" if sev == "block" else "")
            for (sev, check), n in sorted(counts.items(), key=lambda kv: kv[0][0] != "block"))
        f = fresh.loc[name] if name in fresh.index else None
        horizon = ""
        if name in cover.index:
            horizon = f"{int(cover.loc[name, 'horizon_covered'])} of {int(cover.loc[name, 'horizon_months'])} months"
        rows.append(
            {
                "source": name,
                "location": lin["location"],
                "rows": int(lin["rows"]),
                "status": "red" if n_block else ("amber" if n_warn else "green"),
                "blocking": n_block,
                "warnings": n_warn,
                "findings": findings or "none",
                "fresh_by": f["fresh_by"] if f is not None else "",
                "latest_date": f["latest_date"] if f is not None else pd.NaT,
                "age_days": f["age_days"] if f is not None else pd.NA,
                "max_age_days": f["max_age_days"] if f is not None else pd.NA,
                "horizon": horizon,
            }
        )
    out = pd.DataFrame(rows)
    out["age_days"] = out["age_days"].astype("Int64")
    out["latest_date"] = pd.to_datetime(out["latest_date"])
    return out


def completeness(sales: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """Months that the export did not contain, per SKU and region (filled with 0 on the grid)."""
    booked = sales.assign(month=sales["month"].dt.to_period("M").dt.to_timestamp()).groupby(["sku", "region"])["month"].nunique()
    grid = monthly.groupby(["sku", "region"])["month"].nunique()
    out = pd.DataFrame({"months_on_grid": grid, "months_booked": booked}).fillna(0).astype(int)
    out["missing_months"] = out["months_on_grid"] - out["months_booked"]
    return out.reset_index().sort_values("missing_months", ascending=False)


def zero_months(monthly: pd.DataFrame, min_typical: float = 20.0) -> pd.DataFrame:
    """Zero months in series that usually sell at least ``min_typical`` units a month:
    for a product that sells every month, a zero is more likely a lost booking or a
    month missing from the export than a month without customers."""
    typical = monthly.groupby(["sku", "region"])["units"].transform("median")
    out = monthly.assign(typical_units=typical)
    return out[(out["units"] <= 0) & (typical >= min_typical)]


def explain_outliers(outliers: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """The flagged months with the series' usual level beside them, in words a planner reads."""
    typical = monthly.groupby(["sku", "region"])["units"].median().rename("typical_month")
    out = outliers.join(typical, on=["sku", "region"])
    out["times_typical"] = out["units"] / out["typical_month"].where(out["typical_month"] > 0)
    out["why"] = np.where(out["robust_z"] > 0, "far above", "far below") + " its own level after the family's season"
    return out[["family", "sku", "region", "month", "units", "typical_month", "times_typical", "robust_z", "why"]]


def quality_warnings(monthly: pd.DataFrame, sales: pd.DataFrame, params: RunParams | None = None) -> list[Problem]:
    """Findings on the harmonised history: outliers, missing months and zero months,
    phrased for the sales team (severity from params, warn by default)."""
    problems = []
    for _, r in robust_outliers(monthly).head(20).iterrows():
        problems.append(Problem("sales_history", "harmonised monthly sales", "units",
                                f"{r['sku']} / {r['region']} / {r['month']:%Y-%m}", f"{r['units']:.0f}",
                                f"a value near the series' usual level (robust z = {r['robust_z']:.1f})", "warn", "outlier"))
    comp = completeness(sales, monthly)
    for _, r in comp[comp["missing_months"] > 0].iterrows():
        problems.append(Problem("sales_history", "sales export", "month", f"{r['sku']} / {r['region']}",
                                f"{r['missing_months']} of {r['months_on_grid']} months absent",
                                "a row for every month (absent months are treated as zero sales)", "warn", "missing_months"))
    zeros = zero_months(monthly)
    for (sku, region), grp in zeros.groupby(["sku", "region"]):
        problems.append(Problem("sales_history", "harmonised monthly sales", "units", f"{sku} / {region}",
                                "0 units in " + ", ".join(f"{m:%Y-%m}" for m in grp["month"].head(MAX_ROWS_SHOWN)),
                                f"sales near the usual {grp['typical_units'].iloc[0]:.0f} a month (a lost booking?)",
                                "warn", "zero_months"))
    return apply_severity(problems, params) if params is not None else problems


def seasonal_peak(total: pd.Series) -> str:
    """Which calendar months demand peaks in, from monthly totals (any company, any season)."""
    if len(total) < 24:
        return "Less than two years of history: too short to call a seasonal peak"
    by_month = total.groupby(pd.DatetimeIndex(total.index).month).mean().reindex(range(1, 13), fill_value=0.0)
    high = 1.15 * by_month.mean()
    if by_month.max() < high:
        return "Demand shows no strong seasonal peak (no calendar month 15% above the average)"
    top = int(by_month.idxmax())
    after, before = top % 12 + 1, (top - 2) % 12 + 1
    name = lambda m: pd.Timestamp(2000, m, 1).strftime("%B")  # noqa: E731
    if max(by_month[after], by_month[before]) >= high:
        first, second = (top, after) if by_month[after] >= by_month[before] else (before, top)
        return f"Demand peaks every {name(first)}-{name(second)}"
    return f"Demand peaks every {name(top)}"
