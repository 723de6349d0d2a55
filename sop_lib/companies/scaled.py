"""The demo company at scale: ``sop demo --skus 1000 --regions 3 --folder DIR``.

A company of the demo's shape (families, a launch, a backlog, lines, BOM, suppliers) with
as many SKUs as asked: copy 0 is the demo itself (its best-seller, backlog, launch and
at-risk supplier keep their names, so the demo's scenarios and views still apply), and
each further copy is the demo's range again under new SKU codes (``<demo SKU>-C007``),
its sales drawn from the demo calendar with another seed, so no two copies sell alike. The
copies share the families, the three lines and the five suppliers, whose hours and
capacities grow with the number of copies, as a bigger company's would. The launch and
the 4,000 waiting customers stay the story of copy 0; every copy has its own open orders,
stock, CRM opportunities, promotions and archived forecasts.

``DIR/params.yaml`` runs it with the profile recommended at that size (`recommended_profile`).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import pandas as pd
import yaml

from sop_lib.companies import demo

SKU_COLUMNS = {  # table -> its columns that hold a SKU code
    "sales_history": ["sku"],
    "products": ["sku"],
    "pipeline": ["sku"],
    "open_orders": ["sku"],
    "inventory": ["sku"],
    "routings": ["sku"],
    "bom": ["sku"],
    "marketing_calendar": ["sku"],
}
SCALED = {  # table -> columns that grow with the number of copies (shared lines, suppliers, people, budget)
    "production_lines": ["hours_per_month"],  # a longer line, same crew per shift
    "suppliers": ["capacity_units_per_month"],
    "budget": ["opex_budget_eur", "overtime_budget_hours", "inventory_budget_eur"],
    "headcount": ["headcount"],
}


def copies_for(skus: int) -> int:
    """How many copies of the demo's range make about ``skus`` SKUs."""
    if skus < len(demo._SKUS):
        raise ValueError(f"--skus must be at least {len(demo._SKUS)} (the demo's own range), got {skus}")
    return max(1, round(skus / len(demo._SKUS)))


def _renamed(df: pd.DataFrame, columns: list[str], k: int) -> pd.DataFrame:
    out = df.copy()
    for col in columns:
        out[col] = out[col].astype(str) + f"-C{k:03d}"
    return out


def _copy(tables: dict[str, pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    """Copy ``k`` (>= 1) of the demo's tables: new SKU codes and ids, without the launch and the backlog."""
    story = {demo.SUCCESSOR}
    out = {}
    for name, cols in SKU_COLUMNS.items():
        df = tables[name]
        out[name] = _renamed(df[~df["sku"].isin(story)], cols, k)
    out["products"]["name"] = out["products"]["name"] + f" · range {k}"
    out["products"]["replaces"] = ""
    out["open_orders"] = out["open_orders"][out["open_orders"]["status"] == "open"]
    out["open_orders"] = _renamed(out["open_orders"], ["order_id", "customer_id"], k)
    out["pipeline"] = _renamed(out["pipeline"][out["pipeline"]["region"] != demo.NEW_TERRITORY], ["opportunity_id"], k)
    for name, fc in tables.items():
        if name.startswith("archive:"):
            fc = _renamed(fc[fc["sku"] != demo.SUCCESSOR], ["sku"], k)
            out[name] = fc.assign(unique_id=fc["sku"] + "|" + fc["region"])
    return out


def _copies(cycle: str, seed: int, n: int) -> list[dict[str, pd.DataFrame]]:
    """The demo's tables drawn with seeds ``seed + 1 .. seed + n - 1``, on every core (each copy has its own seed,
    so the tables are the same however many processes draw them)."""
    seeds = [seed + k for k in range(1, n)]
    workers = min(os.cpu_count() or 1, len(seeds))
    if workers < 2:
        return [demo.demo_tables(cycle, s) for s in seeds]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(partial(demo.demo_tables, cycle), seeds, chunksize=max(1, len(seeds) // (4 * workers))))


def scaled_tables(cycle: str, skus: int, regions: int, seed: int = 20261) -> dict[str, pd.DataFrame]:
    """Every table of the scaled company (the layout of `demo.demo_tables`)."""
    if not 1 <= regions <= len(demo.REGIONS):
        raise ValueError(f"--regions must be between 1 and {len(demo.REGIONS)}, got {regions}")
    n = copies_for(skus)
    base = demo.demo_tables(cycle, seed)
    parts = [base] + [_copy(tables, k) for k, tables in enumerate(_copies(cycle, seed, n), start=1)]
    out = {
        name: pd.concat([p[name] for p in parts if name in p], ignore_index=True)
        for name in base
        if name in SKU_COLUMNS or name.startswith("archive:")
    }
    for name in ("production_lines", "suppliers", "budget", "headcount", "launches"):
        out[name] = base[name].copy()
    for name, cols in SCALED.items():
        out[name][cols] = (out[name][cols] * n).round(0)
    keep = set(demo.REGIONS[:regions])
    for name in ("sales_history", "open_orders", "inventory", "pipeline") + tuple(k for k in out if k.startswith("archive:")):
        if "region" in out[name]:
            out[name] = out[name][out[name]["region"].isin(keep | {demo.NEW_TERRITORY})].reset_index(drop=True)
    head = out["headcount"]
    out["headcount"] = head[head["region"].isin(keep | {demo.NEW_TERRITORY, "all"})].reset_index(drop=True)
    out["targets"] = demo.make_planning_inputs(cycle, out["sales_history"], out["products"])["targets"]
    return out


def recommended_profile(skus: int) -> dict:
    """The demand settings recommended at this size: ``model: auto`` throughout, with fewer
    draws beyond the demo's size.

    auto fits the trend model by NUTS only where it fits ``demand.time_budget_s`` (the demo's
    54 series take ~30 s; 2,592 series are projected at ~1,000 s and not started), so the
    same file works at every size and the report says which model ran and why.
    """
    return {} if skus <= 2 * len(demo._SKUS) else {"draws": 300}  # model: auto comes from the demo's params


def params_for(cycle: str, skus: int, regions: int, seed: int) -> dict:
    """The demo's params file adapted to the scaled company in the same folder."""
    p = yaml.safe_load((Path(__file__).resolve().parents[2] / "params" / "default.yaml").read_text(encoding="utf-8"))
    gone = set(demo.REGIONS[regions:])
    p["company"] = f"{p['company']} scaled to {skus:,} SKUs x {regions} regions"
    p["cycle"] = cycle
    p["data"].update(folder=".", demo=False)
    p["data"]["regions"] = [r for r in p["data"]["regions"] if r not in gone]
    p["data"]["region_aliases"] = {k: v for k, v in p["data"].get("region_aliases", {}).items() if v not in gone}
    p["demand"].update(recommended_profile(skus), overrides=None)
    mentions = lambda item: any(r in yaml.safe_dump(item) for r in gone)  # noqa: E731
    p["demand"]["shocks"] = [s for s in p["demand"].get("shocks", []) if not mentions(s)]
    p["scenarios"] = [s for s in p.get("scenarios", []) if not mentions(s)]
    p["views"] = [v for v in p.get("views", []) if not mentions(v)]
    return p


def write_scaled_demo(folder: str | Path, cycle: str, skus: int, regions: int = 3, seed: int = 20261) -> Path:
    """Write the scaled company's exports and ``params.yaml`` into ``folder``; return the params file."""
    folder = Path(folder)
    tables = scaled_tables(cycle, skus, regions, seed)
    n = tables["products"]["sku"].nunique()
    demo.write_tables(folder, cycle, tables, f"{cycle} {seed} {demo.GENERATOR_VERSION} scaled {n} {regions}")
    params = folder / "params.yaml"
    text = (
        f"# The demo company scaled to {n:,} SKUs x {regions} regions ({copies_for(skus)} copies of "
        f"its range), written by `sop demo --skus {skus} --regions {regions}`.\n"
        f"# Run it with: sop run --params {params}\n"
    )
    params.write_text(
        text + yaml.safe_dump(params_for(cycle, n, regions, seed), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return params
