"""Is a fit to be trusted? Sampler health (divergences, r-hat, ESS) and the parameters a reader should see."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand.draws import ForecastResult

RHAT_OK = 1.05  # worst r-hat over every parameter; 2 chains of a few hundred draws
ESS_OK = 100  # smallest bulk effective sample size


def inference_of(idata: xr.DataTree) -> str:
    """'map', 'nuts' or 'advi': which inference produced these posterior draws."""
    if idata.attrs.get("inference") == "map":
        return "map"
    return "nuts" if "sample_stats" in idata and "diverging" in idata.sample_stats else "advi"


def diagnostics(idata: xr.DataTree) -> dict:
    """The sampler health a reader needs: divergences, worst r-hat, lowest ESS (for a MAP
    fit: the optimiser's iterations, with the sampler fields left empty)."""
    inference = inference_of(idata)
    if inference == "map":
        return {
            "inference": "map",
            "divergences": 0,
            "max_r_hat": float("nan"),
            "min_ess_bulk": float("nan"),
            "min_ess_tail": float("nan"),
            "worst_r_hat_parameter": "",
            "min_ess_parameter": "",
            "draws": 1,
            "iterations": int(idata.attrs["iterations"]),
            "ok": True,
            "sigma_reset": int(idata.attrs.get("sigma_reset", 0)),
            **_mixture_attrs(idata),
        }
    names = [v for v in idata.posterior.data_vars if not v.endswith("_z")]  # raw offsets repeat their parents
    # ArviZ 1 returns raw numbers (only their display is rounded): round as ArviZ 0.x did, so the checks
    # and the report read the same (r-hat to 2 decimals, ESS to whole draws). Its tail ESS is taken at the
    # quantiles of stats.ci_prob (0.89 by default: 11% and 89%); 0.95 gives 0.x's 5% and 95%
    import arviz as az  # 1.4 s to import: steps 1 and 3-5 read this package and never need it

    with az.rc_context({"stats.ci_prob": 0.95}):
        summ = az.summary(idata, var_names=names, kind="diagnostics", round_to="none")
    summ = summ.round({"r_hat": 2, "ess_bulk": 0, "ess_tail": 0})
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
    res["ok"] = bool(res["divergences"] == 0 and (n_chains == 1 or res["max_r_hat"] < RHAT_OK) and res["min_ess_bulk"] > ESS_OK)
    return res


def _mixture_attrs(idata: xr.DataTree) -> dict:
    """The shares of the draws another method gave: Theta's (ets model), TSB's on intermittent series (trend)."""
    a = idata.attrs
    return {
        "theta_weight": float(a.get("theta_weight", 0.0)),
        "tsb_weight": float(a.get("tsb_weight", 0.0)),
        "tsb_series": int(a.get("tsb_series", 0)),
    }


def fit_diagnostics(res: ForecastResult) -> dict:
    """`diagnostics` of one model's fit; for a fit in partitions, the worst over them."""
    each = [diagnostics(p.idata) for p in (res.partitions or [res])]
    if len(each) == 1:
        return each[0]
    worst_rhat = max(each, key=lambda d: -np.inf if np.isnan(d["max_r_hat"]) else d["max_r_hat"])
    least_ess = min(each, key=lambda d: np.inf if np.isnan(d["min_ess_bulk"]) else d["min_ess_bulk"])
    return {
        **each[0],
        "divergences": sum(d["divergences"] for d in each),
        "max_r_hat": worst_rhat["max_r_hat"],
        "worst_r_hat_parameter": worst_rhat["worst_r_hat_parameter"],
        "min_ess_bulk": least_ess["min_ess_bulk"],
        "min_ess_parameter": least_ess["min_ess_parameter"],
        "min_ess_tail": min(d["min_ess_tail"] for d in each),
        "iterations": max(d["iterations"] for d in each),
        "ok": all(d["ok"] for d in each),
        "partitions": len(each),
        "tsb_series": sum(d["tsb_series"] for d in each),
        **({"sigma_reset": sum(d.get("sigma_reset", 0) for d in each)} if "sigma_reset" in each[0] else {}),
    }


def describe_fit(diag: dict, fit_seconds: float) -> str:
    """One sentence on the fit's health for the report, whichever inference ran (and one on the
    Theta share of the draws, where there is one)."""
    text = _describe_inference(diag, fit_seconds)
    share = diag.get("theta_weight", 0.0)
    if share > 0:
        text += (
            f" {share:.0%} of the draws come from the Theta method instead (exponential smoothing with half "
            "the trend line's slope, on seasonally adjusted months): a combination of two models that err "
            "differently, whose intervals hold both."
        )
    if diag.get("tsb_weight", 0.0) > 0 and diag.get("tsb_series", 0):
        n = diag["tsb_series"]
        text += (
            f" For the {n} intermittent series (a sale less often than every 1.32 months) {diag['tsb_weight']:.0%} "
            "of the draws come from TSB instead, which follows the chance of a sale month by month."
        )
    return text


def _describe_inference(diag: dict, fit_seconds: float) -> str:
    if diag["inference"] == "map":
        reset = int(diag.get("sigma_reset", 0))
        return (
            f"Fitted by MAP (posterior mode, {diag['iterations']} L-BFGS iterations, {fit_seconds:.0f} s): "
            "intervals carry the future months' noise but not parameter uncertainty; no sampler to diagnose."
        ) + (
            f" The search stopped with {reset} series' noise far above what their own errors say; "
            f"{'that series' if reset == 1 else 'those series'} take the noise level that fits them best."
            if reset
            else ""
        )
    if diag["inference"] == "advi":
        return (
            f"Fitted by ADVI (a variational approximation, {diag['draws']} draws, {fit_seconds:.0f} s): fast, but "
            "it has no sampler diagnostics (no chains, so no r-hat or divergences) and tends to make intervals too "
            "narrow; the coverage on held-out months is its check."
        )
    verdict = (
        "Sampler diagnostics are healthy"
        if diag["ok"]
        else "WARNING: sampler diagnostics failed — treat the intervals with caution and rerun with more tune/draws"
    )
    return (
        f"{verdict}: {diag['divergences']} divergent transitions, worst r-hat {diag['max_r_hat']:.3f} "
        f"(want < {RHAT_OK}), smallest effective sample size {diag['min_ess_bulk']:.0f} (want > {ESS_OK}), "
        f"from {diag['draws']} draws; fit took {fit_seconds:.0f} s."
    )


def fit_check_label(table: pd.DataFrame) -> str:
    """A few words for a KPI card: what the health checks of the fits behind the forecast say
    (``table``: `briefing.diagnostics_table`, one row per fit used and per fit rejected)."""
    if "check" not in table:  # a hand-over from before fits could be rejected
        table = table.assign(check="used")
    used, rejected = table[table["check"] == "used"], table[table["check"] != "used"]
    gave_way = rejected[rejected["check"].str.startswith("gave way")]
    if len(gave_way):
        return f"{gave_way.iloc[0]['model']} fit failed checks, {gave_way.iloc[0]['check'].removeprefix('gave way to ')} used"
    diag = used.iloc[0]
    if diag["inference"] == "nuts":
        label = "sampler OK" if diag["ok"] else "sampler FAILED checks"
        return label + (" on re-run" if len(rejected) and diag["ok"] else "")
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
        table = pd.concat(
            [t.assign(parameter=f"{p.partition}: " + t["parameter"]) for p, (t, _) in zip(res.partitions, tables)],
            ignore_index=True,
        )
        return table, tables[0][1] + f", per partition ({len(tables)})"
    names = headline_parameters(res)
    if res.idata.attrs.get("inference") == "map":
        values = az.extract(res.idata, var_names=names, combined=True)
        rows = [
            (f"{name}[{', '.join(map(str, idx))}]" if idx else name, float(v))
            for name in names
            for idx, v in _flat_items(values[name].squeeze(drop=True))
        ]
        return pd.DataFrame(rows, columns=["parameter", "value"]), "Model parameters (posterior mode: a MAP fit has no spread)"
    # ArviZ 1 defaults to an 89% equal-tailed interval named eti89_lb/_ub: ask for the 94% HDI the report
    # describes, under ArviZ 0.x's column names, rounded as 0.x rounded it
    summary = az.summary(res.idata, var_names=names, kind="stats", ci_kind="hdi", ci_prob=0.94, round_to="none")
    summary = summary.rename(columns={"hdi94_lb": "hdi_3%", "hdi94_ub": "hdi_97%"}).round(3)
    return summary.reset_index(names="parameter"), "Model parameters (posterior mean, sd and 94% interval)"


def _flat_items(da) -> list[tuple[tuple, float]]:
    """(coordinate labels, value) for every cell of a DataArray."""
    if not da.dims:
        return [((), da.item())]
    stacked = da.stack(cell=da.dims)
    labels = stacked["cell"].values
    return [((lab if isinstance(lab, tuple) else (lab,)), v) for lab, v in zip(labels, stacked.values)]
