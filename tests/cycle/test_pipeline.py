"""End to end: `sop run` on the demo company, its reports, artifacts, failures and resumes."""

import importlib.metadata
import json
import platform
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sop_lib.batch import cli
from sop_lib.batch.runner import STEPS
from sop_lib.core.handover import ARTIFACTS, artifacts_dir

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "params" / "default.yaml"


@pytest.fixture(scope="module")
def fast_params(tmp_path_factory) -> Path:
    """The demo's params with the fast ets model: the batch, not the model choice, is under test here
    (the notebooks run under nbval with the default choice)."""
    params = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    params["data"]["folder"] = str(ROOT / "data" / "demo")
    params["demand"].update(
        model="ets", method="map", draws=50, tune=50, overrides=str(ROOT / "params" / "overrides" / "2026-11.yaml")
    )
    pfile = tmp_path_factory.mktemp("params") / "fast.yaml"
    pfile.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return pfile


@pytest.fixture(scope="module")
def cycle(tmp_path_factory, fast_params):
    reports = tmp_path_factory.mktemp("reports")
    assert cli.main(["run", "--params", str(fast_params), "--reports", str(reports), "--quiet"]) == 0
    return reports / "2026-11"


def test_cycle_writes_index_and_five_reports_without_code(cycle):
    assert (cycle / "index.html").exists()
    index = (cycle / "index.html").read_text()
    for step in STEPS:
        html = (cycle / f"{step.stem}.html").read_text()
        assert f'href="{step.stem}.html"' in index
        assert "open_step(" not in html and "import " not in html, f"{step.stem}.html shows code"
        assert "Traceback" not in html
        assert (cycle / step.notebook).exists(), "the executed notebook is kept as the audit record"
    assert "Revenue plan, next 12 months" in index, "index carries the headline KPIs"
    manifest = json.loads((cycle / "manifest.json").read_text())
    assert manifest["cycle"] == "2026-11"
    # what the figures were made with: a later release of PyMC or pandas can move them
    assert manifest["versions"]["python"] == platform.python_version()
    assert manifest["versions"]["pymc"] == importlib.metadata.version("pymc")
    assert manifest["versions"]["sop-workbooks"] == importlib.metadata.version("sop-workbooks")


def test_every_chart_report_embeds_its_images(cycle):
    for stem in ("02_demand_planning", "03_supply_planning", "04_pre_sop_reconciliation", "05_executive_review"):
        html = (cycle / f"{stem}.html").read_text()
        assert html.count("data:image/png;base64") >= 2, stem
        assert "<Figure size" not in html, stem


def test_every_declared_artifact_is_written(cycle):
    written = {p.stem for p in artifacts_dir(cycle).glob("*.parquet")}
    assert set(ARTIFACTS) <= written
    assert (artifacts_dir(cycle) / "demand_draws.nc").exists()


def test_forecast_artifact_has_three_views_per_sku_and_month(cycle):
    fc = pd.read_parquet(artifacts_dir(cycle) / "demand_forecast.parquet")
    assert {"unique_id", "ds", "mean", "p10", "p50", "p90", "sku", "region", "family"} <= set(fc.columns)
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()
    assert fc["ds"].nunique() == 12
    assert "ESP-PRO-300" in set(fc["sku"]), "the new product is planned"
    assert "GRN-CLASSIC-10" not in set(fc["sku"]), "the discontinued SKU stops"


def test_demo_situation_is_visible_in_the_numbers(cycle):
    burn = pd.read_parquet(artifacts_dir(cycle) / "backlog_burndown.parquet")
    orders = pd.read_parquet(artifacts_dir(cycle) / "open_orders.parquet")
    assert orders.loc[orders["status"] == "backordered", "customer_id"].nunique() == 4000
    assert burn["all_waiting_customers"].iloc[-1] == 0, "the plan clears the backlog within the horizon"
    risk = pd.read_parquet(artifacts_dir(cycle) / "supplier_risk.parquet")
    thermo = risk[risk["supplier_name"] == "ThermoCore s.r.o."].iloc[0]
    assert thermo["status"] == "red" and thermo["single_source"] and thermo["revenue_at_risk_eur"] > 1e6
    decisions = pd.read_parquet(artifacts_dir(cycle) / "decisions.parquet")
    assert decisions["decision"].str.contains("second source").any()
    launch = pd.read_parquet(artifacts_dir(cycle) / "launch_scenarios.parquet")
    assert list(launch["launch_delay_months"]) == [0, 3]


def test_every_declared_view_is_a_page_scoped_as_declared(cycle):
    declared = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))["views"]
    index = (cycle / "index.html").read_text(encoding="utf-8")
    pages = sorted((cycle / "views").glob("*.html"))
    assert len(pages) == len(declared) and all(f'href="views/{p.name}"' in index for p in pages)
    procurement = (cycle / "views" / "procurement.html").read_text(encoding="utf-8")
    assert "ThermoCore s.r.o." in procurement and "MetalForm" not in procurement  # scoped to its two suppliers
    assert "company-wide" in (cycle / "views" / "sales-nordics.html").read_text(encoding="utf-8")


def test_step_4_answers_every_declared_what_if_side_by_side(cycle):
    declared = [s["name"] for s in yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))["scenarios"]]
    results = pd.read_parquet(artifacts_dir(cycle) / "scenario_results.parquet")
    assert list(dict.fromkeys(results["scenario"])) == ["base", *declared]
    r = results.set_index(["scenario", "metric"])
    assert (r["p10"] <= r["p50"]).all() and (r["p50"] <= r["p90"]).all()
    # the supplier rated high risk failing for four months costs money and service on every view
    thermo = r.loc["ThermoCore fails in January"]
    assert thermo.loc["operating_profit_eur", "delta_p90"] < 0 and thermo.loc["fill_rate", "delta_p90"] < 0
    html = (cycle / "04_pre_sop_reconciliation.html").read_text(encoding="utf-8")
    assert "Change against the plan, draw by draw" in html and "chance of the revenue target" in html


def test_rerun_refuses_to_overwrite_a_completed_cycle(cycle, capsys):
    before = (cycle / "manifest.json").read_text()
    assert cli.main(["run", "--reports", str(cycle.parent), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "already holds a completed cycle" in err and "--force" in err
    assert (cycle / "manifest.json").read_text() == before


def test_failing_step_stops_with_one_line_and_keeps_the_completed_cycle(cycle, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    sales = pd.read_csv(data / "sales_history.csv")
    sales.loc[3, "units"] = -5
    sales.to_csv(data / "sales_history.csv", index=False)
    params = yaml.safe_load(DEFAULT.read_text())
    params["data"] = {"folder": str(data), "demo": False}
    pfile = tmp_path / "broken.yaml"
    pfile.write_text(yaml.safe_dump(params))
    before = (cycle / "manifest.json").read_text()

    assert cli.main(["run", "--params", str(pfile), "--reports", str(cycle.parent), "--quiet", "--force"]) == 1
    summary, *problems = capsys.readouterr().err.strip().splitlines()
    assert "Step 1 (Data gathering and preparation) failed in cell" in summary
    assert "--from-step 1" in summary and f"--params {pfile}" in summary, "the resume hint repeats the planner's own params"
    assert len(problems) == 1, "then every blocking problem, one a line"
    assert "sales_history.csv" in problems[0] and "'units'" in problems[0] and "line 5" in problems[0]
    partial = cycle.parent / "2026-11.partial"
    assert (partial / "01_data_preparation.ipynb").exists()
    report = (partial / "01_data_preparation.html").read_text()
    assert f"report of what ran at {partial / '01_data_preparation.html'}" in summary
    assert "The step stopped here." in report and "Traceback" not in report and "line 5" in report, (
        "a blocked step 1 still renders its data-quality report, when it is needed most"
    )
    assert (cycle / "manifest.json").read_text() == before, "a failing run never touches the completed cycle"


def test_resume_refuses_when_earlier_artifacts_are_missing(tmp_path, capsys):
    assert cli.main(["run", "--reports", str(tmp_path), "--from-step", "3", "--quiet"]) == 1
    assert "nothing to resume" in capsys.readouterr().err


def test_force_from_step_four_rebuilds_the_tail_and_keeps_the_old_cycle(cycle, fast_params):
    reports = cycle.parent
    run = ["run", "--params", str(fast_params), "--reports", str(reports)]
    assert cli.main([*run, "--from-step", "4", "--force", "--quiet"]) == 0
    assert json.loads((cycle / "manifest.json").read_text())["from_step"] == 4
    assert list(reports.glob("2026-11.replaced-*")), "the replaced cycle is kept aside"


def test_bad_params_file_fails_before_any_notebook(tmp_path, capsys):
    params = yaml.safe_load(DEFAULT.read_text())
    params["demand"]["drawz"] = 10
    params["data"]["folder"] = str(ROOT / "data" / "demo")
    pfile = tmp_path / "bad.yaml"
    pfile.write_text(yaml.safe_dump(params))
    assert cli.main(["run", "--params", str(pfile), "--reports", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: demand.drawz: unknown key" in err
    assert not (tmp_path / "r").exists()


# --- integrity and the reports folder ------------------------------------------------


def test_manifest_lists_a_checksum_per_file_and_sop_verify_checks_them(cycle, capsys):
    files = json.loads((cycle / "manifest.json").read_text())["files"]
    assert "index.html" in files and "artifacts/supply_plan.parquet" in files and "artifacts/demand_draws.nc" in files
    assert all(len(h) == 64 for h in files.values())
    assert not (cycle / "solved_plans").exists() and not any(f.startswith("solved_plans") for f in files)  # batch-only
    assert cli.main(["verify", "--cycle", "2026-11", "--reports", str(cycle.parent)]) == 0
    assert "all files match" in capsys.readouterr().out


def test_a_corrupted_artifact_stops_the_step_that_reads_it_and_sop_verify_flags_it(cycle, fast_params, capsys):
    path = artifacts_dir(cycle) / "supply_plan.parquet"
    original = path.read_bytes()
    try:
        pd.read_parquet(path).assign(production=0.0).to_parquet(path, index=False)
        assert cli.main(["verify", "--cycle", "2026-11", "--reports", str(cycle.parent)]) == 1
        err = capsys.readouterr().err
        assert "changed: artifacts/supply_plan.parquet" in err and "1 problem(s)" in err

        run = ["run", "--params", str(fast_params), "--reports", str(cycle.parent)]
        assert cli.main([*run, "--from-step", "4", "--force", "--quiet"]) == 1
        err = capsys.readouterr().err
        assert "Step 4 (Pre-S&OP reconciliation) failed" in err and "IntegrityError" in err
        assert "supply_plan.parquet has changed since step 3 wrote it" in err
    finally:
        path.write_bytes(original)
    assert cli.main(["verify", "--cycle", "2026-11", "--reports", str(cycle.parent)]) == 0


def test_an_unwritable_reports_folder_fails_before_any_step(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports folder should be")
    assert cli.main(["run", "--reports", str(blocker / "reports"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cannot create the reports folder" in err and "--reports" in err
    assert "[step" not in capsys.readouterr().out


def test_a_nearly_full_disk_fails_before_any_step(tmp_path, capsys, monkeypatch):
    from collections import namedtuple

    from sop_lib.batch import runner as pipeline

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(pipeline.shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 50 * 1024**2, 50 * 1024**2))
    assert cli.main(["run", "--reports", str(tmp_path / "r"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "only 50 MB free" in err and "needs about 200 MB" in err
    assert not list((tmp_path / "r").glob("2026-11*")), "nothing was started"


def test_a_long_list_of_problems_is_cut_at_ten_lines_and_points_at_the_report(tmp_path):
    from sop_lib.batch.runner import StepFailed

    details = [f"  - problem {i}" for i in range(15)]
    msg = str(
        StepFailed(
            STEPS[0],
            6,
            "DataError: 15 blocking data problem(s)",
            tmp_path / "01.ipynb",
            "sop run",
            details=details,
            report=tmp_path / "01.html",
        )
    ).splitlines()
    assert len(msg) == 12 and msg[1] == "  - problem 0" and msg[10] == "  - problem 9"
    assert msg[11] == f"  ... and 5 more: see {tmp_path / '01.html'}"


def test_a_key_set_for_one_run_changes_its_figures_and_every_report_says_so(cycle, fast_params, tmp_path):
    """`sop run --set supply.service_level=0.8`: steps 3-5 again on a copy, against the same params file."""
    reports = tmp_path / "reports"
    shutil.copytree(cycle, reports / cycle.name)
    argv = ["run", "--params", str(fast_params), "--reports", str(reports), "--from-step", "3", "--force", "--quiet"]
    assert cli.main([*argv, "--set", "supply.service_level=0.8"]) == 0
    lower = reports / cycle.name
    recorded = json.loads((lower / "params.json").read_text())
    assert recorded["changed"] == {"supply.service_level": 0.8} and recorded["supply"]["service_level"] == 0.8
    line = "Changed for this run (not in the params file): supply.service_level = 0.8."
    assert line in (lower / "03_supply_planning.html").read_text() and line in (lower / "index.html").read_text()
    assert line not in (cycle / "index.html").read_text()
    promise = pd.read_parquet(lower / "artifacts" / "service_promise.parquet")
    assert (promise["target"] == 0.8).all()
    stock = {c: pd.read_parquet(c / "artifacts" / "supply_plan.parquet")["inventory"].sum() for c in (cycle, lower)}
    assert stock[lower] < stock[cycle]  # a lower target holds less stock
    assert cli.main([*argv, "--set", "supply.service_level=1.5"]) == 2  # refused as the file would be


def test_the_plan_workbook_holds_each_hand_overs_values(cycle):
    import openpyxl

    from sop_lib.executive import workbook

    wb = openpyxl.load_workbook(cycle / "plan.xlsx", read_only=True)
    assert wb.sheetnames == ["Cover", *[s.title for s in workbook.SHEETS]]
    for sheet in workbook.SHEETS:
        table = workbook.sheet_table(sheet, pd.read_parquet(cycle / "artifacts" / f"{sheet.artifact}.parquet"))
        rows = list(wb[sheet.title].iter_rows(min_row=2, values_only=True))
        got = pd.DataFrame(rows, columns=list(table.columns))
        assert len(got) == len(table), sheet.title
        for col in table.columns:
            want = table[col]
            if pd.api.types.is_datetime64_any_dtype(want):
                assert (pd.to_datetime(got[col]) == want).all(), (sheet.title, col)
            elif pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
                # to Excel's precision: a cell holds 15 significant digits
                g, w = got[col].astype(float).to_numpy(), want.to_numpy(float)
                assert np.allclose(g, w, rtol=1e-14, atol=0, equal_nan=True), (sheet.title, col)
            else:
                assert got[col].fillna("").tolist() == want.fillna("").tolist(), (sheet.title, col)


def test_the_executive_review_is_also_a_pdf_on_a4_with_every_chart_whole(cycle):
    from tests.core.pdf_pages import A4, images_per_page

    images, sizes = images_per_page(cycle / "05_executive_review.pdf")
    assert 1 <= len(sizes) <= 4 and all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes)
    assert sum(len(p) for p in images) >= 2  # the charts are there
    for page, (w, h) in zip(images, sizes):
        assert all(b[0] >= -0.5 and b[1] >= -0.5 and b[2] <= w + 0.5 and b[3] <= h + 0.5 for b in page)
    assert not (cycle / "03_supply_planning.pdf").exists()  # every step only with --pdf all
    assert "05_executive_review.pdf" in json.loads((cycle / "manifest.json").read_text())["files"]
