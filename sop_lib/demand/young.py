"""Young series: products on sale for too few months for the model.

The model needs ``min_months`` of history per series (two seasons' worth of pattern);
the backtest needs ``holdout`` more. A product introduced ten months ago is common in a
real company's data and must not stop the cycle. Such series are left out of the fit and
forecast by a rule that uses what they do have, their recent level, and what their family
knows, its seasonal pattern:

    demand[s, m] = level_s x season[family, calendar month m] x noise

with monthly noise as large as the series' own month-to-month scatter (on the log scale,
at least ``MIN_NOISE`` and at least a Poisson count's), and the level uncertain by that
scatter over the root of the months it rests on, so a series with two months gets a wider
band than one with fifteen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

MIN_NOISE = 0.25  # log-scale monthly scatter assumed at least (a few months understate it)
RECENT = 6  # months that set the level


def min_months(season_length: int) -> int:
    """The model's minimum history per series (as `model.check_history` enforces)."""
    return max(season_length + 6, 12)


def split_young(history: pd.DataFrame, season_length: int, holdout: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(series long enough for the model and its backtest, the young ones)."""
    length = history.groupby("unique_id")["ds"].transform("size")
    young = length < min_months(season_length) + holdout
    return history[~young].reset_index(drop=True), history[young].reset_index(drop=True)


def seasonal_index(history: pd.DataFrame, group_col: str = "family", years: int = 2) -> pd.Series:
    """(group, calendar month) -> demand relative to the group's mean month over the last
    ``years`` years; the group 'all' pools every series, for a group the model has no series of."""
    recent = history[history["ds"] > history["ds"].max() - pd.DateOffset(years=years)]
    cal = recent["ds"].dt.month.rename("cal_month")
    per_group = recent.groupby([recent[group_col], cal])["y"].sum()
    pooled = recent.groupby(cal)["y"].sum()
    pooled.index = pd.MultiIndex.from_product([["all"], pooled.index], names=per_group.index.names)
    by = pd.concat([per_group, pooled])
    return by / by.groupby(level=0).transform("mean")


def young_draws(
    young: pd.DataFrame, modelled: pd.DataFrame, like: xr.DataArray, *, seed: int = 0, group_col: str = "family"
) -> xr.DataArray:
    """Draws for the young series on the model's draws' samples and months (``like``)."""
    months = pd.DatetimeIndex(like["ds"].values)
    samples = like.sizes["sample"]
    ids = sorted(young["unique_id"].unique())
    out = np.zeros((samples, len(ids), len(months)))
    table = seasonal_index(modelled, group_col) if len(modelled) else pd.Series(dtype=float)
    rng = np.random.default_rng(seed)

    def factor(group, cal_months) -> np.ndarray:
        for key in (group, "all"):
            f = table.reindex([(key, int(m)) for m in cal_months]).to_numpy(dtype=float)
            if np.isfinite(f).all() and (f > 0).all():
                return f
        return np.ones(len(cal_months))

    for j, uid in enumerate(ids):
        g = young[young["unique_id"] == uid].sort_values("ds")
        group = g[group_col].iloc[0] if group_col in g else "all"
        deseason = g["y"].to_numpy(float) / factor(group, g["ds"].dt.month)
        recent = deseason[-RECENT:]
        mean = max(recent.mean(), 0.0)
        own = np.std(np.diff(np.log1p(deseason))) / np.sqrt(2) if len(deseason) > 2 else 0.0
        scatter = max(own, MIN_NOISE, 1 / np.sqrt(max(mean, 1.0)))  # small counts scatter at least as Poisson
        se = scatter / np.sqrt(len(recent))  # the level is uncertain too, more so with fewer months
        level = mean * rng.lognormal(-0.5 * se**2, se, size=samples)
        noise = rng.lognormal(-0.5 * scatter**2, scatter, size=(samples, len(months)))  # mean 1
        out[:, j, :] = level[:, None] * factor(group, months.month)[None, :] * noise
    return xr.DataArray(
        out,
        dims=("sample", "unique_id", "ds"),
        coords={"sample": like["sample"].values, "unique_id": ids, "ds": like["ds"].values},
    )


def describe_young(young: pd.DataFrame, season_length: int, holdout: int) -> str:
    """The report's sentence about them ('' when there are none)."""
    if young.empty:
        return ""
    n = young.groupby("unique_id").size()
    return (
        f"{len(n)} series {'has' if len(n) == 1 else 'have'} fewer than {min_months(season_length) + holdout} months of history "
        f"({n.min()} to {n.max()} months): the model and its backtest leave them out, and they are planned "
        "from their last months' level and their family's seasonal pattern, with a wide band."
    )
