"""Does the demo profile pass its own sampler checks with margin? The same fit over several seeds.

Fits the trend model to the demo company's history exactly as step 2 does (same series,
regressors and params profile) once per seed and prints, per seed, the divergences, the
worst r-hat, the smallest bulk and tail ESS, the parameter with the worst r-hat and the
seconds the fit took, then the worst of each over all seeds. The first fit also compiles
the model (PyTensor caches it), so its time is shown but the median leaves it out.

    python benchmarks/bench_sampler.py [--seeds 1,2,3,4,5] [--params params/default.yaml]
                                       [--draws N] [--tune N] [--target-accept X] [--holdout N]

``--holdout N`` fits the first ``len - N`` months, as step 2's backtest does.

``--companies N`` fits instead N generated companies the profile was not tuned on
(`sop_lib.companies.synthetic.random_spec`: 4-40 series, 24-72 months, 2 to 3,000 units a
month, flat to strongly seasonal, some intermittent) through step 2's own path for a named
model (`demand.named_model`), and prints per company whether the first NUTS fit passed its
checks, whether a re-run did, or whether the ets model took over; ``--series-cap`` bounds the
series per company.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def demo_history(params_file: Path):
    """Step 1 and the first cell of step 2, without the notebooks: (params, history, future promotions)."""
    from sop_lib import data, demand
    from sop_lib.companies import demo
    from sop_lib.core import params

    P = params.load_params(params_file)
    if P.data.demo:
        demo.ensure_demo_company(P.data_folder, P.cycle, P.data.demo_seed)
    t = data.load_sources(P).tables
    monthly = data.monthly_sales(t["sales_history"], t["products"], P.cycle)
    return P, *demand.sop_history(monthly, t["products"], t["marketing_calendar"], P.demand.horizon_months)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--params", default=str(ROOT / "params" / "default.yaml"))
    ap.add_argument("--draws", type=int)
    ap.add_argument("--tune", type=int)
    ap.add_argument("--target-accept", type=float)
    ap.add_argument("--holdout", type=int, default=0)
    ap.add_argument("--companies", type=int, default=0)
    ap.add_argument("--series-cap", type=int, default=40)
    args = ap.parse_args()
    if args.companies:
        return companies(args)

    from sop_lib import demand

    P, history, future = demo_history(Path(args.params))
    D = P.demand
    draws, tune = args.draws or D.draws, args.tune or D.tune
    target_accept = args.target_accept or D.target_accept
    if args.holdout:
        history, test = demand.holdout_split(history, args.holdout)
        future = test[["unique_id", "ds", "promo"]]
    horizon = args.holdout or D.horizon_months
    print(
        f"{history['unique_id'].nunique()} series x {history['ds'].nunique()} months; "
        f"{D.chains} chains x {draws} draws after {tune} tuning steps, target_accept {target_accept}",
        flush=True,
    )
    print("| seed | divergences | worst r-hat | min ESS bulk | min ESS tail | worst r-hat at | min ESS at | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        t0 = time.perf_counter()
        res = demand.forecast(
            history,
            horizon,
            season_length=D.season_length,
            group_col="family",
            regressors=("promo",),
            future_regressors=future,
            model="trend",
            method="nuts",
            draws=draws,
            tune=tune,
            chains=D.chains,
            seed=seed,
            target_accept=target_accept,
            return_draws=True,
        )
        seconds = time.perf_counter() - t0
        diag = demand.diagnostics(res.idata)
        rows.append((diag, seconds))
        print(
            f"| {seed} | {diag['divergences']} | {diag['max_r_hat']:.3f} | {diag['min_ess_bulk']:.0f} | "
            f"{diag['min_ess_tail']:.0f} | {diag['worst_r_hat_parameter']} | {diag['min_ess_parameter']} | {seconds:.0f} |",
            flush=True,
        )
    worst = {
        "divergences": max(d["divergences"] for d, _ in rows),
        "r_hat": max(d["max_r_hat"] for d, _ in rows),
        "ess_bulk": min(d["min_ess_bulk"] for d, _ in rows),
        "ess_tail": min(d["min_ess_tail"] for d, _ in rows),
    }
    times = [s for _, s in rows[1:]] or [rows[0][1]]
    print(
        f"| worst of {len(rows)} | {worst['divergences']} | {worst['r_hat']:.3f} | {worst['ess_bulk']:.0f} | "
        f"{worst['ess_tail']:.0f} | | | median {statistics.median(times):.0f} |"
    )
    print(
        f"checks passed on {sum(d['ok'] for d, _ in rows)} of {len(rows)} seeds "
        f"(want: 0 divergences, r-hat < {demand.RHAT_OK}, bulk ESS > {demand.ESS_OK})"
    )


def companies(args: argparse.Namespace) -> None:
    """The profile on generated companies: first-fit checks, re-runs and hand-overs to the ets model."""
    import dataclasses

    import numpy as np

    from sop_lib import demand
    from sop_lib.companies import synthetic
    from sop_lib.core import params
    from sop_lib.demand import briefing

    D = params.load_params(Path(args.params)).demand
    draws, tune = args.draws or D.draws, args.tune or D.tune
    rng = np.random.default_rng(2026)
    print(f"{args.companies} generated companies; {D.chains} chains x {draws} draws after {tune} tuning steps")
    print("| company | r-hat, min ESS, divergences (of the fit that failed, if one did) | outcome | seconds |")
    print("|---|---|---|---|")
    outcomes = []
    for k in range(args.companies):
        spec = synthetic.random_spec(rng, seed=k)
        spec = dataclasses.replace(spec, series=min(spec.series, args.series_cap))
        t0 = time.perf_counter()
        res = demand.named_model(
            synthetic.demand_history(spec),
            D.horizon_months,
            group_col="family",
            model="trend",
            method="nuts",
            draws=draws,
            tune=tune,
            chains=D.chains,
            seed=k,
            target_accept=args.target_accept or D.target_accept,
            return_draws=True,
        )
        table = briefing.diagnostics_table(res)
        first = table.iloc[-1]  # the fit that failed (the last one tried), or the one that passed at once
        outcome = "passed" if len(table) == 1 else {"re-run": "passed on re-run"}.get(first["check"], first["check"])
        outcomes.append(outcome)
        print(
            f"| {spec.series} series x {spec.months} months, level {spec.level:,.0f}, season {spec.seasonality:.2f}, "
            f"{spec.intermittent_share:.0%} intermittent | {first['max_r_hat']:.3f}, {first['min_ess_bulk']:.0f}, "
            f"{first['divergences']} | {outcome} | {time.perf_counter() - t0:.0f} |",
            flush=True,
        )
    print(", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes))) + f" of {len(outcomes)} companies")


if __name__ == "__main__":
    main()
