"""Step 1's report: the sentences, KPI cards, tables and charts that notebook 01 shows.

Every function is pure (tables in; a sentence, a table, KPI cards or a figure with its
caption out), so the notebook stays a memo and the wording is tested. Nothing here names
a product, month or supplier: all of it is read from the data.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from sop_lib.core import reporting as rp
from sop_lib.data.quality import robust_outliers, seasonal_peak
from sop_lib.data.review import BIAS_OK, COVERAGE_OK

STATUS_ORDER = {"red": 0, "amber": 1, "green": 2}  # the traffic light, worst first
ALL_FAMILIES = "All families"  # the total row of `review.family_review`
# the robust z-score `quality.robust_outliers` flags beyond, read from the function so the sentence cannot drift
OUTLIER_Z = inspect.signature(robust_outliers).parameters["threshold"].default

QUALITY_FORMATS = {"rows": ",.0f"}
FINDINGS_MAX_ROWS = 80
OUTLIER_FORMATS = {"units": ",.0f", "typical_month": ",.0f", "times_typical": ".1f", "robust_z": ".1f"}
FAMILY_REVIEW_FORMATS = {
    "forecasts": ",.0f",
    "units sold": ",.0f",
    "WAPE": ".0%",
    "bias": "+.1%",
    "tracking signal": "+.1f",
    "inside P10–P90": ".0%",
    "WAPE statistical": ".0%",
    "FVA (points)": "+.1f",
}
LAG_FORMATS = {"wape": ".0%", "bias": "+.1%", "coverage_p10_p90": ".0%"}
OVERRIDE_FORMATS = {"share_helped": ".0%", "wape_statistical": ".0%", "wape_consensus": ".0%", "fva_points": "+.1f"}
WORST_FORMATS = {
    "actual_units": ",.0f",
    "forecast_units": ",.0f",
    "bias": "+.0%",
    "wape": ".0%",
    "share_of_error": ".0%",
}
NO_REVIEW_YET = "No earlier cycle's forecast has actuals yet; this review starts with next month's cycle."


# --- can we trust each source? -------------------------------------------------------------


def sorted_quality(quality: pd.DataFrame) -> pd.DataFrame:
    """The traffic light with red sources first, then amber, then green (order kept within each)."""
    return quality.sort_values("status", key=lambda s: s.map(STATUS_ORDER), kind="stable")


def sources_sentence(quality: pd.DataFrame, cycle: str) -> str:
    counts = quality["status"].value_counts()
    return (
        f"{counts.get('green', 0)} of {len(quality)} sources are green, {counts.get('amber', 0)} amber and "
        f"{counts.get('red', 0)} red for cycle {cycle}."
    )


def quality_view(quality: pd.DataFrame) -> pd.DataFrame:
    """One line per source, in the words of the report's traffic-light table."""
    cols = ["status", "source", "findings", "rows", "latest_date", "age_days", "max_age_days", "horizon"]
    names = {"latest_date": "data as of", "age_days": "age (days)", "max_age_days": "limit (days)"}
    return quality[cols].rename(columns=names)


def quality_detail(quality: pd.DataFrame) -> pd.DataFrame:
    """Where each source comes from and how its age is measured."""
    return quality[["source", "location", "fresh_by", "latest_date", "age_days", "max_age_days", "blocking", "warnings"]]


# --- every row and unit accounted for ---------------------------------------------------------

RECONCILIATION_FORMATS = {
    "files": ",.0f",
    "rows read": ",.0f",
    "rows refused": ",.0f",
    "rows handed on": ",.0f",
    "units read": ",.0f",
    "units returned": ",.0f",
    "units refused": ",.0f",
    "units below zero set to 0": ",.0f",
    "units handed on": ",.0f",
    "units in the monthly table": ",.0f",
}


def with_monthly_units(accounts: pd.DataFrame, monthly: pd.DataFrame | None) -> pd.DataFrame:
    """The reconciliation with the sales' units in the monthly table every later step reads."""
    out = accounts.copy()
    out["units in the monthly table"] = np.where(
        out["source"] == "sales_history", float(monthly["units"].sum()) if monthly is not None else np.nan, np.nan
    )
    return out


def reconciliation_view(accounts: pd.DataFrame) -> pd.DataFrame:
    """Only the columns that say something for these sources (no units column for a source without quantities)."""
    shown = accounts.dropna(axis=1, how="all")
    empty = [c for c in ("refused because", "summed over", "unit") if c in shown and (shown[c] == "").all()]
    zero = [
        c
        for c in ("rows refused", "units returned", "units refused", "units below zero set to 0")
        if c in shown and (shown[c].fillna(0) == 0).all()
    ]
    return shown.drop(columns=empty + zero)


def reconciliation_sentence(accounts: pd.DataFrame) -> str:
    """Where the sales' units went, from the export to the monthly table, and whether they add up."""
    if "sales_history" not in set(accounts["source"]):
        return "The sales history could not be read, so there is nothing to reconcile yet."
    s = accounts.set_index("source").loc["sales_history"]
    parts = [f"The sales history: {s['rows read']:,.0f} rows from {s['files']:,.0f} file(s)"]
    if s["summed over"] or s["rows handed on"] < s["rows read"] - s["rows refused"]:
        parts.append(
            f"summed to {s['rows handed on']:,.0f} monthly rows" + (f" (over {s['summed over']})" if s["summed over"] else "")
        )
    if s["rows refused"]:
        parts.append(f"{s['rows refused']:,.0f} refused ({s['refused because']}, {s['units refused']:,.0f} units)")
    text = ", ".join(parts) + "."
    expected = s["units read"] - s["units refused"] + s["units below zero set to 0"]
    got = s.get("units in the monthly table", np.nan)
    if s["unit"] == "case":
        return (
            text + f" Quantities were exported in cases ({s['units read']:,.0f}) and are {got:,.0f} pieces in the monthly table."
        )
    if pd.isna(got):
        return text
    if s["units below zero set to 0"]:
        text += f" Months whose returns exceeded their sales were set to 0 ({s['units below zero set to 0']:,.0f} units)."
    if round(got) == round(expected):
        return (
            text
            + f" The monthly table holds {got:,.0f} units, the export's {s['units read']:,.0f} net of "
            + (f"{s['units returned']:,.0f} returned" if s["units returned"] else "returns")
            + ": every unit is accounted for."
        )
    return (
        text
        + f" The monthly table holds {got:,.0f} units where {expected:,.0f} were expected: {got - expected:+,.0f} units unaccounted for."
    )


# --- what is wrong, and where ---------------------------------------------------------------


def sorted_findings(problems: pd.DataFrame) -> pd.DataFrame:
    """The findings with blocking ones first (order kept within each severity)."""
    return problems.sort_values("severity", kind="stable")


def findings_sentence(problems: pd.DataFrame) -> str:
    if problems.empty:
        return "No findings: every source matches its contract."
    blocking, warning = (problems["severity"] == "block").sum(), (problems["severity"] == "warn").sum()
    return f"{blocking} blocking and {warning} warning findings, blocking first."


def findings_view(problems: pd.DataFrame) -> pd.DataFrame:
    """Each finding with the source, column, rows, what was found and what was expected."""
    cols = ["severity", "source", "column", "rows", "values", "expected", "location"]
    return problems[cols].rename(columns={"values": "found"})


def findings_detail(problems: pd.DataFrame) -> str:
    return f"All {len(problems)} findings"


# --- one source of truth --------------------------------------------------------------------


def family_sales_chart(monthly: pd.DataFrame):
    """Units sold per month, one line per product family, and its caption; returns ``(fig, caption)``."""
    fam = monthly.groupby(["month", "family"])["units"].sum().unstack()
    fig, ax = rp.new_chart("Units sold per month by product family", "units per month")
    for col in fam.columns:
        ax.plot(fam.index, fam[col], lw=1.8, label=col)
    ax.legend(frameon=False)
    total = fam.sum(axis=1)
    caption = (
        f"Monthly units sold, {fam.index.min():%b %Y} to {fam.index.max():%b %Y}, all regions. "
        f"{seasonal_peak(total)} (highest month: {total.idxmax():%b %Y}); "
        f"{monthly['sku'].nunique()} SKUs in {rp.plural(monthly['region'].nunique(), 'region')}."
    )
    return fig, caption


def completeness_sentence(gaps: pd.DataFrame, zeros: pd.DataFrame, outliers: pd.DataFrame) -> str:
    """Missing months, zero months and implausible months of the harmonised sales, in one sentence."""
    return (
        f"Completeness: {(gaps['missing_months'] > 0).sum()} of {len(gaps)} series have months missing from the "
        f"export ({gaps['missing_months'].sum()} months, counted as zero). {len(zeros)} zero month(s) in series that "
        f"usually sell. {len(outliers)} month(s) look implausible against their own series: a robust z-score above "
        f"{OUTLIER_Z:g} after removing the family's seasonal pattern, so seasonal peaks are not flagged; they are "
        "kept as booked and listed for the sales team."
    )


def missing_months(gaps: pd.DataFrame) -> pd.DataFrame:
    """The series with at least one month missing from the export."""
    return gaps[gaps["missing_months"] > 0]


# --- where did we go wrong last time? -------------------------------------------------------


def archive_sentence(sources: pd.DataFrame, matched: pd.DataFrame, archive_folder: str | None) -> str:
    """How many earlier cycles were compared, from which archive, and how many forecasts have actuals."""
    own = int(sources["origin"].astype(str).str.startswith("reports/").sum())
    return (
        f"{len(sources)} earlier cycle(s) compared: {own} archived by this suite in the reports folder, "
        f"{len(sources) - own} from the archive folder ({archive_folder or 'none declared'}); "
        f"{len(matched):,} SKU-region-month forecasts now have actuals."
    )


def bias_tone(bias: float) -> str:
    """Good when the forecasts ran at most `BIAS_OK` too high or too low, else a warning."""
    return "good" if abs(bias) <= BIAS_OK else "warn"


def coverage_tone(coverage: float) -> str:
    """Good when the P10–P90 band held between 70% and 90% of the actuals (`COVERAGE_OK`), else a warning."""
    low, high = COVERAGE_OK
    return "good" if low <= coverage <= high else "warn"


def fva_tone(points: float) -> str:
    """Good when the overrides saved WAPE points, bad when they cost some; no tone without a statistical forecast."""
    if pd.isna(points):
        return ""
    return "good" if points > 0 else "bad"


def review_cards(fam_review: pd.DataFrame) -> list[dict]:
    """The four KPI cards of the forecast review, from its all-families row."""
    total = fam_review.set_index("family").loc[ALL_FAMILIES]
    fva = total["fva_points"]
    return [
        {"label": "forecast error (WAPE)", "value": f"{total['wape']:.0%}", "note": "SKU x region x month, all lead times"},
        {
            "label": "bias",
            "value": f"{total['bias']:+.1%}",
            "note": "positive = forecast too high",
            "tone": bias_tone(total["bias"]),
        },
        {
            "label": "inside P10–P90",
            "value": f"{total['coverage_p10_p90']:.0%}",
            "note": "about 80% is honest",
            "tone": coverage_tone(total["coverage_p10_p90"]),
        },
        {
            "label": "consensus value added",
            "value": f"{fva:+.1f} pts" if pd.notna(fva) else "n/a",
            "note": "WAPE points saved by the overrides",
            "tone": fva_tone(fva),
        },
    ]


def family_review_view(fam_review: pd.DataFrame) -> pd.DataFrame:
    """The review per family with the report's column names (see `FAMILY_REVIEW_FORMATS`)."""
    return fam_review.rename(
        columns={
            "actual_units": "units sold",
            "wape": "WAPE",
            "tracking_signal": "tracking signal",
            "coverage_p10_p90": "inside P10–P90",
            "wape_statistical": "WAPE statistical",
            "fva_points": "FVA (points)",
        }
    )


def tracking_chart(ts: pd.DataFrame):
    """Each family's latest forecast (P10–P90) against what was sold, one panel per family,
    with the tracking signal in each title; returns ``(fig, caption)``."""
    families = list(ts["family"].unique())
    fig, axes = rp.new_chart(
        "Latest forecast for each month against what was sold", "units per month", ncols=len(families), width=11
    )
    axes = np.atleast_1d(axes)
    for ax, family in zip(axes, families):
        f = ts[ts["family"] == family]
        rp.fan_chart(
            ax,
            f.set_index("ds")["actual"],
            f.rename(columns={"forecast": "mean"}),
            mid="mean",
            label=f"{family} (tracking signal {f['tracking_signal'].iloc[-1]:+.1f})",
        )
        ax.tick_params(axis="x", labelrotation=45)
    axes[0].legend(frameon=False, fontsize=8)
    caption = (
        f"Family totals, {ts['ds'].min():%b %Y} to {ts['ds'].max():%b %Y}: the black line is what was sold, "
        "the blue line and band the forecast (P10–P90) made closest to each month. A line that stays on one "
        "side of the forecast is a bias; the tracking signal in each title measures it."
    )
    return fig, caption


def handover_sentence(tables: int) -> str:
    return f"Handed over {tables} tables to the later steps."
