"""sop_lib: the shared library behind the S&OP workbook notebooks.

One package per step of the monthly cycle, in run order, each importing only the core and
the steps before it (import-linter holds this in `make lint`):

``data`` (step 1: read, check, harmonise, review earlier cycles; ``sop init``) ->
``demand`` (step 2: the Bayesian forecast engine) -> ``supply`` (step 3: inventory,
production, purchasing, people, backlog) -> ``reconciliation`` (step 4: finance and
what-if scenarios) -> ``executive`` (step 5: the meeting's asks, its records, change since
the last cycle, department views).

Beside them: ``core`` (params, data contracts, hand-overs with their checksums, the batch
lock, report helpers), ``plan_quality`` (the plan replayed over past months),
``companies`` (the synthetic demo companies) and ``batch`` (the papermill runner and the
``sop`` command line), which sits on top of everything.
"""

__version__ = "0.1.0"
