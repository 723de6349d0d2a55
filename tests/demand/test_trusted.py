"""A sampled fit that fails its checks is re-run or gives way, and the report says so (issue 30).

The first tests give `trusted.checked` fits whose chains agree or disagree by construction
(real arrays through ArviZ's r-hat and ESS); the last fits the trend model with NUTS on a
generated company, with a tuning budget far too short for its checks to pass.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest

from sop_lib import demand
from sop_lib.companies import synthetic
from sop_lib.demand import briefing, trusted
from sop_lib.demand.draws import ForecastResult


def fit_result(chains_agree: bool, seconds: float = 10.0) -> ForecastResult:
    """A NUTS-shaped result whose two chains sample the same (or two different) distributions."""
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (2, 400))
    if not chains_agree:
        a[1] += 3.0  # the second chain stuck elsewhere: r-hat far above 1.05
    idata = az.from_dict({"posterior": {"alpha": a}, "sample_stats": {"diverging": np.zeros((2, 400), bool)}})
    return ForecastResult(pd.DataFrame(), None, idata, seconds, model="trend")


class Fits:
    """Hands out prepared fits in turn and records the (draws, tune) each was asked for."""

    def __init__(self, *results: ForecastResult):
        self.results, self.asked = list(results), []

    def __call__(self, draws: int, tune: int) -> ForecastResult:
        self.asked.append((draws, tune))
        return self.results.pop(0)


def test_a_fit_that_passes_is_used_as_it_is():
    fits = Fits(fit_result(True))
    res = trusted.checked(fits, draws=300, tune=200)
    assert fits.asked == [(300, 200)] and res.notes == [] and res.rejected == []


def test_a_failed_fit_is_run_again_with_longer_tuning_and_the_report_says_so():
    fits = Fits(fit_result(False), fit_result(True))
    res = trusted.checked(fits, draws=300, tune=200)
    assert fits.asked == [(300, 200), (600, 400)]
    assert "first NUTS fit failed its checks (worst r-hat" in res.notes[0]
    assert "400 tuning steps and 600 draws per chain, and passed" in res.notes[0]
    table = briefing.diagnostics_table(res)
    assert list(table["check"]) == ["used", "re-run"]
    assert demand.fit_check_label(table) == "sampler OK on re-run"


def test_a_fit_that_fails_twice_is_rejected_with_both_tries_named():
    with pytest.raises(trusted.FailedChecks) as failed:
        trusted.checked(Fits(fit_result(False), fit_result(False)), draws=300, tune=200)
    said = str(failed.value)
    assert "failed its checks (worst r-hat" in said and "with 200 and again with 400 tuning steps" in said


def test_no_rerun_that_the_time_budget_cannot_hold():
    fits = Fits(fit_result(False, seconds=200.0))
    with pytest.raises(trusted.FailedChecks, match="not re-run: it would take about 400 s, over the 300 s budget"):
        trusted.checked(fits, draws=300, tune=200, time_budget_s=300)
    assert len(fits.asked) == 1


def test_a_company_the_sampler_cannot_fit_in_its_budget_gets_the_model_that_passed():
    """Generated company, NUTS with 10 tuning steps: the checks fail, the re-run fails, the ets model
    takes every series, and the report, the diagnostics hand-over and the executive card say so."""
    spec = synthetic.CompanySpec(series=4, months=30, families=2, level=40.0, seasonality=0.4, trend=0.1, seed=3)
    history = synthetic.demand_history(spec)
    res = demand.forecast_chosen(
        history, 6, None, group_col="family", model="trend", method="nuts", draws=10, tune=10, chains=2, seed=1
    )
    table = briefing.diagnostics_table(res)
    assert res.model == "ets" and list(table["check"]) == ["used", "gave way to ets"], spec.describe()
    assert bool(table.loc[table["check"] == "used", "ok"].all())
    said = briefing.fit_sentences(res, "local")[0]
    assert "with 10 and again with 20 tuning steps" in said and "its 4 series take the ets model" in said
    assert demand.fit_check_label(table) == "trend fit failed checks, ets used"
    assert res.draws.sizes["unique_id"] == 4 and np.isfinite(res.draws.values).all()


def test_held_out_evidence_from_a_fit_that_fails_its_checks_is_not_used_to_choose_a_model():
    """demand.model auto: the held-out trend fit fails its checks twice (10 tuning steps), so no family
    is chosen on its scores; each takes the ets model, and the choice says why."""
    spec = synthetic.CompanySpec(series=4, months=30, families=2, level=40.0, seasonality=0.4, trend=0.1, seed=3)
    history = synthetic.demand_history(spec)
    rows, res = demand.backtest(history, 6, group_col="family", baselines=False, select=True, draws=10, tune=10, chains=2, seed=1)
    assert set(res.choice["model"]) == {"ets"}, spec.describe()
    assert res.choice["reason"].str.contains("failed its checks").all()
    assert not rows["method"].str.contains("trend model alone").any()  # its scores are not shown as evidence
