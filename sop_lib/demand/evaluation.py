"""How good is a forecast? Accuracy and calibration on held-out months, against baselines."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand import ets, intermittent, selection, theta, trend, trusted
from sop_lib.demand.design import ForecastInputError
from sop_lib.demand.diagnostics import inference_of
from sop_lib.demand.draws import ForecastResult
from sop_lib.demand.engine import DRAWS, TUNE, forecast
from sop_lib.demand.sampling import OverBudget


def accuracy(
    actual: pd.DataFrame, fc: pd.DataFrame, train: pd.DataFrame, season_length: int = 12, model_col: str = "mean"
) -> dict:
    """WAPE, bias, sMAPE and MASE of one forecast column against held-out actuals."""
    m = actual.merge(fc, on=["unique_id", "ds"], how="inner")
    if m.empty:
        raise ValueError("forecast and actuals share no (unique_id, ds) rows")
    err = m[model_col] - m["y"]
    wape = err.abs().sum() / max(m["y"].abs().sum(), 1e-9)
    smape = np.mean(2 * err.abs() / (m[model_col].abs() + m["y"].abs()).replace(0, np.nan)) * 100
    ordered = train.sort_values(["unique_id", "ds"])
    scale = ordered.groupby("unique_id")["y"].diff(season_length).abs().groupby(ordered["unique_id"]).mean()
    mase = (err.abs() / m["unique_id"].map(scale).replace(0, np.nan)).groupby(m["unique_id"]).mean().mean()
    return {
        "wape": float(wape),
        "bias": float(err.sum() / max(m["y"].sum(), 1e-9)),
        "smape": float(np.nanmean(smape)) if np.ndim(smape) else float(smape),
        "mase": float(mase),
    }


def interval_coverage(actual: pd.DataFrame, fc: pd.DataFrame, lo: str, hi: str) -> float:
    m = actual.merge(fc, on=["unique_id", "ds"], how="inner")
    return float(((m["y"] >= m[lo]) & (m["y"] <= m[hi])).mean())


def seasonal_naive(history: pd.DataFrame, horizon: int, season_length: int = 12) -> pd.DataFrame:
    """Same month last year: the baseline every forecast must beat."""
    last = history.sort_values(["unique_id", "ds"]).groupby("unique_id", sort=True).tail(season_length)
    ids, start, n = np.unique(last["unique_id"].to_numpy(), return_index=True, return_counts=True)
    y, end = last["y"].to_numpy(dtype=float), pd.DatetimeIndex(last["ds"].to_numpy()[start + n - 1])
    parts = [
        pd.DataFrame({"unique_id": ids, "ds": end + pd.DateOffset(months=h), "mean": y[start + (h - 1) % n]})
        for h in range(1, horizon + 1)
    ]
    out = pd.concat(parts or [pd.DataFrame(columns=["unique_id", "ds", "mean"])], ignore_index=True)
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


PARALLEL_FROM_SERIES = 200  # below this, starting worker processes costs more than it saves


def baseline_jobs(train: pd.DataFrame) -> int:
    """Worker processes for the AutoETS baseline: every core once there are enough series to share."""
    return -1 if train["unique_id"].nunique() >= PARALLEL_FROM_SERIES else 1


def holdout_split(history: pd.DataFrame, holdout: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History up to ``holdout`` months before its end, and those last months."""
    h = history.assign(ds=pd.to_datetime(history["ds"]))
    cutoff = h["ds"].max() - pd.DateOffset(months=holdout)
    return h[h["ds"] <= cutoff], h[h["ds"] > cutoff]


CHOSEN_ELSEWHERE = "model per family chosen on the other half of these months"


def scored_series(train: pd.DataFrame, most: int, group_col: str | None, seed: int = 0) -> np.ndarray:
    """The series the held-out table scores: all of them, or about ``most`` drawn at random (seeded), each
    family in proportion to its size and with at least one. AutoETS on the held-out months costs as
    much as the engine's own fit at 1,000 SKUs x 3 regions; its score on 500 of them is as clear."""
    ids = train.drop_duplicates("unique_id")
    if not most or len(ids) <= most:
        return ids["unique_id"].to_numpy()
    family = ids[group_col] if group_col else pd.Series("all", index=ids.index)
    rng = np.random.default_rng(seed)
    picked = []
    for _, members in ids.groupby(family.to_numpy(), sort=True)["unique_id"]:
        take = max(1, round(len(members) * most / len(ids)))
        picked.append(rng.permutation(np.sort(members.to_numpy()))[:take])
    return np.sort(np.concatenate(picked))


def backtest(
    history: pd.DataFrame,
    holdout: int,
    *,
    season_length: int = 12,
    group_col: str | None = None,
    regressors: tuple[str, ...] = (),
    baselines: bool = True,
    scored: int = 0,
    compare_models: bool | str = False,
    select: bool = False,
    time_budget_s: float | None = None,
    margin: float = selection.MARGIN,
    **fit_kwargs,
) -> tuple[pd.DataFrame, ForecastResult]:
    """Hold out the last ``holdout`` months, forecast them, and score against baselines.

    Returns one row per method (this engine, seasonal naive, AutoETS from statsforecast,
    and with ``compare_models`` the engine's other model with its default inference)
    with WAPE, bias, sMAPE, MASE and the P10-P90 interval's coverage, all on the same
    held-out months and series (``scored``: about this many, `scored_series`; 0 every one),
    plus the engine's backtest forecast. The models are fitted and chosen on every series. ``compare_models`` is True/False
    or ``"auto"|"always"|"never"`` (params ``demand.compare_models``): ``auto`` scores the
    other model only when it is the cheap one (ets by MAP), so the comparison never costs
    more than the forecast (a NUTS fit of the trend model on hundreds of series would).

    With ``select`` (``demand.model: auto``) both models are fitted (the trend model only
    within ``time_budget_s``), each family takes the one that did better on these months
    or a mixture of both (`sop_lib.demand.selection`), and the first row scores that
    choice; the returned result carries it in ``choice``. Its score is optimistic by
    construction (chosen on the months it is scored on); the models' own rows are not, nor is
    the row where each half of the months is forecast by the choice made on the other half.
    """
    train, test = holdout_split(history, holdout)
    if test.empty or train.empty:
        raise ForecastInputError(f"holdout of {holdout} months leaves no training or no test data")
    future = test[["unique_id", "ds", *regressors]]

    def fit(**kwargs) -> ForecastResult:
        return forecast(
            train,
            holdout,
            season_length=season_length,
            group_col=group_col,
            regressors=regressors,
            future_regressors=future if regressors else None,
            return_draws=True,
            **kwargs,
        )

    actual = test[["unique_id", "ds", "y"]]
    ids = scored_series(train, scored, group_col, fit_kwargs.get("seed", 0))
    scored_actual, scored_train = actual[actual["unique_id"].isin(ids)], train[train["unique_id"].isin(ids)]

    def row(method: str, fc: pd.DataFrame, lo: str | None = "p10", hi: str = "p90") -> dict:
        """One table row: ``fc`` scored on the scored series (no interval: ``lo`` None)."""
        return {
            "method": method,
            **accuracy(scored_actual, fc, scored_train, season_length),
            "coverage_p10_p90": interval_coverage(scored_actual, fc, lo, hi) if lo else np.nan,
        }

    def engine_row(r: ForecastResult, label: str) -> dict:
        share = r.idata.attrs.get("theta_weight", 0.0)
        what = (
            "model chosen per family on these months"
            if r.model == "chosen"
            else f"{r.model} model, {inference_of(r.idata).upper()}" + (f", {share:.0%} Theta draws" if share else "")
        )
        return row(f"{label} ({what})", r.table)

    if select:
        res, elsewhere = _select(train, actual, fit, group_col, time_budget_s, margin, fit_kwargs)
    else:
        res = fit(**fit_kwargs)
    rows = [engine_row(res, "Bayesian engine")]
    if baselines:
        naive = seasonal_naive(scored_train, holdout, season_length)
        rows.append(row("Seasonal naive (same month last year)", naive, lo=None))
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        sf = StatsForecast(models=[AutoETS(season_length=season_length)], freq="MS", n_jobs=baseline_jobs(scored_train))
        ets = sf.forecast(df=scored_train[["unique_id", "ds", "y"]], h=holdout, level=[80]).reset_index(drop=False)
        ets = ets.rename(columns={"AutoETS": "mean", "AutoETS-lo-80": "lo", "AutoETS-hi-80": "hi"})
        ets["unique_id"] = ets["unique_id"].astype(str)
        rows.append(row("AutoETS (statsforecast)", ets, "lo", "hi"))
    if select and elsewhere is not None:
        rows.append(row(f"Bayesian engine ({CHOSEN_ELSEWHERE})", elsewhere))
    if select:
        rows += [engine_row(part, f"Engine's {name} model alone") for name, part in res.parts.items()]
        return pd.DataFrame(rows).assign(series_scored=len(ids)), _without_draws(res)
    if compare_models in ("auto", "always", "never"):
        compare_models = compare_models == "always" or (compare_models == "auto" and res.model == "trend")
    if compare_models:
        other = "ets" if res.model == "trend" else "trend"
        kwargs = {k: v for k, v in fit_kwargs.items() if k not in ("model", "method")}
        rows.append(engine_row(fit(model=other, **kwargs), "Engine's other model"))
    return pd.DataFrame(rows).assign(series_scored=len(ids)), _without_draws(res)


def _without_draws(res: ForecastResult) -> ForecastResult:
    """The held-out fit as the caller keeps it: scored, so its draws are dropped (at 10,000 SKUs x 3
    regions they stayed alive through the rest of step 2, 2 GB of its peak)."""
    return replace(
        res,
        draws=None,
        parts={k: _without_draws(v) for k, v in res.parts.items()},
        partitions=[_without_draws(p) for p in res.partitions],
    )


def _select(
    train: pd.DataFrame,
    actual: pd.DataFrame,
    fit,
    group_col: str | None,
    time_budget_s: float | None,
    margin: float,
    fit_kwargs: dict,
) -> tuple[ForecastResult, pd.DataFrame | None]:
    """Fit every candidate model on ``train`` and choose per family on ``actual``; also the forecast
    with the choice made on the other half of those months (`selection.chosen_elsewhere`)."""
    kwargs = {k: v for k, v in fit_kwargs.items() if k not in ("model", "method", "draws", "tune")}
    fits, unavailable = {}, {}
    for model, method in selection.MODELS.items():
        budget = time_budget_s if model == "trend" else None

        def run(n_draws: int, n_tune: int, model=model, method=method, budget=budget) -> ForecastResult:
            return fit(model=model, method=method, time_budget_s=budget, draws=n_draws, tune=n_tune, **kwargs)

        try:  # a sampled fit that fails its checks is run again, or its evidence is not used (`trusted`)
            fits[model] = trusted.checked(
                run, draws=fit_kwargs.get("draws", DRAWS), tune=fit_kwargs.get("tune", TUNE), time_budget_s=budget
            )
        except (OverBudget, trusted.FailedChecks) as why:
            unavailable[model] = str(why)
    keyed = train.assign(_family=train[group_col] if group_col else "all")
    choice, per_series = selection.choose_on(actual, fits, keyed, "_family", margin=margin, unavailable=unavailable)
    res = selection.combined(
        fits,
        per_series,
        choice,
        selection.family_of(keyed, "_family"),
        kwargs.get("quantiles", (0.1, 0.5, 0.9)),
        kwargs.get("seed", 42),
    )
    res.parts = {m: r for m, r in fits.items()}  # every candidate, for its own row
    elsewhere = selection.chosen_elsewhere(
        actual,
        fits,
        keyed,
        "_family",
        margin=margin,
        unavailable=unavailable,
        quantiles=kwargs.get("quantiles", (0.1, 0.5, 0.9)),
        seed=kwargs.get("seed", 42),
    )
    return res, elsewhere


def posterior_predictive_check(res: ForecastResult, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """Observed totals per month beside the P10-P90 band of replicated totals, and the share
    of observed series-months inside their own P10-P90 replicated band (about 0.8 if the
    model is calibrated in-sample). A per-family choice replicates each series as it is
    forecast: by its family's model, or by the mixture of both."""
    rng = np.random.default_rng(seed)
    fits = {name: part.partitions or [part] for name, part in res.fits().items()}  # a fit in partitions: each
    reps = {name: xr.concat([_as_array(p, _replicate(p, rng)) for p in pieces], dim="unique_id") for name, pieces in fits.items()}
    leaves = [p for pieces in fits.values() for p in pieces]
    if res.series_model is None:
        (rep,) = reps.values()
    else:
        rep = selection.blend(reps, res.series_model, seed)
    observed = xr.concat([_as_array(p, p.design.y) for p in leaves], dim="unique_id")
    observed = observed.isel(unique_id=~observed.get_index("unique_id").duplicated())
    observed = observed.reindex(unique_id=rep["unique_id"].values, ds=rep["ds"].values).values
    months, rep = pd.DatetimeIndex(rep["ds"].values), rep.values
    q = np.quantile(np.nansum(rep, axis=1), [0.1, 0.5, 0.9], axis=0)  # totals per (sample, month)
    table = pd.DataFrame(
        {"ds": months, "observed": np.nansum(observed, axis=0), "rep_p10": q[0], "rep_p50": q[1], "rep_p90": q[2]}
    )
    lo, hi = _band(rep, 0.1, 0.9)
    seen = ~np.isnan(observed)
    return table, float(((observed >= lo) & (observed <= hi))[seen].mean())


def _band(rep: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles over the samples (axis 0), nan where a series-month was not replicated. A month is
    unobserved in every sample or none, so one np.quantile does it: np.nanquantile took 8 of the 11 s
    of the check at 1,000 SKUs x 3 regions (a Python call per series-month)."""
    gap = np.isnan(rep)
    if not (gap.any(axis=0) == gap.all(axis=0)).all():  # nan in some samples only: the slow, general way
        return np.nanquantile(rep, low, axis=0), np.nanquantile(rep, high, axis=0)
    lo, hi = np.quantile(np.where(gap, 0.0, rep), [low, high], axis=0)
    missing = gap[0] if len(rep) else np.zeros(rep.shape[1:], bool)
    return np.where(missing, np.nan, lo), np.where(missing, np.nan, hi)


def _replicate(part: ForecastResult, rng: np.random.Generator) -> np.ndarray:
    """History replicated by one model's fit: (sample, series, month)."""
    if part.model != "ets":
        rep = trend.replicate_history(part.idata, part.design, rng)
        return intermittent.mixed_draws(rep, part.design.y, part.idata.attrs.get("tsb_weight", 0.0), rng, history=True)
    rep = ets.replicate_history(part.idata, part.design, rng)
    attrs = part.idata.attrs
    return theta.mixed_draws(
        rep,
        part.design,
        ets.regression_coef(part.idata),
        attrs.get("theta_weight", 0.0),
        rng,
        attrs.get("season_length", 12),
        history=True,
        overwrite=True,  # rep is this function's own
    )


def _as_array(part: ForecastResult, values: np.ndarray) -> xr.DataArray:
    """Label a (sample, series, month) or (series, month) array with the fit's series and months."""
    dims = ("sample", "unique_id", "ds")[-values.ndim :]
    return xr.DataArray(values, dims=dims, coords={"unique_id": part.design.ids.astype(str), "ds": part.design.months})


def describe_backtest(acc: pd.DataFrame, holdout: int) -> str:
    """The backtest in sentences for the report, whichever rows `backtest` produced."""

    def wape_of(prefix: str) -> float | None:
        hit = acc[acc["method"].str.startswith(prefix)]
        return float(hit.iloc[0]["wape"]) if len(hit) else None

    engine = acc.iloc[0]
    baselines = [
        f"{w:.1%} for {name}"
        for name, w in (("the seasonal naive", wape_of("Seasonal naive")), ("AutoETS", wape_of("AutoETS")))
        if w is not None
    ]
    text = (
        f"Over the last {holdout} months the engine's weighted error (WAPE) was {engine['wape']:.1%}"
        f"{' against ' + ' and '.join(baselines) if baselines else ''}; its P10–P90 band held "
        f"{engine['coverage_p10_p90']:.0%} of the actual months (target 80%). "
    )
    alone = acc[acc["method"].str.contains("model alone")]
    if len(alone) == 1:
        return text + "Only one model was fitted, so there was no choice to make (see the forecast below)."
    if len(alone):
        fair = wape_of(f"Bayesian engine ({CHOSEN_ELSEWHERE})")
        honest = f"; made on the other half of these months instead, it scored {fair:.1%}" if fair is not None else ""
        each = " and ".join(f"{r['wape']:.1%} ({r['method'].split(' model')[0].split()[-1]})" for _, r in alone.iterrows())
        return text + (
            f"The choice is scored on the months it was made on, so that figure flatters it{honest}; "
            f"each model alone scored {each}."
        )
    other = wape_of("Engine's other model")
    if other is not None:
        return text + f"The engine's other model scored {other:.1%} (demand.model in the params file chooses the model)."
    return text + (
        "The engine's other model was not scored: fitting it would cost more than this forecast "
        "(demand.compare_models: always compares it anyway)."
    )
