"""`sop backtest` on the demo company (`make bench-backtest`): 12 monthly re-plans of four policies.

Reports the replay's seconds, split into the suite's forecasts and the rest (three LPs a
month and the bookkeeping), beside one forecast of the whole history with the same fast
profile measured in the same run, so the figure reads as "a replay costs N forecasts".
Prints the summary table docs/plan-quality.md quotes (one row per policy).

    python benchmarks/bench_backtest.py [--months 12] [--warmup N] [--model ets --method map]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def bench_backtest(
    months: int = 12, warmup: int | None = None, model: str | None = None, method: str | None = None
) -> pd.DataFrame:
    from sop_lib.companies import demo, truth
    from sop_lib.core.params import load_params
    from sop_lib.plan_quality import replay as backtest

    P = load_params(ROOT / "params" / "default.yaml", check_files=False)
    demo.ensure_demo_company(P.data_folder, P.cycle, P.data.demo_seed)
    b = P.backtest if warmup is None else P.backtest.model_copy(update={"warmup_months": warmup})
    history, future, tables = backtest.load_history(P)
    model, method, _ = backtest.replay_profile(model or b.model, method or b.method, history)
    replayed = backtest.replay_months(P.cycle, months)
    engine = backtest.engine_forecaster(
        season_length=P.demand.season_length,
        model=model,
        method=method,
        draws=b.draws,
        seed=P.demand.seed,
        theta_weight=P.demand.theta_weight,
        tsb_weight=P.demand.tsb_weight,
    )
    engine(history[history["ds"] < replayed[0]], future, replayed[0], b.horizon_months)  # compile once, not timed
    t0 = time.perf_counter()
    engine(history, future, history["ds"].max() + pd.DateOffset(months=1), b.horizon_months)
    one_fit = time.perf_counter() - t0
    spent, made = [], {}

    def timed(seen, future, origin, horizon):
        t = time.perf_counter()
        made[origin] = engine(seen, future, origin, horizon)
        spent.append(time.perf_counter() - t)
        return made[origin]

    future_all = backtest.promotions_ahead(history, future, replayed[0] - pd.DateOffset(months=b.warmup_months))
    t0 = time.perf_counter()
    records, overtime = backtest.replay(
        history,
        future_all,
        tables,
        replayed=replayed,
        horizon=b.horizon_months,
        costs=backtest.costs_of(P),
        naive_cover_weeks=b.naive_cover_weeks,
        forecaster=timed,
        policies=("suite", "naive", "limit", "perfect"),
        truth=truth.truth_of(P),
        warmup=b.warmup_months,
    )
    total = time.perf_counter() - t0
    from sop_lib.reconciliation.evaluate import units_per_customer

    summary = backtest.summarise(records, overtime, units_per_customer=units_per_customer(tables["open_orders"]))
    series = history["unique_id"].nunique()
    print(
        f"backtest: {months} months (+{b.warmup_months} warm-up) x 4 policies on the demo ({series} series, {records['sku'].nunique()} SKUs), "
        f"profile {model}/{method}, {b.horizon_months}-month plans"
    )
    print(
        f"  replay            {total:7.1f} s  = {total / one_fit:5.1f} x one forecast of the whole history "
        f"({one_fit:.1f} s, same run)"
    )
    print(
        f"  of which forecasts {sum(spent):6.1f} s ({sum(spent) / total:.0%}); LPs and bookkeeping "
        f"{total - sum(spent):.1f} s ({(total - sum(spent)) / (4 * (months + b.warmup_months)):.2f} s per policy-month)"
    )
    shown = summary.assign(
        fill_rate=(100 * summary["fill_rate"]).round(1),
        cycle_service_level=(100 * summary["cycle_service_level"]).round(1),
        customer_months_waiting=summary["customer_months_waiting"].round(0),
        avg_inventory_eur=summary["avg_inventory_eur"].round(-3),
        total_cost_eur=summary["total_cost_eur"].round(-3),
        cost_gap_to_perfect_pct=summary["cost_gap_to_perfect_pct"].round(0),
    )
    print(shown.iloc[:, :7].to_string(index=False))
    for line in backtest.verdict(summary, P.supply.service_level):
        print(" ", line)
    return summary


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--warmup", type=int, default=None, help="warm-up months before the scored ones (default: the params')")
    ap.add_argument("--model", choices=["auto", "ets", "trend"], default=None, help="the suite's model (default: the params')")
    ap.add_argument(
        "--method", choices=["auto", "map", "advi", "nuts"], default=None, help="its inference (default: the params')"
    )
    args = ap.parse_args()
    bench_backtest(args.months, args.warmup, args.model, args.method)
