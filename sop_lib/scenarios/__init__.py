"""Step 4: what-if scenarios and the decisions a plan asks executives for.

`changes` turns the scenarios declared in params into changed inputs of the one planning
path (demand draws -> supply LP); `outcomes` runs each scenario's fixed plan against every
demand draw and returns the P&L and service as distributions; `launch` is the launch-timing
what-if; `decisions` writes the meeting's asks.
"""

from sop_lib.scenarios.changes import (
    Inputs,
    ScenarioError,
    adopted_scenario,
    check_scenarios,
    combined,
    raise_for_scenarios,
    scenario_inputs,
)
from sop_lib.scenarios.decisions import decisions, top_risks
from sop_lib.scenarios.evaluate import BASE, Evaluated, compare_priorities, evaluate_scenarios, priority_sentence
from sop_lib.scenarios.launch import (
    caught_up_month,
    demand_without_launches,
    launch_timing,
    series_without_launches,
)

__all__ = ["BASE", "Evaluated", "Inputs", "ScenarioError", "adopted_scenario", "caught_up_month", "combined", "check_scenarios", "compare_priorities",
           "decisions", "priority_sentence", "top_risks",
           "demand_without_launches", "evaluate_scenarios", "launch_timing", "raise_for_scenarios", "scenario_inputs", "series_without_launches"]
