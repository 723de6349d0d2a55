"""Export shapes that are not yet a long table: a title above the header, months as columns.

Pure functions on text and frames, shared by the reader (`data.reading`) and by `sop init`,
which detects the same shapes it then writes into the proposal.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

# Month names as exports write them, normalised to the English abbreviation strptime reads.
MONTH_WORDS: dict[str, str] = {
    "januar": "Jan",
    "january": "Jan",
    "jan": "Jan",
    "jaenner": "Jan",
    "februar": "Feb",
    "february": "Feb",
    "feb": "Feb",
    "maerz": "Mar",
    "märz": "Mar",
    "march": "Mar",
    "mär": "Mar",
    "mrz": "Mar",
    "mar": "Mar",
    "april": "Apr",
    "apr": "Apr",
    "mai": "May",
    "may": "May",
    "juni": "Jun",
    "june": "Jun",
    "jun": "Jun",
    "juli": "Jul",
    "july": "Jul",
    "jul": "Jul",
    "august": "Aug",
    "aug": "Aug",
    "september": "Sep",
    "sept": "Sep",
    "sep": "Sep",
    "oktober": "Oct",
    "october": "Oct",
    "okt": "Oct",
    "oct": "Oct",
    "november": "Nov",
    "nov": "Nov",
    "dezember": "Dec",
    "december": "Dec",
    "dez": "Dec",
    "dec": "Dec",
}
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]+\.?")
# Header formats `sop init` tries for a months-as-columns layout (after `month_text`).
MONTH_HEADER_FORMATS = ("%b %Y", "%b-%y", "%b %y", "%b-%Y", "%Y-%m", "%m.%Y", "%m/%Y", "%Y/%m", "%Y%m", "%Y-%m-%d", "%d.%m.%Y")
MIN_MONTH_COLUMNS = 3  # fewer month-like headers than this is not a wide layout


def month_text(header: object) -> str:
    """A header as text strptime can read: Excel dates as YYYY-MM-DD, month words in English ('Mär 23' -> 'Mar 23')."""
    if isinstance(header, (datetime, pd.Timestamp)):
        return f"{header:%Y-%m-%d}"
    text = str(header).strip()

    def english(m: re.Match) -> str:
        return MONTH_WORDS.get(m.group(0).rstrip(".").lower(), m.group(0))

    return _WORD.sub(english, text)


def header_month(header: object, fmt: str) -> pd.Timestamp | None:
    """The month a column header names in format ``fmt``, or None."""
    try:
        day = datetime.strptime(month_text(header), fmt)
    except ValueError:
        return None
    return pd.Timestamp(day.year, day.month, 1)


def month_columns(columns: list, fmt: str) -> dict:
    """The columns whose header is a month in ``fmt``: header -> first day of that month."""
    found = {c: header_month(c, fmt) for c in columns}
    return {c: m for c, m in found.items() if m is not None}


def detect_month_format(columns: list) -> str | None:
    """The header format under which most columns are months (at least `MIN_MONTH_COLUMNS`), or None."""
    best, count = None, MIN_MONTH_COLUMNS - 1
    for fmt in MONTH_HEADER_FORMATS:
        n = len(month_columns(columns, fmt))
        if n > count:
            best, count = fmt, n
    return best


def melt_months(df: pd.DataFrame, fmt: str, value: str = "units") -> tuple[pd.DataFrame, pd.Series]:
    """Months as columns -> one row per row and month (empty cells are no booking); also
    returns, for each long row, the position of its wide row and its month header."""
    months = month_columns(list(df.columns), fmt)
    ids = [c for c in df.columns if c not in months]
    wide = df.reset_index(drop=True)
    long = wide.melt(id_vars=ids, value_vars=list(months), var_name="_header", value_name=value, ignore_index=False)
    long["_row"] = long.index
    text = long[value].astype("string").str.strip()
    long = long[text.notna() & (text != "")]
    long = long.sort_values("_row", kind="stable").reset_index(drop=True)
    long["month"] = long["_header"].map(months)
    origin = long[["_row", "_header"]].copy()
    return long.drop(columns=["_row", "_header"]), origin


def _filled(row: list) -> int:
    return sum(1 for v in row if v is not None and str(v).strip() not in ("", "nan", "None"))


def _texty(row: list) -> float:
    """Share of filled cells that are words, not numbers or dates (a header is words)."""
    cells = [str(v).strip() for v in row if v is not None and str(v).strip() not in ("", "nan", "None")]
    if not cells:
        return 0.0
    return sum(1 for c in cells if not re.fullmatch(r"[-+]?[\d.,\s/:%-]+", c)) / len(cells)


def header_position(rows: list[list]) -> int:
    """Position (0-based) of the header among the first rows of a sheet or file: the first
    row about as wide as the table below it with a word in it (a title is one or two cells)."""
    if not rows:
        return 0
    widths = [_filled(r) for r in rows]
    width = max(widths)
    for i, row in enumerate(rows):
        if widths[i] >= max(2, 0.8 * width) and _texty(row) > 0:
            return i
    return 0


def joined_month(year: pd.Series, month: pd.Series) -> pd.Series:
    """A month split over a year and a month column (1-12, '01', 'Jan', 'März') as one
    YYYY-MM text per row; a cell that is neither stays empty for the date check to report."""
    y = pd.to_numeric(year, errors="coerce").astype("Int64")
    text = month.astype("string").str.strip()
    number = pd.to_numeric(text, errors="coerce")
    named = text.map(lambda v: header_month(f"{month_text(v)[:3]} 2000", "%b %Y") if isinstance(v, str) else None)
    m = number.where(number.between(1, 12)).fillna(
        pd.Series([t.month if t is not None else None for t in named], index=text.index, dtype="float")
    )
    ok = y.notna() & m.notna()
    out = pd.Series(pd.NA, index=year.index, dtype="string")
    out[ok] = y[ok].astype(str) + "-" + m[ok].astype(int).astype(str).str.zfill(2)
    return out.where(ok, year.astype("string") + " / " + month.astype("string"))
