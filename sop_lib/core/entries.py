"""Entries a planner writes by hand, from YAML or from a spreadsheet with the same columns.

Consensus overrides (`sop_lib.demand.drivers.load_overrides`) and meeting decisions
(`sop_lib.executive.records`) are lists of entries, each with the same keys. Planners keep
them in YAML or in a spreadsheet: an XLSX sheet or a CSV file whose header row names the
keys and whose every further row is one entry. `read_entries` returns the entries of any of
the three with where each came from (``entry 3`` in YAML; ``sheet 'Overrides', row 4`` or
``row 4`` in a spreadsheet, counting the header as row 1), so every message names the file,
the row and the column. The header is the first row of two or more text cells (a title above
it is skipped); empty cells are absent keys; blank rows are skipped; a cell that
holds a date becomes its month (``YYYY-MM``) when it is a month's first day; numbers stay
numbers, and a whole number keeps no ``.0`` (an item code ``123`` is ``123``, not ``123.0``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import yaml

SPREADSHEET = (".xlsx", ".csv")
SUFFIXES = (".yaml", ".yml", *SPREADSHEET)


class EntriesError(ValueError):
    """A file of entries that cannot be read; the message names the file (and the row)."""


@dataclass(frozen=True)
class Entry:
    values: dict
    where: str  # "entry 3", "row 4" or "sheet 'Overrides', row 4"
    spreadsheet: bool = False

    def name(self, key: str) -> str:
        """A key as a message names it: ``'due'`` in YAML, ``column 'due'`` in a spreadsheet."""
        return f"column '{key}'" if self.spreadsheet else f"'{key}'"

    def names(self, keys) -> str:
        """Several keys as a message names them."""
        return ("column(s) " if self.spreadsheet else "key(s) ") + str(sorted(keys))


def read_entries(path: str | Path) -> list[Entry]:
    """Every entry of a YAML list, an XLSX sheet or a CSV file (see the module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise EntriesError(f"{path}: expected a .yaml, .xlsx or .csv file, got '{path.suffix}'")
    if suffix in (".yaml", ".yml"):
        return _yaml_entries(path)
    rows = _xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path)
    return _sheet_entries(path, rows)


def _yaml_entries(path: Path) -> list[Entry]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EntriesError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise EntriesError(f"{path}: expected a list of entries (each starting with '- '), got {type(raw).__name__}")
    out = []
    for i, e in enumerate(raw, start=1):
        if not isinstance(e, dict):
            raise EntriesError(f"{path}: entry {i}: expected a mapping of keys to values, got {e!r}")
        out.append(Entry(e, f"entry {i}"))
    return out


def _xlsx_rows(path: Path) -> tuple[str, list[tuple]]:
    """(sheet label, rows) of the workbook's first sheet."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a damaged file
        raise EntriesError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheet = book.worksheets[0]
        return f"sheet '{sheet.title}', ", [tuple(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(path: Path) -> tuple[str, list[tuple]]:
    """('', rows) of a CSV file in UTF-8 (with or without BOM) or cp1252, comma or semicolon separated."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [tuple(_from_text(c, delimiter) for c in r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return "", rows


def _from_text(cell: str, delimiter: str):
    """A CSV cell as the value it spells: empty -> None, a number -> int or float, else the text."""
    cell = cell.strip()
    if not cell:
        return None
    number = cell.replace(",", ".") if delimiter == ";" and cell.count(",") == 1 else cell
    try:
        return int(number)
    except ValueError:
        pass
    try:
        return float(number)
    except ValueError:
        return cell


def _sheet_entries(path: Path, sheet_rows: tuple[str, list[tuple]]) -> list[Entry]:
    label, rows = sheet_rows
    filled = [(n, r) for n, r in enumerate(rows, start=1) if any(_cell(c) is not None for c in r)]
    headers = [k for k, (_, r) in enumerate(filled) if _looks_like_header(r)]
    if not headers:
        return []
    filled = filled[headers[0] :]  # rows above the header are a title
    header_row, header = filled[0]
    names = [str(c).strip() if c is not None else "" for c in header]
    doubled = sorted({n for n in names if n and names.count(n) > 1})
    if doubled:
        raise EntriesError(f"{path}: {label}row {header_row}: column(s) {doubled} appear twice in the header")
    out = []
    for n, row in filled[1:]:
        values = {}
        for col, cell in zip(names, row):
            value = _cell(cell)
            if value is None:
                continue
            if not col:
                raise EntriesError(f"{path}: {label}row {n}: a value ({value!r}) under a column with no header")
            values[col] = value
        out.append(Entry(values, f"{label}row {n}", spreadsheet=True))
    return out


def _looks_like_header(row: tuple) -> bool:
    """Two or more cells, all text: a header (a title above it has one cell, a data row numbers or dates)."""
    cells = [c for c in row if _cell(c) is not None]
    return len(cells) >= 2 and all(isinstance(c, str) for c in cells)


def _cell(value):
    """A cell as an entry's value: blank -> None, a month's first day -> YYYY-MM, a whole float -> int."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m") if value.day == 1 else value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


# The hand-written files' columns and what each holds: the templates `sop init` writes
# (the loaders check the same keys: tests/core/test_entries.py holds them together).
TEMPLATES: dict[str, dict[str, str]] = {
    "overrides": {
        "who": "who asks for the change (a person or a team)",
        "why": "the reason, in a few words",
        "sku": "the SKU code, as in the product master",
        "region": "optional: one planning region; empty spreads the units over the SKU's regions",
        "from": "first month changed, YYYY-MM",
        "to": "optional: last month changed, YYYY-MM (empty: the first month only)",
        "change_pct": "a share added to demand, e.g. -0.1 for 10% less (give this or units)",
        "units": "units added per month (give this or change_pct)",
    },
    "decisions": {
        "id": "a short id, unique in the cycle (a later cycle may repeat it to update the status)",
        "decision": "what was decided",
        "owner": "who carries it out",
        "due": "the month it is due, YYYY-MM",
        "status": "open, done or dropped (empty: open)",
        "rests_on": "optional: the scenario or figure it rests on",
        "adopts": "optional: a step-4 scenario whose supply changes enter the plan from next cycle",
    },
}


def write_template(path: str | Path, kind: str) -> Path:
    """An empty XLSX of ``kind`` (`TEMPLATES`): its header row, frozen, and a sheet saying what each column holds."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = TEMPLATES[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = kind.capitalize()
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for col, name in zip("ABCDEFGHIJ", columns):
        sheet.column_dimensions[col].width = max(12, len(name) + 4)
    help_sheet = book.create_sheet("How to fill")
    help_sheet.append(["column", "what it holds"])
    for name, what in columns.items():
        help_sheet.append([name, what])
    help_sheet.append([])
    help_sheet.append(
        ["", "One row per entry on the first sheet; only the first sheet is read. Months as YYYY-MM text or dates."]
    )
    help_sheet.column_dimensions["A"].width, help_sheet.column_dimensions["B"].width = 14, 90
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
