"""How good is a forecast? Accuracy and calibration on held-out months, against baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_lib.demand.model import ForecastInputError, ForecastResult, forecast, inference_of


def accuracy(actual: pd.DataFrame, fc: pd.DataFrame, train: pd.DataFrame, season_length: int = 12,
             model_col: str = "mean") -> dict:
    """WAPE, bias, sMAPE and MASE of one forecast column against held-out actuals."""
    m = actual.merge(fc, on=["unique_id", "ds"], how="inner")
    if m.empty:
        raise ValueError("forecast and actuals share no (unique_id, ds) rows")
    err = m[model_col] - m["y"]
    wape = err.abs().sum() / max(m["y"].abs().sum(), 1e-9)
    smape = np.mean(2 * err.abs() / (m[model_col].abs() + m["y"].abs()).replace(0, np.nan)) * 100
    scale = train.sort_values("ds").groupby("unique_id")["y"].apply(lambda s: s.diff(season_length).abs().mean())
    mase = (err.abs() / m["unique_id"].map(scale).replace(0, np.nan)).groupby(m["unique_id"]).mean().mean()
    return {"wape": float(wape), "bias": float(err.sum() / max(m["y"].sum(), 1e-9)),
            "smape": float(np.nanmean(smape)) if np.ndim(smape) else float(smape), "mase": float(mase)}


def interval_coverage(actual: pd.DataFrame, fc: pd.DataFrame, lo: str, hi: str) -> float:
    m = actual.merge(fc, on=["unique_id", "ds"], how="inner")
    return float(((m["y"] >= m[lo]) & (m["y"] <= m[hi])).mean())


def seasonal_naive(history: pd.DataFrame, horizon: int, season_length: int = 12) -> pd.DataFrame:
    """Same month last year: the baseline every forecast must beat."""
    rows = []
    for uid, g in history.sort_values("ds").groupby("unique_id"):
        last = g.tail(season_length)
        last_ds = g["ds"].max()
        for h in range(1, horizon + 1):
            rows.append((uid, last_ds + pd.DateOffset(months=h), float(last["y"].iloc[(h - 1) % len(last)])))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "mean"])




def holdout_split(history: pd.DataFrame, holdout: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History up to ``holdout`` months before its end, and those last months."""
    h = history.assign(ds=pd.to_datetime(history["ds"]))
    cutoff = h["ds"].max() - pd.DateOffset(months=holdout)
    return h[h["ds"] <= cutoff], h[h["ds"] > cutoff]


def backtest(history: pd.DataFrame, holdout: int, *, season_length: int = 12, group_col: str | None = None,
             regressors: tuple[str, ...] = (), baselines: bool = True, compare_models: bool | str = False,
             **fit_kwargs) -> tuple[pd.DataFrame, ForecastResult]:
    """Hold out the last ``holdout`` months, forecast them, and score against baselines.

    Returns one row per method (this engine, seasonal naive, AutoETS from statsforecast,
    and with ``compare_models`` the engine's other model with its default inference)
    with WAPE, bias, sMAPE, MASE and the P10-P90 interval's coverage, all on the same
    held-out months, plus the engine's backtest forecast. ``compare_models`` is True/False
    or ``"auto"|"always"|"never"`` (params ``demand.compare_models``): ``auto`` scores the
    other model only when it is the cheap one (ets by MAP), so the comparison never costs
    more than the forecast (a NUTS fit of the trend model on hundreds of series would).
    """
    train, test = holdout_split(history, holdout)
    if test.empty or train.empty:
        raise ForecastInputError(f"holdout of {holdout} months leaves no training or no test data")
    future = test[["unique_id", "ds", *regressors]]

    def fit(**kwargs) -> ForecastResult:
        return forecast(train, holdout, season_length=season_length, group_col=group_col, regressors=regressors,
                        future_regressors=future if regressors else None, return_draws=True, **kwargs)

    res = fit(**fit_kwargs)
    actual = test[["unique_id", "ds", "y"]]

    def engine_row(r: ForecastResult, label: str) -> dict:
        inference = inference_of(r.idata).upper()
        return {"method": f"{label} ({r.model} model, {inference})", **accuracy(actual, r.table, train, season_length),
                "coverage_p10_p90": interval_coverage(actual, r.table, "p10", "p90")}

    rows = [engine_row(res, "Bayesian engine")]
    if baselines:
        naive = seasonal_naive(train, holdout, season_length)
        rows.append({"method": "Seasonal naive (same month last year)", **accuracy(actual, naive, train, season_length),
                     "coverage_p10_p90": np.nan})
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        sf = StatsForecast(models=[AutoETS(season_length=season_length)], freq="MS", n_jobs=1)
        ets = sf.forecast(df=train[["unique_id", "ds", "y"]], h=holdout, level=[80]).reset_index(drop=False)
        ets = ets.rename(columns={"AutoETS": "mean", "AutoETS-lo-80": "lo", "AutoETS-hi-80": "hi"})
        ets["unique_id"] = ets["unique_id"].astype(str)
        rows.append({"method": "AutoETS (statsforecast)", **accuracy(actual, ets, train, season_length),
                     "coverage_p10_p90": interval_coverage(actual, ets, "lo", "hi")})
    if compare_models in ("auto", "always", "never"):
        compare_models = compare_models == "always" or (compare_models == "auto" and res.model == "trend")
    if compare_models:
        other = "ets" if res.model == "trend" else "trend"
        kwargs = {k: v for k, v in fit_kwargs.items() if k not in ("model", "method")}
        rows.append(engine_row(fit(model=other, **kwargs), "Engine's other model"))
    return pd.DataFrame(rows), res


def posterior_predictive_check(res: ForecastResult, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """Observed totals per month beside the P10-P90 band of replicated totals, and the share
    of observed series-months inside their own P10-P90 replicated band (about 0.8 if the
    model is calibrated in-sample)."""
    from sop_lib.demand import ets, model

    d = res.design
    replicate = ets.replicate_history if res.model == "ets" else model.replicate_history
    rep = replicate(res.idata, d, np.random.default_rng(seed))
    totals = np.nansum(rep, axis=1)  # (sample, month)
    q = np.quantile(totals, [0.1, 0.5, 0.9], axis=0)
    table = pd.DataFrame({"ds": d.months, "observed": np.nansum(d.y, axis=0), "rep_p10": q[0], "rep_p50": q[1],
                          "rep_p90": q[2]})
    lo, hi = np.nanquantile(rep, 0.1, axis=0), np.nanquantile(rep, 0.9, axis=0)
    inside = (d.y >= lo) & (d.y <= hi)
    return table, float(inside[d.mask].mean())



def describe_backtest(acc: pd.DataFrame, holdout: int) -> str:
    """The backtest in sentences for the report, whichever rows `backtest` produced."""
    def wape_of(prefix: str) -> float | None:
        hit = acc[acc["method"].str.startswith(prefix)]
        return float(hit.iloc[0]["wape"]) if len(hit) else None

    engine = acc.iloc[0]
    baselines = [f"{w:.1%} for {name}" for name, w in
                 (("the seasonal naive", wape_of("Seasonal naive")), ("AutoETS", wape_of("AutoETS"))) if w is not None]
    text = (f"Over the last {holdout} months the engine's weighted error (WAPE) was {engine['wape']:.1%}"
            f"{' against ' + ' and '.join(baselines) if baselines else ''}; its P10–P90 band held "
            f"{engine['coverage_p10_p90']:.0%} of the actual months (target 80%). ")
    other = wape_of("Engine's other model")
    if other is not None:
        return text + f"The engine's other model scored {other:.1%} (demand.model in the params file chooses the model)."
    return text + ("The engine's other model was not scored: fitting it would cost more than this forecast "
                   "(demand.compare_models: always compares it anyway).")
