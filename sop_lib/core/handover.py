"""Hand-overs: the tables and draws one step writes for the later ones, read back by name.

Every step writes into ``<cycle_dir>/artifacts/`` through `write_table` (Parquet), `write_csv`
(a report's full table) or `write_netcdf` (draws, posteriors), atomically, with its sha256
recorded at once (`sop_lib.core.integrity`); every read goes through `read_table` or
`read_draws`, which check that sha256 first, so a truncated or hand-edited file stops the
cycle with a message instead of feeding wrong numbers to the plan. `ARTIFACTS` says which
step owns each name. Earlier cycles are read the same way: `completed_cycles` lists them and
`read_previous` returns the latest one's table, checked like this cycle's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from sop_lib.core import integrity
from sop_lib.core.params import MONTH

ARTIFACTS_DIR = "artifacts"  # a cycle's hand-over files, beside its HTML reports

# artifact name -> step that writes it (docs/steps/*.md document their columns).
# A step may also write extra tables of its own; names listed here are reserved to their step
# and are what `step_complete` checks before a later step may run.
ARTIFACTS: dict[str, int] = {
    "sales_history": 1,
    "sales_monthly": 1,
    "products": 1,
    "open_orders": 1,
    "inventory": 1,
    "pipeline": 1,
    "production_lines": 1,
    "routings": 1,
    "bom": 1,
    "suppliers": 1,
    "targets": 1,
    "budget": 1,
    "headcount": 1,
    "marketing_calendar": 1,
    "launches": 1,
    "data_quality": 1,
    "data_problems": 1,
    "lineage": 1,
    "source_reconciliation": 1,
    "forecast_review": 1,
    "forecast_review_months": 1,
    "demand_forecast": 2,
    "demand_forecast_family": 2,
    "forecast_accuracy": 2,
    "demand_diagnostics": 2,
    "demand_history": 2,
    "supply_plan": 3,
    "inventory_risk": 3,
    "service_promise": 3,
    "service_promise_sku": 3,
    "service_gap": 3,
    "capacity_check": 3,
    "backlog_burndown": 3,
    "supplier_risk": 3,
    "line_use": 3,
    "component_use": 3,
    "people_check": 3,
    "safety_stock": 3,
    "inventory_policy": 3,
    "service_cost_curve": 3,
    "bottlenecks": 3,
    "labour_plan": 3,
    "people_plan": 3,
    "purchase_orders": 3,
    "backlog_launch_effect": 3,
    "financial_plan": 4,
    "demand_supply_gap": 4,
    "revenue_distribution": 4,
    "launch_scenarios": 4,
    "scenario_results": 4,
    "allocation_policies": 4,
    "decisions": 5,
    "headline": 5,
    "kpis": 5,
    "actions": 5,
    "top_risks": 5,
    "decision_outcomes": 5,
}
DRAWS_FILE = "demand_draws.nc"  # xarray Dataset: demand (consensus), statistical, base (no launches)
POSTERIOR_FILE = "demand_posterior.nc"  # the fit's posterior (ArviZ 1: an xarray DataTree)
PLANS_DIR = "solved_plans"  # steps 3-4's plans kept while the batch runs (`supply.solved`), removed before the manifest


class CycleError(RuntimeError):
    """A batch that cannot start or did not finish; the message starts with one line for the planner."""


def artifacts_dir(cycle_dir: str | Path) -> Path:
    return Path(cycle_dir) / ARTIFACTS_DIR


def publish(out: Path, write: Callable[[Path], None]) -> Path:
    """Write a hand-over file atomically (a crash leaves no half file) and record its checksum."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    write(tmp)
    tmp.replace(out)
    integrity.record(out)
    return out


def table_path(cycle_dir: str | Path, name: str) -> Path:
    return artifacts_dir(cycle_dir) / f"{name}.parquet"


def write_table(cycle_dir: str | Path, name: str, df: pd.DataFrame) -> Path:
    """Write one hand-over table as Parquet."""
    return publish(table_path(cycle_dir, name), lambda tmp: df.to_parquet(tmp, index=False))


def write_csv(cycle_dir: str | Path, name: str, df: pd.DataFrame) -> Path:
    """A report's full table as CSV beside the hand-overs (with a BOM: Excel then reads umlauts)."""
    return publish(artifacts_dir(cycle_dir) / f"{name}.csv", lambda tmp: df.to_csv(tmp, index=False, encoding="utf-8-sig"))


# Draws are written as 32-bit floats: 7 significant digits, a 0.06-unit step at a million units
# a month, half the file and half the memory of every later step that reads them. In chunks of
# this many series, so a reader can take the series a chunk at a time.
DRAWS_DTYPE = "float32"
DRAWS_CHUNK_SERIES = 256


def draws_encoding(ds) -> dict:
    """NetCDF encoding of a draws Dataset: every float variable as `DRAWS_DTYPE`, chunked by series."""
    out = {}
    for name, var in ds.data_vars.items():
        if var.dtype.kind != "f":
            continue
        chunks = tuple(min(DRAWS_CHUNK_SERIES, n) if dim == "unique_id" else n for dim, n in var.sizes.items())
        out[name] = {"dtype": DRAWS_DTYPE, "chunksizes": chunks} if all(chunks) else {"dtype": DRAWS_DTYPE}
    return out


def write_netcdf(cycle_dir: str | Path, obj, name: str = DRAWS_FILE) -> Path:
    """Write draws (xarray Dataset: `draws_encoding`) or a posterior (an xarray DataTree, ArviZ 1's
    InferenceData, as it is) as NetCDF."""
    import xarray as xr

    if not isinstance(obj, xr.Dataset):
        return publish(artifacts_dir(cycle_dir) / name, lambda tmp: obj.to_netcdf(str(tmp)))
    encoding = draws_encoding(obj)

    def one_at_a_time(tmp: Path) -> None:  # the writer's copies of one array at a time: 0.15 GB, not 0.56 (1,000 x 3 SKUs)
        for i, var in enumerate(obj.data_vars):
            part = {var: encoding[var]} if var in encoding else None
            obj[[var]].to_netcdf(str(tmp), mode="w" if i == 0 else "a", encoding=part)

    return publish(artifacts_dir(cycle_dir) / name, one_at_a_time)


def checked(path: Path, step: int | str) -> Path:
    """``path`` if it exists and is what step ``step`` wrote; else a clear error."""
    if not path.exists():
        raise CycleError(f"{path} is missing: it is written by step {step}; run that step first")
    integrity.check(path, written_by=f"step {step}")
    return path


def read_table(cycle_dir: str | Path, name: str) -> pd.DataFrame:
    """A hand-over table by name, after its checksum check."""
    return pd.read_parquet(checked(table_path(cycle_dir, name), ARTIFACTS.get(name, "?")))


def has_table(cycle_dir: str | Path, name: str) -> bool:
    return table_path(cycle_dir, name).exists()


def read_draws(cycle_dir: str | Path, name: str = DRAWS_FILE):
    """Step 2's draws (checked against their checksum), loaded into memory."""
    import xarray as xr

    with xr.open_dataset(checked(artifacts_dir(cycle_dir) / name, 2)) as ds:
        return ds.load()


def step_complete(cycle_dir: str | Path, step: int) -> bool:
    names = [n for n, s in ARTIFACTS.items() if s == step]
    files = [table_path(cycle_dir, n) for n in names]
    if step == 2:
        files.append(artifacts_dir(cycle_dir) / DRAWS_FILE)
    return all(f.exists() for f in files)


def completed_cycles(reports_root: str | Path, name: str, before: str | None = None) -> list[Path]:
    """Folders of completed cycles (YYYY-MM with a manifest) that hold the hand-over table
    ``name``, oldest first; with ``before`` only the cycles earlier than it."""
    root = Path(reports_root)
    return (
        [
            f
            for f in sorted(root.iterdir())
            if f.is_dir()
            and MONTH.fullmatch(f.name)
            and (before is None or f.name < before)
            and (f / integrity.MANIFEST).exists()
            and table_path(f, name).is_file()
        ]
        if root.is_dir()
        else []
    )


def previous_cycle(reports_root: str | Path, cycle: str, name: str) -> Path | None:
    """The latest completed cycle before ``cycle`` that holds ``name`` (None on a first cycle)."""
    done = completed_cycles(reports_root, name, before=cycle)
    return done[-1] if done else None


def read_previous(
    reports_root: str | Path, cycle: str, names: tuple[str, ...] | str
) -> tuple[str | None, dict[str, pd.DataFrame]]:
    """The latest completed cycle before ``cycle`` holding every table of ``names``, and those
    tables (checked as this cycle's are); ``(None, {})`` on a first cycle."""
    names = (names,) if isinstance(names, str) else tuple(names)
    done = [f for f in completed_cycles(reports_root, names[0], before=cycle) if all(has_table(f, n) for n in names)]
    if not done:
        return None, {}
    return done[-1].name, {n: read_table(done[-1], n) for n in names}
