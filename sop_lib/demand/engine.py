"""`forecast(history, horizon)`: the demand engine's one entry point, statsforecast layout in and out."""

from __future__ import annotations

import pandas as pd

from sop_lib.demand.design import ForecastInputError
from sop_lib.demand.draws import ForecastResult
from sop_lib.demand.fitting import fit_series
from sop_lib.demand.partitioned import forecast_partitioned

DRAWS, TUNE = 300, 300  # draws and tuning steps per chain when the caller names none


def forecast(
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
    draws: int = DRAWS,
    tune: int = TUNE,
    chains: int = 2,
    seed: int = 42,
    target_accept: float = 0.9,
    map_iterations: int | None = None,
    theta_weight: float | None = None,
    tsb_weight: float | None = None,
    time_budget_s: float | None = None,
    partition: str = "none",
    max_series: int = 0,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int = 2,
    return_draws: bool = False,
) -> pd.DataFrame | ForecastResult:
    """Probabilistic monthly forecast for every series in ``history`` (unique_id, ds, y).

    Returns one row per series and future month with ``mean`` and one column per
    quantile (``p10``, ``p50``, ``p90``...). With ``return_draws=True`` returns a
    `ForecastResult` that also holds the simulated draws and the InferenceData.
    ``group_col`` names a column (e.g. the product family) within which the series are
    pooled; ``max_history`` keeps only the most recent months.

    ``model``: ``"trend"`` (this module: global damped trend, negative binomial or
    Student-t AR errors; ``method`` ``"nuts"`` or ``"advi"``) or ``"ets"``
    (`sop_lib.demand.ets`: local level, damped trend and seasonality that follow the data;
    ``method`` ``"map"`` or ``"nuts"``). ``"auto"`` takes ``trend`` for unit counts (the
    S&OP sales history) and ``ets`` for other positive data; ``method="auto"`` takes each
    model's default (NUTS for ``trend``, MAP for ``ets``). ``map_iterations`` overrides the
    MAP fit's L-BFGS budget (`sop_lib.demand.ets.MAP_ITERATIONS`). ``theta_weight`` is the
    share of the ``ets`` model's draws taken from the Theta method instead
    (`sop_lib.demand.theta`; default ``theta.WEIGHT``, 0 for the ets model alone);
    ``tsb_weight`` the share of the ``trend`` model's draws of intermittent series taken from
    TSB (`sop_lib.demand.intermittent`; default ``intermittent.WEIGHT``). ``time_budget_s`` stops a
    NUTS fit of the trend model that would take longer (`OverBudget`).

    ``partition="family"`` fits each family (in chunks of at most ``max_series`` series) on
    its own, in this process or as Dask tasks (``executor``, ``scheduler``, ``workers``):
    see `sop_lib.demand.partitioned`.
    """
    fit = dict(
        quantiles=quantiles,
        season_length=season_length,
        regressors=regressors,
        future_regressors=future_regressors,
        likelihood=likelihood,
        max_history=max_history,
        model=model,
        method=method,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=target_accept,
        map_iterations=map_iterations,
        theta_weight=theta_weight,
        tsb_weight=tsb_weight,
        time_budget_s=time_budget_s,
    )
    if partition == "family":
        if group_col is None:
            raise ForecastInputError("partition='family' needs group_col (the column naming each series' family)")
        res = forecast_partitioned(
            history,
            horizon,
            group_col=group_col,
            seed=seed,
            max_series=max_series,
            executor=executor,
            scheduler=scheduler,
            workers=workers,
            **fit,
        )
        return res if return_draws else res.table
    if partition != "none":
        raise ForecastInputError(f"partition must be 'none' or 'family', got {partition!r}")
    return fit_series(history, horizon, group_col=group_col, seed=seed, return_draws=return_draws, **fit)
