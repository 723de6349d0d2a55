"""Benchmarks (`make bench`): each figure is reported beside a baseline measured in the same run.

    python benchmarks/run.py [--only data,lp,scenarios,demand] [--series 1000] [--model ets|trend] [--method auto|map|advi|nuts] [--rows 1000000]

* data   — read + validate a sales export of ``--rows`` rows (our reader, date parsing
           and pandera contract) versus a bare ``pandas.read_csv`` of the same file.
* lp     — the production LP for 1,000 SKUs x 5 lines x 12 months (HiGHS), versus
           building the same model's inputs.
* demand — the Bayesian engine versus statsforecast AutoETS on ``--series`` simulated
           monthly series (36 months of history, 6 held out): time and accuracy.
Absolute seconds on shared machines are noisy; compare the ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_data import bench_data  # noqa: E402
from bench_demand import bench_demand  # noqa: E402
from bench_lp import bench_lp  # noqa: E402
from bench_scenarios import bench_scenarios  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="data,lp,scenarios,demand")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--model", default="ets", help="demand engine model: ets (default) or trend")
    ap.add_argument("--method", default="auto", help="inference: map or nuts (ets), advi or nuts (trend)")
    args = ap.parse_args()
    todo = set(args.only.split(","))
    if "data" in todo:
        bench_data(args.rows)
    if "lp" in todo:
        bench_lp()
    if "scenarios" in todo:
        bench_scenarios()
    if "demand" in todo:
        bench_demand(args.series, args.model, args.method)


if __name__ == "__main__":
    main()
