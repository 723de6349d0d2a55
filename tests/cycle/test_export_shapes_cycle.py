"""Three first exports in shapes nobody described, through `sop init` and a whole `sop run`
with no edit to the proposal: every step completes, and step 1's report accounts for every unit.

Each runs the proposal with the ets model by MAP for that run (``sop run --set``, not an edit of
the file): which model a family takes does not depend on the export's shape, and every step still
runs on that shape's data, at a third of the time. The proposal's own ``model: auto`` (both
models, NUTS inside its budget) runs on a first export in the README walkthrough's test
(tests/cycle/test_own_data.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.data.export_shapes import SHAPES, WHOLE_CYCLE, expected_monthly, truth_for, write_exports

BY_NAME = {s.name: s for s in SHAPES}


def _sop(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["sop", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("name", WHOLE_CYCLE)
def test_a_first_export_runs_the_whole_cycle_with_no_edit(name, tmp_path):
    shape = BY_NAME[name]
    truth = truth_for(shape, seed=5, n_sku=5)
    write_exports(shape, truth, tmp_path / "exports")
    init = _sop("init", "exports", cwd=tmp_path)
    assert init.returncode == 0 and "0 blocking problem(s)" in init.stdout, init.stdout + init.stderr
    assert "Next: sop run --params exports/params.yaml" in init.stdout
    fast = ["--set", "demand.model=ets", "--set", "demand.method=map"]
    run = _sop("run", "--params", "exports/params.yaml", "--reports", "reports", "--quiet", *fast, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    cycle = tmp_path / "reports" / f"{truth.last_month + pd.DateOffset(months=1):%Y-%m}"
    assert all(
        (cycle / f"0{i}_{n}.html").exists()
        for i, n in enumerate(
            ["data_preparation", "demand_planning", "supply_planning", "pre_sop_reconciliation", "executive_review"], start=1
        )
    )
    monthly = pd.read_parquet(cycle / "artifacts" / "sales_monthly.parquet")
    got = monthly.groupby(["sku", "month"], as_index=False)["units"].sum()
    want = expected_monthly(shape, truth)
    assert got["units"].sum() == want["units"].sum()
    assert got.merge(want, on=["sku", "month"], suffixes=("", "_want")).eval("units == units_want").all()
    step1 = (cycle / "01_data_preparation.html").read_text(encoding="utf-8")
    assert "every unit is accounted for" in step1
