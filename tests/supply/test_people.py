"""People: required versus available per role and month, and when hiring must start."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_lib.supply import people
from sop_lib.supply.people import people_check, people_plan

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")

HEADCOUNT = pd.DataFrame(
    {
        "role": ["sales_rep", "sales_rep", "service_agent", "production_worker"],
        "region": ["DACH", "Iberia", "all", "all"],
        "headcount": [2.0, 0.0, 2.0, 3.0],
        "capacity_per_head": [12.0, 12.0, 1300.0, 140.0],
        "hiring_lead_months": [2.0, 3.0, 1.0, 2.0],
    }
)
PIPELINE = pd.DataFrame({"region": ["DACH"] * 30 + ["Iberia"] * 5})
DEMAND = pd.DataFrame({"sku": "A", "month": [JAN, FEB, MAR], "units": [2600.0, 2600.0, 5200.0]})
LINES = pd.DataFrame({"line_id": ["L1"], "workers_per_shift": [3]})
LINE_USE = pd.DataFrame({"line_id": "L1", "month": [JAN, FEB, MAR], "hours": [100.0, 140.0, 210.0]})


def plan() -> pd.DataFrame:
    return people_plan(HEADCOUNT, PIPELINE, DEMAND, LINE_USE, LINES, units_per_order=1.0)


def test_required_people_per_role_and_month():
    p = plan().set_index(["role", "region", "month"]).sort_index()
    # sales: 30 open opportunities / 12 per rep -> 3 reps; Iberia 5 -> 1 rep, nobody there today
    assert p.loc[("sales_rep", "DACH", JAN), "required"] == 3
    assert p.loc[("sales_rep", "DACH", JAN), "gap"] == 1
    assert p.loc[("sales_rep", "Iberia", MAR), "gap"] == 1
    # service: 2,600 orders / 1,300 per agent -> 2 agents; March doubles -> 4
    assert list(p.loc[("service_agent", "all"), "required"]) == [2, 2, 4]
    # production: line hours x crew of 3 / 140 h per worker: 300 -> 3, 420 -> 3, 630 -> 5
    assert list(p.loc[("production_worker", "all"), "workload"]) == pytest.approx([300, 420, 630])
    assert list(p.loc[("production_worker", "all"), "required"]) == [3, 3, 5]
    assert p.loc[("production_worker", "all", MAR), "hire_by"] == JAN


def test_people_check_says_when_hiring_must_start():
    out = people_check(plan(), today=JAN).set_index(["role", "region"])
    workers = out.loc[("production_worker", "all")]
    assert workers["gap"] == 2 and workers["first_short_month"] == MAR
    assert workers["start_hiring_by"] == JAN and workers["status"] == "amber"  # still in time
    agents = out.loc[("service_agent", "all")]
    assert agents["start_hiring_by"] == FEB and agents["status"] == "amber"
    # DACH reps are short already in January with a 2-month lead: too late, the gap will be felt
    assert out.loc[("sales_rep", "DACH"), "status"] == "red"
    assert out.loc[("sales_rep", "DACH"), "start_hiring_by"] == pd.Timestamp("2026-11-01")


def test_enough_people_is_green():
    staffed = HEADCOUNT.assign(headcount=[10.0, 10.0, 10.0, 10.0])
    out = people_check(people_plan(staffed, PIPELINE, DEMAND, LINE_USE, LINES), today=JAN)
    assert (out["status"] == "green").all()
    assert out["start_hiring_by"].isna().all()
    assert (out["gap"] < 0).all()


@pytest.mark.parametrize(
    "required, employed, hires, says",
    [
        (120, 96, 24.4, "The plan hires 24 as soon as the 2-month hiring lead allows and runs short-handed until then."),
        (80, 96, -0.0, "The plan needs no new hires."),
        (120, 96, 0.2, "The plan hires nobody: it covers the peak with overtime or builds stock ahead."),
    ],
)
def test_hiring_sentence_follows_the_numbers(required, employed, hires, says):
    text = people.hiring_sentence(required, employed, hires, 2)
    assert text.endswith(says) and "-0" not in text
