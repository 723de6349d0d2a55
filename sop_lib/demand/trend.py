"""The Bayesian demand model: one PyMC model over every series at once.

For series *i* in group *g(i)* (a product family) and month *t* (in years, 0 = the last
month of history, negative before), on the log scale::

    mu[i, t] = level_i + slope_i * t + sum_k delta_ik * min(0, t - c_k)
               + season_g[g(i), m(t)] + season_dev[i, m(t)] + beta . x[i, t]

* ``level_i`` is where the series stands *now*; ``slope_i`` its current trend, partially
  pooled towards the group's slope. The changepoints ``c_k`` (1, 2, 3 years back) let
  older history have had another slope without bending today's (``delta`` shrunk to 0).
* seasonality is shared within a group and each series may deviate from it (both
  zero-sum over the year, the deviations shrunk towards the group).
* ``x`` holds regressors with known future values (promotion depth...).
* in the forecast the slope is *damped*: month ``h`` ahead adds
  ``slope * phi (1 - phi^h) / (1 - phi) / 12``, ``phi ~ Beta(8, 2)``.

Two observation models:

``negbin`` (counts: units sold)
    ``y ~ NegativeBinomial(scale_i * exp(mu), alpha_g)`` — skewed, over-dispersed, zeros.
``student`` (any positive measurement)
    ``z = log(y / scale_i + c)`` with AR(1) errors: ``z - mu = e``,
    ``e_t = rho_i e_{t-1} + sigma_i eps_t``, ``eps ~ StudentT(nu)``. The AR term carries
    the last months' surprise into the forecast (a level shift is not forgotten) and
    widens the intervals with the horizon.

``likelihood="auto"`` picks ``negbin`` for integer data, else ``student``. Forecast draws
are simulated in NumPy from posterior draws, so only one model is compiled; PyTensor
caches that compilation in its compile directory, so a re-run skips it.
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

from sop_lib.demand.design import Design, from_log_scale
from sop_lib.demand.draws import posterior_samples
from sop_lib.demand.sampling import (
    OverBudget,
    budget_guard,
    preflight_seconds,
    sampler_cores,
)

CHANGEPOINTS_YEARS = (-1.0, -2.0, -3.0)
CHANGEPOINT_SD = 0.05  # prior scale of a slope change, log-units per year
RECENT_T = -11 / 24  # the middle of the last 12 months, in years (where level_recent is sampled)


def _negbin_logp(y, eta, alpha, c):
    """log NegativeBinomial(y | mean exp(eta), alpha), with c = alpha log(alpha) - gammaln(alpha)."""
    import pytensor.tensor as pt

    return pt.gammaln(y + alpha) - pt.gammaln(y + 1.0) + c + y * eta - (y + alpha) * pt.log(pt.exp(eta) + alpha)


def build_model(d: Design, season_length: int = 12, centred: bool = False):
    """The PyMC model over all series (observed cells only: a series may start late)."""
    import pymc as pm
    import pytensor.tensor as pt

    mask = d.mask
    si, ti = np.nonzero(mask)
    coords = {
        "series": d.ids,
        "group": d.groups,
        "month_of_year": np.arange(season_length),
        "regressor": np.arange(d.x.shape[0]),
        "changepoint": np.arange(len(CHANGEPOINTS_YEARS)),
    }
    if d.likelihood == "student":
        z = d.z()
        level_mu = np.array([row[~np.isnan(row)][-12:].mean() for row in z])
    else:
        level_mu = np.zeros(len(d.ids))
    hinge = np.minimum(0.0, d.t[:, None] - np.array(CHANGEPOINTS_YEARS)[None, :])  # (time, k)
    onehot = np.eye(len(d.groups))[d.group_idx]  # (series, group)
    group_share = onehot / onehot.sum(axis=0)  # averages a series vector within each group
    with pm.Model(coords=coords) as model:
        # Geometry (measured with benchmarks/bench_sampler.py over 5 seeds on the demo: slope_sd
        # had r-hat up to 1.07 and ESS 28 before):
        # * the series' slope offsets sum to zero within their group, so the group slope is
        #   their mean and cannot trade off against them along a ridge;
        # * how much slopes differ within a group (slope_sd) is barely informed by a few dozen
        #   noisy series: a prior that keeps it off zero (mean 0.08, 95% in 0.02-0.17 log-units
        #   per year) removes the funnel's neck that the sampler could not enter;
        # * the level is sampled where the data hold it, in the middle of the last year, and
        #   carried to the last month by the slope, instead of a level/slope pair that the
        #   data tie together.
        group_slope = pm.Normal("group_slope", 0.0, 0.2, dims="group")
        slope_sd = pm.Gamma("slope_sd", 4.0, 50.0)
        slope_z = pm.Normal("slope_z", 0.0, 1.0, dims="series")
        slope_offset = slope_z - pt.dot(pt.dot(slope_z, group_share), onehot.T)
        slope = pm.Deterministic("slope", group_slope[d.group_idx] + slope_sd * slope_offset, dims="series")
        level_recent = pm.Normal("level_recent", level_mu, 1.0, dims="series")
        level = pm.Deterministic("level", level_recent - slope * RECENT_T, dims="series")
        # slope changes get a fixed prior scale (0.05 log-units per year), not a hyper-prior:
        # with a learnt scale, series without breaks pushed it to 0 and NUTS diverged there
        cp_sd = CHANGEPOINT_SD
        cp_z = pm.Normal("changepoint_z", 0.0, 1.0, dims=("series", "changepoint"))
        season_sd = pm.HalfNormal("season_sd", 0.5)
        season = pm.ZeroSumNormal("season", sigma=season_sd, dims=("group", "month_of_year"), n_zerosum_axes=1)
        # how far a series' seasonal pattern may differ from its group's; wide enough for series
        # whose calendar phase is unknown (then the group pattern is only an average)
        # kept off zero for the same reason as slope_sd (measured: HalfNormal(0.1) gave up to 30
        # divergences on the demo's backtest, whose series share one seasonal pattern)
        season_dev_sd = pm.Gamma("season_dev_sd", 3.0, 30.0, dims="group")
        if centred:  # measured: mean-field ADVI forecasts better with the centred form
            season_dev = pm.ZeroSumNormal(
                "season_dev", sigma=season_dev_sd[d.group_idx][:, None], dims=("series", "month_of_year"), n_zerosum_axes=1
            )
        else:  # NUTS: when series barely deviate, sd -> 0 would trap the sampler in a funnel
            season_dev_z = pm.ZeroSumNormal("season_dev_z", sigma=1.0, dims=("series", "month_of_year"), n_zerosum_axes=1)
            season_dev = pm.Deterministic(
                "season_dev", season_dev_sd[d.group_idx][:, None] * season_dev_z, dims=("series", "month_of_year")
            )
        pm.Beta("phi", 8.0, 2.0)
        if d.x.shape[0]:
            beta = pm.Normal("beta", 0.0, 1.0, dims="regressor")
        if d.likelihood == "negbin":
            mu = (
                level[si]
                + slope[si] * d.t[ti]
                + (cp_sd * cp_z[si] * hinge[ti]).sum(axis=-1)
                + season[d.group_idx[si], d.moy[ti]]
                + season_dev[si, d.moy[ti]]
            )
            if d.x.shape[0]:
                mu = mu + (beta[:, None] * d.x[:, si, ti]).sum(axis=0)
            alpha = pm.Gamma("alpha", 2.0, 0.1, dims="group")
            # NegativeBinomial(mean exp(eta), alpha), its log density written out on the log mean.
            # PyMC 6's pm.NegativeBinomial(mu=, alpha=) goes through p = sigmoid(log alpha - log mu)
            # and back (two softplus, a sigmoid, an exp and a log per observation, plus its Poisson
            # branch for alpha > 1e10): measured on the demo, one gradient took 0.66 ms against
            # 0.49 ms on PyMC 5. Here: one exp, one log and one gammaln per observation, and the
            # alpha-only terms once per group. Same value as pm.NegativeBinomial to rounding.
            c_group = alpha * pt.log(alpha) - pt.gammaln(alpha)
            pm.CustomDist(
                "y",
                np.log(d.scale)[si] + mu,
                alpha[d.group_idx[si]],
                c_group[d.group_idx[si]],
                logp=_negbin_logp,
                observed=d.y[si, ti],
            )
        else:
            rho_mu = pm.Normal("rho_mu", 1.0, 1.0)
            rho_sd = pm.HalfNormal("rho_sd", 1.0)
            rho_z = pm.Normal("rho_z", 0.0, 1.0, dims="series")
            rho = pm.Deterministic("rho", pm.math.sigmoid(rho_mu + rho_sd * rho_z), dims="series")
            sig_mu = pm.Normal("log_sigma_mu", -2.0, 1.0)
            sig_sd = pm.HalfNormal("log_sigma_sd", 0.5)
            sig_z = pm.Normal("log_sigma_z", 0.0, 1.0, dims="series")
            sigma = pm.Deterministic("sigma", pt.exp(sig_mu + sig_sd * sig_z), dims="series")
            nu = pm.Gamma("nu", 2.0, 0.1)
            # AR(1) errors on the dense (series x month) grid: condition each observed month on
            # the month before it. Dense arrays with masks differentiate much faster than gathers.
            mu_dense = (
                level[:, None]
                + slope[:, None] * d.t[None, :]
                + pt.dot(cp_sd * cp_z, hinge.T)
                + season[d.group_idx][:, d.moy]
                + season_dev[:, d.moy]
            )
            if d.x.shape[0]:
                mu_dense = mu_dense + (beta[:, None, None] * d.x).sum(axis=0)
            resid = pt.where(mask, np.nan_to_num(z) - mu_dense, 0.0)
            innov = resid[:, 1:] - rho[:, None] * resid[:, :-1]
            pair = (mask[:, 1:] & mask[:, :-1]).astype("float64")
            logp = pm.logp(pm.StudentT.dist(nu=nu, mu=0.0, sigma=sigma[:, None]), innov)
            pm.Potential("ar_likelihood", (logp * pair).sum())
    return model


def fit(
    d: Design,
    *,
    method: str = "nuts",
    draws: int = 300,
    tune: int = 300,
    chains: int = 2,
    seed: int = 42,
    target_accept: float = 0.9,
    season_length: int = 12,
    time_budget_s: float | None = None,
) -> xr.DataTree:
    """Fit the model: NUTS (default, with diagnostics) or ADVI (fast, approximate).

    With ``time_budget_s`` a NUTS fit raises `OverBudget` as soon as it is projected to
    take longer (`budget_guard`)."""
    import pymc as pm
    from pymc.variational.callbacks import CheckParametersConvergence  # PyMC 6: no longer pm.callbacks

    start = time.perf_counter()
    model = build_model(d, season_length, centred=(method == "advi"))
    with model:
        if method == "nuts":
            guard = None
            if time_budget_s:  # a hopeless fit is not started; a started one is watched (one draw can take minutes)
                rounds = -(-chains // sampler_cores(chains))
                projected = time.perf_counter() - start + rounds * preflight_seconds(model, draws + tune)
                if projected > time_budget_s:
                    raise OverBudget(projected, time.perf_counter() - start, time_budget_s, len(d.ids), started=False)
                guard = budget_guard(time_budget_s, (draws + tune) * chains, start, len(d.ids))
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=sampler_cores(chains),
                target_accept=target_accept,
                random_seed=seed,
                progressbar=False,
                compute_convergence_checks=False,
                callback=guard,
            )
        elif method == "advi":
            # stop when the parameters settle: on M1 a longer fixed budget gave worse forecasts
            approx = pm.fit(
                n=30_000,
                method="advi",
                random_seed=seed,
                progressbar=False,
                callbacks=[CheckParametersConvergence(diff="absolute", tolerance=1e-3)],
            )
            idata = approx.sample(draws * chains, random_seed=seed)
        else:
            raise ValueError(f"unknown method {method!r}; expected 'nuts' or 'advi'")
    return idata


def _posterior(idata: xr.DataTree, max_draws: int | None = None):
    """Accessor for posterior arrays with the draws on the first axis (optionally thinned)."""
    post = posterior_samples(idata, max_draws)
    return lambda name: np.moveaxis(post[name].values, -1, 0)


def _seasonality(arr, d: Design) -> np.ndarray:
    """Group pattern plus each series' deviation: (sample, series, season position)."""
    return arr("season")[:, d.group_idx] + arr("season_dev")


def _negbin(arr, d: Design, mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Counts from the log-mean ``mu`` (gamma-Poisson mixture = negative binomial)."""
    alpha = arr("alpha")[:, d.group_idx][:, :, None]
    m = d.scale[None, :, None] * np.exp(np.clip(mu, -20, 20))
    return rng.poisson(rng.gamma(alpha, m / alpha)).astype(float)


def replicate_history(idata: xr.DataTree, d: Design, rng: np.random.Generator, max_draws: int = 200) -> np.ndarray:
    """Posterior predictive draws of the history the model was fitted on: (sample, series, month).

    For the posterior predictive check: if the model describes the data, the observed
    months look like typical replicated ones. The Student-t model replicates each month
    one step ahead from the observed month before it (its AR(1) errors); nan where a
    series was not observed.
    """
    arr = _posterior(idata, max_draws)
    hinge = np.minimum(0.0, d.t[:, None] - np.array(CHANGEPOINTS_YEARS)[None, :])  # (time, k)
    mu = (
        arr("level")[:, :, None]
        + arr("slope")[:, :, None] * d.t[None, None, :]
        + CHANGEPOINT_SD * np.einsum("snk,tk->snt", arr("changepoint_z"), hinge)
        + _seasonality(arr, d)[:, :, d.moy]
    )
    if d.x.shape[0]:
        mu = mu + np.einsum("sk,knt->snt", arr("beta"), d.x)
    if d.likelihood == "negbin":
        rep = _negbin(arr, d, mu, rng)
    else:
        z = d.z()
        prev = np.concatenate([np.full((z.shape[0], 1), np.nan), z[:, :-1]], axis=1)
        mu_prev = np.concatenate([np.full(mu.shape[:2] + (1,), np.nan), mu[:, :, :-1]], axis=2)
        e_prev = np.nan_to_num(prev[None] - mu_prev)
        noise = arr("sigma")[:, :, None] * rng.standard_t(np.broadcast_to(arr("nu")[:, None, None], mu.shape))
        rep = from_log_scale(mu + arr("rho")[:, :, None] * e_prev + noise, d)
    rep[:, ~d.mask] = np.nan
    return rep


def simulate(idata: xr.DataTree, d: Design, rng: np.random.Generator) -> np.ndarray:
    """Posterior predictive draws for the horizon: (sample, series, month)."""
    arr = _posterior(idata)
    level, slope, phi = arr("level"), arr("slope"), arr("phi")[:, None, None]
    season = _seasonality(arr, d)
    H = len(d.future)
    h = np.arange(1, H + 1)[None, None, :]
    damped = (phi * (1 - phi**h) / (1 - phi)) / 12.0
    mu = level[:, :, None] + slope[:, :, None] * damped + season[:, :, d.moy_future]
    if d.x.shape[0]:
        mu = mu + np.einsum("sk,kit->sit", arr("beta"), d.x_future)
    if d.likelihood == "negbin":
        return _negbin(arr, d, mu, rng)
    # student: carry the last residual forward through the AR(1)
    mu_now = level + season[:, :, d.moy[-1]]
    if d.x.shape[0]:
        mu_now = mu_now + np.einsum("sk,ki->si", arr("beta"), d.x[:, :, -1])
    e = d.z()[:, -1][None, :] - mu_now
    rho, sigma, nu = arr("rho"), arr("sigma"), arr("nu")[:, None]
    z = np.empty_like(mu)
    for k in range(H):
        e = rho * e + sigma * rng.standard_t(np.broadcast_to(nu, e.shape))
        z[:, :, k] = mu[:, :, k] + e
    return from_log_scale(z, d)
