"""The planning grain: sales rows finer than month x SKU x region summed to it, returns
netted, and every row and unit of each export accounted for on the way."""

from __future__ import annotations

import pandas as pd

from sop_lib.core.contracts import CONTRACTS, QUANTITY_COLUMNS
from sop_lib.core.params import SourceSpec
from sop_lib.data.problems import MAX_ROWS_SHOWN, Problem, _problem, row_label

GRAIN = ["sku", "region", "month"]  # the key of the monthly sales table
RECONCILIATION_COLUMNS = [
    "source",
    "files",
    "rows read",
    "rows refused",
    "refused because",
    "rows handed on",
    "summed over",
    "units read",
    "units returned",
    "units refused",
    "units below zero set to 0",
    "units handed on",
    "unit",
]


def raw_contract(name: str, spec: SourceSpec):
    """The contract a source's rows are checked against before they are summed: without
    the one-row-per-key rule and with negative quantities and revenue allowed (returns)."""
    schema = CONTRACTS[name]
    if not spec.sum_to_month:
        return schema
    relaxed = schema.update_columns({c: {"checks": None} for c in ("units", "net_revenue_eur") if c in schema.columns})
    relaxed.unique = None
    return relaxed


def sum_to_month(name: str, spec: SourceSpec, df: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem], float]:
    """Rows summed to one per month x SKU x region; a month that nets below zero (more
    returned than sold) is a warning with its rows and counts as zero.
    Returns the table, the warnings and the units set to zero."""
    qty = QUANTITY_COLUMNS.get(name, "units")
    sums = [c for c in (qty, "net_revenue_eur") if c in df.columns]
    keyed = df.assign(month=df["month"].dt.to_period("M").dt.to_timestamp())
    keys = [c for c in GRAIN if c in keyed.columns]
    out = keyed.groupby(keys, as_index=False, sort=True)[sums].sum(min_count=1)
    problems: list[Problem] = []
    below = out[qty] < 0
    lifted = float(-out.loc[below, qty].sum())
    if below.any():
        neg = out[below]
        rows = keyed.reset_index().merge(neg[keys], on=keys)["index"].tolist()
        shown = ", ".join(
            f"{r.month:%Y-%m} {r.sku} {r.region}: {getattr(r, qty):,.0f}" for r in neg.head(MAX_ROWS_SHOWN).itertuples()
        )
        problems.append(
            _problem(
                name,
                spec,
                "returns_exceed_sales",
                qty,
                row_label(spec, sorted(rows)),
                f"{int(below.sum())} month(s) net below zero ({shown})",
                "returns within the sales of their month (such a month counts as 0 units; check the booking)",
            )
        )
        out.loc[below, qty] = 0.0
    rest = [c for c in df.columns if c not in keys and c not in sums]
    return out.assign(**{c: pd.NA for c in rest if c in CONTRACTS[name].columns}), problems, lifted


def summed_over(name: str, df: pd.DataFrame) -> list[str]:
    """The columns of the export that summing to the month leaves behind (channel, customer, order...)."""
    ours = set(CONTRACTS[name].columns)
    return [c for c in df.columns if c not in ours]


def quantity(name: str, df: pd.DataFrame) -> float:
    """The source's units (0 for a source without a quantity column or with unreadable numbers)."""
    col = QUANTITY_COLUMNS.get(name)
    if col is None or col not in df.columns:
        return float("nan")
    return float(pd.to_numeric(df[col], errors="coerce").sum())


def returned(name: str, df: pd.DataFrame) -> float:
    """Units booked as negative quantities (returns), as a positive number."""
    col = QUANTITY_COLUMNS.get(name)
    if col is None or col not in df.columns:
        return float("nan")
    return float(-pd.to_numeric(df[col], errors="coerce").clip(upper=0).sum())


def account(
    name: str,
    spec: SourceSpec,
    read: pd.DataFrame,
    kept: pd.DataFrame,
    out: pd.DataFrame,
    lifted: float,
    excluded: pd.DataFrame | None = None,
    reasons: dict[str, int] | None = None,
) -> dict:
    """One line of the reconciliation: files, rows read, refused (and why) and handed on, units in and out.
    ``read`` is the checked table, ``kept`` what references left of it, ``excluded`` the rows left out
    before it, ``reasons`` how many of those were left out for what other than ``exclude`` (a blank line,
    a month not closed yet)."""
    files = spec._origin.files if spec._origin is not None else tuple(spec.paths)
    excluded = read.iloc[0:0] if excluded is None else excluded
    reasons = {why: n for why, n in (reasons or {}).items() if n}
    unknown = len(read) - len(kept)
    by_exclude = len(excluded) - sum(reasons.values())
    why = [f"{by_exclude} by sources.{name}.exclude"] if by_exclude else []
    why += [f"{n} {reason}" for reason, n in reasons.items()]
    why += [f"{unknown} unknown to their master table (warned)"] if unknown else []
    return {
        "source": name,
        "files": len(files) if files else 1,
        "rows read": len(read) + len(excluded),
        "rows refused": len(excluded) + unknown,
        "refused because": "; ".join(why),
        "rows handed on": len(out),
        "summed over": ", ".join(summed_over(name, read)) if spec.sum_to_month else "",
        "units read": quantity(name, read) + (quantity(name, excluded) if len(excluded) else 0.0),
        "units returned": returned(name, read),
        "units refused": (quantity(name, excluded) if len(excluded) else 0.0)
        + (quantity(name, read.loc[read.index.difference(kept.index)]) if unknown else 0.0),
        "units below zero set to 0": lifted,
        "units handed on": quantity(name, out),
        "unit": spec.unit if name in QUANTITY_COLUMNS else "",
    }
