"""First exports in the shapes companies have, from `sop init` to step 1 with no edit:
the monthly table holds the generator's units to the unit, for every shape."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_lib import data
from sop_lib.core.params import load_params
from sop_lib.data import onboarding
from tests.data.export_shapes import SHAPES, expected_monthly, truth_for, write_exports


def monthly_from_init(folder):
    """`sop init` on the folder, then step 1 on its proposal: the monthly table and all findings."""
    path, _ = onboarding.init(folder)
    params = load_params(path)
    loaded = data.load_sources(params)
    blocking = [str(p) for p in loaded.problems if p.severity == "block"]
    assert not blocking, path.read_text() + "\n".join(blocking)
    t = loaded.tables
    return data.monthly_sales(t["sales_history"], t["products"], params.cycle), loaded, params


@pytest.mark.parametrize("seed", [7, 19, 31])  # another company each time: SKUs, codes, levels, families, returns
@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_every_export_shape_reads_back_to_the_generators_units(shape, seed, tmp_path):
    truth = truth_for(shape, seed=seed)
    write_exports(shape, truth, tmp_path / "exports", seed=seed)
    monthly, loaded, params = monthly_from_init(tmp_path / "exports")
    got = monthly.groupby(["sku", "month"], as_index=False)["units"].sum()
    want = expected_monthly(shape, truth)
    both = want.merge(got, on=["sku", "month"], how="outer", suffixes=("_want", "_got")).fillna(0.0)
    wrong = both[both["units_want"] != both["units_got"]]
    assert wrong.empty, wrong.head(10).to_string()
    assert monthly["units"].sum() == truth.sales["units"].sum()
    assert params.cycle == f"{truth.last_month + pd.DateOffset(months=1):%Y-%m}"
    sales = loaded.reconciliation.set_index("source").loc["sales_history"]
    assert sales["units handed on"] == truth.sales["units"].sum()
