"""The arrays a demand model sees: the history checked, scaled and laid out per series and month."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OFFSET = 0.1  # ``c`` in z = log(y / scale + c): keeps zeros finite on the log scale


class ForecastInputError(ValueError):
    """Input that the demand engine cannot use; the message says which series and why."""


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
    _check_spans(df, max(season_length + 6, 12))
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def _check_spans(df: pd.DataFrame, min_len: int) -> None:
    """Every series consecutive, long enough and ending in the last month; one pass over all series."""
    span = df.groupby("unique_id", sort=True)["ds"].agg(["min", "max", "size"])
    month_no = lambda ds: ds.dt.year * 12 + ds.dt.month  # noqa: E731
    gaps = (month_no(span["max"]) - month_no(span["min"]) + 1 - span["size"]).to_numpy()
    last = span["max"].max()
    bad = (gaps != 0) | (span["size"].to_numpy() < min_len) | (span["max"] != last).to_numpy()
    if not bad.any():
        return
    i = int(np.argmax(bad))  # the first series in name order, as a reader checks them
    uid, first, end, n = span.index[i], span["min"].iloc[i], span["max"].iloc[i], int(span["size"].iloc[i])
    if gaps[i]:
        raise ForecastInputError(
            f"series {uid!r}: {gaps[i]} month(s) missing between {first:%Y-%m} and "
            f"{end:%Y-%m}; expected consecutive months (add rows with y = 0)"
        )
    if n < min_len:
        raise ForecastInputError(
            f"series {uid!r} has {n} months of history; the model needs at least {min_len} "
            "(drop it and plan it as a new product from an analog instead)"
        )
    raise ForecastInputError(
        f"series {uid!r} ends in {end:%Y-%m} but others run to {last:%Y-%m}; every series must "
        "end in the same month (drop discontinued series, or add the missing months with y = 0)"
    )


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


def whole_units(values: np.ndarray) -> bool:
    """Are the sales counts (whole units)? Then the trend model's negative binomial fits them."""
    return bool(np.allclose(values, np.round(values)))


def design(
    df: pd.DataFrame,
    horizon: int,
    *,
    group_col: str | None,
    regressors: list[str],
    future_regressors: pd.DataFrame | None,
    season_length: int,
    likelihood: str,
    max_history: int | None,
) -> Design:
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
        fr = future_regressors.assign(
            ds=pd.to_datetime(future_regressors["ds"]), unique_id=future_regressors["unique_id"].astype(str)
        )
        xf[k] = (
            fr.pivot_table(index="unique_id", columns="ds", values=col, aggfunc="sum")
            .reindex(index=ids, columns=future)
            .fillna(0)
            .to_numpy()
        )
    if likelihood == "auto":
        observed = y[~np.isnan(y)]
        likelihood = "negbin" if whole_units(observed) else "student"
    recent = np.array([row[~np.isnan(row)][-12:].mean() for row in y])
    scale = recent + (1.0 if likelihood == "negbin" else 0.0)
    scale = np.where(scale > 0, scale, np.nanmax(np.where(np.isnan(y), 0, y), axis=1) + 1.0)
    pos = (months.year - months[-1].year) * 12 + months.month - months[-1].month
    moy = np.asarray((months.month - 1) % season_length)
    return Design(
        ids,
        groups,
        group_idx,
        months,
        y,
        np.asarray(pos / 12.0),
        moy,
        x,
        scale,
        future,
        np.asarray((future.month - 1) % season_length),
        xf,
        likelihood,
    )


def from_log_scale(z: np.ndarray, d: Design, out: np.ndarray | None = None) -> np.ndarray:
    """Undo z = log(y / scale + c); never below zero. With ``out=z`` in place (no copy of the draws)."""
    if out is None:
        return np.maximum(d.scale[None, :, None] * (np.exp(np.clip(z, -30, 30)) - OFFSET), 0.0)
    np.clip(z, -30, 30, out=out)
    np.exp(out, out=out)
    out -= OFFSET
    out *= d.scale[None, :, None]
    return np.maximum(out, 0.0, out=out)
