"""Step 3: can we meet the demand, and at what cost? The step's entry points.

The work is done in one module per concern; this module wires them to step 1's tables
and step 2's draws, and keeps the names later steps import:

* `sop_lib.supply.inventory` — safety stock and reorder point for a cycle service level or a
  fill rate, the newsvendor cost-optimal service level, the cost/service trade-off
  curve, and `inventory_risk` (the plan run against every demand draw).
* `sop_lib.supply.production` — the production LP (HiGHS): lines, overtime, labour and
  hiring, components within supplier lead times, storage; `bottlenecks` in words and
  `PlanInfeasible` naming conflicting constraints.
* `sop_lib.supply.people` — sales reps, service agents and production workers, required
  versus available per month, and when hiring must start.
* `sop_lib.supply.purchasing` — suggested purchase orders and supplier risk.

* `sop_lib.supply.plan` — demand views from the draws (`sku_draws`, `scenario_demand`), the per-SKU
  facts (`plan_inputs`) and `build_plan`, which wires step 1's tables and step 2's draws to the LP;
  for a thin product master the LP's stand-in values (`planning_values`) and the sentence that
  names the SKUs a euro figure leaves out (`left_out_sentence`).
* `sop_lib.supply.backlog` — the backlog burn-down with and without the launch, in numbers and words.
"""

from sop_lib.supply.backlog import (
    backlog_burndown,
    backlog_facts,
    backlog_sentence,
    caught_up_month,
    launch_delay_sentence,
    launch_effect_on_backlog,
    most_waited_for,
    shared_resources,
)
from sop_lib.supply.inventory import (
    AT_RISK,
    DAYS_PER_MONTH,
    RISK_MONTHS,
    cost_optimal_service_level,
    expected_cycle_cost,
    inventory_risk,
    near_term_stockout,
    normal_loss,
    protection_demand,
    safety_stock,
    service_cost_curve,
    unit_costs_per_cycle,
    z_for_fill_rate,
)
from sop_lib.supply.people import (
    check_staffing,
    hiring_sentence,
    people_check,
    people_plan,
    worker_hours,
)
from sop_lib.supply.plan import (
    COST,
    PRICE,
    PRIORITIES,
    PRIORITY_WEIGHT,
    Valuation,
    build_plan,
    labour_inputs,
    left_out_sentence,
    left_out_text,
    listing,
    plan_inputs,
    plan_kwargs,
    planning_values,
    priority_weights,
    scenario_demand,
    sku_draws,
    standin_value,
    unvalued,
)
from sop_lib.supply.production import (
    GROUP_HINTS,
    PlanInfeasible,
    PlanResult,
    bottlenecks,
    capacity_check,
    conflicting_groups,
    plan_production,
)
from sop_lib.supply.purchasing import (
    component_requirements,
    largest_orders,
    purchase_orders,
    supplier_risk,
)
from sop_lib.supply.summary import MONTH_BAR_DAYS, in_words

__all__ = [
    "COST",
    "PRICE",
    "Valuation",
    "left_out_sentence",
    "left_out_text",
    "listing",
    "planning_values",
    "standin_value",
    "unvalued",
    "AT_RISK",
    "near_term_stockout",
    "RISK_MONTHS",
    "backlog_burndown",
    "backlog_facts",
    "backlog_sentence",
    "bottlenecks",
    "build_plan",
    "capacity_check",
    "caught_up_month",
    "check_staffing",
    "component_requirements",
    "conflicting_groups",
    "cost_optimal_service_level",
    "DAYS_PER_MONTH",
    "expected_cycle_cost",
    "GROUP_HINTS",
    "hiring_sentence",
    "inventory_risk",
    "labour_inputs",
    "largest_orders",
    "launch_delay_sentence",
    "launch_effect_on_backlog",
    "most_waited_for",
    "normal_loss",
    "people_check",
    "people_plan",
    "plan_inputs",
    "plan_kwargs",
    "plan_production",
    "PlanInfeasible",
    "PlanResult",
    "PRIORITIES",
    "PRIORITY_WEIGHT",
    "priority_weights",
    "protection_demand",
    "purchase_orders",
    "safety_stock",
    "scenario_demand",
    "service_cost_curve",
    "shared_resources",
    "sku_draws",
    "supplier_risk",
    "unit_costs_per_cycle",
    "worker_hours",
    "z_for_fill_rate",
    "in_words",
    "MONTH_BAR_DAYS",
]
