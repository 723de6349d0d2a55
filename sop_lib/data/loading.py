"""`load_sources(params)`: every declared source read, checked and harmonised, with its lineage."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from sop_lib.core.contracts import (
    CONTRACTS,
    STRUCTURAL_CHECKS,
    USED_BY,
    WITHOUT,
)
from sop_lib.core.integrity import sha256_file
from sop_lib.core.params import RunParams, SourceSpec
from sop_lib.data.checks import (
    check_date_order,
    check_discontinued,
    check_freshness,
    check_horizon,
    check_references,
    check_regions,
    drop_unknown_references,
    validate_source,
)
from sop_lib.data.grain import RECONCILIATION_COLUMNS, account, raw_contract, sum_to_month
from sop_lib.data.harmonise import harmonise_regions, normalise_codes, to_base_units
from sop_lib.data.problems import (
    DataError,
    LoadedData,
    Problem,
    apply_severity,
    severity_for,
    source_location,
)
from sop_lib.data.reading import (
    excluded_rows,
    note_rows,
    parse_dates,
    parse_numbers,
    read_export,
    translate_values,
)


def file_sha256(path: Path) -> str:
    """The lineage's short fingerprint of a source file."""
    return sha256_file(path)[:16]


def _lineage_row(name: str, spec: SourceSpec, files: list[Path], rows: int) -> dict:
    present = [p for p in files if p.is_file()]
    detail = (
        f"sheet {', '.join(spec.sheets)}"
        if spec.kind == "excel"
        else (f"table {spec.table}" if spec.table else (f"query {spec.query}" if spec.query else ""))
    )
    if len(present) > 1:
        detail = f"{len(present)} files" + (f", {detail}" if detail else "")
    return {
        "source": name,
        "kind": spec.kind,
        "location": source_location(spec),
        "file": ", ".join(map(str, files)) if files else source_location(spec).split(",")[0],
        "detail": detail,
        "sha256": combined_sha256(present) if present else "",
        "rows": rows,
        "modified": pd.Timestamp(max(p.stat().st_mtime for p in present), unit="s").floor("s") if present else pd.NaT,
        "columns_mapped": ", ".join(f"{a} -> {b}" for a, b in spec.columns.items()),
        "unit": spec.unit,
    }


def combined_sha256(paths: list[Path]) -> str:
    """One fingerprint for a source read from one or several files (one file: its own hash)."""
    if len(paths) == 1:
        return file_sha256(paths[0])
    return hashlib.sha256("".join(file_sha256(p) for p in paths).encode()).hexdigest()[:16]


def load_sources(params: RunParams) -> LoadedData:
    """Read, parse and validate every declared source, check them against each other,
    harmonise codes, regions and units, sum sales to the month, and collect every problem
    with its configured severity and every row and unit in a reconciliation."""
    folder = params.data_folder
    cycle_start = pd.Timestamp(f"{params.cycle}-01")
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    lineage = []
    specs = dict(params.sources)  # each replaced by the copy that knows its rows' lines
    left_out: dict[str, pd.DataFrame] = {}  # rows each source's `exclude` leaves out, and rows with no data
    reasons: dict[str, dict[str, int]] = {}  # of those, how many for each reason other than `exclude`
    for name, spec in params.sources.items():
        files = params.source_files(name)
        try:
            df, specs[name] = read_export(name, spec, folder)
        except DataError as exc:
            problems += exc.problems
            lineage.append(_lineage_row(name, spec, files, 0))
            continue
        spec = specs[name]
        # before codes are normalised (an empty cell is not the text 'nan' yet), on the export's own columns
        notes = note_rows(df.drop(columns=[*spec.constants, *([spec.from_file_name] if spec.from_file_name else [])]))
        df = parse_numbers(name, spec, normalise_codes(name, df, params.data.codes))
        out = excluded_rows(spec.exclude, df) | notes
        left_out[name] = df[out]
        reasons[name] = {"blank or a note below the table": int(notes.sum())}
        df = translate_values(spec, df[~out])
        df, date_problems = parse_dates(name, spec, df, cycle_start)
        problems += date_problems
        if name == "sales_history" and "month" in df and severity_for(params, name, "future_date") != "block":
            # the cycle's own month (an export taken mid-month), let through: its rows are left out and counted
            still_open = (df["month"] >= cycle_start).fillna(False).astype(bool)
            if still_open.any():
                left_out[name] = pd.concat([f for f in (left_out[name], df[still_open]) if len(f)])
            reasons[name][f"in {params.cycle} or later, not closed yet"] = int(still_open.sum())
            df = df[~still_open]
        if name in CONTRACTS:
            df, contract_problems = validate_source(name, spec, df, raw_contract(name, spec))
            # cells already reported as unreadable dates are not reported again as empty or duplicate
            unparsed = {p.column for p in date_problems if p.check == "unparseable_date"}
            problems += [
                p
                for p in contract_problems
                if not (p.check in ("empty_value", "duplicate_key") and unparsed & set(p.column.split("+")))
            ]
            problems += check_date_order(name, spec, df)
        tables[name] = df
        lineage.append(_lineage_row(name, spec, files, len(df)))
    lineage_df = pd.DataFrame(lineage)
    read = dict(tables)
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
    kept = drop_unknown_references(tables, apply_severity(problems, params))
    tables, lifted = dict(kept), {}
    for name, spec in specs.items():
        if spec.sum_to_month and name in tables and not any(p.source == name and p.check in STRUCTURAL_CHECKS for p in problems):
            tables[name], sum_problems, lifted[name] = sum_to_month(name, spec, tables[name])
            problems += sum_problems
    problems = apply_severity(problems, params)
    accounts = pd.DataFrame(
        [
            account(n, specs[n], read[n], kept[n], tables[n], lifted.get(n, 0.0), left_out[n], reasons[n])
            for n in read
            if n in kept
        ],
        columns=RECONCILIATION_COLUMNS,
    )
    tables |= {name: empty_table(name) for name in absent_sources(params.sources)}
    return LoadedData(tables, problems, lineage_df, fresh, coverage, accounts)


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
        cols[col] = pd.Series(
            dtype="datetime64[ns]" if dtype.startswith("datetime") else ("float64" if dtype.startswith("float") else "object")
        )
    return pd.DataFrame(cols)


def skipped(declared, step: int) -> str:
    """One line: the optional sources this step would use that the params file leaves out,
    and what the step does without each ('' when nothing is missing)."""
    parts = [f"{name} ({WITHOUT[name]})" for name in absent_sources(declared) if step in USED_BY.get(name, ())]
    return "Skipped for want of a source (declare it under sources: to enable it): " + "; ".join(parts) + "." if parts else ""
