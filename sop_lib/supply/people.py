"""People: are there enough sales reps, service agents and production workers, month by month?

    required[role, month] = workload[role, month] / capacity_per_head[role]

* **Sales reps** (per region): workload = open opportunities in the CRM pipeline. The
  pipeline refills as deals close, so today's count is taken as the steady workload
  of every month (pipeline coverage: how many deals one rep can work).
* **Service agents**: workload = orders per month = planned demand in units / units per
  order (from the open orders).
* **Production workers**: workload = worker-hours the production plan needs: line hours
  x crew size (workers per shift), from the LP's labour rows or from line use.

A gap in month m needs hiring to start ``hiring_lead_months`` earlier: hire_by =
m - lead. If that date has passed, the hire is late and the gap will be felt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def worker_hours(line_use: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """Worker-hours per month the lines' planned hours need: hours x workers per shift
    (none when the lines declare no crew size)."""
    if "workers_per_shift" not in lines or line_use.empty:
        return pd.Series(dtype=float)
    crew = lines.set_index("line_id")["workers_per_shift"]
    return (line_use["hours"] * line_use["line_id"].map(crew).fillna(0)).groupby(line_use["month"]).sum()


def people_plan(
    headcount: pd.DataFrame,
    pipeline: pd.DataFrame,
    demand: pd.DataFrame,
    line_use: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    units_per_order: float = 1.0,
) -> pd.DataFrame:
    """Required versus available people per role, region and month, with the hire-by date."""
    months = sorted(demand["month"].unique())
    orders = demand.groupby("month")["units"].sum().reindex(months).fillna(0) / units_per_order
    hours = worker_hours(line_use, lines).reindex(months).fillna(0)
    open_opps = pipeline.groupby("region").size()
    rows = []
    for h in headcount.itertuples(index=False):
        if h.role == "sales_rep":
            opps = open_opps.sum() if h.region == "all" else open_opps.get(h.region, 0)  # 'all' = company-wide
            workload = pd.Series(float(opps), index=months)
        elif h.role == "service_agent":
            workload = orders
        elif h.role == "production_worker":
            workload = hours
        else:
            continue
        for m, w in workload.items():
            rows.append(
                {
                    "role": h.role,
                    "region": h.region,
                    "month": m,
                    "workload": float(w),
                    "required": float(np.ceil(w / h.capacity_per_head - 1e-9)) + 0.0,  # never '-0'
                    "available": float(h.headcount),
                    "hiring_lead_months": float(h.hiring_lead_months),
                    "hire_by": pd.Timestamp(m) - pd.DateOffset(months=int(h.hiring_lead_months)),
                }
            )
    out = pd.DataFrame(
        rows, columns=["role", "region", "month", "workload", "required", "available", "hiring_lead_months", "hire_by"]
    )
    out["gap"] = out["required"] - out["available"]
    return out


def people_check(plan: pd.DataFrame, *, today: pd.Timestamp) -> pd.DataFrame:
    """One row per role and region: peak gap, first short month, and when hiring must start.

    Status: red when the hire-by date of the first short month has passed (the gap will
    be felt), amber when hiring can still start in time, green when nobody is missing.
    """
    today = pd.Timestamp(today)
    rows = []
    for (role, region), g in plan.groupby(["role", "region"], sort=False):
        short = g[g["gap"] > 0]
        first = short["month"].min() if len(short) else pd.NaT
        hire_by = short["hire_by"].min() if len(short) else pd.NaT
        status = "green" if not len(short) else ("red" if hire_by < today else "amber")
        rows.append(
            {
                "role": role,
                "region": region,
                "available": g["available"].iloc[0],
                "required_at_peak": g["required"].max(),
                "gap": float(g["gap"].max()),
                "hiring_lead_months": g["hiring_lead_months"].iloc[0],
                "first_short_month": first,
                "start_hiring_by": hire_by,
                "status": status,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "role",
            "region",
            "available",
            "required_at_peak",
            "gap",
            "hiring_lead_months",
            "first_short_month",
            "start_hiring_by",
            "status",
        ],
    )


def hiring_sentence(required_peak: float, employed: float, hires: float, lead_months: float) -> str:
    """What the production-worker chart says, from the numbers (no hire is 'no hire', never '-0')."""
    text = f"The lines' crews need up to {required_peak:,.0f} production workers a month; {employed:,.0f} are employed. "
    if round(hires) <= 0:
        return text + (
            "The plan needs no new hires."
            if required_peak <= employed
            else "The plan hires nobody: it covers the peak with overtime or builds stock ahead."
        )
    return text + (
        f"The plan hires {hires:,.0f} as soon as the {lead_months:.0f}-month hiring lead allows"
        f"{' and runs short-handed until then' if required_peak > employed else ''}."
    )


def check_staffing(
    headcount: pd.DataFrame,
    pipeline: pd.DataFrame,
    demand: pd.DataFrame,
    line_use: pd.DataFrame,
    lines: pd.DataFrame | None = None,
    *,
    units_per_order: float = 1.0,
    today: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Required versus available people per role and region (peak over the horizon), with hire-by dates.

    `people_plan` gives the month-by-month table; this is its summary (`people_check`).
    Without ``lines`` (crew sizes) a production worker is counted per line hour.
    """
    if lines is None:
        lines = pd.DataFrame({"line_id": line_use["line_id"].unique(), "workers_per_shift": 1})
    plan = people_plan(headcount, pipeline, demand, line_use, lines, units_per_order=units_per_order)
    today = pd.Timestamp(today) if today is not None else pd.Timestamp(min(demand["month"]))
    return people_check(plan, today=today)
