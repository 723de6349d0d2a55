"""A forecast's result: its table, its simulated draws, and summaries of draws."""

from __future__ import annotations

from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand.design import Design, ForecastInputError, quantile_column


@dataclass
class ForecastResult:
    table: pd.DataFrame  # unique_id, ds, mean, p10, ...
    draws: xr.DataArray  # (sample, unique_id, ds) simulated future demand
    idata: az.InferenceData | None  # posterior and sampler statistics
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
