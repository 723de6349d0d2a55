"""A plan solved once per cycle: the same inputs read the plan back, any changed input solves again."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_lib.supply import build_plan, solved
from sop_lib.supply import plan as plan_module
from tests.supply.test_supply import KW, flat_draws, tiny_tables


@pytest.fixture
def solves(monkeypatch):
    """Counts the LP solves behind build_plan."""
    count = {"n": 0}
    real = plan_module.plan_production

    def counted(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "plan_production", counted)
    return count


def test_the_same_plan_asked_for_again_is_read_back_not_solved(tmp_path, solves):
    first, ss = build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)
    again, ss2 = build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)  # rebuilt inputs, equal
    assert solves["n"] == 1 and len(list(tmp_path.glob("*.pkl"))) == 1
    pd.testing.assert_frame_equal(first.plan, again.plan)
    pd.testing.assert_frame_equal(ss, ss2)
    assert again.cost_eur == first.cost_eur
    plain, _ = build_plan(flat_draws(400.0), tiny_tables(), **KW)  # without a cache: solved, as before
    pd.testing.assert_frame_equal(plain.plan, first.plan)


def test_a_changed_draw_table_setting_or_code_is_another_plan(tmp_path, solves, monkeypatch):
    build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)
    draws = flat_draws(400.0)
    draws[0, 0, 1] += 1e-9  # one draw, one bit off
    build_plan(draws, tiny_tables(), cache=tmp_path, **KW)
    build_plan(flat_draws(400.0), tiny_tables(workers=9.0), cache=tmp_path, **KW)
    build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **{**KW, "overtime_pct": 0.1})
    assert solves["n"] == 4
    code = tmp_path / "code"
    code.mkdir()
    (code / "plan.py").write_text("x = 1\n")
    monkeypatch.setattr(solved, "CODE", [code])
    build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)
    (code / "plan.py").write_text("x = 2\n")  # the code that builds plans changed: its old plans are not used
    build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)
    assert solves["n"] == 6


def test_an_unreadable_kept_plan_is_solved_again(tmp_path, solves):
    build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)
    (kept,) = tmp_path.glob("*.pkl")
    kept.write_bytes(b"not a pickle")
    res, _ = build_plan(flat_draws(400.0), tiny_tables(), cache=tmp_path, **KW)
    assert solves["n"] == 2 and res.plan["production"].sum() > 0
