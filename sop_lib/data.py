"""Step 1: read every department's export, check it against its contract, harmonise.

``load_sources(params)`` reads each source declared in params with the library made
for its format (pandas for CSV/Parquet, openpyxl for Excel, SQLAlchemy or DuckDB
for databases), renames columns to ours, parses dates, and validates it. Problems
are *collected*, not raised one at a time: each `Problem` names the source, the
file (sheet or query), the column, the first failing rows with their values and what
was expected. ``raise_for_blocking`` then stops the cycle if any is blocking.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from sop_lib.contracts import CONTRACTS, DATE_COLUMNS, REFERENCES
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

    def problems_frame(self) -> pd.DataFrame:
        cols = list(Problem.__dataclass_fields__)
        return pd.DataFrame([asdict(p) for p in self.problems], columns=cols)


def source_location(spec: SourceSpec) -> str:
    """How a person finds the data: file name plus sheet, table or query."""
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


def _sql_url(spec: SourceSpec, folder: Path) -> str:
    if spec.url:
        return re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), spec.url)
    return f"sqlite:///{folder / spec.path}"


def read_source(name: str, spec: SourceSpec, folder: Path) -> pd.DataFrame:
    """Read one source with its format's own reader; raise `DataError` if it can't be read."""
    loc = source_location(spec)

    def fail(why: str, expected: str) -> DataError:
        return DataError([Problem(name, loc, "", "", why, expected)])

    path = folder / spec.path if spec.path else None
    if path is not None and not path.exists():
        raise fail(f"no such file: {path}", "the file to exist (check data.folder and the path in params)")
    try:
        if spec.kind == "csv":
            df = pd.read_csv(path, encoding=spec.encoding, sep=spec.delimiter, dtype=str, keep_default_na=True)
        elif spec.kind == "excel":
            import openpyxl

            sheets = openpyxl.load_workbook(path, read_only=True).sheetnames
            if spec.sheet not in sheets:
                raise fail(f"no sheet '{spec.sheet}' (sheets: {', '.join(sheets)})", f"a sheet named '{spec.sheet}'")
            df = pd.read_excel(path, sheet_name=spec.sheet)
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

                engine = sa.create_engine(_sql_url(spec, folder))
                try:
                    with engine.connect() as con:
                        df = pd.read_sql_query(sa.text(sql), con)
                finally:
                    engine.dispose()
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise fail(f"bytes that are not {spec.encoding} ({exc.reason}{_first_undecodable_line(path, spec.encoding)})",
                   f"text encoded as {spec.encoding} (set sources.{name}.encoding, e.g. latin-1)") from None
    except pd.errors.EmptyDataError:
        raise fail("an empty file", "a header line and at least one data row") from None
    except Exception as exc:  # the reader's own message, without its traceback
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"{type(exc).__name__}: {msg[:300]}", f"a readable {spec.kind} source") from None
    if df.empty:
        raise fail("no data rows", "at least one data row")
    df = df.rename(columns=spec.columns)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def parse_dates(name: str, spec: SourceSpec, df: pd.DataFrame, cycle_end: pd.Timestamp | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse the contract's date columns; report unparseable and implausible dates."""
    problems: list[Problem] = []
    df = df.copy()
    loc = source_location(spec)
    for col in DATE_COLUMNS.get(name, []):
        if col not in df.columns:
            continue
        raw = df[col]
        if spec.date_format:
            parsed = pd.to_datetime(raw, format=spec.date_format, errors="coerce")
        else:
            parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        bad = raw.notna() & (raw.astype(str).str.strip() != "") & parsed.isna()
        if bad.any():
            idx = list(df.index[bad])
            problems.append(Problem(name, loc, col, _row_label(spec, idx),
                                    ", ".join(repr(str(v)) for v in raw[bad].head(MAX_ROWS_SHOWN)),
                                    f"dates like {spec.date_format or 'YYYY-MM-DD or YYYY-MM'}"))
        too_old = parsed < pd.Timestamp("1990-01-01")
        if too_old.any():
            idx = list(df.index[too_old])
            problems.append(Problem(name, loc, col, _row_label(spec, idx),
                                    ", ".join(str(v.date()) for v in parsed[too_old].head(MAX_ROWS_SHOWN)),
                                    "plausible dates (after 1990)"))
        df[col] = parsed
    if name == "sales_history" and cycle_end is not None and "month" in df.columns:
        future = df["month"] >= cycle_end
        if future.any():
            idx = list(df.index[future])
            problems.append(Problem(name, loc, "month", _row_label(spec, idx),
                                    ", ".join(str(v.date()) for v in df.loc[future, "month"].head(MAX_ROWS_SHOWN)),
                                    f"only closed months before the cycle ({cycle_end:%Y-%m})"))
    return df, problems


def validate_source(name: str, spec: SourceSpec, df: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table against its contract; collect every failure, phrase it for people."""
    schema = CONTRACTS[name]
    loc = source_location(spec)
    missing = [c for c, col in schema.columns.items() if col.required and c not in df.columns]
    if missing:
        have = ", ".join(df.columns[:12])
        return df, [Problem(name, loc, c, "", f"columns: {have}", f"a column named '{c}' (map yours under sources.{name}.columns)") for c in missing]
    try:
        return schema.validate(df, lazy=True), []
    except pandera.errors.SchemaErrors as exc:
        return df, _explain_failures(name, spec, exc.failure_cases)


_CHECK_WORDS = {
    "greater_than_or_equal_to": "a value >= {}",
    "greater_than": "a value > {}",
    "in_range": "a value in [{}]",
    "isin": "one of {}",
    "field_uniqueness": "unique values",
    "multiple_fields_uniqueness": "one row per key",
    "not_nullable": "a value (not empty)",
}


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
    loc = source_location(spec)
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
        else:
            values = ", ".join(repr(v) for v in grp["failure_case"].head(MAX_ROWS_SHOWN))
        rows = _row_label(spec, sorted(set(idx))) if idx else ""
        problems.append(Problem(name, loc, str(column), rows, values, _expected(check, column)))
    return problems


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
            problems.append(Problem(src, source_location(specs[src]), col, _row_label(specs[src], idx),
                                    ", ".join(repr(v) for v in unknown[:MAX_ROWS_SHOWN]),
                                    f"values listed in {ref}.{ref_col}"))
    return problems


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def load_sources(params: RunParams) -> LoadedData:
    """Read, date-parse and validate every declared source; collect all problems."""
    folder = params.data_folder
    cycle_start = pd.Timestamp(f"{params.cycle}-01")
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    lineage = []
    for name, spec in params.sources.items():
        try:
            df = read_source(name, spec, folder)
        except DataError as exc:
            problems += exc.problems
            continue
        df, date_problems = parse_dates(name, spec, df, cycle_start)
        problems += date_problems
        if name in CONTRACTS and not date_problems:
            df, contract_problems = validate_source(name, spec, df)
            problems += contract_problems
        tables[name] = df
        path = folder / spec.path if spec.path else None
        lineage.append(
            {
                "source": name,
                "kind": spec.kind,
                "location": source_location(spec),
                "sha256": file_sha256(path) if path and path.is_file() else "",
                "rows": len(df),
                "modified": pd.Timestamp(path.stat().st_mtime, unit="s").floor("s") if path and path.is_file() else pd.NaT,
            }
        )
    if not any(p.severity == "block" for p in problems):
        problems += check_references(tables, params.sources)
    return LoadedData(tables, problems, pd.DataFrame(lineage))


def raise_for_blocking(problems: list[Problem]) -> None:
    blocking = [p for p in problems if p.severity == "block"]
    if blocking:
        raise DataError(blocking)


# --- harmonisation --------------------------------------------------------------


def monthly_sales(sales: pd.DataFrame, products: pd.DataFrame, cycle: str) -> pd.DataFrame:
    """Sales on one complete monthly grid per SKU x region; months with no booking are 0.

    A series runs from its first booking to the month before the cycle, or to its
    discontinuation date, so a missing month means "sold nothing", not "unknown".
    """
    end = pd.Timestamp(f"{cycle}-01") - pd.DateOffset(months=1)
    sales = sales.assign(month=sales["month"].dt.to_period("M").dt.to_timestamp())
    agg = sales.groupby(["sku", "region", "month"], as_index=False)[["units"]].sum()
    disc = products.set_index("sku")["discontinue_date"]
    frames = []
    for (sku, region), grp in agg.groupby(["sku", "region"]):
        stop = end
        if pd.notna(disc.get(sku)):
            d = pd.Timestamp(disc[sku])
            last = d.to_period("M").to_timestamp() - (pd.DateOffset(months=1) if d.day == 1 else pd.DateOffset(0))
            stop = min(end, max(last, grp["month"].max()))  # never drop units that were booked
        grid = pd.date_range(grp["month"].min(), stop, freq="MS")
        s = grp.set_index("month")["units"].reindex(grid, fill_value=0.0)
        frames.append(pd.DataFrame({"sku": sku, "region": region, "month": grid, "units": s.to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out = out.merge(products[["sku", "family"]], on="sku", how="left")
    return out[["family", "sku", "region", "month", "units"]]


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
    level = x.groupby(keys).transform(lambda s: s.rolling(12, center=True, min_periods=6).mean())
    moy = monthly["month"].dt.month
    season = (x - level).groupby([monthly["family"], moy]).transform("median")
    d = x - season
    resid = d - d.groupby(keys).transform(lambda s: s.rolling(7, center=True, min_periods=3).median())
    # Spread from month-to-month differences: the rolling median passes through
    # many points exactly, so the MAD of ``resid`` itself would be too small.
    step = d.groupby(keys).diff().abs()
    spread = 1.4826 * step.groupby(keys).transform("median") / np.sqrt(2)
    z = resid / spread.clip(lower=0.1)
    typical = monthly.groupby(["sku", "region"])["units"].transform("median")
    out = monthly.assign(robust_z=z)
    out = out[(out["robust_z"].abs() > threshold) & (typical >= 5)]
    return out.sort_values("robust_z", key=np.abs, ascending=False)


def quality_table(loaded: LoadedData, monthly: pd.DataFrame, cycle: str, stale_days: int = 45) -> pd.DataFrame:
    """A traffic light per source: rows, problems, freshness, completeness."""
    cycle_start = pd.Timestamp(f"{cycle}-01")
    probs = loaded.problems_frame()
    rows = []
    for _, lin in loaded.lineage.iterrows():
        name = lin["source"]
        p = probs[probs["source"] == name]
        n_block = int((p["severity"] == "block").sum())
        n_warn = int((p["severity"] == "warn").sum())
        table = loaded.tables.get(name)
        latest = pd.NaT
        if table is not None:
            dates = [c for c in DATE_COLUMNS.get(name, []) if c in table.columns]
            if name == "sales_history":
                latest = table["month"].max()
            elif name == "inventory":
                latest = table["as_of"].max()
        age = (cycle_start - latest).days if pd.notna(latest) else None
        stale = age is not None and age > stale_days
        n_warn += int(stale)
        status = "red" if n_block else ("amber" if n_warn else "green")
        rows.append(
            {
                "source": name,
                "location": lin["location"],
                "rows": int(lin["rows"]),
                "blocking": n_block,
                "warnings": n_warn,
                "latest_date": latest,
                "age_days": age,
                "status": status,
            }
        )
    return pd.DataFrame(rows)


def completeness(sales: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """Months that the export did not contain, per SKU and region (filled with 0 on the grid)."""
    booked = sales.assign(month=sales["month"].dt.to_period("M").dt.to_timestamp()).groupby(["sku", "region"])["month"].nunique()
    grid = monthly.groupby(["sku", "region"])["month"].nunique()
    out = pd.DataFrame({"months_on_grid": grid, "months_booked": booked}).fillna(0).astype(int)
    out["missing_months"] = out["months_on_grid"] - out["months_booked"]
    return out.reset_index().sort_values("missing_months", ascending=False)


def quality_warnings(monthly: pd.DataFrame, sales: pd.DataFrame) -> list[Problem]:
    """Non-blocking findings: outliers and missing months, phrased for the sales team."""
    problems = []
    for _, r in robust_outliers(monthly).head(20).iterrows():
        problems.append(Problem("sales_history", "harmonised monthly sales", "units",
                                f"{r['sku']} / {r['region']} / {r['month']:%Y-%m}", f"{r['units']:.0f}",
                                f"a value near the series' usual level (robust z = {r['robust_z']:.1f})", "warn"))
    comp = completeness(sales, monthly)
    for _, r in comp[comp["missing_months"] > 0].iterrows():
        problems.append(Problem("sales_history", "sales export", "month", f"{r['sku']} / {r['region']}",
                                f"{r['missing_months']} of {r['months_on_grid']} months absent",
                                "a row for every month (absent months are treated as zero sales)", "warn"))
    return problems
