"""One demand model over a set of series: the trend model (with TSB for intermittent series) or the ets model (with Theta)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.core.handover import DRAWS_DTYPE
from sop_lib.demand import ets, intermittent, theta, trend
from sop_lib.demand.design import ForecastInputError, check_history, design
from sop_lib.demand.draws import ForecastResult, samples_per_series, summarise_draws


def fit_series(
    history: pd.DataFrame,
    horizon: int,
    *,
    season_length: int = 12,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    group_col: str | None = None,
    regressors: tuple[str, ...] = (),
    future_regressors: pd.DataFrame | None = None,
    likelihood: str = "auto",
    max_history: int | None = 72,
    model: str = "auto",
    method: str = "auto",
    draws: int = 300,
    tune: int = 300,
    chains: int = 2,
    seed: int = 42,
    target_accept: float = 0.9,
    map_iterations: int | None = None,
    theta_weight: float | None = None,
    tsb_weight: float | None = None,
    time_budget_s: float | None = None,
    return_draws: bool = False,
) -> pd.DataFrame | ForecastResult:
    """One model over every series of ``history`` (`forecast` without partitions; see its arguments)."""
    if horizon < 1:
        raise ForecastInputError(f"horizon must be at least 1 month, got {horizon}")
    for name, share in (("theta_weight", theta_weight), ("tsb_weight", tsb_weight)):
        if share is not None and not 0 <= share <= 1:
            raise ForecastInputError(f"{name} is a share of the draws, between 0 and 1, got {share}")
    if likelihood not in ("auto", "negbin", "student"):
        raise ForecastInputError(f"likelihood must be 'auto', 'negbin' or 'student', got {likelihood!r}")
    methods = {"trend": ("nuts", "advi"), "ets": ("map", "nuts")}
    if model not in ("auto", *methods):
        raise ForecastInputError(f"model must be 'auto', 'trend' or 'ets', got {model!r}")
    df = check_history(history, season_length, list(regressors))
    d = design(
        df,
        horizon,
        group_col=group_col,
        regressors=list(regressors),
        future_regressors=future_regressors,
        season_length=season_length,
        likelihood=likelihood,
        max_history=max_history,
    )
    if model == "auto":
        model = "trend" if d.likelihood == "negbin" else "ets"
    method = methods[model][0] if method == "auto" else method
    if method not in methods[model]:
        raise ForecastInputError(
            f"the {model!r} model is fitted with method {' or '.join(map(repr, methods[model]))}, not {method!r}"
        )
    if model == "ets" and likelihood == "negbin":
        raise ForecastInputError("the 'ets' model works on the log scale; use likelihood='auto' or 'student' with it")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if model == "ets":
        idata = ets.fit(
            d,
            method=method,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            target_accept=target_accept,
            season_length=season_length,
            max_iterations=map_iterations or ets.MAP_ITERATIONS,
        )
        sims = ets.simulate(idata, d, rng, n_draws=samples_per_series(draws, chains, method))
        weight = theta.WEIGHT if theta_weight is None else theta_weight
        sims = theta.mixed_draws(sims, d, ets.regression_coef(idata), weight, rng, season_length, overwrite=True)
        idata.attrs.update({"theta_weight": weight, "season_length": season_length})  # the check replicates the mixture
    else:
        idata = trend.fit(
            d,
            method=method,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            target_accept=target_accept,
            season_length=season_length,
            time_budget_s=time_budget_s,
        )
        sims = trend.simulate(idata, d, rng)
        weight = intermittent.WEIGHT if tsb_weight is None else tsb_weight
        sims = intermittent.mixed_draws(sims, d.y, weight, rng)
        idata.attrs.update(
            {
                "tsb_weight": weight,  # the posterior predictive check replicates the mixture
                "tsb_series": int(intermittent.is_intermittent(d.y).sum()),
            }
        )
    elapsed = time.perf_counter() - start
    draws_da = xr.DataArray(
        sims.astype(DRAWS_DTYPE),  # held as they are handed over: step 2 keeps several copies at once
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(sims.shape[0]), "unique_id": d.ids.astype(str), "ds": d.future},
        name="demand",
    )
    table = summarise_draws(draws_da, quantiles)
    if return_draws:
        likelihood_used = d.likelihood if model == "trend" else "lognormal"
        return ForecastResult(table, draws_da, idata, elapsed, likelihood_used, d, model)
    return table
