"""A quiet terminal: `sop` shows only its own lines; Python warnings, library logging and the
kernels' own output go to the command's log, which one line names."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sop_lib.batch.runner import RUN_LOG, RunLog, quiet

SOP = Path(sys.executable).parent / "sop"  # the console script, as a planner runs it
NOISE = re.compile(r"Warning\b|WARNING|Kernel is running over TCP|KeyboardInterrupt|Traceback|nbclient|papermill|traitlets")
SKUS = {"GA-4001": ("Gießkanne 10 l", "30,38", "20,49"), "GA-4002": ("Rasensprenger", "14,78", "7,76")}

# A library that warns while `sop init` reads the exports, whatever the data code does about
# dates: pandas did on months written 12/2023 ("Could not infer format ... dateutil").
WARNING_LIBRARY = """
import functools, warnings
import pandas as pd
_to_datetime = pd.to_datetime
@functools.wraps(_to_datetime)
def to_datetime(*args, **kwargs):
    warnings.warn("Could not infer format (a library warning injected by the test)", UserWarning, stacklevel=2)
    return _to_datetime(*args, **kwargs)
pd.to_datetime = to_datetime
"""


def sop(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SOP), *args], cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True, timeout=180)


def terminal_lines(done: subprocess.CompletedProcess) -> list[str]:
    """What the terminal showed, without tqdm's progress bar (our own, off with --quiet)."""
    text = re.sub(r"Executing:\s*\d+%\|[^|\r\n]*\|[^\]\r\n]*\]", "", done.stdout + "\n" + done.stderr)
    return [line for line in re.split(r"[\r\n]+", text) if line.strip()]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """Two articles' German exports (cp1252, ';', decimal commas), months written 12/2023."""
    folder = tmp_path_factory.mktemp("quiet") / "exports"
    folder.mkdir()
    products = ["Artikelnummer;Bezeichnung;Warengruppe;Status;Listenpreis;Einstandspreis"]
    products += [f"{sku};{name};Garten;aktiv;{price};{cost}" for sku, (name, price, cost) in SKUS.items()]
    (folder / "Artikelstamm.csv").write_text("\n".join(products) + "\n", encoding="cp1252")
    sales = ["Monat;Artikelnummer;Menge;Umsatz"]
    for sku, (_, price, _) in SKUS.items():
        for i in range(24):
            units = 20 + 3 * i
            revenue = f"{units * float(price.replace(',', '.')):.2f}".replace(".", ",")
            sales.append(f"{i % 12 + 1:02d}/{2023 + i // 12};{sku};{units};{revenue}")
    (folder / "Absatz.csv").write_text("\n".join(sales) + "\n", encoding="cp1252")
    return folder


@pytest.fixture(scope="module")
def init(exports):
    lib = exports.parent / "warning_library"
    lib.mkdir()
    (lib / "sitecustomize.py").write_text(WARNING_LIBRARY, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(lib), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return sop("init", "exports", cwd=exports.parent, env=env)


def test_sop_init_says_only_its_own_lines_and_logs_the_warnings_beside_the_params(init, exports):
    assert init.returncode == 0, init.stdout + init.stderr
    lines = terminal_lines(init)
    assert lines[0].startswith("Proposed exports/params.yaml") and (exports / "params.yaml").exists()
    assert not [line for line in lines if NOISE.search(line)], lines
    assert init.stderr == ""
    log = exports / "sop-init.log"
    assert lines[-1] == f"Library warnings are in {Path('exports') / 'sop-init.log'}", "one line names the log"
    text = log.read_text(encoding="utf-8")
    assert text.startswith("==== sop init exports · ") and "UserWarning: Could not infer format" in text


def test_a_failing_sop_run_shows_its_error_and_logs_the_kernel_messages(init, exports):
    """Step 1 starts its kernel and stops on a blocking problem (the sales export lost the column
    the params map to units): the error reaches the terminal, the kernel's chatter the log."""
    assert init.returncode == 0, init.stdout + init.stderr
    broken = exports.parent / "broken"
    shutil.copytree(exports, broken)
    sales = (broken / "Absatz.csv").read_text(encoding="cp1252").splitlines()
    (broken / "Absatz.csv").write_text(
        "\n".join(";".join(r.split(";")[:2] + r.split(";")[3:]) for r in sales) + "\n", encoding="cp1252"
    )
    done = sop("run", "--params", "broken/params.yaml", "--reports", "reports", cwd=exports.parent)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = terminal_lines(done)
    assert not [line for line in lines if NOISE.search(line)], lines
    err = terminal_lines(subprocess.CompletedProcess([], 1, "", done.stderr))
    assert err[0].startswith("sop: error: Step 1 (Data gathering and preparation) failed in cell"), err
    assert "Menge" in done.stderr and "resume with: sop run --params" in err[0], err
    assert all(line.startswith("  ") for line in err[1:]), "then the blocking problems, one a line"
    (partial,) = (exports.parent / "reports").glob("*.partial")
    log = partial / RUN_LOG
    assert done.stdout.splitlines()[-1] == f"Library warnings and kernel messages are in {log}"
    text = log.read_text(encoding="utf-8")
    assert "Kernel is running over TCP" in text, "the kernel's own start-up warning"
    assert "[step 1/5] Data gathering and preparation: running" in text and "stopped: StepFailed: Step 1" in text


# --- the log itself, in this process ------------------------------------------------


def test_quiet_sends_warnings_and_logging_to_the_log_and_restores_both(tmp_path, capsys):
    before = warnings.showwarning
    runlog = RunLog("test")
    with quiet(runlog):
        warnings.warn("held until the log has a file", FutureWarning, stacklevel=1)
        runlog.note("our own line")
        runlog.open(tmp_path / "a.log")
        logging.getLogger("papermill").warning("a library's record")
    assert warnings.showwarning is before and not any(
        isinstance(h, logging.StreamHandler) and h.stream is runlog for h in logging.getLogger().handlers
    )
    assert capsys.readouterr() == ("", "")
    text = (tmp_path / "a.log").read_text(encoding="utf-8")
    assert "FutureWarning: held until the log has a file" in text and "WARNING papermill: a library's record" in text
    assert text.index("held until") < text.index("our own line") < text.index("a library's record")
    assert runlog.written == [tmp_path / "a.log"]


def test_a_lazy_log_is_made_only_for_noise_and_our_lines_alone_do_not_count(tmp_path):
    runlog = RunLog("test")
    runlog.open(tmp_path / "lazy.log", lazy=True)
    runlog.note("our own line")
    runlog.close()
    assert not (tmp_path / "lazy.log").exists() and runlog.written == []
    eager = RunLog("test")
    eager.open(tmp_path / "eager.log")
    eager.note("our own line")
    eager.close_file()
    assert (tmp_path / "eager.log").exists() and eager.written == [], "only our lines: nothing to point at"
    eager.open(tmp_path / "eager.log")
    os.write(eager.file.fileno(), b"a kernel wrote this\n")  # as a kernel does, through the file descriptor
    eager.close()
    assert eager.written == [tmp_path / "eager.log"]
    eager.moved(tmp_path, tmp_path / "final")
    assert eager.written == [tmp_path / "final" / "eager.log"]


def test_noise_with_no_file_to_take_it_reaches_the_terminal_rather_than_being_lost(tmp_path, capsys):
    runlog = RunLog("test")
    runlog.open(tmp_path / "no-such-folder" / "x.log", lazy=True)
    runlog.write("a warning nobody could log\n")
    runlog.close()
    assert capsys.readouterr().err == "a warning nobody could log\n"
