"""A step kernel watched as a process: its memory peak on the batch's line, and a kernel the
system kills reported as running out of memory, with the cell and what to change."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from sop_lib.batch import kernels, runner
from sop_lib.batch.runner import CycleError, Step, StepFailed, run_steps

HOLD_400_MB = "import numpy as np, time\nheld = np.ones(50_000_000)  # 400 MB\ntime.sleep(2)"
KILLED = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer sends"


def notebook(folder: Path, *cells: str) -> Step:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    params = nbformat.v4.new_code_cell("params_file = cycle_dir = cycle = ''\nprepare_upstream = False\noverrides = {}")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path = folder / "step.ipynb"
    nbformat.write(nb, path)
    return Step(2, str(path), "A watched step")  # an absolute path: NOTEBOOKS / path is the path


def run(step: Step, cycle_dir: Path) -> list[str]:
    lines: list[str] = []
    run_steps(cycle_dir, params_file="none.yaml", cycle="2026-11", steps=[step], progress=False, export=False, log=lines.append)
    return lines


def test_the_done_line_gives_the_kernels_memory_peak(tmp_path):
    lines = run(notebook(tmp_path, HOLD_400_MB), tmp_path / "cycle")
    done = next(line for line in lines if "done in" in line)
    peak = float(done.split("memory peak ")[1].split(" GB")[0])
    assert 0.4 <= peak < 2.0, done


def test_a_kernel_killed_by_the_system_is_reported_as_out_of_memory_with_its_cell(tmp_path):
    step = notebook(tmp_path, HOLD_400_MB, KILLED)
    with pytest.raises(StepFailed) as err:
        run(step, tmp_path / "cycle")
    text = str(err.value)
    assert "failed in cell 3:" in text  # the cell that was running (after the injected parameters), not "start-up"
    assert "killed by the system (SIGKILL)" in text and "ran out of memory" in text
    assert "demand.draws" in text and "DeadKernelError" not in text
    peak = float(text.split("memory at ")[1].split(" GB")[0])
    assert peak >= 0.4, text


def test_the_memory_of_a_kernel_counts_the_processes_it_started():
    import subprocess
    import sys

    import psutil

    me = psutil.Process()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert kernels.tree_rss(me) >= me.memory_info().rss + psutil.Process(child.pid).memory_info().rss * 0.9
    finally:
        child.kill()
        child.wait()


def test_a_replay_whose_kernel_is_killed_says_so_and_what_to_change(tmp_path, monkeypatch):
    """`sop backtest`'s kernel, ended as the out-of-memory killer ends it, is reported as that, not as DeadKernelError."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    params = nbformat.v4.new_code_cell("params_file = cycle = out_dir = ''\nmonths = 0\noverrides = {}")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(HOLD_400_MB), nbformat.v4.new_code_cell(KILLED)]
    nbformat.write(nb, tmp_path / "replay.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(runner, "BACKTEST_NOTEBOOK", "replay.ipynb")
    default = Path(__file__).resolve().parents[2] / "params" / "default.yaml"
    with pytest.raises(CycleError) as err:
        runner.run_backtest(default, months=2, reports_root=tmp_path / "reports", progress=False, log=lambda line: None)
    text = str(err.value)
    assert "failed in cell 3:" in text and "the replay's kernel was killed by the system (SIGKILL)" in text
    assert "fewer months (--months)" in text and "DeadKernelError" not in text
