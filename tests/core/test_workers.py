"""Independent plans on every core: the same results, in the same order, as a loop."""

from __future__ import annotations

import os
from functools import partial

import pytest

from sop_lib.core import workers
from sop_lib.supply.production import PlanInfeasible


def _square_and_pid(x: int, offset: int = 0) -> tuple[int, int]:
    return x * x + offset, os.getpid()


def _infeasible(_: int) -> None:
    raise PlanInfeasible(["storage limit"], {"storage limit": "120 units"})


def test_each_returns_what_a_loop_returns_in_the_items_order():
    items = [5, 1, 4, 2, 3]
    side = workers.each(partial(_square_and_pid, offset=1), items, workers=2)
    assert [r for r, _ in side] == [x * x + 1 for x in items]
    assert {pid for _, pid in side} != {os.getpid()}  # solved in other processes
    assert workers.each(_square_and_pid, items, workers=1) == [(x * x, os.getpid()) for x in items]


def test_a_plan_that_fails_in_a_worker_fails_with_its_own_message():
    with pytest.raises(PlanInfeasible, match=r"storage limit \(120 units\).*larger storage limit") as err:
        workers.each(_infeasible, [1, 2], workers=2)
    assert err.value.groups == ["storage limit"]


def test_small_companies_plan_in_turn_and_a_setting_wins():
    assert workers.plan_workers(0, workers.PARALLEL_MIN_SKUS - 1) == 1
    assert workers.plan_workers(0, workers.PARALLEL_MIN_SKUS) == workers.usable_cores()
    assert workers.plan_workers(3, 10) == 3
