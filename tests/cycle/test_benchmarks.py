"""The README's benchmark commands run as the Makefile spells them (a wrong flag there broke
`make bench-forecast` once: the engine's default model refused the method it was given)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_recipe(target: str) -> list[str]:
    """The command line of a Makefile target, with the venv's python made this interpreter."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n\t(.+)$", text, flags=re.M)
    assert match, f"Makefile has no target {target!r}"
    line = match.group(1).replace("$(BIN)/python", sys.executable).replace("$(ARGS)", "")
    assert "$(" not in line, f"unexpanded make variable in {line!r}"
    return line.split()


def test_bench_forecast_as_the_makefile_runs_it_prints_the_table():
    cmd = make_recipe("bench-forecast") + ["--datasets", "M1", "--limit", "4"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    for method in ("SeasonalNaive", "Theta", "AutoETS", "Bayesian engine"):
        assert method in out.stdout, f"{method} row missing from:\n{out.stdout}"
    assert "sMAPE" in out.stdout and "cov80" in out.stdout


def test_bench_backtest_as_the_makefile_runs_it_prints_the_split_and_the_summary():
    out = subprocess.run(
        make_recipe("bench-backtest") + ["--months", "2", "--warmup", "1", "--model", "ets", "--method", "map"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "x one forecast of the whole history" in out.stdout and "per policy-month" in out.stdout
    for policy in ("suite", "naive", "perfect"):
        assert policy in out.stdout


def test_bench_cycle_as_the_makefile_spells_it_parses_its_arguments():
    out = subprocess.run(make_recipe("bench-cycle") + ["--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "--skus" in out.stdout and "--regions" in out.stdout


def test_bench_dask_as_the_makefile_spells_it_parses_its_arguments():
    """Its measurement (the same draws on Dask as in-process) is tests/demand/test_demand_partitioned.py's."""
    out = subprocess.run(make_recipe("bench-dask") + ["--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "--skus" in out.stdout and "--max-series" in out.stdout and "--workers" in out.stdout


def test_bench_intermittent_as_the_makefile_runs_it_scores_every_method_against_the_truth():
    out = subprocess.run(
        make_recipe("bench-intermittent") + ["--series", "2", "--draws", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    for method in ("engine trend", "engine ets", "CrostonOptimized", "TSB", "ADIDA"):
        assert method in out.stdout
    assert "closest to the true demand" in out.stdout and "demo niche" in out.stdout
