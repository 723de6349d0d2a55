"""The Bayesian engine versus AutoETS on simulated series, same run."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd


def bench_demand(n_series: int, model: str = "ets", method: str = "auto") -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from sop_lib import demand

    rng = np.random.default_rng(2)
    months = pd.date_range("2021-01-01", periods=42, freq="MS")  # 36 to fit, 6 held out
    season = np.sin(2 * np.pi * (months.month.to_numpy() - 1) / 12) * 0.3
    rows = []
    for i in range(n_series):
        mu = rng.uniform(20, 300) * np.exp(rng.normal(0, 0.1) * np.arange(42) / 12 + season)
        y = rng.negative_binomial(15, 15 / (15 + mu))
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": months, "y": y.astype(float), "family": f"f{i % 4}"}))
    hist = pd.concat(rows, ignore_index=True)
    train, test = hist[hist["ds"] <= months[-7]], hist[hist["ds"] > months[-7]]
    t0 = time.perf_counter()
    sf = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=1)
    ets = sf.forecast(df=train[["unique_id", "ds", "y"]], h=6, level=[80]).rename(
        columns={"AutoETS": "mean", "AutoETS-lo-80": "lo", "AutoETS-hi-80": "hi"}
    )
    t_ets = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc = demand.forecast(train, 6, group_col="family", model=model, method=method, draws=300, tune=300, chains=2, seed=1)
    t_ours = time.perf_counter() - t0
    a_ets, a_ours = demand.accuracy(test, ets, train), demand.accuracy(test, fc, train)
    c_ets = demand.interval_coverage(test, ets, "lo", "hi")
    c_ours = demand.interval_coverage(test, fc, "p10", "p90")
    print(
        f"demand | {n_series} series x 36 months ({model}, {method}): engine {t_ours:.1f} s, MASE {a_ours['mase']:.3f}, "
        f"sMAPE {a_ours['smape']:.1f}, 80% cover {c_ours:.0%} | AutoETS {t_ets:.1f} s, MASE {a_ets['mase']:.3f}, "
        f"sMAPE {a_ets['smape']:.1f}, 80% cover {c_ets:.0%} | time ratio {t_ours / t_ets:.1f}x"
    )
