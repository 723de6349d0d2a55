"""Intermittent demand (spare parts): which series are, and TSB draws for them.

A series is intermittent when it sells less often than every 1.32 months on average (the
Syntetos-Boylan cut-off on the average demand interval). For such series the TSB method
(Teunter, Syntetos & Babai, 2011) smooths two things separately, every month:

    p' = p + alpha_p (sold? - p)          the chance that a month sells
    z' = z + alpha_d (units - z)          the size of a sale, updated in months that sell

and forecasts ``p z`` per month. Unlike Croston it lowers ``p`` in every month without a sale,
so a part whose machines retire fades out of the forecast. `draws` makes it generative: each
future month sells with chance ``p`` and then as many units as one of the series' own past
sales, rescaled to the smoothed size ``z`` (a bootstrap, so the sizes keep their skew).
The trend model mixes these draws into its own for intermittent series
(`sop_lib.demand.model.forecast`, ``tsb_weight``): on simulated spare parts the count model
alone overshoots stationary and fading demand, TSB misses seasonal occurrence
(``make bench-intermittent``).
"""

from __future__ import annotations

import numpy as np

ADI_INTERMITTENT = 1.32  # average months between sales above which demand is intermittent (Syntetos & Boylan)
ALPHA_P = 0.1  # smoothing of the chance to sell (statsforecast's TSB as benchmarked)
ALPHA_D = 0.1  # smoothing of the size of a sale
WEIGHT = 0.5  # share of the trend model's draws of an intermittent series taken from TSB (make bench-intermittent)


def is_intermittent(y: np.ndarray) -> np.ndarray:
    """Per series of a (series, month) grid (nan before a series starts): sells less often than
    every 1.32 months on average."""
    months = (~np.isnan(y)).sum(axis=1)
    sold = (np.nan_to_num(y) > 0).sum(axis=1)
    return months / np.maximum(sold, 1) > ADI_INTERMITTENT


def smooth(y: np.ndarray, alpha_p: float = ALPHA_P, alpha_d: float = ALPHA_D) -> tuple[np.ndarray, np.ndarray]:
    """TSB's chance to sell and size of a sale before every month, and after the last one:
    two (series, month + 1) arrays. They start from the first year's share of months that sold
    and the mean size of the first year's sales (the first sale's, if that year sold nothing)."""
    observed = ~np.isnan(y)
    units = np.nan_to_num(y)
    sold = units > 0
    first = observed.argmax(axis=1)
    cols = first[:, None] + np.arange(12)[None, :]
    inside = cols < y.shape[1]  # a series shorter than a year: its months only
    cols = np.minimum(cols, y.shape[1] - 1)
    year_obs = np.take_along_axis(observed, cols, axis=1) & inside
    year_sold = np.take_along_axis(sold, cols, axis=1) & year_obs
    p = year_sold.sum(axis=1) / np.maximum(year_obs.sum(axis=1), 1)
    first_sale = units[np.arange(len(y)), sold.argmax(axis=1)]
    year_units = np.where(year_sold, np.take_along_axis(units, cols, axis=1), 0.0).sum(axis=1)
    z = np.where(year_sold.any(axis=1), year_units / np.maximum(year_sold.sum(axis=1), 1), first_sale)
    ps, zs = np.empty((len(y), y.shape[1] + 1)), np.empty((len(y), y.shape[1] + 1))
    for t in range(y.shape[1]):
        ps[:, t], zs[:, t] = p, z
        p = np.where(observed[:, t], p + alpha_p * (sold[:, t] - p), p)
        z = np.where(sold[:, t], z + alpha_d * (units[:, t] - z), z)
    ps[:, -1], zs[:, -1] = p, z
    return ps, zs


def _sizes(y: np.ndarray, z: np.ndarray, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Sale sizes (shape[0], series, shape[-1]) resampled from each series' own past sales,
    rescaled to ``z`` (series,) or (series, month)."""
    units = np.nan_to_num(y)
    out = np.zeros(shape)
    z = np.broadcast_to(z if z.ndim == 2 else z[:, None], (shape[1], shape[2]))
    for i in range(shape[1]):
        past = units[i][units[i] > 0]
        if len(past):
            out[:, i, :] = rng.choice(past, size=(shape[0], shape[2])) * (z[i] / past.mean())
    return out


def draws(y: np.ndarray, horizon: int, rng: np.random.Generator, n_draws: int) -> np.ndarray:
    """Future demand (sample, series, month): each month sells with TSB's last chance ``p`` and
    then a resampled past sale scaled to its last size ``z``."""
    ps, zs = smooth(y)
    shape = (n_draws, len(y), horizon)
    sells = rng.random(shape) < ps[None, :, -1, None]
    return np.where(sells, _sizes(y, zs[:, -1], rng, shape), 0.0)


def replicate_history(y: np.ndarray, rng: np.random.Generator, n_draws: int) -> np.ndarray:
    """Each history month replicated one step ahead from the months before it (for the
    posterior predictive check): (sample, series, month), nan where unobserved."""
    ps, zs = smooth(y)
    shape = (n_draws,) + y.shape
    sells = rng.random(shape) < ps[None, :, :-1]
    rep = np.where(sells, _sizes(y, zs[:, :-1], rng, shape), 0.0)
    rep[:, np.isnan(y)] = np.nan
    return rep


def mixed_draws(base: np.ndarray, y: np.ndarray, weight: float, rng: np.random.Generator, *, history: bool = False) -> np.ndarray:
    """``base`` (sample, series, month) with a share ``weight`` of the intermittent series' samples
    replaced by TSB draws (forecast, or with ``history`` the replicated history). Other series
    keep theirs."""
    which = np.flatnonzero(is_intermittent(y))
    k = int(round(weight * base.shape[0]))
    if k == 0 or not len(which):
        return base
    sub = y[which]
    tsb = replicate_history(sub, rng, k) if history else draws(sub, base.shape[2], rng, k)
    out = base.copy()
    rows = rng.permutation(base.shape[0])[:k]
    out[np.ix_(rows, which)] = tsb
    return out
