"""Are two cycles' figures the same? The step 2-5 KPIs and the scenario table, side by side.

    python benchmarks/compare_cycles.py reports/2026-11 /tmp/other/reports/2026-11 [--rtol 1e-6]

Run it on a cycle made before a refactor and one made after (same params, same machine):
it prints every figure that differs and exits 1 if any differs by more than ``--rtol``
(relative) — a refactor that claims "no behaviour change" must exit 0. The figures: step 2's
held-out accuracy table, step 3's plan totals (production, costs, safety stock, purchase
orders), step 4's financial plan and the scenario table, and step 5's KPIs and asks.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

# table -> (key columns, value columns or None for every numeric column); None keys: column sums
FIGURES: dict[str, tuple[list[str] | None, list[str] | None]] = {
    "forecast_accuracy": (["method"], None),
    "demand_forecast_family": (None, ["mean", "p10", "p50", "p90"]),
    "supply_plan": (None, None),
    "safety_stock": (None, ["safety_stock", "reorder_point"]),
    "purchase_orders": (None, ["quantity"]),
    "financial_plan": (None, None),
    "scenario_results": (["scenario", "metric"], None),
    "kpis": (["metric"], ["value"]),
    "decisions": (None, None),
}


def figures(cycle_dir: Path) -> dict[str, float | str]:
    """Every compared figure of one cycle, keyed ``table / row / column``."""
    out: dict[str, float | str] = {}
    for name, (keys, values) in FIGURES.items():
        path = cycle_dir / "artifacts" / f"{name}.parquet"
        if not path.exists():
            out[f"{name}"] = "missing"
            continue
        df = pd.read_parquet(path)
        numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
        cols = values or [c for c in numeric if c not in (keys or [])]
        if keys is None:
            out[f"{name} / rows"] = float(len(df))
            for c in cols:
                if c in numeric:
                    out[f"{name} / sum / {c}"] = float(df[c].sum())
            for c in df.columns.difference(numeric):
                out[f"{name} / text / {c}"] = "|".join(map(str, df[c]))
            continue
        for _, row in df.iterrows():
            key = " ".join(str(row[k]) for k in keys)
            for c in cols:
                v = row[c]
                out[f"{name} / {key} / {c}"] = float(v) if c in numeric else str(v)
    return out


def differences(a: dict, b: dict, rtol: float) -> list[tuple[str, object, object]]:
    diffs = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, "absent"), b.get(key, "absent")
        if isinstance(x, float) and isinstance(y, float):
            if (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=rtol, abs_tol=1e-9):
                continue
        elif x == y:
            continue
        diffs.append((key, x, y))
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance per figure (default 1e-6)")
    args = ap.parse_args(argv)
    a, b = figures(args.before), figures(args.after)
    diffs = differences(a, b, args.rtol)
    print(f"{len(a)} figures in {args.before}, {len(b)} in {args.after}; {len(diffs)} differ beyond rtol {args.rtol:g}")
    for key, x, y in diffs[:60]:
        print(f"  {key}: {x!r} -> {y!r}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
