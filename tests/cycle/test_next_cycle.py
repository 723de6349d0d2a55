"""The monthly loop: a cycle's decisions and comments are recorded, and the next cycle opens
with them: adopted scenarios in the plan, actions carried with their status, KPI cards with
the change since last cycle. Runs the demo for 2026-11 and 2026-12 with the fast ets model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sop_lib.batch import cli
from sop_lib.core.handover import artifacts_dir
from sop_lib.executive import records as decisions

ROOT = Path(__file__).resolve().parents[2]
SHIFT = "Extra Saturday shift on assembly A"


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loop")
    params = yaml.safe_load((ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    params["data"]["folder"] = str(tmp / "demo")
    # the loop, not the model choice, is under test: one fast model (the pipeline test runs the default)
    params["demand"].update(model="ets", method="map", draws=50, tune=50, overrides=None)
    pfile = tmp / "params" / "run.yaml"
    pfile.parent.mkdir()
    pfile.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    reports = tmp / "reports"
    run = ["run", "--params", str(pfile), "--reports", str(reports), "--quiet"]
    assert cli.main([*run, "--cycle", "2026-11"]) == 0
    # the meeting decides: adopt the extra shift; a second action is already late next month
    assert (
        cli.main(
            [
                "decide",
                "--params",
                str(pfile),
                "--reports",
                str(reports),
                "--cycle",
                "2026-11",
                "--decision",
                "Run the Saturday shift on assembly A",
                "--owner",
                "Head of operations",
                "--adopts",
                SHIFT,
            ]
        )
        == 0
    )
    assert (
        cli.main(
            [
                "decide",
                "--params",
                str(pfile),
                "--cycle",
                "2026-11",
                "--id",
                "D2",
                "--due",
                "2026-11",
                "--decision",
                "Qualify a second heating-element source",
                "--owner",
                "Procurement",
            ]
        )
        == 0
    )
    (tmp / "params" / "comments").mkdir()
    (tmp / "params" / "comments" / "2026-12.yaml").write_text(
        yaml.safe_dump(
            [{"who": "CFO <script>x</script>", "step": 5, "text": "Check the shift's cost against the budget & margin."}]
        )
    )
    assert cli.main([*run, "--cycle", "2026-12"]) == 0
    return {"params": pfile, "reports": reports, "tmp": tmp}


def html(loop, cycle: str, stem: str) -> str:
    return (loop["reports"] / cycle / f"{stem}.html").read_text(encoding="utf-8")


def test_sop_decide_records_the_scenarios_expected_effect(loop):
    taken = decisions.load_decisions(loop["params"].parent, "2026-11")
    d1 = next(d for d in taken if d.id == "D1")
    assert d1.adopts == SHIFT and d1.status == "open" and d1.due == "2026-12"
    results = pd.read_parquet(artifacts_dir(loop["reports"] / "2026-11") / "scenario_results.parquet")
    r = results[(results["scenario"] == SHIFT) & (results["metric"] == "operating_profit_eur")].iloc[0]
    assert d1.expected["operating_profit_eur"] == pytest.approx(r["delta_p50"])


def test_the_adopted_shift_is_capacity_next_month(loop):
    lines = pd.read_parquet(artifacts_dir(loop["reports"] / "2026-12") / "line_use.parquet")
    l1 = lines[lines["line_id"] == "L1"].set_index("month")["capacity"]
    assert l1.loc[pd.Timestamp("2026-12-01")] == 720 and l1.loc[pd.Timestamp("2027-04-01")] == 600
    assert "In the plan by decision D1 of 2026-11 (Head of operations)" in html(loop, "2026-12", "03_supply_planning")
    assert "adopted on 2026-11 by Head of operations" in html(loop, "2026-12", "04_pre_sop_reconciliation")
    before = pd.read_parquet(artifacts_dir(loop["reports"] / "2026-11") / "line_use.parquet")
    assert before[before["line_id"] == "L1"]["capacity"].max() == 600  # nothing enters a plan before it is decided


def test_next_cycle_opens_with_the_actions_and_the_change_since_last_cycle(loop):
    actions = pd.read_parquet(artifacts_dir(loop["reports"] / "2026-12") / "actions.parquet")
    status = actions.set_index("id")["status"]
    assert status["D2"] == "overdue" and status["D1"] == "open"
    page = html(loop, "2026-12", "05_executive_review")
    assert "Overdue since 2026-11: Qualify a second heating-element source" in page
    assert page.count("since 2026-11") >= 6  # every KPI card
    assert "first cycle" in html(loop, "2026-11", "05_executive_review")
    assert "CFO &lt;script&gt;x&lt;/script&gt;:" in page and "budget &amp; margin" in page
    outcome = pd.read_parquet(artifacts_dir(loop["reports"] / "2026-12") / "decision_outcomes.parquet")
    d1 = outcome.set_index("id").loc["D1"]  # the adopted shift: expectation beside what happened in November
    assert d1["months"] == "2026-11" and d1["planned_revenue_eur"] > 0 and d1["booked_revenue_eur"] > 0
    assert d1["customers_waiting_then"] == 4000 and "D2" not in outcome["id"].values  # D2 rested on no scenario
    assert "not the decisions' effect" in page
    change = pd.read_parquet(artifacts_dir(loop["reports"] / "2026-12") / "plan_change.parquet")
    assert change["eur"].iloc[0] + change["eur"].iloc[1:-1].sum() == pytest.approx(change["eur"].iloc[-1])
    assert "The plan for the months both cycles cover moved from" in page
    assert "First cycle: there is no earlier plan to compare with." in html(loop, "2026-11", "05_executive_review")
    cycles = (loop["reports"] / "index.html").read_text(encoding="utf-8")  # every cycle, newest first
    assert cycles.index('href="2026-12/index.html"') < cycles.index('href="2026-11/index.html"')
    assert cycles.count("<svg") == 3 and "in 2026-11" in cycles


def test_bad_decision_files_say_which_entry_and_key(tmp_path):
    folder = tmp_path / "decisions"
    folder.mkdir()
    (folder / "2026-11.yaml").write_text(yaml.safe_dump([{"id": "D1", "decision": "x", "due": "Jan", "colour": "red"}]))
    with pytest.raises(decisions.RecordError) as info:
        decisions.load_decisions(tmp_path, "2026-11")
    msg = str(info.value)
    assert "entry 1, owner: required key is missing" in msg and "entry 1, due:" in msg and "colour: unknown key" in msg
    with pytest.raises(SystemExit) as exit_:
        cli.main(
            ["decide", "--params", str(ROOT / "params" / "default.yaml"), "--cycle", "2026-13", "--decision", "x", "--owner", "y"]
        )
    assert exit_.value.code == 2


def test_an_adopted_scenario_must_exist_and_be_supply_side(loop, tmp_path):
    base = tmp_path / "p"
    shutil.copytree(loop["params"].parent / "decisions", base / "decisions")
    decisions.record(
        base, "2026-11", decisions.Decision(id="D9", decision="x", owner="y", due="2027-01", adopts="Nordic levy bites harder")
    )
    with pytest.raises(decisions.RecordError, match="demand_change change cannot enter the plan"):
        decisions.adopted_scenarios(base, "2026-12", loop["reports"])
    decisions.record(
        base, "2026-11", decisions.Decision(id="D9", decision="x", owner="y", due="2027-01", adopts="No such scenario")
    )
    with pytest.raises(decisions.RecordError, match="not a scenario of cycle 2026-11"):
        decisions.adopted_scenarios(base, "2026-12", loop["reports"])
