"""The product master's values: which SKUs lack a list price or unit cost, and the one sentence
every step says about what it left out for want of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_lib.core.master import COST, PRICE, left_out_sentence, left_out_text, unvalued


def test_left_out_sentence_names_what_is_missing_for_all_some_or_no_skus():
    products = pd.DataFrame({"sku": ["A", "B", "C"], "list_price_eur": [np.nan, 5.0, np.nan]})
    assert unvalued(products, PRICE) == (["A", "C"], 3)
    assert unvalued(products, PRICE, skus=["B"]) == ([], 1)
    assert unvalued(products.drop(columns="list_price_eur"), (PRICE, COST)) == (["A", "B", "C"], 3)
    assert left_out_sentence("Revenue and margin", products, PRICE) == (
        "Revenue and margin are computed for 1 of 3 SKUs only: the product master has no list price for A, C."
    )
    assert left_out_sentence("Revenue", products, PRICE, skus=["A", "C"], plural=False) == (
        "Revenue is not computed: the product master has no list price for any of the 2 SKUs."
    )
    assert left_out_sentence("Revenue", products, PRICE, skus=["B"]) is None
    many = [f"S{i}" for i in range(8)]
    assert left_out_text("Costs", many, 10, "unit cost").endswith("no unit cost for S0, S1, S2, S3, S4 and 3 more.")
