"""What is wrong with a source, said for the person who owns the export, and how bad it is."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from sop_lib.core.contracts import (
    CHECKS,
    STRUCTURAL_CHECKS,
)
from sop_lib.core.params import RunParams, SourceSpec

MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class RowOrigin:
    """Where each row of a table read from several files, below a title or from a wide
    layout came from: row position -> file, line (or sheet row) and, for a wide layout, the month column."""

    files: tuple[str, ...]
    file_no: np.ndarray
    line: np.ndarray
    column: np.ndarray | None = None

    def label(self, i: int) -> str:
        col = f" ({self.column[i]})" if self.column is not None else ""
        return f"{int(self.line[i])}{col}"


def source_location(spec: SourceSpec) -> str:
    """How a person finds the data: file name plus sheet, table or query (no credentials)."""
    paths = spec.paths
    where = (paths[0] if len(paths) == 1 else ", ".join(paths)) if paths else re.sub(r"//[^@/]*@", "//***@", spec.url or "")
    if spec.kind == "excel":
        return f"{where}, sheet '{spec.sheet}'" if isinstance(spec.sheet, str) else f"{where}, sheets {', '.join(spec.sheets)}"
    if spec.kind == "sql":
        return f"{where}, " + (f"table '{spec.table}'" if spec.table else f"query '{spec.query}'")
    return where


def row_label(spec: SourceSpec, index: list) -> str:
    """Row numbers as the owner sees them: file lines for CSV/Excel (the header is line
    ``header_row``), with the file's name when the source reads several."""
    noun = {"csv": "line", "excel": "row"}.get(spec.kind, "record")
    more = f" (+{len(index) - MAX_ROWS_SHOWN} more)" if len(index) > MAX_ROWS_SHOWN else ""
    origin = spec._origin
    if isinstance(origin, RowOrigin):
        groups: dict[str, list[str]] = {}
        for i in index[:MAX_ROWS_SHOWN]:
            groups.setdefault(origin.files[int(origin.file_no[int(i)])], []).append(origin.label(int(i)))
        named = len(origin.files) > 1
        parts = [
            (f"{file} " if named else "") + f"{noun}{'s' if len(lines) > 1 else ''} {', '.join(lines)}"
            for file, lines in groups.items()
        ]
        return "; ".join(parts) + more
    first = spec.header_row + 1 if spec.kind in ("csv", "excel") else 1
    shown = ", ".join(str(int(i) + first) for i in index[:MAX_ROWS_SHOWN])
    return f"{noun}{'s' if len(index) > 1 else ''} {shown}{more}"


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
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows and units per source, `data.grain.account`

    def problems_frame(self) -> pd.DataFrame:
        cols = list(Problem.__dataclass_fields__)
        return pd.DataFrame([asdict(p) for p in self.problems], columns=cols)


def _problem(name: str, spec: SourceSpec, check: str, column: str, rows: str, values: str, expected: str) -> Problem:
    return Problem(name, source_location(spec), column, rows, values, expected, CHECKS[check][0], check)


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


def raise_for_blocking(problems: list[Problem]) -> None:
    blocking = [p for p in problems if p.severity == "block"]
    if blocking:
        raise DataError(blocking)
