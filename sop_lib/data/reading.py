"""Reading one source from where it lives (files, Excel sheets, SQL, DuckDB) into a table with our column names and types."""

from __future__ import annotations

import fnmatch
import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import psutil

from sop_lib.core.contracts import (
    CONTRACTS,
    DATE_COLUMNS,
    QUANTITY_COLUMNS,
)
from sop_lib.core.params import SourceSpec, source_files
from sop_lib.data.problems import (
    MAX_ROWS_SHOWN,
    DataError,
    Problem,
    RowOrigin,
    _problem,
    row_label,
)
from sop_lib.data.shapes import file_parts, joined_month, melt_months, month_columns, month_text, unread_month_headers

_ENV = re.compile(r"\$\{(\w+)\}")


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
    values = [os.environ[n] for n in names if os.environ.get(n)]
    return values + [quote(v, safe="") for v in values], [n for n in names if not os.environ.get(n)]


def redact(text: str, secrets: list[str]) -> str:
    """Never show a credential: a driver's error message may repeat the URL it was given."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(://[^:/@\s]*:)[^@\s]+@", r"\1***@", text)


def _sql_engine(spec: SourceSpec, folder: Path):
    """A SQLAlchemy engine for the source; a SQLite file is opened read-only (a query cannot change it)."""
    import sqlalchemy as sa

    if spec.url:
        # a variable's value is quoted as a URL part: a password may hold '@', ':', '/' or '%'
        return sa.create_engine(_ENV.sub(lambda m: quote(os.environ.get(m.group(1), ""), safe=""), spec.url))
    uri = f"{source_files(spec, folder)[0].resolve().as_uri()}?mode=ro"
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


def unreadable(name: str, spec: SourceSpec, why: str, expected: str) -> DataError:
    """The one blocking problem of a source that cannot be read as declared."""
    return DataError([_problem(name, spec, "unreadable", "", "", why, expected)])


def _read_file(name: str, spec: SourceSpec, path: Path, folder: Path) -> list[tuple[str, pd.DataFrame]]:
    """One CSV, Parquet file or the workbook's sheets the spec names, as (label, table) with
    the header at ``header_row``; the label names the file (and sheet) in findings."""
    skip = spec.header_row - 1
    label = str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)
    if spec.kind == "csv":
        return [
            (label, pd.read_csv(path, encoding=spec.encoding, sep=spec.delimiter, dtype=str, keep_default_na=True, skiprows=skip))
        ]
    if spec.kind == "parquet":
        return [(label, pd.read_parquet(path))]
    with pd.ExcelFile(path, engine="openpyxl") as book:  # opened once: sheet names and data
        sheets = matching_sheets(spec.sheets, book.sheet_names)
        if not sheets:
            raise unreadable(
                name,
                spec,
                f"no sheet {' or '.join(map(repr, spec.sheets))} in {path.name} (sheets: {', '.join(book.sheet_names)})",
                f"a sheet named {' or '.join(map(repr, spec.sheets))}",
            )
        named = len(spec.sheets) > 1 or any(ch in spec.sheets[0] for ch in "*?[")
        return [(f"{label}, sheet {sheet}" if named else label, book.parse(sheet, header=skip)) for sheet in sheets]


def matching_sheets(wanted: list[str], sheets: list[str]) -> list[str]:
    """The workbook's sheets a spec names: each name as written, or those its wildcard matches (in the workbook's order)."""
    return [s for s in sheets if any(fnmatch.fnmatchcase(s, w) for w in wanted)]


def header_names(df: pd.DataFrame) -> list[str]:
    """Column headers as text; an Excel date header as YYYY-MM-DD."""
    return [f"{c:%Y-%m-%d}" if isinstance(c, (datetime, pd.Timestamp)) else str(c).strip().lstrip("\ufeff") for c in df.columns]


def _read_files(name: str, spec: SourceSpec, files: list[Path], folder: Path) -> tuple[pd.DataFrame, RowOrigin | None]:
    """Every file (and sheet) of the source as one table; their headers must agree."""
    parts = [part for path in files for part in _read_file(name, spec, path, folder)]
    labels, frames = [p[0] for p in parts], [p[1] for p in parts]

    def fixed(frame: pd.DataFrame) -> set[str]:
        """The headers that must agree (in a wide layout each file may hold other months)."""
        months = month_columns(list(frame.columns), spec.months_as_columns) if spec.months_as_columns else {}
        return {h for c, h in zip(frame.columns, header_names(frame)) if c not in months}

    first = fixed(frames[0])
    for label, frame in zip(labels[1:], frames[1:]):
        if fixed(frame) != first:
            extra, lacking = sorted(fixed(frame) - first), sorted(first - fixed(frame))
            raise unreadable(
                name,
                spec,
                f"{label} has other columns than {labels[0]}"
                + (f" (more: {', '.join(extra)})" if extra else "")
                + (f" (lacks: {', '.join(lacking)})" if lacking else ""),
                "every file of the source with the same header (export each one the same way)",
            )
    for frame in frames:
        frame.columns = header_names(frame)
    if spec.from_file_name and len(frames) == len(files):
        parts, _ = file_parts([path.name for path in files])
        frames = [f.assign(**{spec.from_file_name: part}) for f, part in zip(frames, parts)]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frames) == 1 and not spec.months_as_columns:
        return df, None  # row positions map to lines by header_row alone
    offset = spec.header_row + (1 if spec.kind in ("csv", "excel") else 0)
    origin = RowOrigin(
        files=tuple(labels),
        file_no=np.repeat(np.arange(len(frames)), [len(f) for f in frames]),
        line=np.concatenate([np.arange(len(f)) + offset for f in frames]),
    )
    return df, origin


def _melted(name: str, spec: SourceSpec, df: pd.DataFrame, origin: RowOrigin | None) -> tuple[pd.DataFrame, RowOrigin]:
    """A months-as-columns table as the long one, each long row remembering its line and month column."""
    months = month_columns(list(df.columns), spec.months_as_columns)
    if not months:
        raise DataError(
            [
                _problem(
                    name,
                    spec,
                    "missing_column",
                    "month",
                    "",
                    f"no column header reads as a month with {spec.months_as_columns!r} (headers: {', '.join(map(str, df.columns[:8]))})",
                    f"month headers in the format of sources.{name}.months_as_columns",
                )
            ]
        )
    unread = unread_month_headers(list(df.columns), spec.months_as_columns)
    if unread:
        raise DataError(
            [
                _problem(
                    name,
                    spec,
                    "unreadable",
                    "month",
                    "",
                    f"column header(s) {', '.join(map(repr, unread[:6]))} look like months but do not read with "
                    f"{spec.months_as_columns!r} ({len(months)} others do): their quantities would be lost",
                    f"every month header in the format of sources.{name}.months_as_columns",
                )
            ]
        )
    long, where = melt_months(df, spec.months_as_columns, QUANTITY_COLUMNS.get(name, "units"))
    pos = where["_row"].to_numpy()
    offset = spec.header_row + 1
    origin = RowOrigin(
        files=origin.files if origin else (spec.paths[0],),
        file_no=origin.file_no[pos] if origin else np.zeros(len(pos), dtype=int),
        line=origin.line[pos] if origin else pos + offset,
        column=where["_header"].astype(str).to_numpy(),
    )
    return long, origin


def _join_month(name: str, spec: SourceSpec, df: pd.DataFrame) -> pd.DataFrame:
    """The export's year and month columns as our one month column."""
    year, month = spec.year_and_month
    lacking = [c for c in (year, month) if c not in df.columns]
    if lacking:
        raise DataError(
            [
                _problem(
                    name,
                    spec,
                    "missing_column",
                    c,
                    "",
                    f"columns: {', '.join(map(str, df.columns[:12]))}",
                    f"a column named '{c}' (sources.{name}.year_and_month)",
                )
                for c in lacking
            ]
        )
    return df.drop(columns=[year, month]).assign(month=joined_month(df[year], df[month]))


def excluded_rows(exclude: dict[str, list[str]], df: pd.DataFrame) -> pd.Series:
    """Rows a source's ``exclude`` leaves out (a total row, a cancelled line): True where excluded."""
    out = pd.Series(False, index=df.index)
    for column, values in exclude.items():
        if column not in df.columns:
            continue
        text = df[column].astype("string").str.strip()
        out |= text.isin([v for v in values if v != ""]).fillna(False).astype(bool)
        if "" in values:
            out |= text.isna() | (text == "")
    return out


def note_rows(df: pd.DataFrame) -> pd.Series:
    """Rows that hold no data: blank ones (',,,' lines, empty spreadsheet rows) anywhere, and at
    the foot of a table of three or more columns those with one cell filled (an ERP's
    'Generated on ...' or 'Page 1 of 1'): True where such a row is."""
    if df.empty or df.shape[1] == 0:
        return pd.Series(False, index=df.index)
    text = df.astype("string")
    filled = (text.notna() & text.apply(lambda c: c.str.strip() != "")).sum(axis=1)
    out = filled == 0
    if df.shape[1] >= 3:
        at_foot = (filled <= 1)[::-1].cumprod()[::-1].astype(bool)  # the run of thin rows that ends the table
        out |= at_foot
    return out


def read_source(name: str, spec: SourceSpec, folder: Path) -> pd.DataFrame:
    """Read one source with its format's own reader; raise `DataError` if it can't be read."""
    return read_export(name, spec, folder)[0]


def read_export(name: str, spec: SourceSpec, folder: Path) -> tuple[pd.DataFrame, SourceSpec]:
    """The source as one long table with our column names, and a copy of its spec that
    knows where each row came from (for the line numbers in findings)."""

    def fail(why: str, expected: str) -> DataError:
        return unreadable(name, spec, why, expected)

    files = source_files(spec, folder)
    if spec.paths and not files:
        raise fail(f"no file matches {spec.path!r} in {folder}", "at least one file (check data.folder and the path in params)")
    for path in files:
        if not path.exists():
            what = "database file" if spec.kind == "sql" else "file"
            raise fail(f"no such {what}: {path}", "the file to exist (check data.folder and the path in params)")
    if spec.kind in ("csv", "excel", "parquet"):
        size = sum(p.stat().st_size for p in files)
        need, free = sum(memory_needed(p) for p in files), psutil.virtual_memory().available
        if need > free:
            what = "a file" if len(files) == 1 else f"{len(files)} files"
            raise fail(
                f"{what} of {_size(size)}; reading and checking {'it' if len(files) == 1 else 'them'} takes about "
                f"{_size(need)} of memory and {_size(free)} are free",
                "a file that fits in memory: export fewer years or split it by year, or free memory",
            )
    secrets, unset = env_secrets(spec)
    if unset:
        raise fail(
            f"environment variable(s) {', '.join(unset)} not set",
            f"the variable(s) named in sources.{name}.url set in the environment of the run",
        )
    origin = None
    path = files[0] if files else None
    try:
        if spec.kind in ("csv", "excel", "parquet"):
            df, origin = _read_files(name, spec, files, folder)
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
        raise fail(
            f"bytes that are not {spec.encoding} ({exc.reason}{_first_undecodable_line(path, spec.encoding)})",
            f"text encoded as {spec.encoding} (set sources.{name}.encoding, e.g. latin-1)",
        ) from None
    except pd.errors.EmptyDataError:
        raise fail("an empty file", "a header line and at least one data row") from None
    except Exception as exc:  # the reader's own message, without its traceback or credentials
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(redact(f"{type(exc).__name__}: {msg[:300]}", secrets), f"a readable {spec.kind} source") from None
    if df.empty:
        raise fail("no data rows", "at least one data row")
    df.columns = header_names(df)
    spec = spec.model_copy()
    if spec.months_as_columns:
        df, origin = _melted(name, spec, df, origin)
    spec._origin = origin
    if spec.year_and_month:
        df = _join_month(name, spec, df)
    df = df.rename(columns=spec.columns)
    present = sorted(set(spec.constants) & set(df.columns))
    if present:
        raise fail(
            f"column(s) {present} in the export and in sources.{name}.constants",
            "a constant only for a column the export lacks (remove the constant, or the column's mapping)",
        )
    return df.assign(**spec.constants), spec


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


def leading_minus(values: pd.Series) -> pd.Series:
    """A trailing minus ('5-', as SAP writes a return) or brackets ('(5)', as accountants do)
    as a leading minus ('-5'); other cells as they are."""
    text = values.astype("string").str.strip()
    trailing = text.str.fullmatch(r"[\d.,' \u00a0\u202f]+-").fillna(False).astype(bool)
    bracketed = text.str.fullmatch(r"\([\d.,' \u00a0\u202f]+\)").fillna(False).astype(bool)
    if not (trailing.any() or bracketed.any()):
        return values
    values = values.where(~trailing, "-" + text.str.rstrip("-"))
    return values.where(~bracketed, "-" + text.str.strip("()"))


# A number written with its currency or with the unit it counts in: '€ 19,90', '19,90 €', '$1,249.00',
# '19.90 EUR', '12 pcs', '12 Stk.' (not another measure such as kg or cases).
CURRENCY = r"(?:€|\$|£|EUR|USD|GBP|CHF)"
COUNT_UNIT = r"(?:pcs|pc|piece|pieces|stk|st|stck|stück|stueck|units?|ea|each|x)\.?"
DECORATED_NUMBER = rf"^(?:{CURRENCY}\s*)?(-?[\d.,' \u00a0\u202f]*\d)\s*(?:{CURRENCY}|{COUNT_UNIT})?$"


def bare_number(text: pd.Series) -> pd.Series:
    """'€ 19,90' -> '19,90', '12 pcs' -> '12': the number without its currency or unit (other cells as they are)."""
    number = text.str.extract(DECORATED_NUMBER, flags=re.IGNORECASE)[0]
    return text.where(number.isna(), number)


def number_text(values: pd.Series, decimal: str, thousands: str) -> pd.Series:
    """Numbers as an export writes them ('1.234,5', '1,234', '1 234', "1'234", '5-', '(5)', '€ 19,90',
    '12 pcs') as Python reads them ('1234.5', '1234', '-5', '19.90', '12'); other text as it is, for
    the contract to report."""
    values = leading_minus(values)
    text = values.astype("string").str.strip()
    bare = bare_number(text)
    decorated = (bare != text).fillna(False).astype(bool)
    if decorated.any():
        values = values.where(~decorated, bare)
    if decimal == "." and not thousands:
        return values
    text = bare  # the cells as `values` now holds them, stripped
    if thousands == " ":
        text = text.str.replace(r"(?<=\d)[ \u00a0\u202f](?=\d{3})", "", regex=True)  # a space, no-break or narrow
    elif thousands and not (decimal == "," and thousands == "."):
        text = text.str.replace(thousands, "", regex=False)
    return point_decimals(text) if decimal == "," else text


def parse_numbers(name: str, spec: SourceSpec, df: pd.DataFrame) -> pd.DataFrame:
    """Numbers written with a decimal comma ('1.234,5') or a thousands separator ('1,234')
    become '1234.5' and '1234' before the contract coerces them; other text is left for
    the contract to report. A trailing minus ('5-', as SAP writes a return) is a leading one."""
    if name not in CONTRACTS:
        return df
    df = df.copy()
    for col, column in CONTRACTS[name].columns.items():
        # text columns: object in pandas 2, the "str" dtype in pandas 3
        if col in df.columns and str(column.dtype) == "float64" and not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = number_text(df[col], spec.decimal, spec.thousands)
    return df


EXCEL_DAYS = "excel"  # a date_format: whole numbers that count days as Excel does (45292 is 2024-01-01)


def to_dates(raw: pd.Series, fmt: str | None) -> pd.Series:
    """Dates from text or numbers in a strftime format: an ISO week ('%G-W%V') is its Monday,
    a month name in any language `month_text` knows is read as English ('janv. 2024'), a number
    like Excel's 202405 is read as its digits, `EXCEL_DAYS` as Excel's day count; no format:
    pandas guesses per value."""
    if fmt is None:  # pandas guesses each value; a quarter ('2024-Q1') is not a month, so it is left unread
        quarter = raw.astype("string").str.contains(r"Q[1-4]|[1-4]Q", case=False, regex=True).fillna(False).astype(bool)
        return pd.to_datetime(raw.where(~quarter), errors="coerce", format="mixed")
    if fmt == EXCEL_DAYS:
        days = pd.to_numeric(raw, errors="coerce")
        days = days.where(days.between(1, 2_958_465) & days.mod(1).eq(0))
        return pd.to_datetime(days, unit="D", origin="1899-12-30", errors="coerce")
    integral = pd.api.types.is_numeric_dtype(raw) and raw.dropna().mod(1).eq(0).all()
    text = (raw.astype("Int64") if integral else raw).astype("string").str.strip()
    if "%V" in fmt and "%u" not in fmt:
        return pd.to_datetime(text + "-1", format=fmt + "-%u", errors="coerce")
    if "%b" in fmt:
        names = text.dropna().unique()
        text = text.map(dict(zip(names, map(month_text, names)))).astype("string")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def parse_dates(
    name: str, spec: SourceSpec, df: pd.DataFrame, cycle_end: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
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
        if isinstance(raw.dtype, pd.DatetimeTZDtype):  # a timestamp with time zone: the day where it was booked
            parsed = raw.dt.tz_localize(None)
        elif pd.api.types.is_datetime64_any_dtype(raw):
            parsed = raw
        else:
            parsed = to_dates(raw, spec.date_format)
        bad = raw.notna() & (raw.astype(str).str.strip() != "") & parsed.isna()
        if bad.any():
            idx = list(df.index[bad])
            problems.append(
                _problem(
                    name,
                    spec,
                    "unparseable_date",
                    col,
                    row_label(spec, idx),
                    ", ".join(repr(str(v)) for v in raw[bad].head(MAX_ROWS_SHOWN)),
                    f"dates like {spec.date_format or 'YYYY-MM-DD or YYYY-MM'}"
                    + ("" if spec.date_format else f" (declare yours in sources.{name}.date_format)"),
                )
            )
        implausible = (parsed < pd.Timestamp("1990-01-01")) | (parsed > latest_ok)
        if implausible.any():
            idx = list(df.index[implausible])
            problems.append(
                _problem(
                    name,
                    spec,
                    "implausible_date",
                    col,
                    row_label(spec, idx),
                    ", ".join(str(v.date()) for v in parsed[implausible].head(MAX_ROWS_SHOWN)),
                    f"plausible dates (1990 to {latest_ok:%Y})",
                )
            )
        df[col] = parsed
    if name == "sales_history" and cycle_end is not None and "month" in df.columns:
        future = df["month"] >= cycle_end
        if future.any():
            idx = list(df.index[future])
            problems.append(
                _problem(
                    name,
                    spec,
                    "future_date",
                    "month",
                    row_label(spec, idx),
                    ", ".join(str(v.date()) for v in df.loc[future, "month"].head(MAX_ROWS_SHOWN)),
                    f"only closed months before the cycle ({cycle_end:%Y-%m})",
                )
            )
    return df, problems
