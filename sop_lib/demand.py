"""Step 2: the Bayesian demand engine.

`forecast(history, horizon)` fits **one** PyMC model over every series at once and
returns quantile forecasts in the statsforecast layout (``unique_id, ds, mean, p10,
p50, p90``). The model, per series *i* and month *t* (``t`` in years)::

    log mu[i, t] = log scale_i + level_i + slope_i * t + season[g(i), month(t)] + beta * x[i, t]
    y[i, t]      ~ NegativeBinomial(mu[i, t], alpha[g(i)])

* ``g(i)`` is the series' group (product family): seasonality is shared within a
  family, slopes are partially pooled towards the family's slope.
* the slope is *damped* in the forecast: month ``h`` ahead adds
  ``slope * phi * (1 - phi^h) / (1 - phi) / 12`` with ``phi ~ Beta(8, 2)``, so a
  trend fitted on history does not run away over a 12-month horizon.
* ``x`` holds optional regressors (promotion depth from the marketing calendar);
  their future values must be given.
* the negative binomial suits sales counts: skewed, over-dispersed, with zeros.

Forecast draws are simulated in NumPy from the posterior (gamma-Poisson mixture), so
no second model compile is needed. Aggregates (family, total) are sums of the draws,
so they are coherent in every draw.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

log = logging.getLogger(__name__)


class ForecastInputError(ValueError):
    """Input that the demand engine cannot use; the message says which series and why."""


@dataclass
class ForecastResult:
    table: pd.DataFrame  # unique_id, ds, mean, p10, ...
    draws: xr.DataArray  # (sample, unique_id, ds) simulated future demand
    idata: az.InferenceData | None  # posterior and sampler statistics
    fit_seconds: float = 0.0


def quantile_column(q: float) -> str:
    """0.1 -> 'p10', 0.975 -> 'p97.5': percent, rounded."""
    pct = round(q * 100, 1)
    return f"p{pct:g}"


def _check_history(history: pd.DataFrame, season_length: int, regressors: list[str]) -> pd.DataFrame:
    missing = {"unique_id", "ds", "y"} - set(history.columns)
    if missing:
        raise ForecastInputError(f"history is missing column(s) {sorted(missing)}; expected unique_id, ds, y")
    df = history.copy()
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
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True)


@dataclass
class _Design:
    ids: np.ndarray
    groups: np.ndarray
    group_idx: np.ndarray
    months: pd.DatetimeIndex
    y: np.ndarray  # (series, time), nan before a series starts
    t: np.ndarray  # (time,) years since start
    moy: np.ndarray  # (time,) month of year 0..11 (or season position)
    x: np.ndarray  # (regressor, series, time)
    scale: np.ndarray
    future: pd.DatetimeIndex
    x_future: np.ndarray


def _design(df: pd.DataFrame, horizon: int, group_col: str | None, regressors: list[str],
            future_regressors: pd.DataFrame | None, season_length: int) -> _Design:
    months = pd.date_range(df["ds"].min(), df["ds"].max(), freq="MS")
    ids = np.array(sorted(df["unique_id"].unique()), dtype=object)
    wide = df.pivot(index="unique_id", columns="ds", values="y").reindex(index=ids, columns=months)
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
        fr = future_regressors.assign(ds=pd.to_datetime(future_regressors["ds"]))
        xf[k] = fr.pivot_table(index="unique_id", columns="ds", values=col, aggfunc="sum").reindex(index=ids, columns=future).fillna(0).to_numpy()
    y = wide.to_numpy(dtype=float)
    scale = np.nanmean(y, axis=1) + 1.0
    all_months = months.append(future)
    t_all = ((all_months.year - months[0].year) * 12 + all_months.month - months[0].month) / 12.0
    moy_all = np.asarray((all_months.month - 1) % season_length)
    return _Design(ids, groups, group_idx, months, y, t_all[: len(months)].to_numpy(), moy_all[: len(months)],
                   x, scale, future, xf)


def build_model(d: _Design, season_length: int = 12):
    """The PyMC model for all series; observed cells only (a series may start late)."""
    import pymc as pm

    obs = ~np.isnan(d.y)
    si, ti = np.nonzero(obs)
    coords = {
        "series": d.ids,
        "group": d.groups,
        "month_of_year": np.arange(season_length),
        "regressor": np.arange(d.x.shape[0]),
    }
    log_scale = np.log(d.scale)
    with pm.Model(coords=coords) as model:
        level = pm.Normal("level", 0.0, 1.0, dims="series")
        group_slope = pm.Normal("group_slope", 0.0, 0.2, dims="group")
        slope_sd = pm.HalfNormal("slope_sd", 0.1)
        slope_z = pm.Normal("slope_z", 0.0, 1.0, dims="series")
        slope = pm.Deterministic("slope", group_slope[d.group_idx] + slope_sd * slope_z, dims="series")
        season_sd = pm.HalfNormal("season_sd", 0.5)
        season = pm.ZeroSumNormal("season", sigma=season_sd, dims=("group", "month_of_year"), n_zerosum_axes=1)
        pm.Beta("phi", 8.0, 2.0)
        alpha = pm.Gamma("alpha", 2.0, 0.1, dims="group")
        eta = log_scale[si] + level[si] + slope[si] * d.t[ti] + season[d.group_idx[si], d.moy[ti]]
        if d.x.shape[0]:
            beta = pm.Normal("beta", 0.0, 1.0, dims="regressor")
            eta = eta + (beta[:, None] * d.x[:, si, ti]).sum(axis=0)
        pm.NegativeBinomial("y", mu=pm.math.exp(eta), alpha=alpha[d.group_idx[si]], observed=d.y[si, ti])
    return model


def _simulate_future(idata: az.InferenceData, d: _Design, rng: np.random.Generator) -> np.ndarray:
    """Posterior predictive draws for the horizon: (sample, series, month)."""
    post = idata.posterior.stack(sample=("chain", "draw"))
    level = post["level"].values.T  # (S, n)
    slope = post["slope"].values.T
    season = post["season"].values.transpose(2, 0, 1)  # (S, group, season)
    phi = post["phi"].values[:, None, None]
    alpha = post["alpha"].values.T[:, d.group_idx][:, :, None]
    h = np.arange(1, len(d.future) + 1)[None, None, :]
    t_last = d.t[-1]
    damped = (phi * (1 - phi**h) / (1 - phi)) / 12.0
    moy_f = np.asarray((d.future.month - 1) % season.shape[2])
    eta = (np.log(d.scale)[None, :, None] + level[:, :, None] + slope[:, :, None] * (t_last + damped)
           + season[:, d.group_idx][:, :, moy_f])
    if d.x.shape[0]:
        beta = post["beta"].values.T  # (S, k)
        eta = eta + np.einsum("sk,kit->sit", beta, d.x_future)
    mu = np.exp(np.clip(eta, -20, 20))
    lam = rng.gamma(alpha, mu / alpha)
    return rng.poisson(lam).astype(float)


def fit(d: _Design, *, method: str = "nuts", draws: int = 300, tune: int = 300, chains: int = 2,
        seed: int = 42, target_accept: float = 0.9, season_length: int = 12) -> az.InferenceData:
    """Fit the model; NUTS by default, ADVI as the fast approximate option."""
    import pymc as pm

    model = build_model(d, season_length)
    with model:
        if method == "nuts":
            idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=min(chains, 2),
                              target_accept=target_accept, random_seed=seed, progressbar=False,
                              compute_convergence_checks=False)
        elif method == "advi":
            approx = pm.fit(n=20_000, method="advi", random_seed=seed, progressbar=False)
            idata = approx.sample(draws * chains, random_seed=seed)
            idata.posterior = idata.posterior.isel(chain=0).expand_dims(chain=[0])
        else:
            raise ValueError(f"unknown method {method!r}; expected 'nuts' or 'advi'")
    return idata


def forecast(
    history: pd.DataFrame,
    horizon: int,
    *,
    season_length: int = 12,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    group_col: str | None = None,
    regressors: tuple[str, ...] = (),
    future_regressors: pd.DataFrame | None = None,
    method: str = "nuts",
    draws: int = 300,
    tune: int = 300,
    chains: int = 2,
    seed: int = 42,
    target_accept: float = 0.9,
    return_draws: bool = False,
) -> pd.DataFrame | ForecastResult:
    """Probabilistic monthly forecast for every series in ``history`` (unique_id, ds, y).

    Returns one row per series and future month with ``mean`` and one column per
    quantile (``p10``, ``p50``, ``p90``...). With ``return_draws=True`` returns a
    `ForecastResult` that also holds the simulated draws and the InferenceData.
    """
    import time

    if horizon < 1:
        raise ForecastInputError(f"horizon must be at least 1 month, got {horizon}")
    df = _check_history(history, season_length, list(regressors))
    d = _design(df, horizon, group_col, list(regressors), future_regressors, season_length)
    start = time.perf_counter()
    idata = fit(d, method=method, draws=draws, tune=tune, chains=chains, seed=seed,
                target_accept=target_accept, season_length=season_length)
    sims = _simulate_future(idata, d, np.random.default_rng(seed))
    elapsed = time.perf_counter() - start
    draws_da = xr.DataArray(sims, dims=("sample", "unique_id", "ds"),
                            coords={"sample": np.arange(sims.shape[0]), "unique_id": d.ids.astype(str), "ds": d.future},
                            name="demand")
    table = summarise_draws(draws_da, quantiles)
    if return_draws:
        return ForecastResult(table, draws_da, idata, elapsed)
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


def aggregate_draws(draws: xr.DataArray, mapping: pd.Series) -> xr.DataArray:
    """Sum series draws to a level above them (family, total); coherent in every draw."""
    labels = mapping.reindex(draws["unique_id"].values).to_numpy()
    if pd.isna(labels).any():
        missing = draws["unique_id"].values[pd.isna(labels)]
        raise ForecastInputError(f"no aggregate given for series {list(missing)[:5]}")
    return draws.assign_coords(group=("unique_id", labels)).groupby("group").sum("unique_id").rename(group="unique_id")


def diagnostics(idata: az.InferenceData) -> dict:
    """The sampler health a reader needs: divergences, worst r-hat, lowest ESS."""
    summ = az.summary(idata, var_names=["level", "slope", "season", "alpha", "phi"], kind="diagnostics")
    div = int(idata.sample_stats["diverging"].sum()) if "sample_stats" in idata and "diverging" in idata.sample_stats else 0
    n_chains = idata.posterior.sizes["chain"]
    res = {
        "divergences": div,
        "max_r_hat": float(summ["r_hat"].max()) if n_chains > 1 else float("nan"),
        "min_ess_bulk": float(summ["ess_bulk"].min()),
        "min_ess_tail": float(summ["ess_tail"].min()),
        "draws": int(idata.posterior.sizes["draw"] * n_chains),
    }
    res["ok"] = bool(res["divergences"] == 0 and (n_chains == 1 or res["max_r_hat"] < 1.05) and res["min_ess_bulk"] > 100)
    return res


# --- accuracy ------------------------------------------------------------------


def accuracy(actual: pd.DataFrame, fc: pd.DataFrame, train: pd.DataFrame, season_length: int = 12,
             model_col: str = "mean") -> dict:
    """WAPE, bias, sMAPE and MASE of one forecast column against held-out actuals."""
    m = actual.merge(fc, on=["unique_id", "ds"], how="inner")
    if m.empty:
        raise ValueError("forecast and actuals share no (unique_id, ds) rows")
    err = m[model_col] - m["y"]
    wape = err.abs().sum() / max(m["y"].abs().sum(), 1e-9)
    smape = np.mean(2 * err.abs() / (m[model_col].abs() + m["y"].abs()).replace(0, np.nan)) * 100
    scale = train.sort_values("ds").groupby("unique_id")["y"].apply(lambda s: s.diff(season_length).abs().mean())
    mase = (err.abs() / m["unique_id"].map(scale).replace(0, np.nan)).groupby(m["unique_id"]).mean().mean()
    return {"wape": float(wape), "bias": float(err.sum() / max(m["y"].sum(), 1e-9)),
            "smape": float(np.nanmean(smape)) if np.ndim(smape) else float(smape), "mase": float(mase)}


def interval_coverage(actual: pd.DataFrame, fc: pd.DataFrame, lo: str, hi: str) -> float:
    m = actual.merge(fc, on=["unique_id", "ds"], how="inner")
    return float(((m["y"] >= m[lo]) & (m["y"] <= m[hi])).mean())


def seasonal_naive(history: pd.DataFrame, horizon: int, season_length: int = 12) -> pd.DataFrame:
    """Same month last year: the baseline every forecast must beat."""
    rows = []
    for uid, g in history.sort_values("ds").groupby("unique_id"):
        last = g.tail(season_length)
        last_ds = g["ds"].max()
        for h in range(1, horizon + 1):
            rows.append((uid, last_ds + pd.DateOffset(months=h), float(last["y"].iloc[(h - 1) % len(last)])))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "mean"])


# --- S&OP specifics: launches and discontinued products -----------------------------


def launch_month_probabilities(earliest: pd.Timestamp, likely: pd.Timestamp, latest: pd.Timestamp) -> pd.Series:
    """Triangular distribution over launch months: the planners' earliest/likely/latest."""
    months = pd.date_range(earliest, latest, freq="MS")
    pos = np.arange(len(months), dtype=float)
    mode = float(len(pd.date_range(earliest, likely, freq="MS")) - 1)
    hi = max(len(months) - 1, 1e-9)
    w = np.where(pos <= mode, (pos + 1) / (mode + 1), (hi - pos + 1) / (hi - mode + 1))
    return pd.Series(w / w.sum(), index=months)


def add_launch(draws: xr.DataArray, *, new_id: str, analog_id: str, peak_units: float, ramp_months: int,
               launch_probs: pd.Series, cannibalisation: float, seed: int = 0,
               uncertainty_sd: float = 0.35, shape_from: xr.DataArray | None = None) -> xr.DataArray:
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
    months_since = ((ds.year.to_numpy()[None, :] - pd.DatetimeIndex(launch).year.to_numpy()[:, None]) * 12
                    + ds.month.to_numpy()[None, :] - pd.DatetimeIndex(launch).month.to_numpy()[:, None])
    ramp = np.clip((months_since + 1) / max(ramp_months, 1), 0, 1) * (months_since >= 0)
    success = rng.lognormal(-uncertainty_sd**2 / 2, uncertainty_sd, size=(S, 1))
    new = rng.poisson(peak_units * ramp * shape * success).astype(float)
    out = draws.copy()
    out.loc[dict(unique_id=analog_id)] = np.round(analog * (1 - cannibalisation * ramp))
    new_da = xr.DataArray(new[:, None, :], dims=("sample", "unique_id", "ds"),
                          coords={"sample": draws["sample"], "unique_id": [new_id], "ds": draws["ds"]})
    return xr.concat([out, new_da], dim="unique_id")


def sku_of(unique_id: str) -> str:
    """Series ids are 'SKU|region'; the SKU part."""
    return re.split(r"\|", str(unique_id))[0]


def promo_depth(calendar: pd.DataFrame, series: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Discount depth per series and month from the marketing calendar (0 = no promotion)."""
    rows = []
    for _, p in calendar.iterrows():
        active = months[(months >= p["start_date"].to_period("M").to_timestamp()) & (months <= p["end_date"])]
        hit = series[(series["sku"] == p["sku"]) & ((p["region"] == "all") | (series["region"] == p["region"]))]
        for uid in hit["unique_id"]:
            rows += [(uid, m, float(p["discount_pct"])) for m in active]
    out = pd.DataFrame(rows, columns=["unique_id", "ds", "promo"])
    return out.groupby(["unique_id", "ds"], as_index=False)["promo"].max()


def sop_history(monthly: pd.DataFrame, products: pd.DataFrame, calendar: pd.DataFrame,
                horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn step 1's harmonised sales into the engine's (history, future regressors).

    Series are SKU x region ('SKU|region'); discontinued SKUs are left out (they stop),
    promotions become the ``promo`` regressor.
    """
    active = products.loc[products["status"] == "active", "sku"]
    m = monthly[monthly["sku"].isin(active)]
    hist = pd.DataFrame({
        "unique_id": m["sku"] + "|" + m["region"],
        "ds": m["month"],
        "y": m["units"].astype(float),
        "family": m["family"],
        "sku": m["sku"],
        "region": m["region"],
    })
    series = hist.drop_duplicates("unique_id")[["unique_id", "sku", "region"]]
    last = hist["ds"].max()
    all_months = pd.date_range(hist["ds"].min(), last + pd.DateOffset(months=horizon), freq="MS")
    promo = promo_depth(calendar, series, all_months)
    hist = hist.merge(promo, on=["unique_id", "ds"], how="left").fillna({"promo": 0.0})
    future = promo[promo["ds"] > last]
    return hist, future


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
        probs = launch_month_probabilities(la["earliest_launch"] + shift, la["likely_launch"] + shift,
                                           la["latest_launch"] + shift)
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
                out = add_launch(out, new_id=f"{la['sku']}|{region}", analog_id=analogs[region], peak_units=peak,
                                 ramp_months=int(la["ramp_months"]), launch_probs=probs,
                                 cannibalisation=float(la["cannibalisation_pct"]), seed=seed + k)
            else:
                out = add_launch(out, new_id=f"{la['sku']}|{region}", analog_id=analogs[biggest],
                                 peak_units=la["peak_units_per_month"] * new_share,
                                 ramp_months=int(la["ramp_months"]), launch_probs=probs, cannibalisation=0.0,
                                 seed=seed + k, shape_from=draws.sel(unique_id=analogs[biggest]))
    return out


def backtest(history: pd.DataFrame, holdout: int, *, season_length: int = 12, group_col: str | None = None,
             regressors: tuple[str, ...] = (), baselines: bool = True, **fit_kwargs) -> tuple[pd.DataFrame, ForecastResult]:
    """Hold out the last ``holdout`` months, forecast them, and score against baselines.

    Returns one row per method (this engine, seasonal naive, AutoETS from statsforecast)
    with WAPE, bias, sMAPE, MASE and the P10-P90 interval's coverage, all on the same
    held-out months, plus the engine's backtest forecast.
    """
    cutoff = pd.to_datetime(history["ds"]).max() - pd.DateOffset(months=holdout)
    h = history.assign(ds=pd.to_datetime(history["ds"]))
    train, test = h[h["ds"] <= cutoff], h[h["ds"] > cutoff]
    if test.empty or train.empty:
        raise ForecastInputError(f"holdout of {holdout} months leaves no training or no test data")
    future = test[["unique_id", "ds", *regressors]]
    res = forecast(train, holdout, season_length=season_length, group_col=group_col, regressors=regressors,
                   future_regressors=future if regressors else None, return_draws=True, **fit_kwargs)
    actual = test[["unique_id", "ds", "y"]]
    rows = [{"method": "Bayesian engine (this model)", **accuracy(actual, res.table, train, season_length),
             "coverage_p10_p90": interval_coverage(actual, res.table, "p10", "p90")}]
    if baselines:
        naive = seasonal_naive(train, holdout, season_length)
        rows.append({"method": "Seasonal naive (same month last year)", **accuracy(actual, naive, train, season_length),
                     "coverage_p10_p90": np.nan})
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        sf = StatsForecast(models=[AutoETS(season_length=season_length)], freq="MS", n_jobs=1)
        ets = sf.forecast(df=train[["unique_id", "ds", "y"]], h=holdout, level=[80]).reset_index(drop=False)
        ets = ets.rename(columns={"AutoETS": "mean", "AutoETS-lo-80": "lo", "AutoETS-hi-80": "hi"})
        ets["unique_id"] = ets["unique_id"].astype(str)
        rows.append({"method": "AutoETS (statsforecast)", **accuracy(actual, ets, train, season_length),
                     "coverage_p10_p90": interval_coverage(actual, ets, "lo", "hi")})
    return pd.DataFrame(rows), res
