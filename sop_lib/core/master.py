"""What the product master says of each SKU's value: its list price and unit cost, either of
which a thin master may lack, and the one way every step says what it left out for want of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

PRICE, COST = "list_price_eur", "unit_cost_eur"  # the product master's two value columns (both may be empty)
VALUE_WORDS = {PRICE: "list price", COST: "unit cost"}
LISTED = 5  # SKUs named in a sentence before '... and N more'


def master_values(products: pd.DataFrame) -> dict[str, pd.Series]:
    """The product master's unit cost and list price per SKU (NaN where it has none, or lacks the column)."""
    prod = products.set_index("sku")
    return {
        "unit_cost": prod[COST] if COST in prod else pd.Series(np.nan, index=prod.index, dtype=float),
        "price": prod[PRICE] if PRICE in prod else pd.Series(np.nan, index=prod.index, dtype=float),
    }


def _values(products: pd.DataFrame, column: str) -> pd.Series:
    """One value per SKU of the master (NaN where it is empty, or the column is absent)."""
    prod = products.drop_duplicates("sku").set_index("sku")
    return prod[column].astype(float) if column in prod else pd.Series(np.nan, index=prod.index, dtype=float)


def unvalued(products: pd.DataFrame, columns: str | tuple[str, ...], skus=None) -> tuple[list[str], int]:
    """The SKUs without a value in ``columns`` (`PRICE`, `COST` or both: either missing counts), and how
    many SKUs were looked at: those of ``skus`` (e.g. the plan's) when given, else every SKU of the master."""
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    empty = pd.concat([_values(products, c).isna() for c in columns], axis=1).any(axis=1)
    empty.index = empty.index.astype(str)
    pool = sorted(map(str, empty.index)) if skus is None else sorted(set(map(str, skus)))
    return [s for s in pool if empty.get(s, True)], len(pool)


def listing(skus: list[str], shown: int = LISTED) -> str:
    """'A, B, C, D, E and 7 more'."""
    return ", ".join(skus[:shown]) + (f" and {len(skus) - shown} more" if len(skus) > shown else "")


def left_out_text(subject: str, missing: list[str], n: int, what: str, *, plural: bool = True) -> str | None:
    """'Revenue and margin are not computed: the product master has no list price for any of the 40 SKUs.',
    or with some SKUs valued '... are computed for 28 of 40 SKUs only: the product master has no list price
    for A, B, C, D, E and 7 more.' (None when nothing is missing)."""
    if not missing:
        return None
    verb = "are" if plural else "is"
    if len(missing) >= n:
        return f"{subject} {verb} not computed: the product master has no {what} for any of the {n:,} SKUs."
    return (
        f"{subject} {verb} computed for {n - len(missing):,} of {n:,} SKUs only: the product master has no {what} "
        f"for {listing(missing)}."
    )


def left_out_sentence(
    subject: str, products: pd.DataFrame, columns: str | tuple[str, ...], skus=None, *, plural: bool = True
) -> str | None:
    """What a step could not compute for want of ``columns`` (`unvalued`), said by `left_out_text`
    (None: every SKU has them)."""
    missing, n = unvalued(products, columns, skus)
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    return left_out_text(subject, missing, n, " or ".join(VALUE_WORDS[c] for c in columns), plural=plural)
