"""The Theta method as a generative model, vectorised over many series.

The Theta method (Assimakopoulos & Nikolopoulos, 2000) won the M3 competition's monthly
data; Hyndman & Billah (2003) showed it is simple exponential smoothing with a drift of
half the series' linear-trend slope. Per series:

1. if the autocorrelation at the seasonal lag is significant (90%, the usual test),
   divide the series by classical multiplicative seasonal indices;
2. fit simple exponential smoothing whose one-step forecast adds half the theta line's
   contribution (Fiorucci et al.'s standard theta model, as statsforecast's Theta):
   ``alpha`` and the initial level by least squares (a grid over ``alpha``, the best
   initial level in closed form for each);
3. forecast the last level plus ``(A (1 - alpha)^n + (h - 1 + (1 - (1 - alpha)^(n+1)) / alpha) B) / 2``,
   ``A`` and ``B`` the intercept and slope of the least-squares line, and put the seasonal
   indices back.

Draws are sample paths of the same state-space model (``l' = l + alpha e``, ``e ~ N(0,
sigma)``), so intervals widen with the horizon as in the method's own formula, and sums
over months keep their correlation. Demand is never below zero.

Used beside the ``ets`` model (`sop_lib.demand.ets`) in a mixture of draws
(`mixed_draws`): the two make different errors, and the M-competitions' lesson is that
such a combination is rarely worse than its members. Promotions reach the Theta half
through the ets model's fitted effect.
"""

from __future__ import annotations

import numpy as np

from sop_lib.demand.design import OFFSET, Design

ALPHAS = np.linspace(0.02, 0.98, 49)  # the SES smoothing weights searched
SEASONAL_TEST_Z = 1.645  # one-sided 90% test on the seasonal-lag autocorrelation
STEPS = 3  # months ahead whose squared errors the fit minimises (validation: docs/forecast-benchmark.md)
WEIGHT = 0.5  # share of the ets model's draws taken from Theta (validation: docs/forecast-benchmark.md)
SIGMA_SCALE = 1.15  # widening of the in-sample error spread for the draws (validation: docs/forecast-benchmark.md)
# Below this share of a series' largest month a value counts as zero: a month without sales that came
# back from the log scale as 1e-17 once gave a seasonal index of ~0, and dividing by it a forecast of 1e16
ZERO_SHARE = 1e-9


def _left_align(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series' observed months moved to the front (nan after its length), and the lengths.

    The grid puts nan before a series starts; a gap inside the history is not expected
    (`check_history` fills missing months) and would be skipped."""
    ok = ~np.isnan(y)
    n = ok.sum(axis=1)
    out = np.full(y.shape, np.nan)
    order = np.argsort(~ok, axis=1, kind="stable")  # observed months first, in time order
    vals = np.take_along_axis(y, order, axis=1)
    out[np.arange(y.shape[1])[None, :] < n[:, None]] = vals[np.arange(y.shape[1])[None, :] < n[:, None]]
    return out, n


def seasonal_indices(y: np.ndarray, n: np.ndarray, moy_first: np.ndarray, m: int = 12) -> np.ndarray:
    """Multiplicative seasonal index per series and calendar position (series, m): ones where
    the seasonal-lag autocorrelation is not significant, the series is shorter than 2 seasons,
    or not positive (the multiplicative decomposition needs positive values).

    ``y`` is left-aligned (`_left_align`), ``moy_first`` the calendar position of each
    series' first observed month."""
    idx = np.ones((y.shape[0], m))
    for i in range(y.shape[0] if m > 1 else 0):
        x = y[i, : n[i]]
        xc = x - x.mean()
        if n[i] < 2 * m or np.any(x <= ZERO_SHARE * x.max()) or not np.any(xc):  # too short, not positive, or constant
            continue
        acf = np.array([np.sum(xc[k:] * xc[: len(x) - k]) for k in range(1, m + 1)]) / np.sum(xc**2)
        limit = SEASONAL_TEST_Z * np.sqrt((1 + 2 * np.sum(acf[: m - 1] ** 2)) / len(x))
        if abs(acf[m - 1]) <= limit:
            continue
        # centred moving average (2 x m for an even m), then the mean ratio per position (normalised to mean 1)
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
        trend = np.convolve(x, w, mode="valid")  # centred on x[m // 2], x[m // 2 + 1], ...
        ratio = x[m // 2 : m // 2 + len(trend)] / trend
        pos = (moy_first[i] + m // 2 + np.arange(len(trend))) % m
        s = np.array([ratio[pos == p].mean() for p in range(m)])
        idx[i] = s / s.mean()
    return idx


def fit(
    y_grid: np.ndarray, moy: np.ndarray, season_length: int = 12, steps: int = STEPS, chunk: int = 500
) -> dict[str, np.ndarray]:
    """Per-series Theta parameters from the (series, month) grid (nan before a series starts)
    and each month's season position: ``alpha``, ``level`` (last), ``intercept`` and
    ``slope`` of the theta line, ``sigma``, ``n`` (months), ``season`` (series, position),
    and ``fitted``, the one-step forecasts of the history on the grid (nan where unobserved).

    ``alpha`` and the initial level minimise the squared errors 1 to ``steps`` months ahead
    from every month (statsforecast's Theta does the same with 3). Series are fitted
    ``chunk`` at a time: the search holds (series, alphas, months) arrays."""
    parts = [_fit(y_grid[i : i + chunk], moy, season_length, steps) for i in range(0, len(y_grid), chunk)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _fit(y_grid: np.ndarray, moy: np.ndarray, season_length: int, steps: int) -> dict[str, np.ndarray]:
    m = season_length
    y, n = _left_align(y_grid)
    first = np.argmax(~np.isnan(y_grid), axis=1)
    moy_first = moy[first]
    season = seasonal_indices(y, n, moy_first, m)
    pos = (moy_first[:, None] + np.arange(y.shape[1])[None, :]) % m
    x = y / np.take_along_axis(season, pos, axis=1)  # seasonally adjusted, nan past each length
    obs = ~np.isnan(x)
    x0 = np.nan_to_num(x)
    # the theta line: least-squares intercept A and slope B on months 1..n
    t = np.arange(1, x.shape[1] + 1)[None, :]
    tbar = (t * obs).sum(axis=1) / n
    xbar = x0.sum(axis=1) / n
    slope = ((t - tbar[:, None]) * (x0 - xbar[:, None]) * obs).sum(axis=1) / np.maximum(
        (((t - tbar[:, None]) ** 2) * obs).sum(axis=1), 1e-12
    )
    intercept = xbar - slope * tbar
    # SES for every alpha at once (Fiorucci et al.'s standard theta model): the one-step
    # forecast is the level plus half the theta line's contribution; with the initial level
    # set to 0 the error at month j is a_j - (1 - alpha)^j l0, so the least-squares l0 has a
    # closed form
    a = ALPHAS[None, :]
    decay = (1 - a)[..., None] ** np.arange(x.shape[1] + 1)[None, None, :]  # (1, alpha, j)
    line = 0.5 * (decay[..., :-1] * intercept[:, None, None] + (1 - decay[..., 1:]) / a[..., None] * slope[:, None, None])
    level = np.zeros((len(x), len(ALPHAS)))
    before = np.zeros((len(x), len(ALPHAS), x.shape[1]))  # the level before month j, with l0 = 0
    for j in range(x.shape[1]):
        before[:, :, j] = level
        level = level + a * np.where(obs[:, j, None], x0[:, j, None] - level, 0.0)
    # errors h = 1..steps months ahead from every origin, each linear in l0: a - w l0
    num = den = sse0 = 0.0
    for h in range(1, steps + 1):
        target = np.full(x.shape, np.nan)
        target[:, : x.shape[1] - h + 1] = x[:, h - 1 :]
        ok = ~np.isnan(target)[:, None, :]
        err = np.where(ok, np.nan_to_num(target)[:, None, :] - before - line - 0.5 * (h - 1) * slope[:, None, None], 0.0)
        w = np.where(ok, decay[..., :-1], 0.0)
        num, den, sse0 = num + (err * w).sum(axis=2), den + (w**2).sum(axis=2), sse0 + (err**2).sum(axis=2)
        if h == 1:
            err1, w1 = err, w
    l0 = num / np.maximum(den, 1e-12)
    sse = sse0 - num**2 / np.maximum(den, 1e-12)  # sum of (err - w l0)^2 at the best l0
    best = np.argmin(sse, axis=1)
    rows = np.arange(len(x))
    alpha = ALPHAS[best]
    final = level[rows, best] + (1 - alpha) ** n * l0[rows, best]  # the l0 term after n updates
    one_step = ((err1 - l0[..., None] * w1) ** 2).sum(axis=2)[rows, best]
    sigma = np.sqrt(one_step / np.maximum(n - 2, 1))  # two fitted: alpha, initial level
    seasonal = np.take_along_axis(season, pos, axis=1)
    fitted = (before[rows, best] + l0[rows, best][:, None] * decay[0, best, :-1] + line[rows, best]) * seasonal
    grid = np.full(y_grid.shape, np.nan)
    here = np.arange(y.shape[1])[None, :] < n[:, None]  # left-aligned months back to their grid columns
    grid[np.nonzero(here)[0], (first[:, None] + np.arange(y.shape[1])[None, :])[here]] = fitted[here]
    spread = np.full(y_grid.shape, np.nan)
    spread[np.nonzero(here)[0], (first[:, None] + np.arange(y.shape[1])[None, :])[here]] = seasonal[here]
    return {
        "alpha": alpha,
        "level": final,
        "intercept": intercept,
        "slope": slope,
        "sigma": sigma,
        "n": n,
        "season": season,
        "fitted": grid,
        "fitted_season": spread,
    }


def simulate(
    p: dict[str, np.ndarray],
    moy_future: np.ndarray,
    rng: np.random.Generator,
    n_draws: int = 1000,
    sigma_scale: float = SIGMA_SCALE,
) -> np.ndarray:
    """Forecast draws (sample, series, month): SES sample paths plus the Theta drift, re-seasonalised.

    ``sigma_scale`` widens the in-sample error spread, which understates the out-of-sample
    one (the fitted weights chased the history)."""
    alpha, sigma = p["alpha"][None, :], sigma_scale * p["sigma"][None, :]
    level = np.broadcast_to(p["level"][None, :], (n_draws, len(alpha[0]))).copy()
    n = p["n"]
    out = np.empty((n_draws, len(n), len(moy_future)))
    m = p["season"].shape[1]
    for k in range(len(moy_future)):
        decay = (1 - p["alpha"]) ** n
        drift = 0.5 * (decay * p["intercept"] + (k + (1 - decay * (1 - p["alpha"])) / p["alpha"]) * p["slope"])
        e = sigma * rng.standard_normal(level.shape)
        s = p["season"][np.arange(len(n)), moy_future[k] % m]
        out[:, :, k] = (level + drift[None, :] + e) * s[None, :]
        level = level + alpha * e
    return np.maximum(out, 0.0)


def _without_effect(d: Design, effect: np.ndarray) -> np.ndarray:
    """The history with the regressors' fitted effect taken out on the log scale; a month the
    regressors did not touch keeps its value exactly (a zero stays zero, not a float residue)."""
    out = np.maximum(d.scale[:, None] * (np.exp(d.z() - effect) - OFFSET), 0.0)
    return np.where(effect == 0, d.y, out)


def mixed_draws(
    ets_draws: np.ndarray,
    d: Design,
    coef: np.ndarray | None,
    weight: float,
    rng: np.random.Generator,
    season_length: int = 12,
    *,
    history: bool = False,
    overwrite: bool = False,
) -> np.ndarray:
    """The ets model's draws with a share ``weight`` of them replaced by Theta draws (a mixture):
    forecast draws, or with ``history`` the replicated history of the posterior predictive check.

    With regressors (promotion depth) the Theta method sees the history with the ets model's
    fitted effect ``coef`` taken out, and gets the effect put back on the same log scale:
    the Theta half follows promotions as the ets half does."""
    k = int(round(weight * ets_draws.shape[0]))
    if k == 0:
        return ets_draws
    shift = coef is not None and d.x.shape[0] > 0
    effect = {when: np.einsum("k,knt->nt", coef, x) if shift else None for when, x in (("past", d.x), ("future", d.x_future))}
    y = d.y if not shift else _without_effect(d, effect["past"])
    p = fit(y, d.moy, season_length, STEPS)
    if history:
        noise = rng.standard_normal((k,) + y.shape) * SIGMA_SCALE * p["sigma"][None, :, None]
        th, when = np.maximum(p["fitted"][None] + noise * p["fitted_season"][None], 0.0), "past"
    else:
        th, when = simulate(p, d.moy_future, rng, k, SIGMA_SCALE), "future"
    if shift:
        scale = d.scale[None, :, None]
        th = np.maximum(scale * (np.exp(np.log(th / scale + OFFSET) + effect[when][None]) - OFFSET), 0.0)
    out = ets_draws if overwrite else ets_draws.copy()  # overwrite: the caller's array is its own (no copy of every draw)
    out[rng.permutation(ets_draws.shape[0])[:k]] = th
    return out
