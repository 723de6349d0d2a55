"""Data quality of the monthly sales: the traffic light per source, completeness, zero months, outliers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_lib.core.params import RunParams
from sop_lib.data.problems import MAX_ROWS_SHOWN, LoadedData, Problem, apply_severity


def _rolling(x: pd.Series, keys: list[pd.Series], window: int, min_periods: int, how: str) -> pd.Series:
    """Centred rolling statistic within each series (one grouped call, not one per series)."""
    r = getattr(x.groupby(keys, sort=False).rolling(window, center=True, min_periods=min_periods), how)()
    return r.reset_index(level=list(range(len(keys))), drop=True).reindex(x.index)


def robust_outliers(monthly: pd.DataFrame, threshold: float = 5.0) -> pd.DataFrame:
    """Months far from their neighbours, after removing the family's seasonal profile.

    Robust z of log1p(units) against a centred 7-month median of the deseasonalised
    series, scaled by the median month-to-month change. The log scale keeps a big series' ordinary peak from looking extreme;
    median/MAD keep the outlier itself from inflating the spread it is measured
    against. Series selling under 5 units in a typical month are skipped: their
    zeros are normal, not suspicious.
    """
    x = np.log1p(monthly["units"].astype(float))
    keys = [monthly["sku"], monthly["region"]]
    level = _rolling(x, keys, 12, 6, "mean")
    moy = monthly["month"].dt.month
    season = (x - level).groupby([monthly["family"], moy]).transform("median")
    d = x - season
    resid = d - _rolling(d, keys, 7, 3, "median")
    # Spread from month-to-month differences: the rolling median passes through
    # many points exactly, so the MAD of ``resid`` itself would be too small.
    step = d.groupby(keys).diff().abs()
    spread = 1.4826 * step.groupby(keys).transform("median") / np.sqrt(2)
    z = resid / spread.clip(lower=0.1)
    typical = monthly.groupby(["sku", "region"])["units"].transform("median")
    out = monthly.assign(robust_z=z)
    out = out[(out["robust_z"].abs() > threshold) & (typical >= 5)]
    return out.sort_values("robust_z", key=np.abs, ascending=False)


_FINDING_WORDS = {
    "unreadable": "cannot be read",
    "missing_column": "column missing",
    "wrong_type": "wrong type",
    "empty_value": "empty cells",
    "unparseable_date": "unreadable dates",
    "out_of_range": "values out of range",
    "invalid_category": "invalid category",
    "duplicate_key": "duplicate keys",
    "implausible_date": "implausible dates",
    "future_date": "future months",
    "date_order": "dates out of order",
    "unknown_reference": "unknown references",
    "discontinued_reference": "discontinued SKUs",
    "unknown_region": "unknown regions",
    "stale": "stale",
    "horizon_coverage": "horizon not covered",
    "missing_months": "months missing",
    "zero_months": "zero months",
    "outlier": "outliers",
}


def quality_table(loaded: LoadedData) -> pd.DataFrame:
    """A traffic light per source for a department head: red blocks the cycle, amber is a
    warning to read, green is clean. One line per source with what was found, how old the
    export is against its freshness rule and how much of the planning horizon it covers."""
    probs = loaded.problems_frame()
    fresh = loaded.freshness.set_index("source") if len(loaded.freshness) else pd.DataFrame()
    cover = loaded.coverage.set_index("source") if len(loaded.coverage) else pd.DataFrame()
    rows = []
    for _, lin in loaded.lineage.iterrows():
        name = lin["source"]
        p = probs[probs["source"] == name]
        n_block = int((p["severity"] == "block").sum())
        n_warn = int((p["severity"] == "warn").sum())
        counts = p.groupby(["severity", "check"], sort=False).size()
        findings = "; ".join(
            f"{n} {_FINDING_WORDS.get(check, check)}" + (" (blocks)" if sev == "block" else "")
            for (sev, check), n in sorted(counts.items(), key=lambda kv: kv[0][0] != "block")
        )
        f = fresh.loc[name] if name in fresh.index else None
        horizon = ""
        if name in cover.index:
            horizon = f"{int(cover.loc[name, 'horizon_covered'])} of {int(cover.loc[name, 'horizon_months'])} months"
        rows.append(
            {
                "source": name,
                "location": lin["location"],
                "rows": int(lin["rows"]),
                "status": "red" if n_block else ("amber" if n_warn else "green"),
                "blocking": n_block,
                "warnings": n_warn,
                "findings": findings or "none",
                "fresh_by": f["fresh_by"] if f is not None else "",
                "latest_date": f["latest_date"] if f is not None else pd.NaT,
                "age_days": f["age_days"] if f is not None else pd.NA,
                "max_age_days": f["max_age_days"] if f is not None else pd.NA,
                "horizon": horizon,
            }
        )
    out = pd.DataFrame(rows)
    out["age_days"] = out["age_days"].astype("Int64")
    out["latest_date"] = pd.to_datetime(out["latest_date"])
    return out


def completeness(sales: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """Months that the export did not contain, per SKU and region (filled with 0 on the grid)."""
    booked = sales.assign(month=sales["month"].dt.to_period("M").dt.to_timestamp()).groupby(["sku", "region"])["month"].nunique()
    grid = monthly.groupby(["sku", "region"])["month"].nunique()
    out = pd.DataFrame({"months_on_grid": grid, "months_booked": booked}).fillna(0).astype(int)
    out["missing_months"] = out["months_on_grid"] - out["months_booked"]
    return out.reset_index().sort_values("missing_months", ascending=False)


def zero_months(monthly: pd.DataFrame, min_typical: float = 20.0) -> pd.DataFrame:
    """Zero months in series that usually sell at least ``min_typical`` units a month:
    for a product that sells every month, a zero is more likely a lost booking or a
    month missing from the export than a month without customers."""
    typical = monthly.groupby(["sku", "region"])["units"].transform("median")
    out = monthly.assign(typical_units=typical)
    return out[(out["units"] <= 0) & (typical >= min_typical)]


def explain_outliers(outliers: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """The flagged months with the series' usual level beside them, in words a planner reads."""
    typical = monthly.groupby(["sku", "region"])["units"].median().rename("typical_month")
    out = outliers.join(typical, on=["sku", "region"])
    out["times_typical"] = out["units"] / out["typical_month"].where(out["typical_month"] > 0)
    out["why"] = np.where(out["robust_z"] > 0, "far above", "far below") + " its own level after the family's season"
    return out[["family", "sku", "region", "month", "units", "typical_month", "times_typical", "robust_z", "why"]]


def quality_warnings(monthly: pd.DataFrame, sales: pd.DataFrame, params: RunParams | None = None) -> list[Problem]:
    """Findings on the harmonised history: outliers, missing months and zero months,
    phrased for the sales team (severity from params, warn by default)."""
    problems = []
    for _, r in robust_outliers(monthly).head(20).iterrows():
        problems.append(
            Problem(
                "sales_history",
                "harmonised monthly sales",
                "units",
                f"{r['sku']} / {r['region']} / {r['month']:%Y-%m}",
                f"{r['units']:.0f}",
                f"a value near the series' usual level (robust z = {r['robust_z']:.1f})",
                "warn",
                "outlier",
            )
        )
    comp = completeness(sales, monthly)
    for _, r in comp[comp["missing_months"] > 0].iterrows():
        problems.append(
            Problem(
                "sales_history",
                "sales export",
                "month",
                f"{r['sku']} / {r['region']}",
                f"{r['missing_months']} of {r['months_on_grid']} months absent",
                "a row for every month (absent months are treated as zero sales)",
                "warn",
                "missing_months",
            )
        )
    zeros = zero_months(monthly)
    for (sku, region), grp in zeros.groupby(["sku", "region"]):
        problems.append(
            Problem(
                "sales_history",
                "harmonised monthly sales",
                "units",
                f"{sku} / {region}",
                "0 units in " + ", ".join(f"{m:%Y-%m}" for m in grp["month"].head(MAX_ROWS_SHOWN)),
                f"sales near the usual {grp['typical_units'].iloc[0]:.0f} a month (a lost booking?)",
                "warn",
                "zero_months",
            )
        )
    return apply_severity(problems, params) if params is not None else problems


def seasonal_peak(total: pd.Series) -> str:
    """Which calendar months demand peaks in, from monthly totals (any company, any season)."""
    if len(total) < 24:
        return "Less than two years of history: too short to call a seasonal peak"
    by_month = total.groupby(pd.DatetimeIndex(total.index).month).mean().reindex(range(1, 13), fill_value=0.0)
    high = 1.15 * by_month.mean()
    if by_month.max() < high:
        return "Demand shows no strong seasonal peak (no calendar month 15% above the average)"
    top = int(by_month.idxmax())
    after, before = top % 12 + 1, (top - 2) % 12 + 1
    name = lambda m: pd.Timestamp(2000, m, 1).strftime("%B")  # noqa: E731
    if max(by_month[after], by_month[before]) >= high:
        first, second = (top, after) if by_month[after] >= by_month[before] else (before, top)
        return f"Demand peaks every {name(first)}-{name(second)}"
    return f"Demand peaks every {name(top)}"
