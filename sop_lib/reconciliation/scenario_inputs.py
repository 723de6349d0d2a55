"""Scenarios declared in params, turned into changed inputs of the one planning path.

A scenario never has a planning model of its own: it changes what the plan is built from
(demand draws, the source tables, line hours per month, supplier outages, prices) and the
same code as the base plan (`supply.build_plan`, then `scenarios.outcomes`) does the rest.
Every scenario starts from step 2's draws, so scenarios differ only by their changes
(common random numbers); a scenario with no effective change is the base plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from sop_lib import demand, supply
from sop_lib.core.params import Scenario, Shock
from sop_lib.data import planning_regions


class ScenarioError(ValueError):
    """A scenario names something the company's data does not have; one line per problem."""


@dataclass
class Inputs:
    """What one scenario plans from."""

    draws: xr.DataArray  # SKU-level demand draws (sample, sku, ds)
    tables: dict[str, pd.DataFrame]
    line_hours: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["line_id", "month", "hours"]))
    outages: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["supplier_id", "month"]))
    price_factor: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["sku", "month", "factor"]))
    extra_cost: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # month -> EUR
    hiring_frozen: list = field(default_factory=list)  # months without new production workers
    second_source: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["component", "month", "premium"]))

    def premium_cost(self, plan: pd.DataFrame, products: pd.DataFrame) -> float:
        """What the second source's premium costs for the plan: in the months its first supplier is
        out, the components it delivers cost ``premium`` x the SKU's standard cost more."""
        down = self.outages[self.outages["supplier_id"].notna()][["supplier_id", "month"]]
        if self.second_source.empty or down.empty:
            return 0.0
        use = self.second_source.merge(self.tables["bom"][["sku", "component", "supplier_id"]], on="component").merge(
            down, on=["supplier_id", "month"]
        )  # only while its own supplier is out
        made = plan[["sku", "month", "production"]].merge(use, on=["sku", "month"])
        # a SKU without a unit cost adds no premium: its margin is not valued (`outcomes.simulate`)
        unit_cost = products.reindex(columns=["sku", supply.COST]).drop_duplicates("sku").set_index("sku")[supply.COST]
        cost = made["sku"].map(unit_cost).fillna(0)
        return float((made["production"] * cost * made["premium"]).sum())

    def plan_kwargs(self) -> dict:
        return {"line_hours": self.line_hours, "outages": self.outages, "hiring_frozen": self.hiring_frozen}


def _months(start: str, months: pd.DatetimeIndex, *, count: int | None = None, to: str | None = None) -> list:
    """The horizon months a change covers: ``count`` months from ``start``, or ``start`` to ``to``."""
    first = pd.Timestamp(f"{start}-01")
    last = first + pd.DateOffset(months=count - 1) if count is not None else pd.Timestamp(f"{to}-01") if to else months[-1]
    return [m for m in months if first <= m <= last] if count != 0 else []


def check_scenarios(
    scenarios: list[Scenario],
    tables: dict[str, pd.DataFrame],
    regions: list[str],
    months: pd.DatetimeIndex,
    where: str = "params",
) -> list[str]:
    """Every reference a scenario makes that the data does not have, and months outside the
    horizon; one message per problem, naming the scenario, the change and the key."""
    known = {
        "supplier": ("suppliers", set(tables["suppliers"]["supplier_id"].astype(str))),
        "line": ("production_lines", set(tables["production_lines"]["line_id"].astype(str))),
        "family": ("products", set(tables["products"]["family"].astype(str))),
        "sku": ("products", set(tables["products"]["sku"].astype(str))),
        "region": ("data.regions", set(regions)),
        "component": ("bom", set(tables["bom"]["component"].astype(str))),
    }
    launched = set(tables["launches"]["sku"].astype(str))
    out = []
    for i, sc in enumerate(scenarios):
        for j, ch in enumerate(sc.changes):
            key = f"{where}: scenarios[{i}] {sc.name!r}, changes[{j}].{ch.kind}"
            spec = ch.spec
            for attr, (source, values) in known.items():
                value = getattr(spec, attr, None)
                if value is None:
                    continue
                if ch.kind == "launch_delay":
                    source, values = "launches", launched
                if str(value) not in values:
                    shown = ", ".join(sorted(values)[:12]) or "none: the source is empty or not declared"
                    out.append(f"{key}.{attr}: {value!r} is not in {source} (known: {shown})")
            start = getattr(spec, "start", None)
            if start is not None and pd.Timestamp(f"{start}-01") > months[-1]:
                out.append(f"{key}.from: {start} is after the planning horizon ({months[0]:%Y-%m} to {months[-1]:%Y-%m})")
    return out


def _skus(spec, products: pd.DataFrame) -> list[str]:
    """The SKUs a change names directly or through its family ([] = every SKU)."""
    if getattr(spec, "sku", None):
        return [spec.sku]
    if getattr(spec, "family", None):
        return sorted(products.loc[products["family"] == spec.family, "sku"].astype(str))
    return []


def scenario_inputs(
    scenario: Scenario | None,
    ds: xr.Dataset,
    tables: dict[str, pd.DataFrame],
    *,
    seed: int,
    overrides: pd.DataFrame | None = None,
) -> Inputs:
    """The inputs of one scenario (None: the base plan), from step 2's draws and step 1's tables."""
    from sop_lib.reconciliation.launch_timing import series_without_launches

    consensus = ds["demand"]
    months = pd.DatetimeIndex(consensus["ds"].values)
    tables = dict(tables)
    changes = [(c.kind, c.spec) for c in scenario.changes] if scenario else []
    delays = {s.sku: s.months for k, s in changes if k == "launch_delay"}
    if delays:  # re-build demand as step 2 did, with the launch dates moved
        launches = tables["launches"].copy()
        for sku, m in delays.items():
            rows = launches["sku"] == sku
            for col in ("earliest_launch", "likely_launch", "latest_launch"):
                launches.loc[rows, col] = launches.loc[rows, col] + pd.DateOffset(months=m)
        base, extra = series_without_launches(ds, tables["launches"])
        consensus = demand.consensus_chain(base, launches, seed=seed, pipeline=extra, overrides=overrides).consensus
    shocks = [
        Shock(
            name=f"change {j}",
            start=s.start,
            end=s.to,
            regions=[s.region] if s.region else [],
            skus=_skus(s, tables["products"]),
            effect_low=s.pct_low / 100,
            effect_high=s.pct_high / 100,
        )
        for j, (k, s) in enumerate(changes)
        if k == "demand_change"
    ]
    if shocks:
        consensus = demand.apply_shocks(consensus, shocks, seed=seed + 7919)  # its own stream, same in every run

    lines = tables["production_lines"].set_index("line_id")["hours_per_month"].astype(float)
    hours = pd.DataFrame({m: lines for m in months}) if len(lines) else pd.DataFrame(columns=months)
    changed_hours, extra_cost = set(), pd.Series(0.0, index=months)
    outages, price_factor, frozen, second = [], [], [], []
    for kind, s in changes:
        if kind == "supplier_outage":
            outages += [(s.supplier, None, m) for m in _months(s.start, months, count=s.months)]
        elif kind == "second_source":  # delivers the component from 'from' plus its lead time
            ready = pd.Timestamp(f"{s.start}-01") + pd.DateOffset(days=int(s.lead_time_days))
            first = pd.Timestamp(ready.year, ready.month, 1) + (pd.DateOffset(months=1) if ready.day > 1 else pd.DateOffset())
            second += [(s.component, m, s.cost_premium_pct / 100) for m in months if m >= first]
        elif kind == "line_outage":
            for m in _months(s.start, months, count=s.months):
                hours.loc[s.line, m] = 0.0
                changed_hours.add((s.line, m))
        elif kind == "capacity_change":
            for m in _months(s.start, months, to=s.to):
                hours.loc[s.line, m] = max(hours.loc[s.line, m] + s.hours_per_month, 0.0)
                changed_hours.add((s.line, m))
                extra_cost[m] += max(s.hours_per_month, 0.0) * s.cost_eur_per_hour
        elif kind == "lead_time_change":
            sup = tables["suppliers"].copy()
            sup.loc[sup["supplier_id"].astype(str) == s.supplier, "lead_time_days"] = float(s.days)
            tables["suppliers"] = sup
        elif kind == "hiring_freeze":
            frozen += _months(s.start, months, to=s.to)
        elif kind == "price_change":
            skus = _skus(s, tables["products"])
            price_factor += [(sku, m, 1 + s.pct / 100) for sku in skus for m in months if m >= pd.Timestamp(f"{s.start}-01")]
    line_hours = pd.DataFrame(
        [(lid, m, hours.loc[lid, m]) for lid, m in sorted(changed_hours)], columns=["line_id", "month", "hours"]
    )
    outages += [(None, comp, m) for comp, m, _ in second]
    return Inputs(
        supply.sku_draws(consensus),
        tables,
        line_hours,
        pd.DataFrame(outages, columns=["supplier_id", "component", "month"]),
        pd.DataFrame(price_factor, columns=["sku", "month", "factor"]),
        extra_cost,
        sorted(set(frozen)),
        pd.DataFrame(second, columns=["component", "month", "premium"]),
    )


def adopted_scenario(adopted: list[dict]) -> Scenario | None:
    """One scenario holding every change that decisions adopted into the plan (None: none adopted)."""
    changes = [c for a in adopted for c in a["scenario"]["changes"]]
    return Scenario.model_validate({"name": "adopted", "changes": changes}) if changes else None


def combined(adopted: Scenario | None, scenario: Scenario | None) -> Scenario | None:
    """A scenario on top of what the plan has adopted: adopted changes first, then its own."""
    if adopted is None:
        return scenario
    if scenario is None:
        return adopted
    return scenario.model_copy(update={"changes": [*adopted.changes, *scenario.changes]})


def raise_for_scenarios(params, tables: dict[str, pd.DataFrame]) -> None:
    """Stop with every scenario problem at once (step 1, before hours are spent on a forecast)."""
    start = pd.Timestamp(f"{params.cycle}-01")
    months = pd.date_range(start, periods=params.demand.horizon_months, freq="MS")
    problems = check_scenarios(params.scenarios, tables, planning_regions(params, tables), months, where="params")
    if problems:
        raise ScenarioError(f"{len(problems)} problem(s) in the what-if scenarios:\n" + "\n".join(problems))
