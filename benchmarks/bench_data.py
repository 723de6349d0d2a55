"""Load and validate a large sales export (issue 3 scale target: 1M rows well under a minute).

Three figures, each beside a bare ``pandas.read_csv`` of the same file measured in the
same run:

* contract  — our reader, date parsing and the pandera contract on the sales file alone;
* step 1    — ``load_sources`` as notebook 01 calls it: the sales export plus the
              demo company's other 13 sources, with the cross-source checks (references,
              regions, units, horizon, freshness);
* harmonise — ``monthly_sales`` (the complete SKU x region x month grid) and the quality
              warnings (outliers, missing and zero months) on the result.

Step 1 and harmonise run in a fresh process, which reports its peak memory (what step 1
alone needs, without the benchmark's own copy of the generated data).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CYCLE = "2026-11"


STEP1 = r"""
import json, resource, sys, time
from pathlib import Path
from sop_lib import data
from sop_lib.core.params import load_params
P = load_params(sys.argv[1])
t0 = time.perf_counter()
loaded = data.load_sources(P)
t1 = time.perf_counter()
blocking = [str(p) for p in loaded.problems if p.severity == "block"]
assert not blocking, blocking[:3]
assert len(loaded.tables["sales_history"]) == int(sys.argv[2])
monthly = data.monthly_sales(loaded.tables["sales_history"], loaded.tables["products"], "2026-11")
data.quality_warnings(monthly, loaded.tables["sales_history"], P)
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "harmonise_s": t2 - t1, "series_months": len(monthly),
                  "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "file_mb": (P.data_folder / "big_sales.csv").stat().st_size / 1024**2}))
"""


def _sales(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """``rows`` monthly bookings: 120 months x 4 regions x as many SKUs as it takes."""
    months = pd.date_range("2016-11-01", periods=120, freq="MS").strftime("%Y-%m")
    per_sku = len(months) * 4
    n_sku = rows // per_sku + 1
    return pd.DataFrame(
        {
            "month": np.tile(months, n_sku * 4)[:rows],
            "sku": np.repeat([f"SKU-{i:05d}" for i in range(n_sku)], per_sku)[:rows],
            "region": np.tile(np.repeat(["DACH", "Benelux", "Nordics", "Iberia"], len(months)), n_sku)[:rows],
            "units": rng.poisson(50, rows),
            "net_revenue_eur": rng.uniform(0, 5000, rows).round(2),
        }
    )


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_data(rows: int) -> None:
    from sop_lib import data
    from sop_lib.companies.demo import write_demo_company
    from sop_lib.core.params import SourceSpec

    rng = np.random.default_rng(0)
    sales = _sales(rows, rng)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_demo_company(Path(tmp) / "exports", CYCLE)
        sales.to_csv(folder / "big_sales.csv", index=False)
        products = pd.read_csv(folder / "products.csv")
        extra = pd.DataFrame({"sku": sales["sku"].unique()})
        extra = extra.assign(
            name=extra["sku"],
            family=np.where(np.arange(len(extra)) % 2, "Grinders", "Espresso machines"),
            status="active",
            list_price_eur=100.0,
            unit_cost_eur=50.0,
            uom="unit",
            units_per_case=1,
        )
        pd.concat([products, extra], ignore_index=True).to_csv(folder / "products.csv", index=False)

        _, base = _timed(lambda: pd.read_csv(folder / "big_sales.csv"))

        spec = SourceSpec(kind="csv", path="big_sales.csv", date_format="%Y-%m")

        def contract():
            raw = data.read_source("sales_history", spec, folder)
            parsed, p1 = data.parse_dates("sales_history", spec, raw, pd.Timestamp(f"{CYCLE}-01"))
            _, p2 = data.validate_source("sales_history", spec, parsed)
            return p1 + p2

        problems, t_contract = _timed(contract)
        assert not problems, problems

        raw = yaml.safe_load((Path(__file__).resolve().parent.parent / "params" / "default.yaml").read_text())
        raw["data"].update(folder=str(folder), demo=False)
        raw["sources"]["sales_history"]["path"] = "big_sales.csv"
        (Path(tmp) / "bench.yaml").write_text(yaml.safe_dump(raw))
        del sales, raw  # the step-1 figures come from a fresh process that holds only what step 1 holds
        out = subprocess.run(
            [sys.executable, "-c", STEP1, str(Path(tmp) / "bench.yaml"), str(rows)], capture_output=True, text=True
        )
        if out.returncode:
            sys.exit(f"step 1 failed:\n{out.stderr[-3000:]}")
        step1 = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"data   | {rows:,} sales rows ({step1['file_mb']:,.0f} MB) | bare read_csv {base:.1f} s | "
        f"read+parse+contract {t_contract:.1f} s ({t_contract / base:.1f}x) | "
        f"load_sources, all 14 sources {step1['load_s']:.1f} s | monthly grid + quality warnings "
        f"{step1['harmonise_s']:.1f} s ({step1['series_months']:,} series-months) | "
        f"step 1 in all {step1['load_s'] + step1['harmonise_s']:.1f} s, peak memory {step1['peak_gib']:.2f} GiB"
    )
