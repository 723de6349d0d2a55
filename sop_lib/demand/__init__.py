"""Step 2: the Bayesian demand engine.

``forecast(history, horizon)`` is the one entry point (statsforecast layout in and out);
see `sop_lib.demand.model` (global trend, counts) and `sop_lib.demand.ets` (local
state-space model) for the two models, `theta` for the Theta method that gives half of the
ets model's draws, and `intermittent` for TSB, which gives half of an intermittent series'
draws in the trend model. The other modules cover what S&OP adds around
it: `drivers` (promotions, shocks, consensus overrides), `launches` (new products from
analogs), `young` (series too short for the model), `selection` (which model
for which family, from held-out evidence), `trusted` (a sampled fit that fails its checks
is re-run or gives way to the ets model), `partitioned` (one fit per family, in-process or
on Dask) and `evaluation` (accuracy and
calibration on held-out months). `consensus` builds the plan's demand from the model's
draws (shocks, launches, CRM pipeline, consensus overrides: `consensus_chain`), for step 2
and for the what-ifs that rebuild it; `briefing` holds the sentences, tables and charts of
step 2's report.
"""

from sop_lib.demand.consensus import ConsensusDraws, consensus_chain
from sop_lib.demand.design import ForecastInputError, quantile_column
from sop_lib.demand.diagnostics import (
    ESS_OK,
    RHAT_OK,
    describe_fit,
    diagnostics,
    fit_check_label,
    fit_diagnostics,
    headline_parameters,
    parameter_summary,
)
from sop_lib.demand.draws import (
    ForecastResult,
    aggregate_draws,
    check_draws_memory,
    horizon_totals,
    summarise_draws,
)
from sop_lib.demand.drivers import (
    OverrideError,
    add_series,
    apply_overrides,
    apply_shocks,
    load_overrides,
    pipeline_check,
    pipeline_demand,
    promo_depth,
    region_of,
    sku_of,
    sop_history,
)
from sop_lib.demand.engine import forecast
from sop_lib.demand.evaluation import (
    accuracy,
    backtest,
    describe_backtest,
    holdout_split,
    interval_coverage,
    posterior_predictive_check,
    seasonal_naive,
)
from sop_lib.demand.launches import (
    add_launch,
    apply_launches,
    launch_month_probabilities,
)
from sop_lib.demand.partitioned import describe_partitions
from sop_lib.demand.sampling import OverBudget
from sop_lib.demand.selection import describe_choice, forecast_chosen, named_model, posterior_files
from sop_lib.demand.young import describe_young, split_young, young_draws

__all__ = [
    "ESS_OK",
    "RHAT_OK",
    "ForecastInputError",
    "ForecastResult",
    "OverrideError",
    "add_series",
    "apply_overrides",
    "apply_shocks",
    "load_overrides",
    "pipeline_check",
    "pipeline_demand",
    "posterior_predictive_check",
    "region_of",
    "accuracy",
    "add_launch",
    "aggregate_draws",
    "apply_launches",
    "backtest",
    "describe_backtest",
    "holdout_split",
    "describe_fit",
    "diagnostics",
    "fit_check_label",
    "forecast",
    "horizon_totals",
    "headline_parameters",
    "interval_coverage",
    "launch_month_probabilities",
    "promo_depth",
    "quantile_column",
    "seasonal_naive",
    "check_draws_memory",
    "sku_of",
    "sop_history",
    "summarise_draws",
    "describe_young",
    "split_young",
    "parameter_summary",
    "OverBudget",
    "describe_choice",
    "describe_partitions",
    "fit_diagnostics",
    "forecast_chosen",
    "named_model",
    "posterior_files",
    "young_draws",
    "ConsensusDraws",
    "consensus_chain",
]
