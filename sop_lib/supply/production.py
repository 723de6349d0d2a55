"""The production plan: a linear programme that says what to make, when, and what it costs.

Decision variables, per SKU s and month t (all >= 0)
----------------------------------------------------
p[s,t] produced, i[s,t] in stock at month end, b[s,t] backordered (customers waiting) at
month end, u[s,t] units below safety stock; per line l: o[l,t] overtime hours; and, when
labour is modelled, h[t] production workers hired on top of today's headcount.

Objective, in euros (every weight is a parameter a planner can read)
--------------------------------------------------------------------
    sum  holding * i  +  waiting * b  +  below * u  +  overtime_cost * o  +  worker_cost * h

holding = unit cost x annual holding rate / 12; waiting = lateness share of price per
month (+ 1 EUR so that no waiting is ever free); a customer still waiting at the end of
the horizon also costs the stockout share of price (treated as a lost sale); below =
half a month's holding plus ``below_safety_pct`` (`BELOW_SAFETY_PCT`, 8 %) of price per unit
under safety stock. The safety row is on net stock (in stock minus waiting), so stock held back
while customers wait never counts as a buffer; a waiting unit is then also below safety stock,
and its waiting weight is lowered by ``below`` so that it still costs the lateness in all. (With
the row on gross stock a firmer target lost in `sop backtest`: the plan held stock back from
waiting customers. On net stock, 8 % was chosen on the replay's validation years,
docs/plan-quality.md.)

Planned against the demand draws (``shortage``: `inventory.shortage_cuts`, step 3 and the
replay for a cycle service target), u[s,t] is instead the expected month-end backlog over the
draws, held above the tangents of that convex curve of the net stock, and weighed at
holding / (0.75 x (1 - target)) (`SHORTAGE_MARGIN`): where the lines have room the plan stops
between the target quantile and halfway from it to 1 of the demand to each month's end; where
they do not, a unit for customers who wait for certain saves more than one more unit of another
product's buffer that is needed only in the tail, so waiting customers are served first. A
product nothing limits (bought without a supplier capacity, no warehouse limit) competes with
none and is weighed at `FREE_MARGIN` with the draws' fine cuts: its plan stops on the target.

Constraints
-----------
* balance     i[s,t] - b[s,t] = i[s,t-1] - b[s,t-1] + p[s,t] - d[s,t]   (start: on hand - backlog)
* line hours  sum_s hours_per_unit * p[s,t] <= hours[l] + o[l,t],  o[l,t] <= overtime_pct * hours[l]
* minimum     sum_s hours_per_unit * p[s,t] >= min_line_hours_pct * hours[l]   (optional: a run-rate commitment)
* components  sum_s qty_per_unit * p[s,t] <= supplier capacity; inside the supplier's lead time
              nothing new can arrive, so only what is on order counts (by default: the
              capacity already booked, times the supplier's on-time rate). Without orders on
              file every month gets that first month's supply: a plan is re-made monthly, so
              each month is made when it is the first one, and a plan that counted on the
              full capacity later would find less than it built its stock on (the replay
              measured it: plans that stopped building ahead of a capacity-bound peak)
* labour      sum_s workers_per_shift * hours_per_unit * p[s,t] <= hours_per_worker * (workers + h[t]) * (1 + overtime_pct),
              h[t] = 0 before the hiring lead time, h never falls (hired people stay)
* storage     sum_s i[s,t] <= storage limit (finished units)
* safety      i[s,t] - b[s,t] + u[s,t] >= safety stock[s,t]   (net stock; soft: u is penalised), or
              u[s,t] >= expected_short_k - chance_short_k * (i[s,t] - b[s,t] - net_k) per cut k, held as
              the segments between the tangents' corners: i - b = first corner - below + sum(along),
              each segment a column bounded by its length, u read off them (`_shortage_curves`)

Solved by HiGHS; both methods return a vertex solution with its dual values. With a safety-stock
row per SKU and month (a fill-rate target, the replay's naive policy) by the interior-point
method with crossover: on `make bench`'s LP (1,000 SKUs with labour and storage rows) 3.4 s
against the dual simplex's 11 s. Against the shortage curves by the dual simplex: step 3's plan of
the 1,000 x 3 company took 1.8 s against the interior point's 8.1 s. With a row per tangent (nine
per SKU and month, before the segments) it took 9.0 s, the same cost to 14 digits (docs/scale.md). Where
the LP has several cheapest plans the two methods may return different ones, at the same cost.

Dual values of the inequality rows are what one more unit of each resource would save:
`bottlenecks` turns them into sentences. When the hard constraints contradict each
other (a minimum run rate that fills a too-small warehouse), `plan_production` raises
`PlanInfeasible` naming the smallest set of constraint groups that conflict, found by
dropping one group at a time (a deletion filter over groups).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from sop_lib.supply.inventory import DAYS_PER_MONTH

BELOW_SAFETY_PCT = 0.08  # per unit-month under safety stock, share of price (chosen with `sop backtest`)

# The expected-backlog weight w = holding / (margin x (1 - target)): one more unit at the target
# quantile saves w x (1 - target) = holding / margin > holding, one at the cut halfway to 1 saves
# less than its holding, so the plan stops between the two (a weight of exactly holding / (1 - target)
# leaves it indifferent along the target's tangent and it may stop below the target)
SHORTAGE_MARGIN = 0.75
# A product nothing limits (no line, no component with a capacity, no warehouse limit) competes with
# no other for supply, so the reason for the margin is gone: its weight puts it between the target
# and the fine cut a tenth of the way to 1 (`inventory.FINE_STEP`), on the target. Chosen on the
# wholesaler's replay, which buys freely: 0.75 planned to 97% and reached 98.4% (docs/plan-quality.md)
FREE_MARGIN = 0.95

# constraint groups that can make a plan infeasible, with the knob that relaxes each
GROUP_HINTS = {
    "line hours": "more overtime (overtime_pct) or a faster routing",
    "minimum line hours": "a lower minimum run rate (min_line_hours_pct)",
    "component supply": "more supplier capacity or components on order",
    "labour": "more production workers, overtime or earlier hiring",
    "storage limit": "a larger storage limit (supply.storage_limit_units)",
}


class PlanInfeasible(ValueError):
    """No plan satisfies the hard constraints; ``groups`` are the ones that conflict."""

    def __init__(self, groups: list[str], details: dict[str, str]):
        self.groups, self.details = groups, details
        names = "; ".join(f"{g} ({details.get(g, '')})" if details.get(g) else g for g in groups)
        fixes = "; or ".join(GROUP_HINTS.get(g, g) for g in groups)
        lead = "this constraint cannot hold" if len(groups) == 1 else "these constraints cannot all hold together"
        super().__init__(f"The production plan is infeasible: {lead}: {names}. Relax it with {fixes}.")

    def __reduce__(self):  # a plan solved in a worker process (`core.workers`) sends it back pickled
        return PlanInfeasible, (self.groups, self.details)


@dataclass
class PlanResult:
    plan: pd.DataFrame  # sku, month, demand, production, inventory, backorders, below_safety
    line_use: pd.DataFrame  # line_id, month, hours, capacity, overtime_hours, shadow_price_eur_per_hour
    components: pd.DataFrame  # component, supplier_id, month, used, capacity, shadow_price
    cost_eur: float
    status: str
    constraints: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # every limit: group, label, month, used, limit, shadow_price, unit
    labour: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # month, worker_hours, available_hours, workers_needed, new_workers, shadow_price_eur_per_hour
    costs: dict = field(default_factory=dict)  # euros per objective term
    valuation: str | None = None  # the stand-ins for prices or costs the master lacks, in a sentence (`supply.planning_values`)
    stock_targets: pd.DataFrame | None = None  # sku, month, safety_stock: the targets the plan was built to (`build_plan`)


@dataclass
class _LP:
    c: np.ndarray
    A_ub: sparse.csr_matrix
    b_ub: np.ndarray
    A_eq: sparse.csr_matrix
    b_eq: np.ndarray
    bounds: list
    rows: pd.DataFrame  # per inequality row: group, kind, name, label, month, unit


def _grid(demand: pd.DataFrame) -> tuple[list, list, np.ndarray]:
    skus = sorted(demand["sku"].unique())
    months = sorted(demand["month"].unique())
    D = (
        demand.pivot_table(index="sku", columns="month", values="units", aggfunc="sum")
        .reindex(index=skus, columns=months)
        .fillna(0)
        .to_numpy()
    )
    return skus, months, D


def _safety_grid(safety: pd.Series | pd.DataFrame, skus: list, months: list) -> np.ndarray:
    """Safety stock as an (sku, month) array: one level per SKU (a Series), or a target per SKU and
    month (sku, month, safety_stock; months past the last target keep it)."""
    if isinstance(safety, pd.Series):
        return np.repeat(safety.reindex(skus).fillna(0).to_numpy(float)[:, None], len(months), axis=1)
    grid = safety.pivot_table(index="sku", columns="month", values="safety_stock", aggfunc="sum")
    return grid.reindex(index=skus, columns=pd.DatetimeIndex(months)).ffill(axis=1).fillna(0.0).to_numpy(float)


def _safety_rows(ss: np.ndarray, I: int, B: int, U: int, n: int) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """i - b + u >= safety stock per (sku, month), on net stock: stock held back while customers
    wait never counts as a buffer."""
    nsv = ss.size
    st = np.arange(nsv)
    rows = sparse.csr_matrix(
        (
            np.concatenate([-np.ones(nsv), np.ones(nsv), -np.ones(nsv)]),
            (np.tile(st, 3), np.concatenate([I + st, B + st, U + st])),
        ),
        shape=(nsv, n),
    )
    return rows, -ss.ravel(), st


@dataclass
class _Curves:
    """The expected month-end backlog of each SKU and month as a convex curve of its net stock, in
    segments: net = start - below + sum(along), backlog = level + slope . (below, along)."""

    at: np.ndarray  # per curve: s * T + t
    start: np.ndarray  # per curve: net stock at its first corner
    level: np.ndarray  # per curve: expected backlog there
    curve: np.ndarray  # per segment column: its curve
    slope: np.ndarray  # per segment column: backlog per unit of the column (+ below the first corner, - above it)
    sign: np.ndarray  # per segment column: -1 for the one below the first corner, +1 for the others
    width: np.ndarray  # per segment column: its length in units (inf: open-ended)

    def backlog(self, x: np.ndarray) -> np.ndarray:
        """Per curve: the expected backlog at the plan's segment values ``x``."""
        return self.level + np.bincount(self.curve, weights=self.slope * x, minlength=len(self.at))


def _shortage_curves(cuts: pd.DataFrame, skus: list, months: list, free: np.ndarray) -> _Curves:
    """Each SKU and month's tangents of its expected-backlog curve (`inventory.shortage_cuts`; the
    ``fine`` ones only for the ``free`` products), with zero closing them, as the segments between
    their corners.

    Every tangent touches the draws' curve at its cut, so sorted by cut (the steeper slope first at a
    shared one) each holds the curve between the corners with its neighbours. A segment is a column
    bounded by its length, not a row per tangent: at 10,000 x 3 SKUs the tangents were 972,239 rows
    of a 1,080,251-row LP that the dual simplex took 18.6 minutes on."""
    T = len(months)
    pos = {s: k for k, s in enumerate(skus)}
    when = {pd.Timestamp(m): t for t, m in enumerate(months)}
    c = cuts[cuts["sku"].isin(pos) & pd.to_datetime(cuts["month"]).isin(when)]
    if "fine" in c:
        c = c[~c["fine"].to_numpy(bool) | free[c["sku"].map(pos).to_numpy()]]
    at = c["sku"].map(pos).to_numpy() * T + pd.to_datetime(c["month"]).map(when).to_numpy()
    chance = c["chance_short"].to_numpy(float)
    net = c["net"].to_numpy(float)
    curves = np.unique(at)
    if not len(curves):  # no draws to plan against: u stays 0
        none = np.zeros(0)
        return _Curves(at=curves, start=none, level=none, curve=curves, slope=none, sign=none, width=none)
    # tangent: backlog = a - chance * net; the zero line (no backlog) closes every curve on the right
    at = np.concatenate([at, curves])
    net = np.concatenate([net, np.full(len(curves), np.inf)])
    a = np.concatenate([c["expected_short"].to_numpy(float) + chance * c["net"].to_numpy(float), np.zeros(len(curves))])
    chance = np.concatenate([chance, np.zeros(len(curves))])
    order = np.lexsort((-chance, net, at))
    at, net, a, chance = at[order], net[order], a[order], chance[order]
    pair = np.flatnonzero(at[1:] == at[:-1])  # line k meets line k + 1 at a corner
    drop = chance[pair] - chance[pair + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        corner = np.where(drop > 1e-12, (a[pair] - a[pair + 1]) / drop, net[pair])
    corner = np.clip(corner, net[pair], net[pair + 1])
    first = np.r_[True, at[pair[1:]] != at[pair[:-1]]]  # the curve's first corner
    last = np.r_[at[pair[1:]] != at[pair[:-1]], True]
    width = np.where(last, np.inf, np.r_[corner[1:], 0.0] - corner)
    idx = np.searchsorted(curves, at[pair])
    head = pair[first]
    keep = width > 0
    return _Curves(
        at=curves,
        start=corner[first],
        level=a[head] - chance[head] * corner[first],
        curve=np.concatenate([idx[first], idx[keep]]),
        slope=np.concatenate([chance[head], -chance[pair + 1][keep]]),
        sign=np.concatenate([-np.ones(first.sum()), np.ones(keep.sum())]),
        width=np.concatenate([np.full(first.sum(), np.inf), width[keep]]),
    )


def _unlimited(
    skus: list, routings: pd.DataFrame, bom: pd.DataFrame, suppliers: pd.DataFrame, outages, storage_limit
) -> np.ndarray:
    """Per SKU: does nothing limit how much of it can be had (no line, no component whose supplier
    declares a capacity or an outage, no warehouse limit)?"""
    if storage_limit is not None:
        return np.zeros(len(skus), bool)
    limited = set(routings["sku"])
    capacity = suppliers.set_index("supplier_id")["capacity_units_per_month"] if "capacity_units_per_month" in suppliers else None
    down = set(outages["supplier_id"].dropna()) if outages is not None and len(outages) else set()
    for sku, sid in bom[["sku", "supplier_id"]].itertuples(index=False):
        if sid in down or (capacity is not None and pd.notna(capacity.get(sid, np.nan))):
            limited.add(sku)
    return np.array([s not in limited for s in skus])


def _frozen_share(lead_days: float, T: int) -> np.ndarray:
    """Share of each month that orders placed today can still reach: clip(t + 1 - lead, 0, 1)."""
    lead = lead_days / DAYS_PER_MONTH
    return np.clip(np.arange(1, T + 1) - lead, 0.0, 1.0)


def plan_production(
    demand: pd.DataFrame,
    *,
    on_hand: pd.Series,
    backlog: pd.Series,
    safety: pd.Series,
    routings: pd.DataFrame,
    lines: pd.DataFrame,
    bom: pd.DataFrame,
    suppliers: pd.DataFrame,
    unit_cost: pd.Series,
    price: pd.Series,
    holding_pct_year: float = 0.22,
    overtime_pct: float = 0.1,
    overtime_cost: float = 58.0,
    lateness_pct: float = 0.08,
    stockout_pct: float = 0.30,
    storage_limit: float | None = None,
    min_line_hours_pct: float = 0.0,
    workers: float | None = None,
    hours_per_worker: float = 140.0,
    hiring_lead_months: int = 2,
    worker_cost_eur_per_month: float = 4000.0,
    on_order: pd.DataFrame | None = None,
    line_hours: pd.DataFrame | None = None,
    outages: pd.DataFrame | None = None,
    priority: pd.Series | None = None,
    hiring_frozen: list | None = None,
    below_safety_pct: float = BELOW_SAFETY_PCT,
    shortage: pd.DataFrame | None = None,
    service_level: float = 0.95,
) -> PlanResult:
    """Cheapest production plan; ``demand`` has columns sku, month, units.

    ``workers`` (production headcount) switches the labour constraint on; ``lines`` then
    needs ``workers_per_shift``. ``on_order`` (component, month, qty) replaces the default
    assumption about components inside the supplier lead time. What-if scenarios change
    the inputs, never the model: ``line_hours`` (line_id, month, hours) replaces a line's
    regular hours in those months (overtime scales with them), ``outages`` (supplier_id,
    month) lets nothing arrive from that supplier in that month, except a component named
    in a row with ``component`` set (supplier_id empty): a second source delivers it then. ``priority`` (sku ->
    multiplier of its waiting cost) decides who gets scarce units (`supply.priority_weights`);
    in the ``hiring_frozen`` months no production worker is hired.
    """
    lp, meta = _build(
        demand,
        on_hand=on_hand,
        backlog=backlog,
        safety=safety,
        routings=routings,
        lines=lines,
        bom=bom,
        suppliers=suppliers,
        unit_cost=unit_cost,
        price=price,
        holding_pct_year=holding_pct_year,
        overtime_pct=overtime_pct,
        overtime_cost=overtime_cost,
        lateness_pct=lateness_pct,
        stockout_pct=stockout_pct,
        storage_limit=storage_limit,
        min_line_hours_pct=min_line_hours_pct,
        workers=workers,
        hours_per_worker=hours_per_worker,
        hiring_lead_months=hiring_lead_months,
        worker_cost=worker_cost_eur_per_month,
        on_order=on_order,
        line_hours=line_hours,
        outages=outages,
        priority=priority,
        hiring_frozen=hiring_frozen,
        below_safety_pct=below_safety_pct,
        shortage=shortage,
        service_level=service_level,
    )
    res = linprog(lp.c, A_ub=lp.A_ub, b_ub=lp.b_ub, A_eq=lp.A_eq, b_eq=lp.b_eq, bounds=lp.bounds, method=_method(shortage))
    if res.status == 2:
        groups = conflicting_groups(lp)
        raise PlanInfeasible(groups, meta["details"])
    if res.status != 0:
        raise RuntimeError(f"production plan could not be solved: {res.message}")
    return _result(lp, res, meta)


def _method(shortage: pd.DataFrame | None) -> str:
    """HiGHS's dual simplex for a plan against the draws' shortage cuts, its interior-point method
    (with crossover) for one with a safety-stock row per SKU and month (module docstring)."""
    return "highs-ds" if shortage is not None else "highs-ipm"


def _build(
    demand: pd.DataFrame,
    *,
    on_hand,
    backlog,
    safety,
    routings,
    lines,
    bom,
    suppliers,
    unit_cost,
    price,
    holding_pct_year,
    overtime_pct,
    overtime_cost,
    lateness_pct,
    stockout_pct,
    storage_limit,
    min_line_hours_pct,
    workers,
    hours_per_worker,
    hiring_lead_months,
    worker_cost,
    on_order,
    line_hours=None,
    outages=None,
    priority=None,
    hiring_frozen=None,
    below_safety_pct: float = BELOW_SAFETY_PCT,
    shortage: pd.DataFrame | None = None,
    service_level: float = 0.95,
) -> tuple[_LP, dict]:
    skus, months, D = _grid(demand)
    S, T = len(skus), len(months)
    sku_pos = {s: k for k, s in enumerate(skus)}
    line_ids = list(lines["line_id"])
    L = len(line_ids)
    labour = workers is not None
    frozen = {pd.Timestamp(m) for m in (hiring_frozen or [])}  # months without new hires
    nsv = S * T
    P, I, B, U, O = 0, nsv, 2 * nsv, 3 * nsv, 4 * nsv
    H = O + L * T
    n = H + (T if labour else 0)
    st = np.arange(nsv)  # s * T + t for every (s, t)
    s_of, t_of = st // T, st % T

    px = price.reindex(skus).fillna(0).to_numpy()
    hold = unit_cost.reindex(skus).fillna(0).to_numpy() * holding_pct_year / 12
    late = lateness_pct * px + 1.0
    if priority is not None:  # who is served first when units are scarce
        weight = priority.reindex(skus).fillna(1.0).to_numpy(float)
        late, stockout_w = late * weight, stockout_pct * px * weight
    else:
        stockout_w = stockout_pct * px
    if shortage is None:
        below = 0.5 * hold + below_safety_pct * px
        shifted = np.minimum(below, late)  # a waiting unit is also below safety stock: that part of its lateness
    else:  # U is the expected month-end backlog over the draws, weighed so that holding stops at the target quantile
        free = _unlimited(skus, routings, bom, suppliers, outages, storage_limit)
        margin = np.where(free, FREE_MARGIN, SHORTAGE_MARGIN)
        below = np.maximum(hold, 1e-6) / (margin * (1 - service_level))
        shifted = np.zeros(S)
    c = np.zeros(n)
    c[P : P + nsv] = 1e-3  # tie-breaker: do not produce for nothing
    c[I : I + nsv] = hold[s_of]
    c[B : B + nsv] = (late - shifted)[s_of] + np.where(t_of == T - 1, stockout_w[s_of], 0.0)
    c[U : U + nsv] = below[s_of]
    c[O:H] = overtime_cost
    if labour:
        c[H:] = worker_cost

    # balance equations
    start = on_hand.reindex(skus).fillna(0).to_numpy() - backlog.reindex(skus).fillna(0).to_numpy()
    prev = st[t_of > 0]
    r_eq = np.concatenate([st, st, st, prev, prev])
    c_eq = np.concatenate([I + st, B + st, P + st, I + prev - 1, B + prev - 1])
    v_eq = np.concatenate([np.ones(nsv), -np.ones(nsv), -np.ones(nsv), -np.ones(len(prev)), np.ones(len(prev))])
    A_eq = sparse.csr_matrix((v_eq, (r_eq, c_eq)), shape=(nsv, n))
    b_eq = -D.ravel() + np.where(t_of == 0, start[s_of], 0.0)

    rows, cols, vals, rhs, meta_rows = [], [], [], [], []
    details: dict[str, str] = {}

    def add_block(
        skus_coef: dict[int, float], extra: list[tuple[int, float]] | None, limit: float, t: int, info: tuple, block: int = P
    ) -> None:
        """One inequality row: sum over SKUs of coef * block[s, t] + extra terms <= limit."""
        r = len(rhs)
        for s, a in skus_coef.items():
            rows.append(r)
            cols.append(block + s * T + t)
            vals.append(a)
        for col, a in extra or []:
            rows.append(r)
            cols.append(col)
            vals.append(a)
        rhs.append(limit)
        meta_rows.append((*info, months[t]))

    route = routings[routings["sku"].isin(skus)]
    cap = lines.set_index("line_id")["hours_per_month"].astype(float)
    hours = pd.DataFrame({m: cap for m in months}).reindex(line_ids)  # line x month regular hours
    if line_hours is not None and len(line_hours):
        for lid, m, h in line_hours[["line_id", "month", "hours"]].itertuples(index=False):
            if lid in hours.index and m in hours.columns:
                hours.loc[lid, m] = max(float(h), 0.0)
    names = lines.set_index("line_id")["line_name"] if "line_name" in lines else pd.Series(line_ids, index=line_ids)
    for li, line in enumerate(line_ids):
        coef = {
            sku_pos[s]: float(h)
            for s, h in route.loc[route["line_id"] == line, ["sku", "hours_per_unit"]].itertuples(index=False)
        }
        for t in range(T):
            add_block(
                coef,
                [(O + li * T + t, -1.0)],
                float(hours.iloc[li, t]),
                t,
                ("line hours", "line", line, f"line {names[line]}", "hour"),
            )
    if min_line_hours_pct > 0:
        details["minimum line hours"] = f"every line at least {min_line_hours_pct:.0%} of its regular hours"
        for line in line_ids:
            coef = {
                sku_pos[s]: -float(h)
                for s, h in route.loc[route["line_id"] == line, ["sku", "hours_per_unit"]].itertuples(index=False)
            }
            for t in range(T):
                add_block(
                    coef,
                    None,
                    -min_line_hours_pct * float(hours.loc[line].iloc[t]),
                    t,
                    ("minimum line hours", "minimum", line, f"minimum run on line {names[line]}", "hour"),
                )

    sup = suppliers.set_index("supplier_id")
    bom_s = bom[bom["sku"].isin(skus)]
    pipeline = on_order.groupby(["component", "month"])["qty"].sum() if on_order is not None else None
    out_months = (
        set(map(tuple, outages[["supplier_id", "month"]].itertuples(index=False)))
        if outages is not None and len(outages)
        else set()
    )
    covered = (
        set(map(tuple, outages.loc[outages["component"].notna(), ["component", "month"]].itertuples(index=False)))
        if outages is not None and "component" in outages
        else set()
    )  # a second source delivers it
    for (comp, sid), grp in bom_s.groupby(["component", "supplier_id"]):
        capacity = sup["capacity_units_per_month"].get(sid, np.nan) if "capacity_units_per_month" in sup else np.nan
        down = np.array([(sid, m) in out_months and (comp, m) not in covered for m in months])
        if pd.isna(capacity) and not down.any():
            continue  # no capacity declared: unlimited
        share_new = _frozen_share(float(sup["lead_time_days"].get(sid, 0.0)) if "lead_time_days" in sup else 0.0, T)
        if pipeline is None:
            on_time = float(sup["on_time_rate"].get(sid, 1.0)) if "on_time_rate" in sup else 1.0
            # earlier orders fill the frozen window, if on time; every later month is planned with the
            # supply it will have when it is the first month of a later plan, never more
            booked = capacity * on_time * (1 - share_new[0]) * np.ones(T)
            share_new = np.full(T, share_new[0])
        else:
            booked = np.array([pipeline.get((comp, m), 0.0) for m in months])
        limits = np.where(down, 0.0, np.inf if pd.isna(capacity) else capacity * share_new + booked)
        coef = {sku_pos[s]: float(q) for s, q in grp[["sku", "qty_per_unit"]].itertuples(index=False)}
        name = sup["supplier_name"].get(sid, sid) if "supplier_name" in sup else sid
        for t in range(T):
            if np.isfinite(limits[t]):
                add_block(
                    coef,
                    None,
                    float(limits[t]),
                    t,
                    ("component supply", "component", f"{comp}|{sid}", f"{comp} from {name}", "unit"),
                )
    details["component supply"] = "supplier capacity per month, less inside the lead time"

    if labour:
        if "workers_per_shift" not in lines:
            raise ValueError("labour needs the production lines' workers_per_shift")
        crew = lines.set_index("line_id")["workers_per_shift"].astype(float)
        wh = route.assign(w=route["hours_per_unit"] * route["line_id"].map(crew).fillna(0)).groupby("sku")["w"].sum()
        coef = {sku_pos[s]: float(w) for s, w in wh.items() if w > 0}
        avail = workers * hours_per_worker * (1 + overtime_pct)
        for t in range(T):
            add_block(
                coef,
                [(H + t, -hours_per_worker * (1 + overtime_pct))],
                avail,
                t,
                ("labour", "labour", "production workers", "production workers", "worker-hour"),
            )
        for t in range(1, T):
            add_block(
                {}, [(H + t - 1, 1.0), (H + t, -1.0)], 0.0, t, ("labour", "hiring", "hires stay", "hired workers stay", "worker")
            )
        for t in range(1, T):
            if pd.Timestamp(months[t]) in frozen:  # with 'hires stay' this holds the number of hires
                add_block(
                    {},
                    [(H + t, 1.0), (H + t - 1, -1.0)],
                    0.0,
                    t,
                    ("labour", "freeze", "hiring freeze", "hiring freeze", "worker"),
                )
        details["labour"] = (
            f"{workers:,.0f} production workers x {hours_per_worker:,.0f} h, hires only after {hiring_lead_months} months"
        )
    if storage_limit is not None:
        for t in range(T):
            add_block(
                {s: 1.0 for s in range(S)},
                None,
                float(storage_limit),
                t,
                ("storage limit", "storage", "warehouse", "warehouse space", "unit"),
                block=I,
            )
        details["storage limit"] = f"{storage_limit:,.0f} finished units"
    details["line hours"] = f"regular hours plus {overtime_pct:.0%} overtime"

    A_ub = sparse.csr_matrix((vals, (rows, cols)), shape=(len(rhs), n))
    meta_df = pd.DataFrame(meta_rows, columns=["group", "kind", "name", "label", "unit", "month"])
    b_ub = np.array(rhs, dtype=float)
    bounds = [(0, None)] * (4 * nsv) + [(0, overtime_pct * float(hours.loc[line].iloc[t])) for line in line_ids for t in range(T)]
    if labour:
        bounds += [
            (0, 0) if t < hiring_lead_months or (t == 0 and pd.Timestamp(months[0]) in frozen) else (0, None) for t in range(T)
        ]
    curves, offset = None, 0.0
    if shortage is None:
        safety_rows, safety_rhs, at = _safety_rows(_safety_grid(safety, skus, months), I, B, U, n)
        A_ub = sparse.vstack([A_ub, safety_rows]).tocsr()
        b_ub = np.concatenate([b_ub, safety_rhs])
        meta_df = pd.concat(
            [
                *([meta_df] if len(meta_df) else []),  # nothing limits supply: no capacity rows before the safety rows
                pd.DataFrame(
                    {
                        "group": "safety stock",
                        "kind": "safety",
                        "name": np.asarray(skus)[at // T],
                        "label": [f"safety stock of {s}" for s in np.asarray(skus)[at // T]],
                        "unit": "unit",
                        "month": np.asarray(months)[at % T],
                    }
                ),
            ],
            ignore_index=True,
        )
    else:  # u is read off the curves' segments after the solve: fixed at 0 in the LP, its cost on the segments
        curves = _shortage_curves(shortage, skus, months, free)
        k, m = len(curves.slope), len(curves.at)
        weight = below[curves.at // T]
        c = np.concatenate([c, weight[curves.curve] * curves.slope])
        offset = float(weight @ curves.level)
        link = sparse.csr_matrix(
            (
                np.concatenate([np.ones(m), -np.ones(m), -curves.sign]),
                (
                    np.concatenate([np.arange(m), np.arange(m), curves.curve]),
                    np.concatenate([I + curves.at, B + curves.at, n + np.arange(k)]),
                ),
            ),
            shape=(m, n + k),
        )  # i - b + below - sum(along) = the first corner
        A_ub = sparse.hstack([A_ub, sparse.csr_matrix((A_ub.shape[0], k))]).tocsr()
        A_eq = sparse.vstack([sparse.hstack([A_eq, sparse.csr_matrix((nsv, k))]), link]).tocsr()
        b_eq = np.concatenate([b_eq, curves.start])
        bounds[U : U + nsv] = [(0, 0)] * nsv
        bounds += [(0, None if np.isinf(w) else float(w)) for w in curves.width]
    meta = {
        "skus": skus,
        "months": months,
        "D": D,
        "line_ids": line_ids,
        "blocks": (P, I, B, U, O, H),
        "labour": labour,
        "workers": workers,
        "hours_per_worker": hours_per_worker,
        "overtime_pct": overtime_pct,
        "details": details,
        "shifted": shifted[s_of],  # per waiting unit-month: the lateness the safety row charges
        "curves": curves,  # None: a plan with safety-stock rows, not against the draws
        "offset": offset,  # the curves' backlog at their first corners, in euros: not in the LP's objective
    }
    return _LP(c, A_ub, b_ub, A_eq, b_eq, bounds, meta_df), meta


def _feasible(lp: _LP, drop: set[str]) -> bool:
    keep = ~lp.rows["group"].isin(drop).to_numpy()
    res = linprog(
        np.zeros_like(lp.c), A_ub=lp.A_ub[keep], b_ub=lp.b_ub[keep], A_eq=lp.A_eq, b_eq=lp.b_eq, bounds=lp.bounds, method="highs"
    )
    return res.status != 2


def conflicting_groups(lp: _LP) -> list[str]:
    """A smallest set of constraint groups that cannot hold together (deletion filter).

    Start from every hard group; drop one at a time and keep it dropped when the rest
    is still infeasible. What remains conflicts, and removing any one of it makes the
    plan feasible again. Balance equations and bounds are never dropped.
    """
    groups = [g for g in GROUP_HINTS if g in set(lp.rows["group"])]
    dropped = {"safety stock"}
    if _feasible(lp, dropped | set(groups)):
        kept = list(groups)
        for g in groups:
            if not _feasible(lp, dropped | {g}):
                dropped.add(g)
                kept.remove(g)
        return kept
    return ["starting position and bounds"]


def _result(lp: _LP, res, meta: dict) -> PlanResult:
    skus, months, D = meta["skus"], meta["months"], meta["D"]
    P, I, B, U, O, H = meta["blocks"]
    S, T = len(skus), len(months)
    nsv = S * T
    x, fun = res.x, float(res.fun) + meta["offset"]
    risk = meta["curves"] is not None  # planned against the draws: u is the expected backlog
    if risk:  # read off each curve's segments
        curves = meta["curves"]
        x = x[: len(x) - len(curves.slope)].copy()
        x[U + curves.at] = curves.backlog(res.x[len(x) :])
    grid = pd.MultiIndex.from_product([skus, months], names=["sku", "month"])
    plan = pd.DataFrame(
        {
            "demand": D.ravel(),
            "production": x[P : P + nsv],
            "inventory": x[I : I + nsv],
            "backorders": x[B : B + nsv],
            "below_safety": np.zeros(nsv) if risk else x[U : U + nsv],
            "expected_short": x[U : U + nsv] if risk else np.zeros(nsv),  # over the draws, at month end
        },
        index=grid,
    ).reset_index()
    cons = lp.rows.assign(used=lp.A_ub @ res.x, limit=lp.b_ub, shadow_price=np.maximum(-res.ineqlin.marginals, 0.0))
    line_ids = meta["line_ids"]
    ot = x[O : O + len(line_ids) * T].reshape(len(line_ids), T)
    lines = (
        cons[cons["kind"] == "line"]
        .rename(columns={"name": "line_id", "limit": "capacity", "shadow_price": "shadow_price_eur_per_hour"})
        .copy()
    )
    lines["overtime_hours"] = [ot[line_ids.index(lid), months.index(m)] for lid, m in zip(lines["line_id"], lines["month"])]
    lines["hours"] = lines["used"] + lines["overtime_hours"]
    comp = cons[cons["kind"] == "component"].rename(columns={"limit": "capacity"}).copy()
    comp["component"] = comp["name"].str.split("|").str[0]
    comp["supplier_id"] = comp["name"].str.split("|").str[1]
    labour = pd.DataFrame()
    if meta["labour"]:
        lab = cons[cons["kind"] == "labour"].reset_index(drop=True)
        hires = x[H : H + T]
        per = meta["hours_per_worker"]
        labour = pd.DataFrame(
            {
                "month": lab["month"],
                "worker_hours": lab["used"] + hires * per * (1 + meta["overtime_pct"]),
                "available_hours": meta["workers"] * per * (1 + meta["overtime_pct"]) + hires * per * (1 + meta["overtime_pct"]),
                "workers_today": meta["workers"],
                "new_workers": hires,
                "shadow_price_eur_per_hour": lab["shadow_price"],
            }
        )
        labour["workers_needed"] = labour["worker_hours"] / per
    costs = {
        "holding_eur": float(lp.c[I : I + nsv] @ x[I : I + nsv]),
        "waiting_eur": float(lp.c[B : B + nsv] @ x[B : B + nsv] + meta["shifted"] @ x[B : B + nsv]),
        "below_safety_eur": 0.0 if risk else float(lp.c[U : U + nsv] @ x[U : U + nsv] - meta["shifted"] @ x[B : B + nsv]),
        "shortage_risk_eur": float(lp.c[U : U + nsv] @ x[U : U + nsv]) if risk else 0.0,
        "overtime_eur": float(lp.c[O:H] @ x[O:H]),
        "new_workers_eur": float(lp.c[H : len(x)] @ x[H:]) if meta["labour"] else 0.0,
    }
    return PlanResult(
        plan=plan,
        line_use=lines[["line_id", "month", "hours", "capacity", "overtime_hours", "shadow_price_eur_per_hour"]].reset_index(
            drop=True
        ),
        components=comp[["component", "supplier_id", "month", "used", "capacity", "shadow_price"]].reset_index(drop=True),
        cost_eur=fun,
        status=res.message,
        constraints=cons[cons["kind"] != "safety"][
            ["group", "kind", "name", "label", "unit", "month", "used", "limit", "shadow_price"]
        ].reset_index(drop=True),
        labour=labour,
        costs=costs,
    )


def bottlenecks(result: PlanResult, *, min_value_eur: float = 0.01) -> pd.DataFrame:
    """Binding constraints in plain words: which limit, which months, what one more unit is worth.

    One row per constraint (line, component, labour, storage) that binds in at least one
    month, most valuable first; ``sentence`` is ready for the report.
    """
    c = result.constraints
    if c.empty:
        return pd.DataFrame(
            columns=[
                "constraint",
                "months_binding",
                "first_month",
                "last_month",
                "peak_month",
                "peak_value_eur",
                "unit",
                "sentence",
            ]
        )
    bind = c[(c["shadow_price"] > min_value_eur) & (c["kind"] != "hiring")]
    rows = []
    for label, g in bind.groupby("label", sort=False):
        peak = g.loc[g["shadow_price"].idxmax()]
        unit = g["unit"].iloc[0]
        span = (
            f"in {peak['month']:%b %Y}"
            if len(g) == 1
            else f"in {len(g)} months between {g['month'].min():%b %Y} and {g['month'].max():%b %Y}"
        )
        value = f"€{peak['shadow_price']:,.0f}" if peak["shadow_price"] >= 100 else f"€{peak['shadow_price']:,.2f}"
        worth = (
            f"one {unit} less of this minimum would save {value}"
            if g["kind"].iloc[0] == "minimum"
            else f"one more {unit} would save up to {value} ({peak['month']:%b %Y})"
        )
        rows.append(
            {
                "constraint": label,
                "months_binding": len(g),
                "first_month": g["month"].min(),
                "last_month": g["month"].max(),
                "peak_month": peak["month"],
                "peak_value_eur": float(peak["shadow_price"]),
                "unit": unit,
                "sentence": f"{label[0].upper()}{label[1:]}: binding {span}; {worth}.",
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["constraint", "months_binding", "first_month", "last_month", "peak_month", "peak_value_eur", "unit", "sentence"],
    )
    return out.sort_values("peak_value_eur", ascending=False).reset_index(drop=True)


def capacity_check(demand: pd.DataFrame, routings: pd.DataFrame, lines: pd.DataFrame, overtime_pct: float) -> pd.DataFrame:
    """Line hours that unconstrained demand would need versus hours available."""
    need = demand.merge(routings, on="sku").assign(hours=lambda x: x["units"] * x["hours_per_unit"])
    out = need.groupby(["line_id", "month"], as_index=False)["hours"].sum().rename(columns={"hours": "hours_needed"})
    out = out.merge(lines[["line_id", "line_name", "hours_per_month"]], on="line_id")
    out["hours_with_overtime"] = out["hours_per_month"] * (1 + overtime_pct)
    out["utilisation"] = out["hours_needed"] / out["hours_per_month"]
    out["status"] = np.where(
        out["hours_needed"] > out["hours_with_overtime"],
        "red",
        np.where(out["hours_needed"] > out["hours_per_month"], "amber", "green"),
    )
    return out
