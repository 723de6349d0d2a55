"""Step 1: read every department's export, check it against its contract, harmonise.

``load_sources(params)`` reads each source declared in params with the library made
for its format (pandas for CSV/Parquet, openpyxl for Excel, SQLAlchemy or DuckDB
for databases), renames columns to ours, parses dates and numbers as declared,
validates it, and then checks the sources against each other (references, regions,
units, horizon coverage, freshness). Problems are *collected*, not raised one at a
time: each `Problem` names the source, the file (sheet or query), the column, the
first failing rows with their values and what was expected, and the check it comes
from. Its severity comes from params (``data.checks``, ``sources.<name>.severity``)
over the contract's default (`sop_lib.core.contracts.CHECKS`); ``raise_for_blocking``
then stops the cycle if any problem blocks.

One module per concern: `problems` (what a finding says), `reading` (one source from where it
lives, in one or several files), `shapes` (a title above the header, months as columns),
`checks` (contracts and cross-source checks), `harmonise` (codes, regions, units, the monthly
grid), `grain` (rows summed to the month, returns netted, every row and unit accounted for),
`loading` (`load_sources`), `quality` (the traffic light and the sales' quality);
`review` (earlier cycles' forecasts against what was sold), `onboarding` (`sop init`) and `report`
(the sentences, KPI cards, tables and charts of step 1's report).
"""

from sop_lib.data.checks import (
    check_date_order,
    check_discontinued,
    check_freshness,
    check_horizon,
    check_references,
    check_regions,
    discontinued_skus,
    drop_unknown_references,
    freshness_rule,
    horizon_months,
    validate_source,
)
from sop_lib.data.grain import account, sum_to_month
from sop_lib.data.harmonise import (
    code_text,
    harmonise_regions,
    monthly_sales,
    normalise_codes,
    to_base_units,
)
from sop_lib.data.loading import (
    absent_sources,
    empty_table,
    file_sha256,
    load_sources,
    planning_regions,
    skipped,
)
from sop_lib.data.problems import (
    MAX_ROWS_SHOWN,
    DataError,
    LoadedData,
    Problem,
    apply_severity,
    raise_for_blocking,
    row_label,
    severity_for,
    source_location,
)
from sop_lib.data.quality import (
    completeness,
    explain_outliers,
    quality_table,
    quality_warnings,
    robust_outliers,
    seasonal_peak,
    zero_months,
)
from sop_lib.data.reading import (
    MEMORY_PER_FILE_BYTE,
    env_secrets,
    memory_needed,
    parse_dates,
    parse_numbers,
    point_decimals,
    read_export,
    read_source,
    redact,
    translate_values,
)

__all__ = [
    "account",
    "sum_to_month",
    "code_text",
    "normalise_codes",
    "read_export",
    "absent_sources",
    "apply_severity",
    "check_date_order",
    "check_discontinued",
    "check_freshness",
    "check_horizon",
    "check_references",
    "check_regions",
    "completeness",
    "DataError",
    "discontinued_skus",
    "drop_unknown_references",
    "empty_table",
    "env_secrets",
    "explain_outliers",
    "file_sha256",
    "freshness_rule",
    "harmonise_regions",
    "horizon_months",
    "load_sources",
    "LoadedData",
    "MAX_ROWS_SHOWN",
    "memory_needed",
    "MEMORY_PER_FILE_BYTE",
    "monthly_sales",
    "parse_dates",
    "parse_numbers",
    "planning_regions",
    "point_decimals",
    "Problem",
    "quality_table",
    "quality_warnings",
    "raise_for_blocking",
    "read_source",
    "redact",
    "robust_outliers",
    "row_label",
    "seasonal_peak",
    "severity_for",
    "skipped",
    "source_location",
    "to_base_units",
    "translate_values",
    "validate_source",
    "zero_months",
]
