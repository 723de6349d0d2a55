"""A sampled fit that fails its own checks is re-run with longer tuning, or gives way to a model that passed.

The checks are `diagnostics.diagnostics`' (no divergences, worst r-hat below ``RHAT_OK``,
smallest bulk ESS above ``ESS_OK``). A NUTS fit that fails them is run once more with
``RETRY_SCALE`` times its tuning steps and draws (under the same time budget); one that
fails again raises `FailedChecks`, and the caller hands its series to the ets model by MAP,
which has no sampler to fail. Either way the forecast says so in one sentence
(`ForecastResult.notes`), and the rejected fit's diagnostics stay on record
(`ForecastResult.rejected`), so no planner receives intervals the report calls untrustworthy.
"""

from __future__ import annotations

from collections.abc import Callable

from sop_lib.demand.diagnostics import ESS_OK, RHAT_OK, fit_diagnostics
from sop_lib.demand.draws import ForecastResult
from sop_lib.demand.sampling import OverBudget

RETRY_SCALE = 2  # the re-run's tuning steps and draws per chain, times the failed fit's
FALLBACK = "ets"  # the model a fit that failed twice gives way to (by MAP: no sampler, no chains to disagree)


class FailedChecks(RuntimeError):
    """A NUTS fit failed its sampler checks, and again when re-run with longer tuning (or had no time to)."""

    def __init__(self, model: str, diag: dict, tune: tuple[int, ...], why_not_again: str = ""):
        self.model, self.diag, self.tune, self.why_not_again = model, diag, tune, why_not_again
        tries = " and again with ".join(f"{t:,}" for t in tune)
        again = f"; not re-run: {why_not_again}" if why_not_again else ""
        super().__init__(f"the {model} model's NUTS fit failed its checks ({problems(diag)}) with {tries} tuning steps{again}")

    def __reduce__(self):  # Dask sends a task's exception back pickled: keep its type and fields
        return FailedChecks, (self.model, self.diag, self.tune, self.why_not_again)


def problems(diag: dict) -> str:
    """What failed, against what the check wants, e.g. ``worst r-hat 1.090 (want < 1.05)``."""
    out = []
    if diag["divergences"]:
        out.append(f"{diag['divergences']} divergent transitions (want 0)")
    if diag["max_r_hat"] == diag["max_r_hat"] and diag["max_r_hat"] >= RHAT_OK:  # NaN for one chain
        out.append(f"worst r-hat {diag['max_r_hat']:.3f} at {diag['worst_r_hat_parameter']} (want < {RHAT_OK})")
    if not diag["min_ess_bulk"] > ESS_OK:
        out.append(f"smallest effective sample size {diag['min_ess_bulk']:.0f} at {diag['min_ess_parameter']} (want > {ESS_OK})")
    return ", ".join(out) or "the checks"


def needs_rerun(res: ForecastResult) -> dict | None:
    """The failed diagnostics of a sampled fit, or None when it passed (or has no sampler to check)."""
    diag = fit_diagnostics(res)
    return None if diag["ok"] or diag["inference"] != "nuts" else diag


def checked(
    fit: Callable[[int, int], ForecastResult], *, draws: int, tune: int, time_budget_s: float | None = None
) -> ForecastResult:
    """``fit(draws, tune)``, run again at ``RETRY_SCALE`` times both when its checks fail.

    Returns the first fit that passed (a re-run says so in its ``notes``); raises
    `FailedChecks` when the re-run fails too or would run over ``time_budget_s``."""
    first = fit(draws, tune)
    failed = needs_rerun(first)
    if failed is None:
        return first
    model = first.model
    more_draws, more_tune = draws * RETRY_SCALE, tune * RETRY_SCALE
    if time_budget_s is not None and first.fit_seconds * RETRY_SCALE > time_budget_s:
        budget = f"it would take about {first.fit_seconds * RETRY_SCALE:,.0f} s, over the {time_budget_s:,.0f} s budget"
        raise FailedChecks(model, failed, (tune,), budget)
    try:
        second = fit(more_draws, more_tune)
    except OverBudget as over:
        raise FailedChecks(model, failed, (tune,), str(over)) from over
    again = needs_rerun(second)
    if again is not None:
        raise FailedChecks(model, again, (tune, more_tune))
    second.notes.append(
        f"The {model} model's first NUTS fit failed its checks ({problems(failed)}), so it was run again with "
        f"{more_tune:,} tuning steps and {more_draws:,} draws per chain, and passed; the forecast uses the second fit."
    )
    second.rejected.append({"model": model, **failed, "outcome": "re-run"})
    return second


def gave_way(res: ForecastResult, failed: FailedChecks, series: int) -> None:
    """Record on ``res`` (the forecast that took over) that ``failed``'s model gave way: the
    report's sentence and the rejected fit's diagnostics."""
    res.notes.append(
        f"{failed.args[0][0].upper()}{failed.args[0][1:]}: its {series} series take the {FALLBACK} model (by MAP) "
        "instead, so no forecast rests on a fit its own checks reject."
    )
    res.rejected.append({"model": failed.model, **failed.diag, "outcome": f"gave way to {FALLBACK}"})
