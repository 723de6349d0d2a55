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

import glob
import os
import sys
import time
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

OFFSET = 0.1  # ``c`` in z = log(y / scale + c): keeps zeros finite on the log scale


def _link_system_blas() -> None:
    """Point PyTensor at Debian's OpenBLAS when it is installed: a pip-installed PyTensor
    links no BLAS. Measured with benchmarks/bench_blas.py: the Student-t model fits 14%
    faster, the count model is unchanged. Must run before PyTensor is first imported."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "blas__ldflags" in flags or "pytensor" in sys.modules:
        return
    if glob.glob("/usr/lib/*/libopenblas.so") or glob.glob("/usr/lib/libopenblas.so"):
        os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, "blas__ldflags=-lopenblas") if f)


_link_system_blas()
CHANGEPOINTS_YEARS = (-1.0, -2.0, -3.0)
CHANGEPOINT_SD = 0.05  # prior scale of a slope change, log-units per year
RECENT_T = -11 / 24  # the middle of the last 12 months, in years (where level_recent is sampled)


class ForecastInputError(ValueError):
    """Input that the demand engine cannot use; the message says which series and why."""


class OverBudget(RuntimeError):
    """A NUTS fit stopped early because its own progress showed it would not finish in time."""

    def __init__(self, projected_s: float, elapsed_s: float, budget_s: float, series: int, started: bool = True):
        self.projected_s, self.elapsed_s, self.budget_s, self.series = projected_s, elapsed_s, budget_s, series
        self.started = started
        when = (f"stopped after {elapsed_s:,.0f} s" if started else
                f"not started (projected from one gradient of the model, {elapsed_s:,.0f} s)")
        super().__init__(f"the NUTS fit of {series} series would take about {projected_s:,.0f} s, over the time budget "
                         f"of {budget_s:,.0f} s (demand.time_budget_s); {when}")

    def __reduce__(self):  # Dask sends a task's exception back pickled: keep its type and fields
        return OverBudget, (self.projected_s, self.elapsed_s, self.budget_s, self.series, self.started)


def sampler_cores(chains: int) -> int:
    """Processes for NUTS chains: up to 2 (this machine's cores), but 1 inside a daemonic
    process such as a Dask worker, which may not start children (the worker is the unit of
    parallelism there)."""
    import multiprocessing

    return 1 if multiprocessing.current_process().daemon else min(chains, 2)


GUARD_MIN_SHARE = 0.05  # share of a fit's iterations seen before its projected time may stop it


LEAPFROG_STEPS = 63  # gradient evaluations per NUTS iteration, tuning included; calibrated once (twice the 31 steps
# a well-behaved fit of the trend model takes after tuning); harder posteriors take more, so the projection is a floor


def preflight_seconds(model, iterations: int, repeats: int = 10) -> float:
    """NUTS time per chain projected before sampling: iterations x `LEAPFROG_STEPS` x the time
    of one gradient of this model's log density, measured here (compiling it takes seconds;
    PyTensor caches the compiled code for the sampler)."""
    dlogp = model.compile_dlogp()
    point = model.initial_point()
    dlogp(point)
    start = time.perf_counter()
    for _ in range(repeats):
        dlogp(point)
    return iterations * LEAPFROG_STEPS * (time.perf_counter() - start) / repeats


def budget_guard(budget_s: float, total_draws: int, start: float, series: int):
    """A `pm.sample` callback that stops the fit once its projected time exceeds the budget.

    The projection is the time to the first draw (compilation, initialisation) plus the
    mean time per draw so far times the draws left. Early tuning takes the longest steps,
    so it errs on the slow side; it is trusted after ``GUARD_MIN_SHARE`` of the draws, or
    after a tenth of the budget when it is over twice the budget, and the fit stops whenever
    the budget itself is spent (at the next draw: a draw is never cut short)."""
    seen = {"n": 0, "first": 0.0}

    def callback(trace=None, draw=None) -> None:
        now = time.perf_counter()
        seen["n"] += 1
        if seen["n"] == 1:
            seen["first"] = now
        n = seen["n"]
        projected = (seen["first"] - start) + (now - seen["first"]) * (total_draws - 1) / max(n - 1, 1)
        hopeless = now - start > 0.1 * budget_s and n > 2 and projected > 2 * budget_s  # long before 5% of the draws
        if now - start > budget_s or hopeless or (n >= GUARD_MIN_SHARE * total_draws and projected > budget_s):
            raise OverBudget(max(projected, now - start), now - start, budget_s, series)

    return callback


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

    def fits(self) -> dict[str, "ForecastResult"]:
        """Every model fit behind this forecast: one, or one per model the families chose."""
        return self.parts or {self.model: self}


def quantile_column(q: float) -> str:
    """0.1 -> 'p10', 0.975 -> 'p97.5': percent, rounded."""
    pct = round(q * 100, 1)
    return f"p{pct:g}"


def check_history(history: pd.DataFrame, season_length: int, regressors: list[str]) -> pd.DataFrame:
    """Validate the long table; every message names the series and says what to do."""
    missing = {"unique_id", "ds", "y"} - set(history.columns)
    if missing:
        raise ForecastInputError(f"history is missing column(s) {sorted(missing)}; expected unique_id, ds, y")
    if history.empty:
        raise ForecastInputError("history has no rows")
    df = history.copy()
    df["unique_id"] = df["unique_id"].astype(str)
    try:
        df["ds"] = pd.to_datetime(df["ds"])
    except (ValueError, TypeError) as exc:
        raise ForecastInputError(f"history.ds: could not read dates ({exc})") from None
    not_ms = df["ds"] != df["ds"].dt.to_period("M").dt.to_timestamp()
    if not_ms.any():
        r = df[not_ms].iloc[0]
        raise ForecastInputError(
            f"series {r['unique_id']!r}: ds {r['ds'].date()} is not a month start; "
            "expected monthly data dated on the 1st (aggregate daily or weekly data to months first)"
        )
    y = pd.to_numeric(df["y"], errors="coerce")
    bad = y.isna() | (y < 0)
    if bad.any():
        r = df[bad].iloc[0]
        raise ForecastInputError(
            f"series {r['unique_id']!r}, ds {pd.Timestamp(r['ds']).date()}: y = {r['y']!r}; "
            f"expected a non-negative number ({int(bad.sum())} such rows; fill gaps with 0 if nothing was sold)"
        )
    df["y"] = y.astype(float)
    dup = df.duplicated(["unique_id", "ds"])
    if dup.any():
        r = df[dup].iloc[0]
        raise ForecastInputError(f"series {r['unique_id']!r}: ds {r['ds'].date()} appears twice; expected one row per month")
    for col in regressors:
        if col not in df.columns:
            raise ForecastInputError(f"regressor {col!r} is not a column of history")
    min_len = max(season_length + 6, 12)
    last = df["ds"].max()
    for uid, g in df.groupby("unique_id"):
        months = pd.date_range(g["ds"].min(), g["ds"].max(), freq="MS")
        if len(months) != len(g):
            raise ForecastInputError(
                f"series {uid!r}: {len(months) - len(g)} month(s) missing between {g['ds'].min():%Y-%m} and "
                f"{g['ds'].max():%Y-%m}; expected consecutive months (add rows with y = 0)"
            )
        if len(g) < min_len:
            raise ForecastInputError(
                f"series {uid!r} has {len(g)} months of history; the model needs at least {min_len} "
                "(drop it and plan it as a new product from an analog instead)"
            )
        if g["ds"].max() != last:
            raise ForecastInputError(
                f"series {uid!r} ends in {g['ds'].max():%Y-%m} but others run to {last:%Y-%m}; every series must "
                "end in the same month (drop discontinued series, or add the missing months with y = 0)"
            )
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True)


@dataclass
class Design:
    """Everything the model needs as arrays: series on a common monthly grid."""

    ids: np.ndarray
    groups: np.ndarray
    group_idx: np.ndarray
    months: pd.DatetimeIndex
    y: np.ndarray  # (series, time), nan before a series starts
    t: np.ndarray  # (time,) years relative to the last month (<= 0)
    moy: np.ndarray  # (time,) position in the season 0..season_length-1
    x: np.ndarray  # (regressor, series, time)
    scale: np.ndarray  # (series,) typical recent level, so the model works on ~1
    future: pd.DatetimeIndex
    moy_future: np.ndarray
    x_future: np.ndarray
    likelihood: str

    @property
    def mask(self) -> np.ndarray:
        return ~np.isnan(self.y)

    def z(self) -> np.ndarray:
        """The student model's log scale; nan where unobserved."""
        return np.log(self.y / self.scale[:, None] + OFFSET)


def design(df: pd.DataFrame, horizon: int, *, group_col: str | None, regressors: list[str],
           future_regressors: pd.DataFrame | None, season_length: int, likelihood: str,
           max_history: int | None) -> Design:
    """Pivot the long table to (series x month) arrays over the last ``max_history`` months."""
    months = pd.date_range(df["ds"].min(), df["ds"].max(), freq="MS")
    if max_history and len(months) > max_history:
        months = months[-max_history:]
        df = df[df["ds"] >= months[0]]
    ids = np.array(sorted(df["unique_id"].unique()), dtype=object)
    y = df.pivot(index="unique_id", columns="ds", values="y").reindex(index=ids, columns=months).to_numpy(dtype=float)
    if group_col:
        g = df.groupby("unique_id")[group_col].first().reindex(ids).astype(str).to_numpy()
    else:
        g = np.array(["all"] * len(ids), dtype=object)
    groups, group_idx = np.unique(g, return_inverse=True)
    future = pd.date_range(months[-1] + pd.DateOffset(months=1), periods=horizon, freq="MS")
    x = np.zeros((len(regressors), len(ids), len(months)))
    xf = np.zeros((len(regressors), len(ids), horizon))
    for k, col in enumerate(regressors):
        x[k] = df.pivot(index="unique_id", columns="ds", values=col).reindex(index=ids, columns=months).fillna(0).to_numpy()
        if future_regressors is None or col not in future_regressors.columns:
            raise ForecastInputError(f"regressor {col!r} needs future values: pass future_regressors with unique_id, ds, {col}")
        fr = future_regressors.assign(ds=pd.to_datetime(future_regressors["ds"]), unique_id=future_regressors["unique_id"].astype(str))
        xf[k] = fr.pivot_table(index="unique_id", columns="ds", values=col, aggfunc="sum").reindex(index=ids, columns=future).fillna(0).to_numpy()
    if likelihood == "auto":
        observed = y[~np.isnan(y)]
        likelihood = "negbin" if np.allclose(observed, np.round(observed)) else "student"
    recent = np.array([row[~np.isnan(row)][-12:].mean() for row in y])
    scale = recent + (1.0 if likelihood == "negbin" else 0.0)
    scale = np.where(scale > 0, scale, np.nanmax(np.where(np.isnan(y), 0, y), axis=1) + 1.0)
    pos = (months.year - months[-1].year) * 12 + months.month - months[-1].month
    moy = np.asarray((months.month - 1) % season_length)
    return Design(ids, groups, group_idx, months, y, np.asarray(pos / 12.0), moy, x, scale, future,
                  np.asarray((future.month - 1) % season_length), xf, likelihood)


def build_model(d: Design, season_length: int = 12, centred: bool = False):
    """The PyMC model over all series (observed cells only: a series may start late)."""
    import pymc as pm
    import pytensor.tensor as pt

    mask = d.mask
    si, ti = np.nonzero(mask)
    coords = {"series": d.ids, "group": d.groups, "month_of_year": np.arange(season_length),
              "regressor": np.arange(d.x.shape[0]), "changepoint": np.arange(len(CHANGEPOINTS_YEARS))}
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
            season_dev = pm.ZeroSumNormal("season_dev", sigma=season_dev_sd[d.group_idx][:, None],
                                          dims=("series", "month_of_year"), n_zerosum_axes=1)
        else:  # NUTS: when series barely deviate, sd -> 0 would trap the sampler in a funnel
            season_dev_z = pm.ZeroSumNormal("season_dev_z", sigma=1.0, dims=("series", "month_of_year"),
                                            n_zerosum_axes=1)
            season_dev = pm.Deterministic("season_dev", season_dev_sd[d.group_idx][:, None] * season_dev_z,
                                          dims=("series", "month_of_year"))
        pm.Beta("phi", 8.0, 2.0)
        if d.x.shape[0]:
            beta = pm.Normal("beta", 0.0, 1.0, dims="regressor")
        if d.likelihood == "negbin":
            mu = (level[si] + slope[si] * d.t[ti] + (cp_sd * cp_z[si] * hinge[ti]).sum(axis=-1)
                  + season[d.group_idx[si], d.moy[ti]] + season_dev[si, d.moy[ti]])
            if d.x.shape[0]:
                mu = mu + (beta[:, None] * d.x[:, si, ti]).sum(axis=0)
            alpha = pm.Gamma("alpha", 2.0, 0.1, dims="group")
            pm.NegativeBinomial("y", mu=pt.exp(np.log(d.scale)[si] + mu),
                                alpha=alpha[d.group_idx[si]], observed=d.y[si, ti])
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
            mu_dense = (level[:, None] + slope[:, None] * d.t[None, :] + pt.dot(cp_sd * cp_z, hinge.T)
                        + season[d.group_idx][:, d.moy] + season_dev[:, d.moy])
            if d.x.shape[0]:
                mu_dense = mu_dense + (beta[:, None, None] * d.x).sum(axis=0)
            resid = pt.where(mask, np.nan_to_num(z) - mu_dense, 0.0)
            innov = resid[:, 1:] - rho[:, None] * resid[:, :-1]
            pair = (mask[:, 1:] & mask[:, :-1]).astype("float64")
            logp = pm.logp(pm.StudentT.dist(nu=nu, mu=0.0, sigma=sigma[:, None]), innov)
            pm.Potential("ar_likelihood", (logp * pair).sum())
    return model


def fit(d: Design, *, method: str = "nuts", draws: int = 300, tune: int = 300, chains: int = 2,
        seed: int = 42, target_accept: float = 0.9, season_length: int = 12,
        time_budget_s: float | None = None) -> az.InferenceData:
    """Fit the model: NUTS (default, with diagnostics) or ADVI (fast, approximate).

    With ``time_budget_s`` a NUTS fit raises `OverBudget` as soon as it is projected to
    take longer (`budget_guard`)."""
    import pymc as pm

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
            idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=sampler_cores(chains),
                              target_accept=target_accept, random_seed=seed, progressbar=False,
                              compute_convergence_checks=False, callback=guard)
        elif method == "advi":
            # stop when the parameters settle: on M1 a longer fixed budget gave worse forecasts
            approx = pm.fit(n=30_000, method="advi", random_seed=seed, progressbar=False,
                            callbacks=[pm.callbacks.CheckParametersConvergence(diff="absolute", tolerance=1e-3)])
            idata = approx.sample(draws * chains, random_seed=seed)
        else:
            raise ValueError(f"unknown method {method!r}; expected 'nuts' or 'advi'")
    return idata


def _posterior(idata: az.InferenceData, max_draws: int | None = None):
    """Accessor for posterior arrays with the draws on the first axis (optionally thinned)."""
    post = idata.posterior.stack(sample=("chain", "draw"))
    if max_draws is not None and post.sizes["sample"] > max_draws:
        post = post.isel(sample=np.linspace(0, post.sizes["sample"] - 1, max_draws).astype(int))
    return lambda name: np.moveaxis(post[name].values, -1, 0)


def _seasonality(arr, d: Design) -> np.ndarray:
    """Group pattern plus each series' deviation: (sample, series, season position)."""
    return arr("season")[:, d.group_idx] + arr("season_dev")


def _negbin(arr, d: Design, mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Counts from the log-mean ``mu`` (gamma-Poisson mixture = negative binomial)."""
    alpha = arr("alpha")[:, d.group_idx][:, :, None]
    m = d.scale[None, :, None] * np.exp(np.clip(mu, -20, 20))
    return rng.poisson(rng.gamma(alpha, m / alpha)).astype(float)


def _from_log_scale(z: np.ndarray, d: Design) -> np.ndarray:
    """Undo z = log(y / scale + c); never below zero."""
    return np.maximum(d.scale[None, :, None] * (np.exp(np.clip(z, -30, 30)) - OFFSET), 0.0)


def replicate_history(idata: az.InferenceData, d: Design, rng: np.random.Generator, max_draws: int = 200) -> np.ndarray:
    """Posterior predictive draws of the history the model was fitted on: (sample, series, month).

    For the posterior predictive check: if the model describes the data, the observed
    months look like typical replicated ones. The Student-t model replicates each month
    one step ahead from the observed month before it (its AR(1) errors); nan where a
    series was not observed.
    """
    arr = _posterior(idata, max_draws)
    hinge = np.minimum(0.0, d.t[:, None] - np.array(CHANGEPOINTS_YEARS)[None, :])  # (time, k)
    mu = (arr("level")[:, :, None] + arr("slope")[:, :, None] * d.t[None, None, :]
          + CHANGEPOINT_SD * np.einsum("snk,tk->snt", arr("changepoint_z"), hinge) + _seasonality(arr, d)[:, :, d.moy])
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
        rep = _from_log_scale(mu + arr("rho")[:, :, None] * e_prev + noise, d)
    rep[:, ~d.mask] = np.nan
    return rep


def simulate(idata: az.InferenceData, d: Design, rng: np.random.Generator) -> np.ndarray:
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
    return _from_log_scale(z, d)


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
    draws: int = 300,
    tune: int = 300,
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
    if partition == "family":
        from sop_lib.demand.partitioned import forecast_partitioned

        if group_col is None:
            raise ForecastInputError("partition='family' needs group_col (the column naming each series' family)")
        res = forecast_partitioned(
            history, horizon, group_col=group_col, seed=seed, max_series=max_series, executor=executor,
            scheduler=scheduler, workers=workers, future_regressors=future_regressors, quantiles=quantiles,
            season_length=season_length, regressors=regressors, likelihood=likelihood, max_history=max_history,
            model=model, method=method, draws=draws, tune=tune, chains=chains, target_accept=target_accept,
            map_iterations=map_iterations, theta_weight=theta_weight, tsb_weight=tsb_weight,
            time_budget_s=time_budget_s)
        return res if return_draws else res.table
    if partition != "none":
        raise ForecastInputError(f"partition must be 'none' or 'family', got {partition!r}")
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
    d = design(df, horizon, group_col=group_col, regressors=list(regressors), future_regressors=future_regressors,
               season_length=season_length, likelihood=likelihood, max_history=max_history)
    if model == "auto":
        model = "trend" if d.likelihood == "negbin" else "ets"
    method = methods[model][0] if method == "auto" else method
    if method not in methods[model]:
        raise ForecastInputError(f"the {model!r} model is fitted with method {' or '.join(map(repr, methods[model]))}, "
                                 f"not {method!r}")
    if model == "ets" and likelihood == "negbin":
        raise ForecastInputError("the 'ets' model works on the log scale; use likelihood='auto' or 'student' with it")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if model == "ets":
        from sop_lib.demand import ets, theta

        idata = ets.fit(d, method=method, draws=draws, tune=tune, chains=chains, seed=seed,
                        target_accept=target_accept, season_length=season_length,
                        max_iterations=map_iterations or ets.MAP_ITERATIONS)
        sims = ets.simulate(idata, d, rng, n_draws=max(draws * chains, 1000) if method == "map" else draws * chains)
        weight = theta.WEIGHT if theta_weight is None else theta_weight
        sims = theta.mixed_draws(sims, d, ets.regression_coef(idata), weight, rng, season_length)
        idata.attrs.update({"theta_weight": weight, "season_length": season_length})  # the check replicates the mixture
    else:
        from sop_lib.demand import intermittent

        idata = fit(d, method=method, draws=draws, tune=tune, chains=chains, seed=seed,
                    target_accept=target_accept, season_length=season_length, time_budget_s=time_budget_s)
        sims = simulate(idata, d, rng)
        weight = intermittent.WEIGHT if tsb_weight is None else tsb_weight
        sims = intermittent.mixed_draws(sims, d.y, weight, rng)
        idata.attrs.update({"tsb_weight": weight,  # the posterior predictive check replicates the mixture
                            "tsb_series": int(intermittent.is_intermittent(d.y).sum())})
    elapsed = time.perf_counter() - start
    draws_da = xr.DataArray(sims, dims=("sample", "unique_id", "ds"),
                            coords={"sample": np.arange(sims.shape[0]), "unique_id": d.ids.astype(str), "ds": d.future},
                            name="demand")
    table = summarise_draws(draws_da, quantiles)
    if return_draws:
        likelihood_used = d.likelihood if model == "trend" else "lognormal"
        return ForecastResult(table, draws_da, idata, elapsed, likelihood_used, d, model)
    return table


def summarise_draws(draws: xr.DataArray, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Long table of mean and quantiles from draws with dims (sample, unique_id, ds)."""
    qs = np.quantile(draws.values, quantiles, axis=0)  # (q, series, month)
    ids, ds = draws["unique_id"].values, pd.DatetimeIndex(draws["ds"].values)
    out = pd.DataFrame({
        "unique_id": np.repeat(ids, len(ds)),
        "ds": np.tile(ds, len(ids)),
        "mean": draws.values.mean(axis=0).ravel(),
    })
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


RHAT_OK = 1.05  # worst r-hat over every parameter; 2 chains of a few hundred draws
ESS_OK = 100  # smallest bulk effective sample size


def inference_of(idata: az.InferenceData) -> str:
    """'map', 'nuts' or 'advi': which inference produced these posterior draws."""
    if idata.attrs.get("inference") == "map":
        return "map"
    return "nuts" if "sample_stats" in idata and "diverging" in idata.sample_stats else "advi"


def diagnostics(idata: az.InferenceData) -> dict:
    """The sampler health a reader needs: divergences, worst r-hat, lowest ESS (for a MAP
    fit: the optimiser's iterations, with the sampler fields left empty)."""
    inference = inference_of(idata)
    if inference == "map":
        return {"inference": "map", "divergences": 0, "max_r_hat": float("nan"), "min_ess_bulk": float("nan"),
                "min_ess_tail": float("nan"), "worst_r_hat_parameter": "", "min_ess_parameter": "", "draws": 1,
                "iterations": int(idata.attrs["iterations"]), "ok": True,
                **_mixture_attrs(idata)}
    names = [v for v in idata.posterior.data_vars if not v.endswith("_z")]  # raw offsets repeat their parents
    summ = az.summary(idata, var_names=names, kind="diagnostics")
    n_chains = idata.posterior.sizes["chain"]
    res = {
        "inference": inference,
        "divergences": int(idata.sample_stats["diverging"].sum()) if inference == "nuts" else 0,
        "max_r_hat": float(summ["r_hat"].max()) if n_chains > 1 else float("nan"),
        "min_ess_bulk": float(summ["ess_bulk"].min()),
        "min_ess_tail": float(summ["ess_tail"].min()),
        "worst_r_hat_parameter": str(summ["r_hat"].idxmax()) if n_chains > 1 else "",
        "min_ess_parameter": str(summ["ess_bulk"].idxmin()),
        "draws": int(idata.posterior.sizes["draw"] * n_chains),
        "iterations": 0,
        **_mixture_attrs(idata),
    }
    res["ok"] = bool(res["divergences"] == 0 and (n_chains == 1 or res["max_r_hat"] < RHAT_OK)
                     and res["min_ess_bulk"] > ESS_OK)
    return res


def _mixture_attrs(idata: az.InferenceData) -> dict:
    """The shares of the draws another method gave: Theta's (ets model), TSB's on intermittent series (trend)."""
    a = idata.attrs
    return {"theta_weight": float(a.get("theta_weight", 0.0)), "tsb_weight": float(a.get("tsb_weight", 0.0)),
            "tsb_series": int(a.get("tsb_series", 0))}


def fit_diagnostics(res: ForecastResult) -> dict:
    """`diagnostics` of one model's fit; for a fit in partitions, the worst over them."""
    each = [diagnostics(p.idata) for p in (res.partitions or [res])]
    if len(each) == 1:
        return each[0]
    worst_rhat = max(each, key=lambda d: -np.inf if np.isnan(d["max_r_hat"]) else d["max_r_hat"])
    least_ess = min(each, key=lambda d: np.inf if np.isnan(d["min_ess_bulk"]) else d["min_ess_bulk"])
    return {**each[0], "divergences": sum(d["divergences"] for d in each),
            "max_r_hat": worst_rhat["max_r_hat"], "worst_r_hat_parameter": worst_rhat["worst_r_hat_parameter"],
            "min_ess_bulk": least_ess["min_ess_bulk"], "min_ess_parameter": least_ess["min_ess_parameter"],
            "min_ess_tail": min(d["min_ess_tail"] for d in each), "iterations": max(d["iterations"] for d in each),
            "ok": all(d["ok"] for d in each), "partitions": len(each), "tsb_series": sum(d["tsb_series"] for d in each)}


def describe_fit(diag: dict, fit_seconds: float) -> str:
    """One sentence on the fit's health for the report, whichever inference ran (and one on the
    Theta share of the draws, where there is one)."""
    text = _describe_inference(diag, fit_seconds)
    share = diag.get("theta_weight", 0.0)
    if share > 0:
        text += (f" {share:.0%} of the draws come from the Theta method instead (exponential smoothing with half "
                 "the trend line's slope, on seasonally adjusted months): a combination of two models that err "
                 "differently, whose intervals hold both.")
    if diag.get("tsb_weight", 0.0) > 0 and diag.get("tsb_series", 0):
        n = diag["tsb_series"]
        text += (f" For the {n} intermittent series (a sale less often than every 1.32 months) {diag['tsb_weight']:.0%} "
                 "of the draws come from TSB instead, which follows the chance of a sale month by month.")
    return text


def _describe_inference(diag: dict, fit_seconds: float) -> str:
    if diag["inference"] == "map":
        return (f"Fitted by MAP (posterior mode, {diag['iterations']} L-BFGS iterations, {fit_seconds:.0f} s): "
                "intervals carry the future months' noise but not parameter uncertainty; no sampler to diagnose.")
    if diag["inference"] == "advi":
        return (f"Fitted by ADVI (a variational approximation, {diag['draws']} draws, {fit_seconds:.0f} s): fast, but "
                "it has no sampler diagnostics (no chains, so no r-hat or divergences) and tends to make intervals too "
                "narrow; the coverage on held-out months is its check.")
    verdict = ("Sampler diagnostics are healthy" if diag["ok"] else
               "WARNING: sampler diagnostics failed — treat the intervals with caution and rerun with more tune/draws")
    return (f"{verdict}: {diag['divergences']} divergent transitions, worst r-hat {diag['max_r_hat']:.3f} "
            f"(want < {RHAT_OK}), smallest effective sample size {diag['min_ess_bulk']:.0f} (want > {ESS_OK}), "
            f"from {diag['draws']} draws; fit took {fit_seconds:.0f} s.")


def fit_check_label(diag: dict) -> str:
    """Two or three words for a KPI card: what the fit's health check says, for the inference that ran."""
    if diag["inference"] == "nuts":
        return "sampler OK" if diag["ok"] else "sampler FAILED checks"
    return {"map": "MAP fit, no sampler", "advi": "ADVI fit, no sampler checks"}[diag["inference"]]


HEADLINE_PARAMETERS = {
    "trend": ("group_slope", "season_sd", "phi", "alpha", "beta"),
    "ets": ("alpha_group", "beta_s_group", "gamma_group", "phi_group", "log_sigma_group", "coef"),
}


def headline_parameters(res: ForecastResult) -> list[str]:
    """The group-level parameters worth a table in the report, for the model that ran."""
    return [n for n in HEADLINE_PARAMETERS[res.model] if n in res.idata.posterior]


def parameter_summary(res: ForecastResult) -> tuple[pd.DataFrame, str]:
    """The report's parameter table and its caption: posterior mean, sd and 94% interval for a
    sampled fit; the fitted values alone for MAP, which has no spread to show."""
    import arviz as az

    if res.partitions:
        tables = [parameter_summary(p) for p in res.partitions]
        table = pd.concat([t.assign(parameter=f"{p.partition}: " + t["parameter"]) for p, (t, _) in
                           zip(res.partitions, tables)], ignore_index=True)
        return table, tables[0][1] + f", per partition ({len(tables)})"
    names = headline_parameters(res)
    if res.idata.attrs.get("inference") == "map":
        values = az.extract(res.idata, var_names=names, combined=True)
        rows = [(f"{name}[{', '.join(map(str, idx))}]" if idx else name, float(v))
                for name in names for idx, v in _flat_items(values[name].squeeze(drop=True))]
        return pd.DataFrame(rows, columns=["parameter", "value"]), "Model parameters (posterior mode: a MAP fit has no spread)"
    summary = az.summary(res.idata, var_names=names, kind="stats")
    return summary.reset_index(names="parameter"), "Model parameters (posterior mean, sd and 94% interval)"


def _flat_items(da) -> list[tuple[tuple, float]]:
    """(coordinate labels, value) for every cell of a DataArray."""
    if not da.dims:
        return [((), da.item())]
    stacked = da.stack(cell=da.dims)
    labels = stacked["cell"].values
    return [((lab if isinstance(lab, tuple) else (lab,)), v) for lab, v in zip(labels, stacked.values)]
