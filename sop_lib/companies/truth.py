"""The forecaster's limit for a synthetic company: draws from the demand distribution its
generator draws the sales from (the expected units and the negative binomial noise), knowing
neither the sales nor the future. The replay's ``limit`` policy plans with it
(`plan_quality.replay`); only a company we generated has one."""

from __future__ import annotations

import numpy as np
import pandas as pd


def forecaster_from_means(means: pd.DataFrame, noise_k: float, seed: int, draws: int = 300):
    """A replay forecaster (history, promotions, origin, horizon) -> draws (sample, sku, ds)
    from ``means`` (month, sku, mean_units; several rows per sku and month, e.g. regions,
    are drawn apart and summed) with negative binomial noise of shape ``noise_k``."""
    import xarray as xr

    by_series = means.pivot_table(
        index="month", columns=[c for c in means if c not in ("month", "mean_units")], values="mean_units", aggfunc="sum"
    )
    skus = xr.DataArray([c[0] if isinstance(c, tuple) else c for c in by_series.columns], dims="series", name="sku")

    def run(history: pd.DataFrame, future: pd.DataFrame, origin: pd.Timestamp, horizon: int) -> xr.DataArray:
        months = pd.date_range(origin, periods=horizon, freq="MS")
        mu = by_series.reindex(months).fillna(0.0).to_numpy()
        rng = np.random.default_rng([seed, origin.year, origin.month])
        m = np.maximum(mu[None].repeat(draws, axis=0), 1e-9)
        units = rng.negative_binomial(noise_k, noise_k / (noise_k + m))
        per_series = xr.DataArray(units.astype(float), dims=("sample", "ds", "series"), coords={"ds": months})
        return per_series.groupby(skus).sum("series").transpose("sample", "sku", "ds")

    return run


def truth_of(params, draws: int = 300):
    """The limit forecaster of the params' company, or None where its true demand is unknown
    (any company's own data)."""
    from sop_lib.companies import GENERATOR_FILE, demo, wholesaler

    if params.data.demo:
        means = demo.true_demand(params.data.demo_seed)[["month", "sku", "region", "mean_units"]]
        return forecaster_from_means(means, demo.NOISE_K, params.data.demo_seed, draws)
    marker = params.data_folder / GENERATOR_FILE
    if not marker.is_file():
        return None
    generator, cycle, seed = marker.read_text().split()
    if generator != "wholesaler":
        return None
    return forecaster_from_means(wholesaler.true_demand(cycle, int(seed)), wholesaler.NOISE_K, int(seed), draws)
