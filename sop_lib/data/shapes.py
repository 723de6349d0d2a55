"""Export shapes that are not yet a long table: a title above the header, months as columns.

Pure functions on text and frames, shared by the reader (`data.reading`) and by `sop init`,
which detects the same shapes it then writes into the proposal.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

import pandas as pd

# Month names as exports write them (English, German, French, Spanish, Italian, Dutch, Portuguese;
# compared in lower case without accents and a trailing dot), as the English abbreviation strptime reads.
_MONTH_NAMES = (
    ("Jan", "jan january januar jaenner janner janv janvier ene enero gen gennaio januari janeiro"),
    ("Feb", "feb february februar fev fevr fevrier febrero febbraio februari fevereiro"),
    ("Mar", "mar march maerz marz mrz mars marzo maart mrt marco"),
    ("Apr", "apr april avr avril abr abril aprile"),
    ("May", "may mai mayo mag maggio mei maio"),
    ("Jun", "jun june juni juin junio giu giugno junho"),
    ("Jul", "jul july juli juil juillet julio lug luglio julho"),
    ("Aug", "aug august aout ago agosto augustus"),
    ("Sep", "sep sept september septembre septiembre setiembre set settembre setembro"),
    ("Oct", "oct october oktober okt octobre octubre ott ottobre out outubro"),
    ("Nov", "nov november novembre noviembre novembro"),
    ("Dec", "dec december dezember dez decembre dic diciembre dicembre dezembro"),
)
MONTH_WORDS: dict[str, str] = {word: english for english, words in _MONTH_NAMES for word in words.split()}
_WORD = re.compile(r"[^\W\d_]+\.?")  # a word of letters in any script (Mär, févr., août)
_ACCENTS = str.maketrans("äöüéèêëûùôàâáíîóúç", "aoueeeeuuoaaaiiouc")
# Header formats `sop init` tries for a months-as-columns layout (after `month_text`).
MONTH_HEADER_FORMATS = (
    "%b %Y",
    "%b-%y",
    "%b %y",
    "%b-%Y",
    "%b.%Y",
    "%b. %Y",
    "M%m %Y",
    "M%m-%Y",
    "%Y-M%m",
    "%Y-%m",
    "%m.%Y",
    "%m/%Y",
    "%Y/%m",
    "%Y%m",
    "%Y-%m-%d",
    "%d.%m.%Y",
)
MIN_MONTH_COLUMNS = 3  # fewer month-like headers than this is not a wide layout


def month_text(header: object) -> str:
    """A header as text strptime can read: Excel dates as YYYY-MM-DD, month words in English ('Mär 23' -> 'Mar 23')."""
    if isinstance(header, (datetime, pd.Timestamp)):
        return f"{header:%Y-%m-%d}"
    text = str(header).strip()

    def english(m: re.Match) -> str:
        word = m.group(0).rstrip(".").lower()
        return MONTH_WORDS.get(word.translate(_ACCENTS), MONTH_WORDS.get(word, m.group(0)))

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


_YEAR_LIKE = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)|^[^\W\d_]{3,}\.?[\s\-/']\d{2}$")


def unread_month_headers(columns: list, fmt: str) -> list[str]:
    """Headers of a months-as-columns table that look like months (a year in them, or 'Xxx-24')
    but do not read as one in ``fmt``: their quantities would be lost, not summed."""
    months = month_columns(columns, fmt)
    out = []
    for c in columns:
        text = month_text(c)
        if c in months or not _YEAR_LIKE.search(text):
            continue
        if re.search(r"total|summe|gesamt|sum\b|ytd|year|jahr", text, flags=re.I):
            continue  # a year's total column, not a month
        out.append(str(c))
    return out


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


def file_parts(names: list[str]) -> tuple[list[str], str | None]:
    """Where file names differ (sales_north.csv, sales_south.csv -> north, south) and the
    wildcard that reads them all (sales_*.csv); None when they share no prefix or suffix."""
    prefix, suffix = os.path.commonprefix(names), os.path.commonprefix([n[::-1] for n in names])[::-1]
    prefix = prefix[: max(prefix.rfind(ch) for ch in "_- .") + 1] if prefix else ""
    cut = [i for i in (suffix.find(ch) for ch in "_- .") if i >= 0]
    suffix = suffix[min(cut) :] if cut else ""
    parts = [n[len(prefix) : len(n) - len(suffix)] for n in names]
    if not prefix.strip("_- .") or not all(parts) or len(set(parts)) < len(parts):
        return parts, None
    return parts, f"{prefix}*{suffix}"
