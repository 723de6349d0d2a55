"""Run parameters: the default profile loads, and every bad params file is refused
with a message that names the file and the offending key."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pydantic
import pytest
import yaml

from sop_lib.companies.demo import write_demo_company
from sop_lib.core.contracts import CONTRACTS, REQUIRED_SOURCES
from sop_lib.core.params import ParamsError, RunParams, changed_sentence, load_params, parse_settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "params" / "default.yaml"
CYCLE = "2026-11"


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    return write_demo_company(tmp_path_factory.mktemp("params_demo") / "demo", CYCLE)


@pytest.fixture()
def raw(demo_folder) -> dict:
    """The default profile as a dict, pointed at the generated demo company (real files)."""
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    data["data"]["folder"] = str(demo_folder)
    data["data"]["demo"] = False
    return data


def write(tmp_path: Path, data: dict, name: str = "run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(ParamsError) as info:
        load_params(path)
    return str(info.value)


# --- the default profile ----------------------------------------------------------


def test_default_profile_loads():
    params = load_params(DEFAULT)
    assert isinstance(params, RunParams)
    assert params.cycle[:4].isdigit() and params.cycle[4] == "-"
    assert params.data.demo is True
    # relative folder is resolved against params/, not the working directory
    assert params.data_folder == (ROOT / "data" / "demo").resolve()
    assert set(REQUIRED_SOURCES) < set(params.sources) == set(CONTRACTS)  # the demo declares every source
    assert params.sources["targets"].kind == "excel" and params.sources["targets"].sheet == "targets"
    assert params.sources["suppliers"].query.startswith("SELECT")
    assert params.demand.quantiles == (0.1, 0.5, 0.9)
    assert params.supply.service_level == pytest.approx(0.95)
    assert params.source_files("sales_history") == [params.data_folder / "sales_history.csv"]


def test_copy_pointing_at_real_files_loads(tmp_path, raw, demo_folder):
    params = load_params(write(tmp_path, raw))
    assert params.data_folder == demo_folder.resolve()
    assert params.source_files("open_orders") == [demo_folder.resolve() / "erp.sqlite"]


def test_relative_data_folder_is_relative_to_the_params_file(tmp_path, raw, demo_folder, monkeypatch):
    sub = tmp_path / "profiles" / "nested"
    sub.mkdir(parents=True)
    raw["data"]["folder"] = "../../data"
    (tmp_path / "data").symlink_to(demo_folder, target_is_directory=True)
    monkeypatch.chdir(ROOT)  # a different working directory must not matter
    params = load_params(write(sub, raw))
    assert params.data_folder == (tmp_path / "data").resolve()


def test_overrides_replace_top_level_keys(tmp_path, raw):
    params = load_params(write(tmp_path, raw), overrides={"cycle": "2027-01"})
    assert params.cycle == "2027-01"


def test_a_setting_for_this_run_changes_one_key_and_is_recorded(tmp_path, raw):
    path = write(tmp_path, raw)
    params = load_params(path, settings=parse_settings(["supply.service_level=0.98", "supply.scenario=p75"]))
    assert params.supply.service_level == 0.98 and params.supply.scenario == "p75"
    assert params.supply.overtime_pct == load_params(path).supply.overtime_pct  # the rest is the file's
    assert params.changed == {"supply.service_level": 0.98, "supply.scenario": "p75"}
    assert json.loads(params.model_dump_json())["changed"] == params.changed  # so the cycle's params.json records it
    assert changed_sentence(params.changed) == (
        "Changed for this run (not in the params file): supply.service_level = 0.98; supply.scenario = p75."
    )


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("supply.service_level=1.5", "supply.service_level: Input should be less than 1 (got 1.5) (set for this run: "),
        ("supply.servce_level=0.9", "supply.servce_level: unknown key"),
        ("company.name=X", "--set company.name: company is"),
        ("supply.service_level", "--set supply.service_level: expected KEY=VALUE"),
    ],
)
def test_a_bad_setting_is_refused_as_the_file_would_be_and_says_it_was_set(tmp_path, raw, setting, said):
    with pytest.raises(ParamsError) as err:
        load_params(write(tmp_path, raw), settings=parse_settings([setting]))
    assert said in str(err.value)


# --- bad params files -----------------------------------------------------------


def test_unknown_key_names_file_and_key(tmp_path, raw):
    raw["demand"]["drawz"] = 500
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "demand.drawz" in msg
    assert "unknown key" in msg


def test_unknown_top_level_key(tmp_path, raw):
    raw["suply"] = {"service_level": 0.9}
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg and "suply" in msg and "unknown key" in msg


def test_wrong_type_names_key_and_value(tmp_path, raw):
    raw["demand"]["draws"] = "abc"
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "demand.draws" in msg
    assert "'abc'" in msg
    assert "integer" in msg


def test_out_of_range_value_is_refused(tmp_path, raw):
    raw["supply"]["service_level"] = 1.5
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg and "supply.service_level" in msg and "1.5" in msg


def test_bad_cycle(tmp_path, raw):
    raw["cycle"] = "2026-13"
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "cycle" in msg
    assert "2026-13" in msg
    assert "YYYY-MM" in msg


def test_every_problem_is_listed_at_once(tmp_path, raw):
    raw["cycle"] = "26/11"
    raw["demand"]["drawz"] = 1
    raw["finance"]["holding_cost_pct_per_year"] = "lots"
    path = write(tmp_path, raw)
    lines = load_error(path).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: ") for line in lines)
    text = "\n".join(lines)
    assert "cycle" in text and "demand.drawz" in text and "finance.holding_cost_pct_per_year" in text


def test_missing_params_file(tmp_path):
    path = tmp_path / "nope.yaml"
    msg = load_error(path)
    assert str(path) in msg
    assert "not found" in msg


def test_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("company: x\ncycle: '2026-11\ndata: [unclosed\n", encoding="utf-8")
    msg = load_error(path)
    assert str(path) in msg
    assert "not valid YAML" in msg


def test_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    msg = load_error(path)
    assert str(path) in msg and "mapping" in msg


def test_missing_required_key(tmp_path, raw):
    del raw["company"]
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg and "company" in msg and "missing" in msg


def test_missing_required_source(tmp_path, raw):
    del raw["sources"]["products"]
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "sources" in msg
    assert "missing sources: products" in msg and "the others are optional" in msg


def test_only_sales_history_and_products_are_required(tmp_path, raw):
    raw["sources"] = {k: raw["sources"][k] for k in REQUIRED_SOURCES}
    params = load_params(write(tmp_path, raw))
    assert set(params.sources) == {"sales_history", "products"}


def test_misspelt_source_name_is_refused_not_ignored(tmp_path, raw):
    """With optional sources a typo would silently drop a source: it is an error instead."""
    raw["sources"]["open_order"] = raw["sources"].pop("open_orders")
    msg = load_error(write(tmp_path, raw))
    assert "unknown source(s) 'open_order'" in msg and "open_orders" in msg


def test_excel_source_without_sheet(tmp_path, raw):
    del raw["sources"]["targets"]["sheet"]
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "sources.targets" in msg
    assert "sheet" in msg


def test_sql_source_needs_exactly_one_of_table_or_query(tmp_path, raw):
    raw["sources"]["inventory"]["query"] = "SELECT * FROM inventory"
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg and "sources.inventory" in msg and "table" in msg and "query" in msg


def test_unknown_source_kind(tmp_path, raw):
    raw["sources"]["products"]["kind"] = "xml"
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg and "sources.products.kind" in msg and "'xml'" in msg


def test_sql_url_with_password_is_refused_without_echoing_it(tmp_path, raw):
    raw["sources"]["open_orders"] = {
        "kind": "sql",
        "url": "postgresql://planner:s3cr3tPW@erp.example.com/erp",
        "table": "open_orders",
    }
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "sources.open_orders" in msg
    assert "password" in msg
    assert "s3cr3tPW" not in msg


def test_sql_url_with_environment_variable_is_accepted(tmp_path, raw):
    raw["sources"]["open_orders"] = {
        "kind": "sql",
        "url": "postgresql://planner:${ERP_PASSWORD}@erp.example.com/erp",
        "table": "open_orders",
    }
    params = load_params(write(tmp_path, raw))
    assert params.sources["open_orders"].url.endswith("/erp")
    assert params.source_files("open_orders") == []


def test_missing_source_file_when_not_demo(tmp_path, raw, demo_folder):
    raw["sources"]["products"]["path"] = "product_master.csv"
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg
    assert "sources.products.path" in msg
    assert str(demo_folder.resolve() / "product_master.csv") in msg
    assert "not found" in msg


def test_missing_data_folder_when_not_demo_names_every_source_file(tmp_path, raw):
    raw["data"]["folder"] = str(tmp_path / "no_such_folder")
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert "sources.sales_history.path" in msg and "sources.targets.path" in msg
    assert str(tmp_path / "no_such_folder" / "sales_history.csv") in msg


def test_missing_source_files_are_fine_for_the_demo(tmp_path, raw):
    raw["data"]["folder"] = str(tmp_path / "demo_not_generated_yet")
    raw["data"]["demo"] = True
    params = load_params(write(tmp_path, raw))
    assert params.data_folder == (tmp_path / "demo_not_generated_yet").resolve()


def test_check_files_false_skips_the_file_check(tmp_path, raw):
    raw["sources"]["products"]["path"] = "product_master.csv"
    params = load_params(write(tmp_path, raw), check_files=False)
    assert params.sources["products"].path == "product_master.csv"


def test_params_error_is_a_value_error(tmp_path):
    assert issubclass(ParamsError, ValueError)
    with pytest.raises(ValueError):
        load_params(tmp_path / "missing.yaml")


def test_params_are_frozen(tmp_path, raw):
    params = load_params(write(tmp_path, copy.deepcopy(raw)))
    with pytest.raises(pydantic.ValidationError):
        params.cycle = "2030-01"


# --- data rules: severity, freshness, regions ---------------------------------------


def test_default_profile_declares_check_severities_and_rules():
    params = load_params(DEFAULT)
    assert params.data.checks["stale"] == "warn"
    assert params.sources["inventory"].freshness.column == "as_of"
    assert params.sources["inventory"].freshness.max_age_days == 7
    assert params.data.forecast_archive == "forecast_archive"
    assert "Iberia" in params.data.regions


def test_unknown_check_name_is_refused(tmp_path, raw):
    raw["data"]["checks"] = {"stail": "warn"}
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert msg.startswith(f"{path}: data.checks.stail: unknown name 'stail'; expected 'out_of_range', ")
    assert "'stale'" in msg


def test_severity_must_be_block_or_warn(tmp_path, raw):
    raw["sources"]["inventory"]["severity"] = {"stale": "ignore"}
    path = write(tmp_path, raw)
    assert load_error(path) == (f"{path}: sources.inventory.severity.stale: Input should be 'block' or 'warn' (got 'ignore')")


def test_structural_checks_cannot_be_downgraded(tmp_path, raw):
    raw["data"]["checks"] = {"missing_column": "warn"}
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert "data.checks.missing_column: unknown name 'missing_column'" in msg


def test_freshness_column_must_be_a_date_column_of_the_source(tmp_path, raw):
    raw["sources"]["inventory"]["freshness"] = {"column": "on_hand", "max_age_days": 7}
    path = write(tmp_path, raw)
    assert load_error(path) == (
        f"{path}: sources.inventory.freshness.column: 'on_hand' is not a date column of inventory "
        "(its date columns: as_of; leave it out to use the file's modification time)"
    )


def test_region_alias_must_point_at_a_planning_region(tmp_path, raw):
    raw["data"]["region_aliases"] = {"Nordic": "Scandinavia"}
    path = write(tmp_path, raw)
    assert load_error(path) == (
        f"{path}: data.region_aliases.Nordic: 'Scandinavia' is not one of data.regions (DACH, Benelux, Nordics, Iberia) or 'all'"
    )


def test_region_alias_may_point_at_all(tmp_path, raw):
    """'all' (company-wide, e.g. HR's 'gesamt') is always allowed as a region, so also as an alias's target."""
    raw["data"]["region_aliases"] = {"gesamt": "all"}
    assert load_params(write(tmp_path, raw)).data.region_aliases == {"gesamt": "all"}


def test_two_columns_mapped_to_one_is_refused(tmp_path, raw):
    raw["sources"]["sales_history"]["columns"] = {"Menge": "units", "Stueck": "units"}
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert "sources.sales_history" in msg and "maps two of your columns to the same one of ours" in msg


def test_quantiles_must_include_the_three_views(tmp_path, raw):
    raw["demand"]["quantiles"] = [0.05, 0.5, 0.95]
    msg = load_error(write(tmp_path, raw))
    assert "demand.quantiles" in msg and "must include 0.1, 0.5 and 0.9" in msg


# --- sources are read, never written; their values are mapped to ours ---------------


@pytest.mark.parametrize(
    "query, message",
    [
        ("DELETE FROM suppliers", "starts with 'DELETE'"),
        ("drop table suppliers", "starts with 'DROP'"),
        ("SELECT * FROM suppliers; UPDATE suppliers SET on_time_rate = 0", "more than one statement"),
        ("WITH gone AS (DELETE FROM suppliers RETURNING *) SELECT * FROM gone", "contains 'DELETE'"),
    ],
)
def test_a_query_that_writes_is_refused_when_params_load(tmp_path, raw, query, message):
    raw["sources"]["suppliers"]["query"] = query
    path = write(tmp_path, raw)
    msg = load_error(path)
    assert str(path) in msg and "sources.suppliers" in msg, msg
    assert message in msg


def test_a_select_with_write_words_inside_strings_or_names_is_allowed():
    from sop_lib.core.params import read_only_query

    read_only_query(
        "SELECT supplier_id, REPLACE(name, 'Ltd', '') AS updated_name FROM suppliers WHERE note <> 'DELETE me' -- drop later\n;"
    )


def test_values_scale_and_constants_must_name_columns_of_the_source(tmp_path, raw):
    raw["sources"]["pipeline"]["scale"] = {"probabilty": 0.01}
    msg = load_error(write(tmp_path, raw))
    assert "sources.pipeline.scale.probabilty: 'probabilty' is not a column of pipeline" in msg


def test_the_plans_demand_view_is_any_quantile_of_the_draws(tmp_path):
    from sop_lib.core.params import SupplyParams

    assert SupplyParams(scenario="p75").scenario == "p75"
    for bad in ("p0", "p100", "mean", "75"):
        with pytest.raises(ValueError):
            SupplyParams(scenario=bad)
