"""Step 4: the pre-S&OP reconciliation: is the plan financially viable, and what if?

`finance` books revenue, cost and margin against the targets; `scenario_inputs` turns the
scenarios declared in params into changed inputs of the one planning path (demand draws ->
supply LP); `evaluate` runs every scenario through it and `outcomes` runs each scenario's
fixed plan against every demand draw, so P&L and service come as distributions;
`launch_timing` is the launch-timing what-if.
"""

from sop_lib.reconciliation.evaluate import (
    BASE,
    Evaluated,
    compare_priorities,
    evaluate_scenarios,
    priority_sentence,
)
from sop_lib.reconciliation.launch_timing import (
    demand_without_launches,
    launch_timing,
    series_without_launches,
)
from sop_lib.reconciliation.scenario_inputs import (
    Inputs,
    ScenarioError,
    adopted_scenario,
    check_scenarios,
    combined,
    raise_for_scenarios,
    scenario_inputs,
)
from sop_lib.reconciliation.viability import LAUNCH_DELAYS

__all__ = [
    "BASE",
    "Evaluated",
    "Inputs",
    "ScenarioError",
    "adopted_scenario",
    "combined",
    "check_scenarios",
    "compare_priorities",
    "priority_sentence",
    "demand_without_launches",
    "evaluate_scenarios",
    "launch_timing",
    "raise_for_scenarios",
    "scenario_inputs",
    "series_without_launches",
    "LAUNCH_DELAYS",
]
