"""What the meeting decided, and what stakeholders said: records that outlive the meeting.

After the meeting the planner records each decision in ``decisions/<cycle>.yaml`` beside
the params file (by hand or with ``sop decide``), or in ``decisions/<cycle>.xlsx`` or
``.csv`` with one column per key (`sop_lib.core.entries`; ``sop init`` writes
``decisions/TEMPLATE.xlsx``): an id, the decision, its owner, the month
it is due, its status (open, done, dropped), what it rests on, and optionally the step-4
scenario it adopts. Stakeholders' comments per step go to ``comments/<cycle>.yaml`` (who,
step, text) and are shown, escaped, in that step's report. Both are validated like params.

Next cycle, the actions of every earlier cycle are carried: the latest entry of each id
wins (a later cycle may mark it done), and an open action past its due month is overdue.
A decision that adopts a scenario makes that scenario's supply-side changes part of the
base plan from the next cycle on; nothing else enters the plan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sop_lib.core import handover
from sop_lib.core.entries import SUFFIXES, EntriesError, read_entries
from sop_lib.core.params import MONTH

ADOPTABLE = ("supplier_outage", "line_outage", "capacity_change", "lead_time_change", "hiring_freeze")


class RecordError(ValueError):
    """A decisions or comments file that cannot be used; the message names file, entry and key."""


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    decision: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: str = Field(description="month the action is due, YYYY-MM")
    status: Literal["open", "done", "dropped"] = "open"
    rests_on: str = Field("", description="the scenario or number the decision rests on")
    adopts: str | None = Field(None, description="a step-4 scenario whose changes enter the plan from next cycle")
    expected: dict[str, float] = Field(default_factory=dict, description="the scenario's P50 changes when decided")

    @field_validator("due")
    @classmethod
    def _due(cls, v: str) -> str:
        if not MONTH.fullmatch(str(v)):
            raise ValueError(f"expected YYYY-MM, e.g. 2027-01, got {v!r}")
        return v


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    who: str = Field(min_length=1)
    step: int = Field(ge=1, le=5)
    text: str = Field(min_length=1)


def _record_file(folder: Path, cycle: str) -> Path:
    """The cycle's file in ``folder``: YAML, XLSX or CSV, whichever exists (YAML when none does)."""
    found = [folder / f"{cycle}{s}" for s in SUFFIXES if (folder / f"{cycle}{s}").is_file()]
    if len(found) > 1:
        raise RecordError(f"{folder}: {' and '.join(p.name for p in found)} both hold cycle {cycle}; keep one")
    return found[0] if found else folder / f"{cycle}.yaml"


def decisions_path(base_dir: Path, cycle: str) -> Path:
    return _record_file(Path(base_dir) / "decisions", cycle)


def comments_path(base_dir: Path, cycle: str) -> Path:
    return _record_file(Path(base_dir) / "comments", cycle)


def _read(path: Path, model: type[BaseModel]) -> list:
    """The file's entries (YAML, XLSX or CSV), each validated; every problem in one message."""
    if not path.is_file():
        return []
    try:
        raw = read_entries(path)
    except EntriesError as exc:
        raise RecordError(str(exc)) from None
    out, errors = [], []
    for entry in raw:
        try:
            out.append(model.model_validate(entry.values))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                where = f"{entry.where}, " + (entry.name(loc) if entry.spreadsheet and loc else loc or "(entry)")
                what = (
                    f"unknown {'column' if entry.spreadsheet else 'key'}"
                    if err["type"] == "extra_forbidden"
                    else ("required column is missing or empty" if entry.spreadsheet else "required key is missing")
                    if err["type"] == "missing"
                    else err["msg"]
                )
                errors.append(f"{path}: {where}: {what}")
    ids = [d.id for d in out if isinstance(d, Decision)]
    errors += [f"{path}: id {x!r} is used twice" for x in sorted({x for x in ids if ids.count(x) > 1})]
    if errors:
        raise RecordError("\n".join(errors))
    return out


def load_decisions(base_dir: Path, cycle: str) -> list[Decision]:
    return _read(decisions_path(base_dir, cycle), Decision)


def load_comments(base_dir: Path, cycle: str) -> list[Comment]:
    return _read(comments_path(base_dir, cycle), Comment)


def comments_for(base_dir: Path, cycle: str, step: int) -> pd.DataFrame:
    """The stakeholders' comments on one step of one cycle (who, text)."""
    rows = [(c.who, c.text) for c in load_comments(base_dir, cycle) if c.step == step]
    return pd.DataFrame(rows, columns=["who", "text"])


def earlier_cycles(base_dir: Path, cycle: str) -> list[str]:
    """Cycles before ``cycle`` that have a decisions file, oldest first."""
    folder = Path(base_dir) / "decisions"
    names = sorted({p.stem for p in folder.iterdir() if p.suffix.lower() in SUFFIXES}) if folder.is_dir() else []
    return [c for c in names if MONTH.fullmatch(c) and c < cycle]


def carried_actions(base_dir: Path, cycle: str) -> pd.DataFrame:
    """Every decision taken before ``cycle``, its latest status, and whether it is overdue."""
    latest: dict[str, tuple[str, Decision]] = {}
    for c in earlier_cycles(base_dir, cycle):
        for d in load_decisions(base_dir, c):
            first = latest.get(d.id, (c, d))[0]
            latest[d.id] = (first, d)
    rows = []
    for taken, d in latest.values():
        overdue = d.status == "open" and d.due < cycle
        rows.append(
            {
                "id": d.id,
                "decision": d.decision,
                "owner": d.owner,
                "taken": taken,
                "due": d.due,
                "status": "overdue" if overdue else d.status,
                "adopts": d.adopts or "",
            }
        )
    cols = ["id", "decision", "owner", "taken", "due", "status", "adopts"]
    out = pd.DataFrame(rows, columns=cols)
    order = {"overdue": 0, "open": 1, "done": 2, "dropped": 3}
    return out.sort_values(["status", "due"], key=lambda s: s.map(order) if s.name == "status" else s, kind="stable").reset_index(
        drop=True
    )


def adopted_scenarios(base_dir: Path, cycle: str, reports_root: Path) -> list[dict]:
    """Scenarios adopted by a decision of an earlier cycle, with the cycle and owner.

    The scenario is read as it was defined in the cycle that adopted it (its validated
    params in ``reports/<cycle>/params.json``), so editing today's params cannot change a
    decision already taken. Only supply-side changes can be adopted (`ADOPTABLE`).
    """
    out = []
    for c in earlier_cycles(base_dir, cycle):
        for d in load_decisions(base_dir, c):
            if not d.adopts or d.status == "dropped":
                continue
            params = Path(reports_root) / c / "params.json"
            if not params.is_file():
                raise RecordError(
                    f"{decisions_path(base_dir, c)}: decision {d.id!r} adopts {d.adopts!r}, but cycle {c} "
                    f"has no completed run in {reports_root} to read the scenario from"
                )
            scenarios = json.loads(params.read_text(encoding="utf-8")).get("scenarios", [])
            match = [s for s in scenarios if s["name"] == d.adopts]
            if not match:
                known = ", ".join(s["name"] for s in scenarios) or "none"
                raise RecordError(
                    f"{decisions_path(base_dir, c)}: decision {d.id!r} adopts {d.adopts!r}, which is not a "
                    f"scenario of cycle {c} (its scenarios: {known})"
                )
            kinds = [k for ch in match[0]["changes"] for k, v in ch.items() if v is not None]
            bad = [k for k in kinds if k not in ADOPTABLE]
            if bad:
                raise RecordError(
                    f"{decisions_path(base_dir, c)}: decision {d.id!r} adopts {d.adopts!r}, whose "
                    f"{', '.join(bad)} change cannot enter the plan (adoptable: {', '.join(ADOPTABLE)}; "
                    "demand and price belong in step 2's shocks and the product master)"
                )
            out.append({"scenario": match[0], "cycle": c, "owner": d.owner, "id": d.id})
    return out


def record(base_dir: Path, cycle: str, decision: Decision) -> Path:
    """Append (or replace, by id) one decision in the cycle's file, validated before writing."""
    path = decisions_path(base_dir, cycle)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise RecordError(f"{path}: this cycle's decisions are kept in a spreadsheet; add the decision there as a row")
    existing = [d for d in load_decisions(base_dir, cycle) if d.id != decision.id]
    entries = [d.model_dump(exclude_defaults=True) for d in [*existing, decision]]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")
    tmp.replace(path)
    return path


def expected_effect(cycle_dir: Path, scenario: str) -> dict[str, float]:
    """A scenario's most likely changes against the plan when it was adopted (from step 4's results)."""
    if not handover.has_table(cycle_dir, "scenario_results"):
        raise RecordError(
            f"{handover.table_path(cycle_dir, 'scenario_results')}: not found; a decision can adopt a "
            "scenario only of a completed cycle"
        )
    r = handover.read_table(cycle_dir, "scenario_results")
    names = list(dict.fromkeys(r["scenario"]))
    if scenario not in names[1:]:
        raise RecordError(
            f"{scenario!r} is not a scenario of {Path(cycle_dir).name} (its scenarios: {', '.join(names[1:]) or 'none'})"
        )
    r = r[(r["scenario"] == scenario) & r["delta_p50"].notna()].set_index("metric")
    return {
        m: float(r.loc[m, "delta_p50"])
        for m in ("revenue_eur", "operating_profit_eur", "fill_rate", "customer_months_waiting")
        if m in r.index
    }


def _planned(fin: pd.DataFrame, months: pd.DatetimeIndex) -> float:
    """The revenue a financial plan planned for ``months`` (NaN: that cycle's product master had no list prices)."""
    revenue = fin.loc[pd.to_datetime(fin["month"]).isin(months), "revenue_eur"]
    return float(revenue.sum()) if revenue.empty or revenue.notna().any() else float("nan")


def outcome_review(base_dir: Path, cycle: str, reports_root: Path, sales: pd.DataFrame, waiting_now: int) -> pd.DataFrame:
    """What happened after each decision that carries an expected effect, beside that expectation.

    For every earlier decision with ``expected`` numbers, over the months that have closed
    since the cycle that took it: the revenue that cycle planned for them, the revenue
    actually booked (the sales history), and the customers waiting then and now. It says
    what happened, not what the decision caused: other things changed too.
    """
    rows = []
    last_closed = pd.Timestamp(f"{cycle}-01") - pd.DateOffset(months=1)
    booked = sales.assign(month=pd.to_datetime(sales["month"]).dt.to_period("M").dt.to_timestamp())
    for c in earlier_cycles(base_dir, cycle):
        folder = Path(reports_root) / c
        if not handover.has_table(folder, "financial_plan"):
            continue
        months = pd.date_range(f"{c}-01", last_closed, freq="MS")
        fin = handover.read_table(folder, "financial_plan")
        kpis = handover.read_table(folder, "kpis") if handover.has_table(folder, "kpis") else pd.DataFrame()
        then = dict(zip(kpis.get("metric", []), kpis.get("value", [])))
        for d in load_decisions(base_dir, c):
            if not d.expected or not len(months):
                continue
            rows.append(
                {
                    "id": d.id,
                    "decision": d.decision,
                    "taken": c,
                    "months": f"{months[0]:%Y-%m}" + (f" to {months[-1]:%Y-%m}" if len(months) > 1 else ""),
                    "expected_operating_profit_eur": d.expected.get("operating_profit_eur", float("nan")),
                    "expected_fill_rate_points": 100 * d.expected.get("fill_rate", float("nan")),
                    "planned_revenue_eur": _planned(fin, months),
                    "booked_revenue_eur": float(booked.loc[booked["month"].isin(months), "net_revenue_eur"].sum())
                    if "net_revenue_eur" in booked
                    else float("nan"),
                    "customers_waiting_then": then.get("backlog_customers", float("nan")),
                    "customers_waiting_now": float(waiting_now),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "decision",
            "taken",
            "months",
            "expected_operating_profit_eur",
            "expected_fill_rate_points",
            "planned_revenue_eur",
            "booked_revenue_eur",
            "customers_waiting_then",
            "customers_waiting_now",
        ],
    )
