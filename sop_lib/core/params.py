"""Run parameters: one YAML file per run profile, validated when loaded.

Every knob of the cycle lives in ``params/*.yaml``; nothing else is configured in
code. `load_params` turns the YAML into a typed `RunParams` and rejects unknown
keys, wrong types and missing files with one message per problem that names the
file and the key, *before* any notebook starts.

Relative paths inside a params file are relative to that file's folder, so a
params file can be moved together with its data.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from sop_lib.core.contracts import CONTRACTS, DATE_COLUMNS, REQUIRED_SOURCES

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")  # YYYY-MM, the one spelling of a month in params and files


class ParamsError(ValueError):
    """A params file that cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Severity = Literal["block", "warn"]

# Checks whose severity a params file may set (``data.checks`` for all sources,
# ``sources.<name>.severity`` for one). What they mean and their defaults:
# `sop_lib.core.contracts.CHECKS`. Structural failures (a source that cannot be read, a
# missing column, a value of the wrong type, an unparseable date, an empty required
# cell) always block: without them the table cannot be used at all.
CheckName = Literal[
    "out_of_range",
    "invalid_category",
    "duplicate_key",
    "implausible_date",
    "future_date",
    "date_order",
    "unknown_reference",
    "discontinued_reference",
    "unknown_region",
    "stale",
    "horizon_coverage",
    "missing_months",
    "zero_months",
    "outlier",
    "returns_exceed_sales",
]


class Freshness(_Strict):
    """How old a source may be at the cycle date, and what its age is measured on."""

    column: str | None = Field(
        None, description="date column whose latest value dates the export; empty = the file's modification time"
    )
    max_age_days: int = Field(45, ge=0, le=3650, description="older than this (days before the cycle start) is stale")


_SQL_LITERALS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
_SQL_WRITES = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|UPSERT|DROP|CREATE|ALTER|TRUNCATE|ATTACH|DETACH|PRAGMA|COPY|"
    r"GRANT|REVOKE|VACUUM|CALL|EXEC|EXECUTE|INSTALL)\b",
    re.I,
)


def read_only_query(query: str) -> None:
    """Refuse SQL that could change a company's database: sources are read, never written."""
    bare = _SQL_LITERALS.sub(" ", query).strip().rstrip(";").strip()
    first = bare.split(None, 1)[0].upper() if bare else ""
    if first not in ("SELECT", "WITH"):
        raise ValueError(f"the query must be one SELECT (or WITH ... SELECT); it starts with {first or 'nothing'!r}")
    if ";" in bare:
        raise ValueError("the query holds more than one statement; give one SELECT")
    write = _SQL_WRITES.search(bare)
    if write:
        raise ValueError(
            f"the query contains {write.group(1).upper()!r}, which changes a database; sources are only read: give a plain SELECT"
        )


class SourceSpec(_Strict):
    """Where one department's export lives and how to read it."""

    kind: Literal["csv", "excel", "parquet", "sql"]
    path: str | list[str] | None = Field(
        None,
        description="file, relative to the data folder; a wildcard (sales_*.csv) or a list reads several files as one table",
    )
    header_row: int = Field(
        1, ge=1, le=1000, description="line (CSV) or row (Excel) of the column headers; the lines above it are a title"
    )
    sheet: str | list[str] | None = Field(
        None, description="Excel sheet name; a wildcard ('20*') or a list reads several sheets as one table"
    )
    table: str | None = Field(None, description="SQL table (or use query)")
    query: str | None = Field(None, description="SQL query")
    url: str | None = Field(
        None,
        description="SQLAlchemy URL; ${VAR} is replaced from the environment (credentials never go here)",
    )
    columns: dict[str, str] = Field(default_factory=dict, description="their column name -> ours")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="per column (our name): their value -> ours, e.g. {status: {aktiv: active}}"
    )
    scale: dict[str, float] = Field(
        default_factory=dict, description="per column (our name): multiply numbers by this, e.g. {probability: 0.01}"
    )
    constants: dict[str, str | float | int] = Field(
        default_factory=dict, description="columns the export lacks, with one value for every row, e.g. {region: all}"
    )
    date_format: str | None = Field(None, description="strftime format of the dates, e.g. '%d.%m.%Y'")
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: Literal[".", ","] = Field(".", description="decimal mark of numbers in a CSV ('1.234,5' -> ',')")
    thousands: Literal["", ",", ".", " ", "'"] = Field(
        "", description="thousands separator of numbers in a CSV ('1,234' -> ','); with decimal ',' a '.' is always one"
    )
    months_as_columns: str | None = Field(
        None,
        description="a wide layout: columns whose header is a month in this format (e.g. '%b %Y' for 'Jan 2023') "
        "hold the quantities, one column per month",
    )
    year_and_month: tuple[str, str] | None = Field(
        None,
        description="the month is split over two columns of the export, [year, month] (month as 1-12 or a month name); "
        "they become our 'month'",
    )
    exclude: dict[str, list[str]] = Field(
        default_factory=dict,
        description="per column (our name): rows holding one of these values are left out and counted, e.g. "
        "{sku: [Total]} for a total row; '' means an empty cell",
    )
    from_file_name: str | None = Field(
        None,
        description="our column (e.g. region) that takes the part of each file's name where the source's files differ "
        "(sales_north.csv, sales_south.csv -> north, south), for exports split into one file per region",
    )
    sum_to_month: bool = Field(
        False,
        description="rows finer than month x SKU x region (order lines, days, weeks, channels) are summed to the "
        "month, returns (negative quantities) netted; only for sales_history",
    )
    unit: Literal["unit", "case"] = Field(
        "unit", description="quantities in this source are units, or cases (converted with products.units_per_case)"
    )
    severity: dict[CheckName, Severity] = Field(
        default_factory=dict, description="per-check severity for this source, overriding data.checks"
    )
    freshness: Freshness | None = Field(None, description="staleness rule; empty = the contract's default")
    # where each row of the table read came from (file, line, column), set on the copy `data.read_export` returns
    _origin: object | None = PrivateAttr(default=None)

    @property
    def sheets(self) -> list[str]:
        """The sheet entries as a list."""
        return [] if self.sheet is None else [self.sheet] if isinstance(self.sheet, str) else list(self.sheet)

    @property
    def paths(self) -> list[str]:
        """The path entries as a list (one file, a wildcard, or several)."""
        return [] if self.path is None else [self.path] if isinstance(self.path, str) else list(self.path)

    @model_validator(mode="after")
    def _complete(self) -> "SourceSpec":
        if self.kind == "sql" and len(self.paths) > 1:
            raise ValueError("a sql source reads one database file: give one 'path'")
        if self.header_row > 1 and self.kind not in ("csv", "excel"):
            raise ValueError("header_row is for CSV and Excel files")
        if self.kind in ("csv", "excel", "parquet") and not self.path:
            raise ValueError(f"a {self.kind} source needs 'path'")
        if self.kind == "excel" and not self.sheet:
            raise ValueError("an excel source needs 'sheet'")
        if self.kind == "sql":
            if not (self.path or self.url):
                raise ValueError("a sql source needs 'path' (SQLite/DuckDB file) or 'url'")
            if bool(self.table) == bool(self.query):
                raise ValueError("a sql source needs exactly one of 'table' or 'query'")
        if self.query:
            read_only_query(self.query)
        if self.url and re.search(r"://[^/${}]*:[^@${}]+@", self.url):
            raise ValueError("the url contains a password: use ${ENV_VAR} instead")
        if len(set(self.columns.values())) < len(self.columns):
            raise ValueError("columns maps two of your columns to the same one of ours")
        return self


class CodeRule(_Strict):
    """How codes are written the same way in every source (SKUs, lines, suppliers): always
    as text, trimmed, '123.0' as '123'; these two options on top."""

    strip_zeros: bool = Field(False, description="an all-digit code loses its leading zeros ('000123' -> '123')")
    upper: bool = Field(False, description="codes in upper case ('ab-12' -> 'AB-12')")


class DataParams(_Strict):
    folder: str = Field(description="folder holding the source files")
    demo: bool = Field(False, description="generate the demo company into `folder` if missing")
    demo_seed: int = 20261
    checks: dict[CheckName, Severity] = Field(
        default_factory=dict, description="severity per check for every source (block stops the cycle, warn reports)"
    )
    regions: list[str] = Field(default_factory=list, description="the planning regions; empty = the regions in the sales history")
    region_aliases: dict[str, str] = Field(
        default_factory=dict, description="other spellings -> our region name, applied to every source"
    )
    forecast_archive: str | None = Field(
        None, description="folder (in the data folder) of earlier cycles' forecasts, one Parquet per cycle"
    )
    stale_days: int = Field(45, ge=0, le=3650, description="default freshness limit for sources without a rule")
    codes: CodeRule = Field(default_factory=CodeRule, description="how codes are normalised before sources are matched")


class Shock(_Strict):
    """An external event that shifts demand (a regulation, a competitor's exit...)."""

    name: str
    start: str = Field(description="first month affected, YYYY-MM")
    end: str | None = Field(None, description="last month affected, YYYY-MM; empty = to the horizon's end")
    regions: list[str] = Field(default_factory=list, description="regions affected; empty = all")
    skus: list[str] = Field(default_factory=list, description="SKUs affected; empty = all")
    effect_low: float = Field(ge=-1.0, le=5.0, description="relative change, worst plausible (e.g. -0.30)")
    effect_high: float = Field(ge=-1.0, le=5.0, description="relative change, best plausible (e.g. -0.10)")

    @model_validator(mode="after")
    def _order(self) -> "Shock":
        for label, value in (("start", self.start), ("end", self.end)):
            if value is not None and not MONTH.fullmatch(value):
                raise ValueError(f"{label} must be YYYY-MM, got {value!r}")
        if self.effect_low > self.effect_high:
            raise ValueError("effect_low must not exceed effect_high")
        return self


class DemandParams(_Strict):
    horizon_months: int = Field(12, ge=1, le=36)
    holdout_months: int = Field(6, ge=1, le=24, description="months held out to measure accuracy")
    season_length: int = Field(12, ge=1)
    model: Literal["auto", "trend", "ets"] = Field(
        "auto",
        description="trend: global damped trend (counts); ets: local state-space model; auto: each family "
        "takes the model that did better on its held-out months, or a mixture of both",
    )
    time_budget_s: float = Field(
        300,
        gt=0,
        description="auto: the most seconds one NUTS fit of the trend model may take; a fit projected to "
        "take longer stops and its families take the ets model (by MAP)",
    )
    theta_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="ets model: the share of its draws taken from the Theta method instead (a "
        "mixture of the two; 0: the ets model alone)",
    )
    tsb_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="trend model: the share of an intermittent series' draws taken from TSB instead (0: the trend model alone)",
    )
    method: Literal["auto", "nuts", "advi", "map"] = Field(
        "auto", description="inference: trend takes nuts or advi, ets takes map or nuts; auto: nuts for trend, map for ets"
    )
    draws: int = Field(300, ge=50)
    tune: int = Field(300, ge=50)
    chains: int = Field(2, ge=1, le=8)
    seed: int = 42
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    target_accept: float = Field(0.9, gt=0.5, lt=1.0)
    shocks: list[Shock] = Field(default_factory=list, description="external events that shift demand")
    overrides: str | None = Field(
        None, description="consensus overrides file (YAML, XLSX or CSV with one row per override), relative to this params file"
    )
    use_pipeline: bool = Field(True, description="use the CRM pipeline as evidence for the near months")
    partition: Literal["none", "family"] = Field(
        "none", description="none: one model over all series; family: one fit per product family (see executor)"
    )
    partition_max_series: int = Field(
        0, ge=0, description="partition family: cut families into chunks of at most this many series (0: whole families)"
    )
    executor: Literal["local", "dask"] = Field(
        "local", description="where the partitions are fitted: local (this process, one after the other) or dask"
    )
    scheduler: str | None = Field(
        None, description="executor dask: a running scheduler's address (tcp://host:8786); none starts a local cluster"
    )
    dask_workers: int = Field(2, ge=1, le=512, description="executor dask without a scheduler: local worker processes")
    baseline_series: int = Field(
        500,
        ge=0,
        description="the held-out table scores the engine and its baselines on about this many series, drawn at "
        "random in proportion to each family (0: every series); the models are still fitted and chosen on all",
    )
    compare_models: Literal["auto", "always", "never"] = Field(
        "auto",
        description="also score the engine's other model on the held-out months: auto = only when that "
        "costs less than the forecast (the ets model by MAP), always, or never",
    )

    @model_validator(mode="after")
    def _executor_needs_partitions(self) -> "DemandParams":
        if self.executor == "dask" and self.partition == "none":
            raise ValueError(
                "executor 'dask' runs one task per partition: set partition: family (one model over "
                "all series cannot be split across workers)"
            )
        return self

    @model_validator(mode="after")
    def _method_fits_model(self) -> "DemandParams":
        allowed = {"trend": ("auto", "nuts", "advi"), "ets": ("auto", "map", "nuts"), "auto": ("auto", "nuts")}
        if self.method not in allowed[self.model]:
            raise ValueError(
                f"method {self.method!r} does not fit model {self.model!r} (expected one of {', '.join(allowed[self.model])})"
            )
        return self

    @field_validator("quantiles")
    @classmethod
    def _quantiles(cls, q: tuple[float, ...]) -> tuple[float, ...]:
        if not q or any(not 0 < x < 1 for x in q) or list(q) != sorted(q):
            raise ValueError("quantiles must be increasing numbers strictly between 0 and 1")
        if not {0.1, 0.5, 0.9} <= set(q):
            raise ValueError("quantiles must include 0.1, 0.5 and 0.9: the worst / most likely / best views")
        return q


# --- what-if scenarios (step 4) ---------------------------------------------------------


def _month(v: str | None) -> str | None:
    if v is not None and not MONTH.fullmatch(str(v)):
        raise ValueError(f"expected YYYY-MM, e.g. 2027-01, got {v!r}")
    return v


class _Change(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: str = Field(alias="from", description="first month affected, YYYY-MM")

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        return _month(v)


class _Span(_Change):
    to: str | None = Field(None, description="last month, YYYY-MM; empty = to the horizon's end")

    @field_validator("to")
    @classmethod
    def _to(cls, v: str | None) -> str | None:
        return _month(v)


class SupplierOutage(_Change):
    supplier: str = Field(description="supplier_id that delivers nothing")
    months: int = Field(ge=0, le=36, description="how many months, from 'from'")


class LineOutage(_Change):
    line: str = Field(description="line_id that stands still")
    months: int = Field(ge=0, le=36)


class CapacityChange(_Span):
    line: str
    hours_per_month: float = Field(ge=-10_000, le=10_000, description="regular hours added per month (negative removes)")
    cost_eur_per_hour: float = Field(0.0, ge=0, description="what each added hour costs (operating expense)")


class DemandChange(_Span):
    region: str | None = None
    family: str | None = None
    sku: str | None = None
    pct_low: float = Field(ge=-100, le=500, description="relative change in percent, worst plausible")
    pct_high: float = Field(ge=-100, le=500, description="relative change in percent, best plausible")

    @model_validator(mode="after")
    def _order(self) -> "DemandChange":
        if self.pct_low > self.pct_high:
            raise ValueError("pct_low must not exceed pct_high")
        return self


class PriceChange(_Change):
    family: str | None = None
    sku: str | None = None
    pct: float = Field(ge=-90, le=500, description="price change in percent (demand is not re-forecast)")

    @model_validator(mode="after")
    def _one(self) -> "PriceChange":
        if (self.family is None) == (self.sku is None):
            raise ValueError("name exactly one of family or sku")
        return self


class HiringFreeze(_Span):
    role: Literal["production_worker"] = Field(description="the role the plan hires (production workers)")


class SecondSource(_Change):
    component: str = Field(description="a component of the BOM")
    lead_time_days: float = Field(ge=0, le=365, description="days until the second source can deliver, from 'from'")
    cost_premium_pct: float = Field(0.0, ge=0, le=500, description="extra cost, percent of the SKU's standard cost")


class LaunchDelay(_Strict):
    sku: str = Field(description="a SKU of the launches source")
    months: int = Field(ge=-12, le=24, description="months later (negative: earlier)")


class LeadTimeChange(_Strict):
    supplier: str
    days: float = Field(ge=0, le=365, description="the new lead time")


class Change(_Strict):
    """One change of a scenario: exactly one of the keys below."""

    supplier_outage: SupplierOutage | None = None
    line_outage: LineOutage | None = None
    capacity_change: CapacityChange | None = None
    demand_change: DemandChange | None = None
    price_change: PriceChange | None = None
    launch_delay: LaunchDelay | None = None
    lead_time_change: LeadTimeChange | None = None
    hiring_freeze: HiringFreeze | None = None
    second_source: SecondSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Change":
        set_ = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(set_) != 1:
            raise ValueError(
                f"each change is exactly one of {', '.join(type(self).model_fields)}; got {', '.join(set_) or 'none'}"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)

    @property
    def spec(self):
        return getattr(self, self.kind)


class Scenario(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    changes: list[Change] = Field(min_length=1)


def page_name(name: str) -> str:
    """A view's page file stem: lower case letters and digits, anything else one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "view"


class View(_Strict):
    """A department's page (`sop_lib.executive.views`): which sections, for which part of the company."""

    name: str = Field(min_length=1)
    sections: list[Literal["finance", "demand", "supply", "capacity", "procurement", "people", "decisions", "scenarios"]] = Field(
        min_length=1
    )
    families: list[str] = Field(default_factory=list, description="empty = every family")
    regions: list[str] = Field(default_factory=list, description="empty = every region")
    suppliers: list[str] = Field(default_factory=list, description="supplier_ids; empty = every supplier")

    @property
    def page(self) -> str:
        return f"{page_name(self.name)}.html"


class SupplyParams(_Strict):
    service_level: float = Field(0.95, gt=0.5, lt=1.0, description="target cycle service level")
    overtime_pct: float = Field(0.10, ge=0, le=0.5, description="extra line hours available as overtime")
    scenario: str = Field(
        "p50",
        pattern=r"^p([1-9]|[1-9][0-9])$",
        description="demand view the plan is built for: a quantile of the demand draws per month, p10 to p99",
    )
    review_period_months: float = Field(1.0, gt=0, le=12, description="how often the plan is re-made")
    stockout_cost_pct_of_price: float = Field(0.30, ge=0, le=5, description="cost of a lost sale, share of price")
    lateness_cost_pct_of_price_per_month: float = Field(0.08, ge=0, le=5, description="goodwill per unit-month waiting")
    storage_limit_units: float | None = Field(None, gt=0, description="warehouse capacity, finished units")
    priority: Literal["cost", "backlog_first", "launch_first", "margin"] = Field(
        "cost", description="who gets scarce units: the LP's costs, customers already waiting, the launch, or margin"
    )
    plan_workers: int = Field(
        0,
        ge=0,
        le=256,
        description="processes step 4 solves its scenario, policy and launch-date plans on; 0: every core "
        "from 100 SKUs up (core.workers.PARALLEL_MIN_SKUS), 1: one after the other",
    )


class FinanceParams(_Strict):
    holding_cost_pct_per_year: float = Field(0.22, ge=0, le=1)
    overtime_cost_eur_per_hour: float = Field(58.0, ge=0)
    worker_cost_eur_per_month: float = Field(4000.0, ge=0, description="what one more production worker costs a month")


class BacktestParams(_Strict):
    """How `sop backtest` replays past months: a fast forecast profile, re-planned monthly."""

    months: int = Field(12, ge=2, le=36, description="months replayed, the last ones before the cycle")
    horizon_months: int = Field(
        12, ge=1, le=12, description="months each monthly re-plan looks ahead: a season, to build ahead of a capacity-bound peak"
    )
    warmup_months: int = Field(6, ge=0, le=12, description="months planned before the first scored one, not scored")
    naive_cover_weeks: float = Field(4.0, ge=0, le=26, description="the naive policy's safety stock, in weeks of demand")
    model: Literal["auto", "ets", "trend"] = Field(
        "auto",
        description="the suite's forecast model in the replay; auto: the trend model where the sales are whole "
        "units (as step 2 fits counts) and the series are few enough for its re-plans to stay short "
        "(plan_quality.replay.TREND_MAX_SERIES), else the ets model",
    )
    method: Literal["auto", "map", "advi", "nuts"] = Field(
        "auto", description="its inference; auto: advi for the trend model, map for the ets model (a re-plan in seconds)"
    )
    draws: int = Field(200, ge=50, description="draws per re-plan (map: at least 1,000 are simulated)")

    @model_validator(mode="after")
    def _method_fits_model(self) -> "BacktestParams":
        allowed = {"auto": ("auto",), "trend": ("auto", "nuts", "advi"), "ets": ("auto", "map", "nuts")}
        if self.method not in allowed[self.model]:
            raise ValueError(
                f"method {self.method!r} does not fit model {self.model!r} (expected one of {', '.join(allowed[self.model])})"
            )
        return self


class RunParams(_Strict):
    company: str
    cycle: str = Field(description="planning cycle, YYYY-MM")
    data: DataParams
    sources: dict[str, SourceSpec]
    demand: DemandParams = DemandParams()
    supply: SupplyParams = SupplyParams()
    finance: FinanceParams = FinanceParams()
    backtest: BacktestParams = BacktestParams()
    scenarios: list[Scenario] = Field(default_factory=list, description="what-if questions answered in step 4")
    views: list[View] = Field(default_factory=list, description="one page per department, linked from the index")
    base_dir: Path = Field(Path("."), exclude=True, description="folder of the params file")
    changed: dict[str, Any] = Field(
        default_factory=dict,
        description="keys set for this run only (`sop run --set`, a notebook's overrides), with their values",
    )

    @field_validator("cycle")
    @classmethod
    def _cycle(cls, v: str) -> str:
        if not MONTH.fullmatch(v):
            raise ValueError(f"expected YYYY-MM, e.g. 2026-11, got {v!r}")
        return v

    @field_validator("scenarios")
    @classmethod
    def _unique_names(cls, v: list[Scenario]) -> list[Scenario]:
        names = [s.name for s in v]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice or "base" in [n.lower() for n in names]:
            raise ValueError(f"scenario names must be unique and not 'base' (the plan itself): {', '.join(twice) or 'base'}")
        return v

    @field_validator("views")
    @classmethod
    def _unique_views(cls, v: list[View]) -> list[View]:
        pages = [x.page for x in v]
        twice = sorted({x.name for x in v if pages.count(x.page) > 1})
        if twice:
            raise ValueError(f"view names must differ (they name the pages): {', '.join(twice)}")
        return v

    @field_validator("sources")
    @classmethod
    def _required_sources(cls, v: dict[str, SourceSpec]) -> dict[str, SourceSpec]:
        unknown = sorted(set(v) - set(CONTRACTS))
        if unknown:
            raise ValueError(
                f"unknown source(s) {', '.join(map(repr, unknown))}; the sources a cycle can use are "
                f"{', '.join(CONTRACTS)} (`sop sources` describes each)"
            )
        summed = sorted(name for name, spec in v.items() if spec.sum_to_month and name != "sales_history")
        if summed:
            raise ValueError(f"sum_to_month is for sales_history only (set in: {', '.join(summed)})")
        missing = sorted(set(REQUIRED_SOURCES) - set(v))
        if missing:
            raise ValueError(
                f"missing sources: {', '.join(missing)} (every cycle needs {', '.join(REQUIRED_SOURCES)}; "
                "the others are optional)"
            )
        return v

    @property
    def data_folder(self) -> Path:
        return (self.base_dir / self.data.folder).resolve()

    def source_files(self, name: str) -> list[Path]:
        """The files a source reads (a wildcard expanded, sorted); [] for a database URL."""
        return source_files(self.sources[name], self.data_folder)


def source_files(spec: SourceSpec, folder: Path) -> list[Path]:
    """The files behind a source's ``path``: each entry as written, or the files its wildcard matches (sorted)."""
    out: list[Path] = []
    for entry in spec.paths:
        if any(ch in entry for ch in "*?["):
            out += sorted(p for p in folder.glob(entry) if p.is_file())
        else:
            out.append(folder / entry)
    return out


def _mark_set(text: str, err: dict, settings: dict[str, Any]) -> str:
    """Say so when the key in error was set for this run, not in the file."""
    loc = ".".join(str(p) for p in err["loc"] if p != "[key]")
    hit = [k for k in settings if loc == k or loc.startswith(k + ".") or k.startswith(loc + ".")]
    return text + (f" (set for this run: {hit[0]}={settings[hit[0]]!r})" if hit else "")


def _format_error(file: Path, err: dict) -> str:
    loc = ".".join(str(p) for p in err["loc"] if p != "[key]") or "(top level)"
    if err["loc"] and err["loc"][-1] == "[key]":
        return f"{file}: {loc}: unknown name {err.get('input')!r}; {err['msg'].replace('Input should be', 'expected')}"
    if err["type"] == "extra_forbidden":
        return f"{file}: {loc}: unknown key (check the spelling against params/default.yaml)"
    if err["type"] == "missing":
        return f"{file}: {loc}: required key is missing"
    got = err.get("input")
    got_txt = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{file}: {loc}: {err['msg']}{got_txt}"


def parse_settings(items: list[str]) -> dict[str, Any]:
    """`--set supply.service_level=0.98` pairs as {dotted key: value}; a value is read as YAML
    (0.98 a number, [a, b] a list, p75 a word)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip() or not all(key.strip().split(".")):
            raise ParamsError(f"--set {item}: expected KEY=VALUE with a dotted key, e.g. supply.service_level=0.98")
        try:
            out[key.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise ParamsError(f"--set {item}: the value is not valid YAML: {exc}") from None
    return out


def setting_text(value: Any) -> str:
    """A set value as it is typed after --set (JSON for anything but a word, which YAML reads back alike)."""
    return value if isinstance(value, str) else json.dumps(value)


def changed_sentence(settings: dict[str, Any]) -> str:
    """The reader's line on every report of a run with keys set for it alone."""
    said = "; ".join(f"{k} = {setting_text(v)}" for k, v in settings.items())
    return f"Changed for this run (not in the params file): {said}."


def with_settings(raw: dict, settings: dict[str, Any], origin: str = "--set") -> dict:
    """The params mapping with each dotted key set (a copy): the file's value is replaced, a
    missing section is created; a key through a value that is no mapping is refused."""
    out = copy.deepcopy(raw)
    for dotted, value in settings.items():
        node, parts = out, dotted.split(".")
        for depth, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                where = ".".join(parts[: depth + 1])
                raise ParamsError(f"{origin} {dotted}: {where} is {nxt!r}, not a section with keys")
            node = nxt
        node[parts[-1]] = value
    return out


def load_params(
    path: str | Path, *, overrides: dict | None = None, settings: dict[str, Any] | None = None, check_files: bool = True
) -> RunParams:
    """Read and validate a params file; raise `ParamsError` listing every problem.

    ``settings`` (dotted keys: `sop run --set`, a notebook's ``overrides``) change keys for this
    run only, validated exactly as the file is; the result records them in ``changed``."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: params file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    settings = dict(settings or {})
    if "changed" in settings or "changed" in raw:
        raise ParamsError(f"{path}: 'changed' is not a key to set: it records what --set changed")
    raw = with_settings(raw, settings)
    raw = {**raw, **(overrides or {}), "base_dir": path.resolve().parent, "changed": settings}
    try:
        params = RunParams.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError("\n".join(_mark_set(_format_error(path, e), e, settings) for e in exc.errors())) from None
    check_data_rules(params, path)
    if check_files:
        check_source_files(params, path)
    return params


def check_data_rules(params: RunParams, params_file: Path | str = "params") -> None:
    """Rules that need the contracts: value maps, scales and constants name a column of
    the source, a freshness column is one of its date columns, and a region alias points
    at a planning region (or 'all')."""
    errors = []
    for name, spec in params.sources.items():
        ours = list(CONTRACTS[name].columns) if name in CONTRACTS else None
        for key in ("values", "scale", "constants", "exclude"):
            for column in getattr(spec, key):
                if ours is not None and column not in ours:
                    errors.append(
                        f"{params_file}: sources.{name}.{key}.{column}: {column!r} is not a column of {name} "
                        f"(its columns: {', '.join(ours)}); name the column as ours, after 'columns' maps it"
                    )
        col = spec.freshness.column if spec.freshness else None
        if col is not None and col not in DATE_COLUMNS.get(name, []):
            dates = ", ".join(DATE_COLUMNS.get(name, [])) or "none"
            errors.append(
                f"{params_file}: sources.{name}.freshness.column: {col!r} is not a date column of {name} "
                f"(its date columns: {dates}; leave it out to use the file's modification time)"
            )
    regions = set(params.data.regions)
    for alias, region in params.data.region_aliases.items():
        if regions and region not in regions | {"all"}:
            errors.append(
                f"{params_file}: data.region_aliases.{alias}: {region!r} is not one of data.regions "
                f"({', '.join(params.data.regions)}) or 'all'"
            )
    if errors:
        raise ParamsError("\n".join(errors))


def check_source_files(params: RunParams, params_file: Path | str = "params") -> None:
    """Fail early on source files that do not exist (the demo ones are made on demand)."""
    if params.data.demo:
        return
    missing = []
    for name, spec in params.sources.items():
        files = params.source_files(name)
        if spec.paths and not files:
            missing.append(f"{params_file}: sources.{name}.path: no file matches {spec.path!r} in {params.data_folder}")
        missing += [f"{params_file}: sources.{name}.path: file not found: {f}" for f in files if not f.exists()]
    if missing:
        raise ParamsError("\n".join(missing))
