"""Prior-cycle review: where did the last cycles' forecasts go wrong?

Each S&OP cycle archives its forecast; once the months it forecast have closed, step 1
compares it with what was actually sold. Two archives are read, and the report says
which one each number comes from:

* **reports** — the forecasts this suite archived itself: ``<reports root>/<YYYY-MM>/
  artifacts/demand_forecast.parquet`` of every earlier *completed* cycle (folders named
  exactly ``YYYY-MM``; ``.partial`` and ``.replaced-…`` runs are ignored).
* **archive folder** — ``data.forecast_archive`` in params: Parquet files
  ``demand_forecast_<YYYY-MM>.parquet`` with the same columns, e.g. forecasts exported
  from the tool used before this suite. The demo company ships 12 such cycles
  (`sop_lib.companies.demo.make_forecast_archive`), so the review has numbers on the first run.

When a cycle is in both, the reports' copy wins. Columns used: ``ds, sku, region,
family, mean, p10, p90`` and, when present, ``stat_mean`` (the statistical forecast
before consensus overrides), for forecast value added.

Measures (all on SKU x region x month, pooled over every archived cycle and lead time
unless said otherwise):

* WAPE = sum |actual - forecast| / sum actual; bias = sum (forecast - actual) / sum actual
  (positive = we forecast too much).
* Tracking signal per family = cumulative (forecast - actual) / mean |forecast - actual|
  over the months reviewed, on the family total and the *latest* forecast made for each
  month (signed like the bias: positive = too high); beyond +-4 the errors keep going one
  way, a bias rather than bad luck.
* Interval coverage = share of actuals inside [P10, P90]; about 80% means honest bands.
* Forecast value added (FVA) = WAPE(statistical) - WAPE(consensus) in points: positive
  when the overrides agreed in the meeting made the forecast better.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sop_lib.core import handover
from sop_lib.core.params import MONTH

FORECAST = "demand_forecast"  # the hand-over table each cycle archives its forecast in
TS_LIMIT = 4.0  # |tracking signal| beyond this = persistent bias (the textbook threshold)
BIAS_OK = 0.05  # |bias| up to this is no material bias
COVERAGE_OK = (0.7, 0.9)  # share of actuals inside P10-P90 that counts as honest bands (about 80%)


def _earlier(cycle_name: str, cycle: str) -> bool:
    return bool(MONTH.fullmatch(cycle_name)) and cycle_name < cycle


def read_report_archive(reports_root: str | Path, cycle: str) -> pd.DataFrame:
    """Forecasts archived by earlier completed cycles of this suite under ``reports_root``."""
    return _tidy(
        [
            handover.read_table(f, FORECAST).assign(cycle=f.name, origin=f"reports/{f.name}")
            for f in handover.completed_cycles(reports_root, FORECAST, before=cycle)
        ]
    )


def read_folder_archive(folder: str | Path | None, cycle: str) -> pd.DataFrame:
    """Forecasts in an archive folder: ``demand_forecast_<YYYY-MM>.parquet`` per cycle."""
    frames = []
    if folder is not None and Path(folder).is_dir():
        for path in sorted(Path(folder).glob("demand_forecast_*.parquet")):
            made = path.stem.removeprefix("demand_forecast_")
            if _earlier(made, cycle):
                frames.append(pd.read_parquet(path).assign(cycle=made, origin=f"{Path(folder).name}/{path.name}"))
    return _tidy(frames)


def _tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["cycle", "origin", "ds", "sku", "region", "family", "mean", "p10", "p50", "p90", "stat_mean"]
    if not frames:  # a company's first cycle: typed, so every review below works on it (and finds nothing)
        empty = pd.DataFrame(
            {c: pd.Series(dtype=float if c in ("mean", "p10", "p50", "p90", "stat_mean") else object) for c in cols}
        )
        return empty.astype({"ds": "datetime64[ns]"})
    df = pd.concat(frames, ignore_index=True)
    if "stat_mean" not in df:
        df["stat_mean"] = np.nan
    df["ds"] = pd.to_datetime(df["ds"]).dt.to_period("M").dt.to_timestamp()
    return df[[c for c in cols if c in df.columns]]


def combine_archives(reports: pd.DataFrame, folder: pd.DataFrame) -> pd.DataFrame:
    """Both archives; a cycle the suite archived itself replaces the folder's copy."""
    folder = folder[~folder["cycle"].isin(set(reports["cycle"]))]
    frames = [f for f in (reports, folder) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else reports


def archive_summary(archive: pd.DataFrame) -> pd.DataFrame:
    """Which cycles were found where: the reader's answer to 'what is this compared with?'."""
    if archive.empty:
        return pd.DataFrame(columns=["cycle", "origin", "series", "months_ahead", "has_statistical"])
    g = archive.groupby(["cycle", "origin"])
    return pd.DataFrame(
        {
            "series": g.apply(lambda d: d[["sku", "region"]].drop_duplicates().shape[0], include_groups=False),
            "months_ahead": g["ds"].nunique(),
            "has_statistical": g["stat_mean"].apply(lambda s: bool(s.notna().any())),
        }
    ).reset_index()


def match_actuals(archive: pd.DataFrame, monthly: pd.DataFrame, cycle: str) -> pd.DataFrame:
    """Archived forecasts for months that have closed, beside what was sold.

    ``lag`` is 1 for the first month a cycle forecast (made at the start of that month).
    Forecasts for series that have no actuals (a SKU discontinued since) are left out.
    """
    start = pd.Timestamp(f"{cycle}-01")
    actual = monthly.groupby(["sku", "region", "month"], as_index=False)["units"].sum()
    past = archive[archive["ds"] < start]
    out = past.merge(actual.rename(columns={"month": "ds", "units": "actual"}), on=["sku", "region", "ds"], how="inner")
    made = pd.to_datetime(out["cycle"] + "-01")
    out["lag"] = (out["ds"].dt.year - made.dt.year) * 12 + (out["ds"].dt.month - made.dt.month) + 1
    return out[out["lag"] >= 1].reset_index(drop=True)


def _wape(actual: pd.Series, forecast: pd.Series) -> float:
    total = actual.sum()
    return float((actual - forecast).abs().sum() / total) if total > 0 else np.nan


def _bias(actual: pd.Series, forecast: pd.Series) -> float:
    total = actual.sum()
    return float((forecast - actual).sum() / total) if total > 0 else np.nan


def tracking_signal(matched: pd.DataFrame, point: str = "mean") -> pd.DataFrame:
    """Per family and month: the latest forecast made for that month against the actual,
    and the running tracking signal (cumulative error over mean absolute error)."""
    if matched.empty:
        return pd.DataFrame(columns=["family", "ds", "actual", "forecast", "p10", "p90", "tracking_signal"])
    latest = matched[matched["lag"] == matched.groupby("ds")["lag"].transform("min")]
    fam = latest.groupby(["family", "ds"], as_index=False)[["actual", point, "p10", "p90"]].sum()
    fam = fam.rename(columns={point: "forecast"}).sort_values(["family", "ds"])
    err = fam["forecast"] - fam["actual"]
    g = err.groupby(fam["family"])
    mad = err.abs().groupby(fam["family"]).expanding().mean().reset_index(level=0, drop=True)
    fam["tracking_signal"] = g.cumsum() / mad.where(mad > 0)
    return fam.reset_index(drop=True)


def _status(ts: float, coverage: float, bias: float) -> str:
    if (pd.notna(ts) and abs(ts) > TS_LIMIT) or (pd.notna(coverage) and coverage < 0.6):
        return "red"
    if (pd.notna(coverage) and not COVERAGE_OK[0] <= coverage <= COVERAGE_OK[1]) or (pd.notna(bias) and abs(bias) > 0.10):
        return "amber"
    return "green"


def family_review(matched: pd.DataFrame, point: str = "mean") -> pd.DataFrame:
    """One line per family and one for all: WAPE, bias, tracking signal, coverage, FVA.

    Status: red when the tracking signal is beyond +-4 or fewer than 60% of actuals fell
    inside P10-P90; amber when coverage is outside 70-90% or the bias beyond +-10%.
    """
    cols = [
        "family",
        "status",
        "forecasts",
        "actual_units",
        "wape",
        "bias",
        "tracking_signal",
        "coverage_p10_p90",
        "wape_statistical",
        "fva_points",
    ]
    if matched.empty:
        return pd.DataFrame(columns=cols)
    ts = tracking_signal(matched, point)
    last_ts = ts.groupby("family")["tracking_signal"].last()
    total_ts = tracking_signal(matched.assign(family="All families"), point)["tracking_signal"].iloc[-1]
    rows = []
    groups = list(matched.groupby("family")) + [("All families", matched)]
    for family, d in groups:
        has_stat = d["stat_mean"].notna().all()
        wape = _wape(d["actual"], d[point])
        wape_stat = _wape(d["actual"], d["stat_mean"]) if has_stat else np.nan
        cov = float(((d["actual"] >= d["p10"]) & (d["actual"] <= d["p90"])).mean())
        bias = _bias(d["actual"], d[point])
        t = total_ts if family == "All families" else last_ts.get(family, np.nan)
        rows.append(
            {
                "family": family,
                "status": _status(t, cov, bias),
                "forecasts": len(d),
                "actual_units": float(d["actual"].sum()),
                "wape": wape,
                "bias": bias,
                "tracking_signal": t,
                "coverage_p10_p90": cov,
                "wape_statistical": wape_stat,
                "fva_points": (wape_stat - wape) * 100 if has_stat else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def lag_review(matched: pd.DataFrame, point: str = "mean") -> pd.DataFrame:
    """Accuracy by how far ahead the forecast was made: error grows with the lead time."""
    rows = []
    for lag, d in matched.groupby("lag"):
        rows.append(
            {
                "months_ahead": int(lag),
                "forecasts": len(d),
                "wape": _wape(d["actual"], d[point]),
                "bias": _bias(d["actual"], d[point]),
                "coverage_p10_p90": float(((d["actual"] >= d["p10"]) & (d["actual"] <= d["p90"])).mean()),
            }
        )
    return pd.DataFrame(rows, columns=["months_ahead", "forecasts", "wape", "bias", "coverage_p10_p90"])


def override_review(matched: pd.DataFrame, point: str = "mean", min_change: float = 0.01) -> pd.DataFrame:
    """Per family: how many forecasts the consensus changed (by more than ``min_change``),
    how many of those changes moved the number closer to what was sold, and the FVA
    on the changed forecasts only."""
    cols = ["family", "overridden", "helped", "hurt", "share_helped", "wape_statistical", "wape_consensus", "fva_points"]
    d = matched[matched["stat_mean"].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    changed = d[(d[point] - d["stat_mean"]).abs() > min_change * d["stat_mean"].abs().clip(lower=1)]
    rows = []
    for family, g in list(changed.groupby("family")) + [("All families", changed)]:
        closer = (g["actual"] - g[point]).abs() < (g["actual"] - g["stat_mean"]).abs()
        farther = (g["actual"] - g[point]).abs() > (g["actual"] - g["stat_mean"]).abs()
        ws, wc = _wape(g["actual"], g["stat_mean"]), _wape(g["actual"], g[point])
        rows.append(
            {
                "family": family,
                "overridden": len(g),
                "helped": int(closer.sum()),
                "hurt": int(farther.sum()),
                "share_helped": float(closer.mean()) if len(g) else np.nan,
                "wape_statistical": ws,
                "wape_consensus": wc,
                "fva_points": (ws - wc) * 100,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def worst_misses(matched: pd.DataFrame, n: int = 8, point: str = "mean") -> pd.DataFrame:
    """The SKU x region series that contributed most absolute error: where to look first."""
    if matched.empty:
        return pd.DataFrame(
            columns=["family", "sku", "region", "actual_units", "forecast_units", "bias", "wape", "share_of_error"]
        )
    d = matched.assign(abs_err=(matched["actual"] - matched[point]).abs())
    g = d.groupby(["family", "sku", "region"])
    out = pd.DataFrame({"actual_units": g["actual"].sum(), "forecast_units": g[point].sum(), "abs_err": g["abs_err"].sum()})
    out["bias"] = (out["forecast_units"] - out["actual_units"]) / out["actual_units"].where(out["actual_units"] > 0)
    out["wape"] = out["abs_err"] / out["actual_units"].where(out["actual_units"] > 0)
    out["share_of_error"] = out["abs_err"] / out["abs_err"].sum()
    return out.sort_values("abs_err", ascending=False).drop(columns="abs_err").head(n).reset_index()


def findings(fam: pd.DataFrame, overrides: pd.DataFrame, worst: pd.DataFrame) -> list[str]:
    """'Where did we go wrong', in sentences for the meeting."""
    out = []
    for _, r in fam[fam["family"] != "All families"].iterrows():
        direction = "too high" if r["bias"] > 0 else "too low"
        if pd.notna(r["tracking_signal"]) and abs(r["tracking_signal"]) > TS_LIMIT:
            out.append(
                f"{r['family']}: forecasts ran {abs(r['bias']):.0%} {direction}, and kept going that way "
                f"(tracking signal {r['tracking_signal']:+.1f}, beyond ±{TS_LIMIT:.0f}): a bias to correct, not bad luck."
            )
        elif abs(r["bias"]) > BIAS_OK:
            out.append(
                f"{r['family']}: forecasts ran {abs(r['bias']):.0%} {direction} "
                f"(tracking signal {r['tracking_signal']:+.1f}, within ±{TS_LIMIT:.0f})."
            )
        else:
            out.append(f"{r['family']}: no material bias ({r['bias']:+.0%}); WAPE {r['wape']:.0%}.")
    total = fam[fam["family"] == "All families"]
    if len(total):
        cov = total["coverage_p10_p90"].iloc[0]
        verdict = (
            "about right"
            if COVERAGE_OK[0] <= cov <= COVERAGE_OK[1]
            else "too narrow: the plan under-states uncertainty"
            if cov < COVERAGE_OK[0]
            else "wider than needed"
        )
        out.append(f"Actual sales fell inside the P10–P90 band {cov:.0%} of the time (about 80% is honest): {verdict}.")
    allo = overrides[overrides["family"] == "All families"]
    if len(allo) and allo["overridden"].iloc[0] > 0:
        o = allo.iloc[0]
        word = "improved" if o["fva_points"] > 0 else "worsened"
        out.append(
            f"Consensus overrides changed {int(o['overridden']):,} forecasts; {o['share_helped']:.0%} moved closer to "
            f"what was sold, and they {word} WAPE on those forecasts by {abs(o['fva_points']):.1f} points."
        )
        per = overrides[(overrides["family"] != "All families") & (overrides["overridden"] > 0)]
        if len(per) > 1 and per["fva_points"].gt(0).any() and per["fva_points"].lt(0).any():
            parts = [
                f"{'saved' if r['fva_points'] > 0 else 'cost'} {abs(r['fva_points']):.1f} points on {r['family']}"
                for _, r in per.sort_values("fva_points", ascending=False).iterrows()
            ]
            out.append("By family, the overrides " + " and ".join(parts) + ".")
    if len(worst):
        w = worst.iloc[0]
        out.append(
            f"The largest single miss: {w['sku']} in {w['region']} ({w['share_of_error']:.0%} of all absolute error, "
            f"forecast {w['bias']:+.0%} against actuals)."
        )
    return out
