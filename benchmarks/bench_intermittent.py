"""Intermittent demand: the engine's two models against Croston, TSB and ADIDA, on series whose truth is known.

    python benchmarks/bench_intermittent.py [--series 20] [--seed 1] [--draws 500]

Data, each with its true expected demand per month:
  simulated   three kinds of spare-part series, ``--series`` of each, 48 months to fit and 12 to
              score: *stationary* (a month sells with probability 0.1-0.5, then 1 + Poisson units),
              *seasonal* (that probability follows the season), *fading* (it falls 35% a year,
              as a part whose machines retire);
  demo        the demo's niche grinder in its three regions (the demo calendar's mean).
Methods, in the same run: the engine's ``trend`` model (negative binomial, NUTS) with half of
an intermittent series' draws from TSB (its default) and alone, its ``ets`` model (MAP, with its
Theta half), statsforecast's CrostonOptimized, TSB (alpha_d = alpha_p = 0.1), ADIDA and
SeasonalNaive.
Metrics over the 12 scored months:
  rmse_truth  root mean squared error of the point forecast (the mean) against the TRUE
              expected demand, relative to the true mean: what a planner's stock is set from
  bias_truth  sum of forecasts against the sum of the true means
  wape        absolute error against the units that actually sold, over those units
  cov80       share of sold units inside P10-P90 (the engine only: the others give no interval)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

MONTHS = pd.date_range("2021-01-01", periods=60, freq="MS")
SEASON = 1 + 0.6 * np.sin(2 * np.pi * (np.arange(12) - 2) / 12)


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sales, truth): unique_id, ds, y, family and unique_id, ds, truth for the three kinds."""
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    years = np.arange(len(MONTHS)) / 12
    for kind in ("stationary", "seasonal", "fading"):
        for k in range(n):
            p0, size = rng.uniform(0.1, 0.5), rng.uniform(0.5, 6)
            p = np.full(len(MONTHS), p0)
            if kind == "seasonal":
                p = np.clip(p0 * SEASON[MONTHS.month - 1], 0, 0.95)
            if kind == "fading":
                p = p0 * 0.65**years
            y = rng.binomial(1, p) * (1 + rng.poisson(size, len(MONTHS)))
            uid = f"{kind}-{k:02d}"
            rows.append(pd.DataFrame({"unique_id": uid, "ds": MONTHS, "y": y.astype(float), "family": kind}))
            truth.append(pd.DataFrame({"unique_id": uid, "ds": MONTHS, "truth": p * (1 + size)}))
    return pd.concat(rows, ignore_index=True), pd.concat(truth, ignore_index=True)


def demo_niche() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's intermittent grinder: 48 months of sales to its last cycle, then 12 of truth."""
    from sop_lib.companies import demo

    world = demo.true_demand(20261)
    g = world[world["sku"] == "GRN-SINGLE-35"]
    end = pd.Timestamp("2027-10-01")
    g = g[(g["month"] > end - pd.DateOffset(months=60)) & (g["month"] <= end)]
    sales = pd.DataFrame(
        {"unique_id": g["sku"] + "|" + g["region"], "ds": g["month"], "y": g["units"].astype(float), "family": "niche"}
    )
    return sales, pd.DataFrame({"unique_id": sales["unique_id"], "ds": sales["ds"], "truth": g["mean_units"]})


def baselines(train: pd.DataFrame, h: int) -> dict[str, tuple[pd.DataFrame, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import ADIDA, TSB, CrostonOptimized, SeasonalNaive

    out = {}
    for label, model in (
        ("CrostonOptimized", CrostonOptimized()),
        ("TSB", TSB(alpha_d=0.1, alpha_p=0.1)),
        ("ADIDA", ADIDA()),
        ("SeasonalNaive", SeasonalNaive(12)),
    ):
        t0 = time.perf_counter()
        fc = StatsForecast(models=[model], freq="MS", n_jobs=1).forecast(df=train[["unique_id", "ds", "y"]], h=h)
        col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
        fc = fc.rename(columns={col: "mean"}).assign(unique_id=lambda d: d["unique_id"].astype(str))
        out[label] = (fc[["unique_id", "ds", "mean"]], time.perf_counter() - t0)
    return out


def engine(train: pd.DataFrame, h: int, model: str, seed: int, draws: int = 500, **kwargs) -> tuple[pd.DataFrame, float]:
    from sop_lib import demand

    t0 = time.perf_counter()
    method = "nuts" if model == "trend" else "map"
    fc = demand.forecast(
        train,
        h,
        group_col="family",
        model=model,
        method=method,
        draws=draws,
        tune=draws,
        seed=seed,
        likelihood="negbin" if model == "trend" else "auto",
        **kwargs,
    )
    return fc, time.perf_counter() - t0


def score(test: pd.DataFrame, truth: pd.DataFrame, fc: pd.DataFrame) -> dict:
    m = test.merge(truth, on=["unique_id", "ds"]).merge(fc, on=["unique_id", "ds"])
    err = m["mean"] - m["truth"]
    out = {
        "rmse_truth": float(np.sqrt((err**2).mean()) / m["truth"].mean()),
        "bias_truth": float(err.sum() / m["truth"].sum()),
        "wape": float((m["mean"] - m["y"]).abs().sum() / m["y"].sum()),
    }
    out["cov80"] = float(((m["y"] >= m["p10"]) & (m["y"] <= m["p90"])).mean()) if "p10" in m else np.nan
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=20, help="simulated series of each kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--draws", type=int, default=500, help="NUTS draws (and tuning steps) per chain of the trend model")
    args = ap.parse_args()
    rows = []
    for data, (sales, truth) in (("simulated", simulate(args.series, args.seed)), ("demo niche", demo_niche())):
        cutoff = sales["ds"].max() - pd.DateOffset(months=12)
        train, test = sales[sales["ds"] <= cutoff], sales[sales["ds"] > cutoff]
        runs = {
            "engine trend": engine(train, 12, "trend", args.seed, args.draws),  # with its TSB half
            "engine trend alone": engine(train, 12, "trend", args.seed, args.draws, tsb_weight=0.0),
            "engine ets": engine(train, 12, "ets", args.seed, args.draws),
        }
        runs.update(baselines(train, 12))
        kinds = sorted(test["family"].unique()) if data == "simulated" else ["niche"]
        for label, (fc, secs) in runs.items():
            for kind in kinds + (["all"] if len(kinds) > 1 else []):
                part = test if kind == "all" else test[test["family"] == kind]
                rows.append({"data": data, "kind": kind, "method": label, **score(part, truth, fc), "seconds": secs})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    best = table.loc[table.groupby(["data", "kind"])["rmse_truth"].idxmin(), ["data", "kind", "method", "rmse_truth"]]
    print("\nclosest to the true demand, per kind:\n" + best.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
