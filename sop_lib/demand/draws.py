"""A forecast's result: its table, its simulated draws, and summaries of draws."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.core.memory import STEP_BASE_GB  # a step kernel before any draws, as steps 3-4 count it
from sop_lib.demand.design import Design, ForecastInputError, quantile_column

MIN_SAMPLES = 1000  # a MAP fit has no chains to draw from, so it simulates at least this many per series
# Copies of a 64-bit draw array step 2 holds at its peak (its simulations are 64-bit; what it keeps
# is 32-bit, as handed over), with 32-bit draws written one at a time: 2.8 GB at 1,000 SKUs x 3
# regions (2,850 series x 1,000 samples x 12 months, 0.27 GB a 64-bit copy: 7.3 copies) and 21.8 GB
# at 10,000 x 3 (27,000 series, 2.6 GB a copy: 8.1 copies), measured once each. (With 64-bit draws
# written together the 1,000 x 3 peak was 3.3 GB.)
DRAW_COPIES = 8


def samples_per_series(draws: int, chains: int, method: str) -> int:
    """Simulated futures per series: the chains' draws, or at least `MIN_SAMPLES` for a MAP fit."""
    return max(draws * chains, MIN_SAMPLES) if method == "map" else draws * chains


def draws_memory_gb(series: int, samples: int, horizon: int) -> float:
    """Step 2's expected memory peak for its draws, in GB (`DRAW_COPIES` 64-bit copies held at once)."""
    return STEP_BASE_GB + DRAW_COPIES * series * samples * horizon * 8 / 1e9


def check_draws_memory(history: pd.DataFrame, demand_params, available_gb: float | None = None) -> float:
    """Refuse, before any fit, a forecast whose draws will not fit in memory; return the estimate in GB.

    ``demand_params`` has ``draws``, ``chains`` and ``horizon_months`` (params' ``demand``)."""
    import psutil

    series = history["unique_id"].nunique()
    samples = samples_per_series(demand_params.draws, demand_params.chains, "map")  # the most any model draws
    need = draws_memory_gb(series, samples, demand_params.horizon_months)
    free = psutil.virtual_memory().available / 1e9 if available_gb is None else available_gb
    if need > free:
        fewer = max(1, int(demand_params.horizon_months * (free - STEP_BASE_GB) / (need - STEP_BASE_GB)))
        raise ForecastInputError(
            f"step 2 would need about {need:.1f} GB for the draws of {series:,} series x {samples:,} samples x "
            f"{demand_params.horizon_months} months, and {free:.1f} GB are free: set demand.horizon_months to at most "
            f"{fewer}, forecast fewer series (one region or family per params file), or run on a machine with more memory"
        )
    return need


def posterior_samples(idata: xr.DataTree, max_draws: int | None = None) -> xr.Dataset:
    """The posterior with chains and draws stacked into one ``sample`` dimension (last), thinned
    evenly to at most ``max_draws``: what the models simulate from."""
    post = idata.posterior.to_dataset().stack(sample=("chain", "draw"))  # ArviZ 1: the group is a DataTree node
    if max_draws is not None and post.sizes["sample"] > max_draws:
        post = post.isel(sample=np.linspace(0, post.sizes["sample"] - 1, max_draws).astype(int))
    return post


@dataclass
class ForecastResult:
    table: pd.DataFrame  # unique_id, ds, mean, p10, ...
    draws: xr.DataArray  # (sample, unique_id, ds) simulated future demand
    idata: xr.DataTree | None  # posterior and sampler statistics
    fit_seconds: float = 0.0
    likelihood: str = ""
    design: "Design | None" = None  # the arrays the model saw (for the posterior predictive check)
    model: str = "trend"  # "trend" (this module), "ets" (sop_lib.demand.ets) or "chosen" (per family)
    parts: dict[str, "ForecastResult"] = field(default_factory=dict)  # "chosen": the fit of each model used
    choice: "pd.DataFrame | None" = None  # "chosen": family, model, reason (sop_lib.demand.selection)
    series_model: "pd.Series | None" = None  # "chosen": unique_id -> trend, ets or mix
    partitions: list["ForecastResult"] = field(default_factory=list)  # fitted per partition (demand.partition)
    partition: str = ""  # the partition this result is, when it is one
    notes: list[str] = field(default_factory=list)  # sentences on fits re-run or rejected (sop_lib.demand.trusted)
    rejected: list[dict] = field(default_factory=list)  # diagnostics of the fits that failed their checks

    def fits(self) -> dict[str, "ForecastResult"]:
        """Every model fit behind this forecast: one, or one per model the families chose."""
        return self.parts or {self.model: self}


def summarise_draws(draws: xr.DataArray, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Long table of mean and quantiles from draws with dims (sample, unique_id, ds)."""
    qs = np.quantile(draws.values, quantiles, axis=0)  # (q, series, month)
    ids, ds = draws["unique_id"].values, pd.DatetimeIndex(draws["ds"].values)
    out = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, len(ds)),
            "ds": np.tile(ds, len(ids)),
            "mean": draws.values.mean(axis=0).ravel(),
        }
    )
    for q, vals in zip(quantiles, qs):
        out[quantile_column(q)] = vals.ravel()
    return out


def horizon_totals(draws: xr.DataArray, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Each series' total over the horizon: mean and quantiles of the summed draws (a sum of
    monthly P90s would overstate the best case)."""
    total = draws.sum("ds").transpose("sample", "unique_id").values
    out = pd.DataFrame({"unique_id": draws["unique_id"].values.astype(str), "mean": total.mean(axis=0)})
    for q, vals in zip(quantiles, np.quantile(total, quantiles, axis=0)):
        out[quantile_column(q)] = vals
    return out


def aggregate_draws(draws: xr.DataArray, mapping: pd.Series) -> xr.DataArray:
    """Sum series draws to a level above them (family, total); coherent in every draw."""
    labels = mapping.reindex(draws["unique_id"].values).to_numpy()
    if pd.isna(labels).any():
        missing = draws["unique_id"].values[pd.isna(labels)]
        raise ForecastInputError(f"no aggregate given for series {list(missing)[:5]}")
    return draws.assign_coords(group=("unique_id", labels)).groupby("group").sum("unique_id").rename(group="unique_id")
