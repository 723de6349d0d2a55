"""Step 2's report: the sentences, tables and charts that notebook 02 shows around the forecast.

Every function is pure (tables or draws in; a sentence, a table or a figure with its caption
out), so the notebook stays a memo and the wording is tested. Nothing here names a product,
month or region: all of it is read from the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.core import reporting as rp
from sop_lib.core.master import PRICE, left_out_sentence
from sop_lib.core.params import DemandParams, Shock
from sop_lib.demand.design import quantile_column
from sop_lib.demand.diagnostics import describe_fit, fit_diagnostics, parameter_summary
from sop_lib.demand.draws import ForecastResult, aggregate_draws, horizon_totals, summarise_draws
from sop_lib.demand.drivers import region_of, sku_of
from sop_lib.demand.launches import launch_month_probabilities
from sop_lib.demand.partitioned import describe_partitions

PIPELINE_CHECK_MONTHS = 3  # the near months in which the CRM pipeline is set against the forecast
FAMILY_HISTORY_MONTHS = 24  # history shown before the forecast in the family chart
ANALOG_HISTORY_MONTHS = 18  # the analog's history shown before its forecast in the launch chart

ACCURACY_FORMATS = {"wape": ".1%", "bias": "+.1%", "smape": ".1f", "mase": ".2f", "coverage_p10_p90": ".0%"}
OVERRIDE_FORMATS = {"change_pct": "+.0%", "units": "+,.0f"}
PIPELINE_FORMATS = {
    "p10": ",.0f",
    "p50": ",.0f",
    "p90": ",.0f",
    "pipeline_weighted_units": ",.0f",
    "pipeline_share_of_p50": ".0%",
}
NO_LAUNCH = "No product launch is planned in this cycle."
HANDED_OVER = "Handed over the forecast table, the draws (for Monte Carlo in supply planning) and the posterior."


def fit_args(demand: DemandParams) -> dict:
    """The model settings of params (``demand``) as `backtest` and `forecast_chosen` take them, so both fit alike."""
    return dict(
        season_length=demand.season_length,
        group_col="family",
        regressors=("promo",),
        model=demand.model,
        method=demand.method,
        draws=demand.draws,
        tune=demand.tune,
        chains=demand.chains,
        seed=demand.seed,
        target_accept=demand.target_accept,
        partition=demand.partition,
        max_series=demand.partition_max_series,
        executor=demand.executor,
        scheduler=demand.scheduler,
        workers=demand.dask_workers,
        theta_weight=demand.theta_weight,
        tsb_weight=demand.tsb_weight,
    )


# --- the history and the backtest ------------------------------------------------------------


def series_sentence(sold: pd.DataFrame, history: pd.DataFrame, horizon: int, cycle: str) -> str:
    """How many series, how much history the model fits, and what is forecast from when."""
    return (
        f"{sold['unique_id'].nunique()} series (SKU × region), {history['ds'].nunique()} months of history "
        f"to {history['ds'].max():%b %Y}; forecasting {horizon} months from {cycle}."
    )


def backtest_scope_sentence(long_enough: pd.DataFrame, sold: pd.DataFrame, holdout: int, acc: pd.DataFrame) -> str:
    """Which series the backtest covers when some are too short for it, and which ones its table
    scores when it scores a sample ('' when it covers and scores all)."""
    n, total = long_enough["unique_id"].nunique(), sold["unique_id"].nunique()
    scored = int(acc["series_scored"].iloc[0]) if "series_scored" in acc and len(acc) else n
    said = []
    if n < total:
        said.append(
            f"The backtest covers the {n:,} of {total:,} series with at least {holdout} months more than the model's minimum."
        )
    if scored < n:
        said.append(
            f"The engine was fitted on all {n:,} series; the table scores every method on the same {scored:,} of "
            "them, drawn at random in proportion to each family (params demand.baseline_series; 0 scores every series)."
        )
    return " ".join(said)


# --- the forecast ------------------------------------------------------------------------


def choice_view(choice: pd.DataFrame) -> pd.DataFrame:
    """Which model each family got, and why, in the report's words."""
    cols = ["family", "model", "reason", "intermittent_to_trend"]
    return choice[cols].rename(columns={"intermittent_to_trend": "intermittent series on the trend model"})


def diagnostics_table(res: ForecastResult) -> pd.DataFrame:
    """One row of sampler (or optimiser) diagnostics per model fit behind the forecast (``check``:
    ``used``), then one per fit rejected by its checks (``re-run`` or ``gave way to ets``)."""
    used = [{"model": name, **fit_diagnostics(part), "check": "used"} for name, part in res.fits().items()]
    rejected = [{**r, "check": r["outcome"]} for r in res.rejected]
    return pd.DataFrame(used + rejected).drop(columns="outcome", errors="ignore")


def fit_sentences(res: ForecastResult, executor: str) -> list[str]:
    """What was re-run or rejected, then one sentence per model fit used: its health, its time and,
    when it ran in parts, where they ran."""
    return list(res.notes) + [
        f"The {name} model: " + describe_fit(fit_diagnostics(part), part.fit_seconds) + " " + describe_partitions(part, executor)
        for name, part in res.fits().items()
    ]


def ppc_chart(ppc: pd.DataFrame, inside: float):
    """History as sold against the fitted model's replicated P10–P90 band; returns ``(fig, caption)``.

    ``ppc`` and ``inside`` as `evaluation.posterior_predictive_check` returns them.
    """
    fig, ax = rp.new_chart("Posterior predictive check: history as the model replicates it", "units per month, all series")
    ax.fill_between(ppc["ds"], ppc["rep_p10"], ppc["rep_p90"], color=rp.PALETTE["band"], alpha=0.7, label="replicated P10–P90")
    ax.plot(ppc["ds"], ppc["observed"], color=rp.PALETTE["actual"], lw=1.5, label="observed")
    ax.legend(frameon=False, fontsize=8)
    months_in = ((ppc["observed"] >= ppc["rep_p10"]) & (ppc["observed"] <= ppc["rep_p90"])).mean()
    caption = (
        "Total units per month as sold (line) and as the fitted model replicates them (band). "
        f"{months_in:.0%} of the months' totals and {inside:.0%} of the single series-months fall inside the "
        "model's own P10–P90 band; about 80% is what a calibrated model gives, far less would mean it misses "
        "a pattern in the history."
    )
    return fig, caption


# --- drivers and judgement ----------------------------------------------------------------


def shock_sentences(shocks: list[Shock]) -> list[str]:
    """One sentence per external shock of params: its size, its months and where it applies."""
    return [
        f"Shock applied: {s.name} — {s.effect_low:+.0%} to {s.effect_high:+.0%} from {s.start}"
        f"{' to ' + s.end if s.end else ''} in {', '.join(s.regions) or 'all regions'}."
        for s in shocks
    ]


def new_series_sentence(model_draws: xr.DataArray, statistical: xr.DataArray) -> str:
    """The series that launches or the CRM pipeline added, which have no history ('' when none)."""
    new = sorted(set(map(str, statistical["unique_id"].values)) - set(map(str, model_draws["unique_id"].values)))
    if not new:
        return ""
    return f"{len(new)} series have no history and come from launches or the CRM pipeline: {', '.join(new)}."


def overrides_sentence(overrides: pd.DataFrame, statistical: xr.DataArray, consensus: xr.DataArray) -> str:
    """How many consensus overrides there are and what they change total demand by over the horizon."""
    effect = (consensus.mean("sample") - statistical.mean("sample")).sum().item()
    return f"{len(overrides)} consensus overrides change total demand over the horizon by {effect:+,.0f} units."


def overrides_view(overrides: pd.DataFrame) -> pd.DataFrame:
    """The overrides with their months as YYYY-MM (see `OVERRIDE_FORMATS`)."""
    return overrides.assign(**{"from": overrides["from"].dt.strftime("%Y-%m"), "to": overrides["to"].dt.strftime("%Y-%m")})


# --- the forecast tables -------------------------------------------------------------------


def series_meta(draws: xr.DataArray, products: pd.DataFrame) -> pd.DataFrame:
    """SKU, region and family of each series of the draws, indexed by its id."""
    ids = [str(u) for u in draws["unique_id"].values]
    meta = pd.DataFrame({"sku": [sku_of(u) for u in ids], "region": [region_of(u) for u in ids]}, index=ids)
    meta["family"] = meta["sku"].map(products.set_index("sku")["family"])
    return meta


def forecast_table(
    consensus: xr.DataArray, statistical: xr.DataArray, meta: pd.DataFrame, quantiles: tuple[float, ...]
) -> pd.DataFrame:
    """Per series and month: the consensus forecast's mean and quantiles, the statistical one's beside
    them (``stat_`` columns, for what the overrides added) and the series' SKU, region and family."""
    stat = summarise_draws(statistical, quantiles).drop(columns=["unique_id"]).add_prefix("stat_")
    fc = pd.concat([summarise_draws(consensus, quantiles), stat.drop(columns=["stat_ds"])], axis=1)
    return fc.merge(meta, left_on="unique_id", right_index=True)


def family_forecast(consensus: xr.DataArray, meta: pd.DataFrame, quantiles: tuple[float, ...]) -> pd.DataFrame:
    """Per family and month, from the SKU draws summed in every draw (so coherent with the SKU plan)."""
    family_draws = aggregate_draws(consensus, meta["family"])
    return summarise_draws(family_draws, quantiles).rename(columns={"unique_id": "family"})


def forecast_export(fc: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The forecast table as the CSV gives it: the SKU first, with its product name beside it."""
    return rp.with_names(fc[["sku", *fc.columns.drop("sku")]], products)


def pipeline_check_sentence(check: pd.DataFrame, months: int = PIPELINE_CHECK_MONTHS) -> str:
    """For how many SKUs the weighted CRM pipeline alone exceeds the most likely forecast (`demand.pipeline_check`)."""
    if check.empty:
        return f"Sales pipeline check, next {months} months: no SKU has open opportunities closing in those months."
    return (
        f"Sales pipeline check, next {months} months: for {(check['status'] != 'green').sum()} of {len(check)} SKUs "
        "with open opportunities, the probability-weighted pipeline alone exceeds the most likely forecast (amber) "
        "or even P90 (red)."
    )


def family_fan_chart(sold: pd.DataFrame, fc_family: pd.DataFrame):
    """Each family's recent history and forecast band, one panel per family; returns ``(fig, caption)``."""
    fam_hist = sold.groupby(["family", "ds"])["y"].sum()
    families = list(fc_family["family"].unique())
    fig, axes = rp.new_chart(
        "Demand by product family: history and forecast with P10–P90 band", "units per month", ncols=len(families), width=11
    )
    axes = np.atleast_1d(axes)
    for ax, f in zip(axes, families):
        h = fam_hist.loc[f]
        recent = h[h.index >= h.index.max() - pd.DateOffset(months=FAMILY_HISTORY_MONTHS)]
        rp.fan_chart(ax, recent, fc_family[fc_family["family"] == f], label=f)
    axes[0].legend(frameon=False, fontsize=8, loc="upper left")
    tot = fc_family.groupby("family")[["p10", "p50", "p90"]].sum()
    caption = (
        "Units per month, all regions. "
        + " ".join(
            f"{f}: {r['p50']:,.0f} units most likely over the horizon (worst {r['p10']:,.0f} of P10 months, "
            f"best {r['p90']:,.0f})."
            for f, r in tot.iterrows()
        )
        + " Family bands are summed from the SKU draws, so they are coherent with the SKU plan."
    )
    return fig, caption


def new_territories(launch: pd.Series, sold: pd.DataFrame) -> list[str]:
    """The launch's regions where its analog has no sales history (`apply_launches` opens them from scratch)."""
    known = set(sold.loc[sold["sku"] == launch["analog_sku"], "unique_id"].map(region_of))
    return [r.strip() for r in str(launch["regions"]).split(";") if r.strip() and r.strip() not in known]


def launch_chart(launch: pd.Series, sold: pd.DataFrame, sku_fc: pd.DataFrame, products: pd.DataFrame):
    """A launch's forecast beside its analog's history and forecast; returns ``(fig, caption)``.

    ``launch``: one row of the launches table; ``sku_fc``: `summarise_draws` of the draws summed per SKU.
    """
    sku, analog = launch["sku"], launch["analog_sku"]
    analog_hist = sold[sold["sku"] == analog].groupby("ds")["y"].sum()
    fig, ax = rp.new_chart(
        f"A new product and its analog: {rp.sku_label(sku, products)} after {rp.sku_label(analog, products)}",
        "units per month",
    )
    recent = analog_hist[analog_hist.index >= analog_hist.index.max() - pd.DateOffset(months=ANALOG_HISTORY_MONTHS)]
    rp.fan_chart(ax, recent, sku_fc[sku_fc["unique_id"] == analog], label="")
    new = sku_fc[sku_fc["unique_id"] == sku]
    ax.fill_between(new["ds"], new["p10"], new["p90"], color=rp.PALETTE["target"], alpha=0.25)
    ax.plot(new["ds"], new["p50"], color=rp.PALETTE["target"], lw=2, label=f"{sku} (P50, band P10–P90)")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    probs = launch_month_probabilities(launch["earliest_launch"], launch["likely_launch"], launch["latest_launch"])
    opens = new_territories(launch, sold)
    caption = (
        f"The successor launches between {launch['earliest_launch']:%b %Y} and {launch['latest_launch']:%b %Y} "
        f"(most likely {launch['likely_launch']:%b %Y}, {probs.max():.0%} chance of that month); it takes "
        f"{launch['cannibalisation_pct']:.0%} of {analog}'s demand as it ramps up over {int(launch['ramp_months'])} "
        f"months{' and opens ' + ', '.join(opens) if opens else ''}. "
        f"It sells {new['mean'].sum():,.0f} units in expectation within the horizon."
    )
    return fig, caption


def parameter_tables(res: ForecastResult) -> list[tuple[pd.DataFrame, dict, str]]:
    """Per model fit: its parameter table, the table's formats and the line that opens it."""
    out = []
    for name, part in res.fits().items():
        summary, caption = parameter_summary(part)
        out.append((summary, {c: ".3f" for c in summary.columns if c != "parameter"}, f"{name} model: {caption}"))
    return out


def horizon_totals_table(
    consensus: xr.DataArray, meta: pd.DataFrame, products: pd.DataFrame, quantiles: tuple[float, ...]
) -> pd.DataFrame:
    """Each series' demand over the horizon (mean and quantiles of its summed draws) with its most-likely
    revenue at list price, the largest revenue first, each SKU with its product name. A series whose SKU
    has no list price has no revenue (NaN) and comes last; with no list price at all there is no revenue
    column and the largest most-likely demand comes first."""
    units = ["mean", *[quantile_column(q) for q in quantiles]]
    totals = horizon_totals(consensus, quantiles).merge(meta, left_on="unique_id", right_index=True)
    price = products.set_index("sku")[PRICE] if PRICE in products else pd.Series(dtype=float)
    totals["p50_revenue_eur"] = totals["p50"] * totals["sku"].map(price)
    if totals["p50_revenue_eur"].isna().all():
        totals = totals.sort_values("p50", ascending=False)[["sku", "region", *units]]
    else:
        totals = totals.sort_values("p50_revenue_eur", ascending=False)[["sku", "region", *units, "p50_revenue_eur"]]
    return rp.with_names(totals, products)


def revenue_left_out(products: pd.DataFrame, meta: pd.DataFrame) -> str | None:
    """What the horizon totals' revenue leaves out for want of list prices (None: every SKU has one)."""
    return left_out_sentence("Revenue per series", products, PRICE, meta["sku"], plural=False)


def totals_formats(quantiles: tuple[float, ...]) -> dict:
    """Units without decimals, revenue in euros: the formats of `horizon_totals_table`."""
    return {**{c: ",.0f" for c in ["mean", *[quantile_column(q) for q in quantiles]]}, "p50_revenue_eur": rp.fmt_eur}


def totals_detail(totals: pd.DataFrame, horizon: int) -> str:
    """The totals table's summary line: by most-likely revenue, or by most-likely units without list prices."""
    by = "revenue" if "p50_revenue_eur" in totals else "units"
    return (
        f"The largest of the {len(totals):,} SKU × region series by most-likely {by} over the next "
        f"{horizon} months (units; every series month by month in the file)"
    )
