"""New products without history: an analog's demand, an uncertain launch month, a ramp-up.

A launch is planned per Monte Carlo draw: the launch month is drawn from a triangular
distribution over the planners' earliest / most likely / latest months, demand ramps
linearly to its peak over ``ramp_months`` following the analog's month-to-month shape
in that draw, and from launch on the analog loses ``cannibalisation`` of its demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand.design import ForecastInputError
from sop_lib.demand.drivers import sku_of


def launch_month_probabilities(earliest: pd.Timestamp, likely: pd.Timestamp, latest: pd.Timestamp) -> pd.Series:
    """Triangular distribution over launch months: the planners' earliest/likely/latest."""
    months = pd.date_range(earliest, latest, freq="MS")
    pos = np.arange(len(months), dtype=float)
    mode = float(len(pd.date_range(earliest, likely, freq="MS")) - 1)
    hi = max(len(months) - 1, 1e-9)
    w = np.where(pos <= mode, (pos + 1) / (mode + 1), (hi - pos + 1) / (hi - mode + 1))
    return pd.Series(w / w.sum(), index=months)


def add_launch(
    draws: xr.DataArray,
    *,
    new_id: str,
    analog_id: str,
    peak_units: float,
    ramp_months: int,
    launch_probs: pd.Series,
    cannibalisation: float,
    seed: int = 0,
    uncertainty_sd: float = 0.35,
    shape_from: xr.DataArray | None = None,
) -> xr.DataArray:
    """Add a new product's demand (no history) to the draws, and cannibalise its analog.

    Per draw: a launch month from ``launch_probs``, a linear ramp to ``peak_units`` over
    ``ramp_months``, shaped by the analog's month-to-month pattern in that draw, times a
    log-normal factor for how well the launch lands. From launch on, the analog loses
    ``cannibalisation`` of its demand (scaled by the ramp).
    """
    rng = np.random.default_rng(seed)
    S = draws.sizes["sample"]
    ds = pd.DatetimeIndex(draws["ds"].values)
    analog = draws.sel(unique_id=analog_id).values  # (S, T)
    pattern = analog if shape_from is None else shape_from.values
    shape = pattern / np.maximum(pattern.mean(axis=1, keepdims=True), 1e-9)
    launch = rng.choice(np.asarray(launch_probs.index), size=S, p=launch_probs.to_numpy())
    months_since = (
        (ds.year.to_numpy()[None, :] - pd.DatetimeIndex(launch).year.to_numpy()[:, None]) * 12
        + ds.month.to_numpy()[None, :]
        - pd.DatetimeIndex(launch).month.to_numpy()[:, None]
    )
    ramp = np.clip((months_since + 1) / max(ramp_months, 1), 0, 1) * (months_since >= 0)
    success = rng.lognormal(-(uncertainty_sd**2) / 2, uncertainty_sd, size=(S, 1))
    new = rng.poisson(peak_units * ramp * shape * success).astype(float)
    out = draws.copy()
    out.loc[dict(unique_id=analog_id)] = np.round(analog * (1 - cannibalisation * ramp))
    new_da = xr.DataArray(
        new[:, None, :].astype(draws.dtype),
        dims=("sample", "unique_id", "ds"),
        coords={"sample": draws["sample"], "unique_id": [new_id], "ds": draws["ds"]},
    )
    return xr.concat([out, new_da], dim="unique_id")


def apply_launches(draws: xr.DataArray, launches: pd.DataFrame, *, seed: int = 0, delay_months: int = 0) -> xr.DataArray:
    """Add every planned launch (per region) to 'SKU|region' draws; see `add_launch`.

    Existing regions of the analog get the launch in proportion to the analog's demand
    there and lose ``cannibalisation_pct`` of it; a region the analog does not sell in
    yet (a new territory) gets ``new_territory_share`` of the peak and cannibalises
    nothing. ``delay_months`` shifts the whole launch window (a what-if).
    """
    out = draws
    ids = [str(u) for u in draws["unique_id"].values]
    for k, la in launches.reset_index(drop=True).iterrows():
        shift = pd.DateOffset(months=delay_months)
        probs = launch_month_probabilities(
            la["earliest_launch"] + shift, la["likely_launch"] + shift, la["latest_launch"] + shift
        )
        analogs = {u.split("|", 1)[1]: u for u in ids if sku_of(u) == la["analog_sku"]}
        if not analogs:
            raise ForecastInputError(f"launch {la['sku']!r}: analog {la['analog_sku']!r} has no forecast to borrow from")
        means = {r: float(draws.sel(unique_id=u).mean()) for r, u in analogs.items()}
        total = sum(means.values()) or 1.0
        biggest = max(means, key=means.get)
        new_share = float(la.get("new_territory_share", 0.0))
        for region in str(la["regions"]).split(";"):
            region = region.strip()
            if region in analogs:
                peak = la["peak_units_per_month"] * (1 - new_share) * means[region] / total
                out = add_launch(
                    out,
                    new_id=f"{la['sku']}|{region}",
                    analog_id=analogs[region],
                    peak_units=peak,
                    ramp_months=int(la["ramp_months"]),
                    launch_probs=probs,
                    cannibalisation=float(la["cannibalisation_pct"]),
                    seed=seed + k,
                )
            else:
                out = add_launch(
                    out,
                    new_id=f"{la['sku']}|{region}",
                    analog_id=analogs[biggest],
                    peak_units=la["peak_units_per_month"] * new_share,
                    ramp_months=int(la["ramp_months"]),
                    launch_probs=probs,
                    cannibalisation=0.0,
                    seed=seed + k,
                    shape_from=draws.sel(unique_id=analogs[biggest]),
                )
    return out
