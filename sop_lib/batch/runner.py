"""The monthly batch: run the five step notebooks in order with papermill.

A cycle is built in ``reports/<cycle>.partial/`` and moved to ``reports/<cycle>/``
only when every step has succeeded, so a failing run never touches a completed
cycle. A completed cycle is replaced only with ``force=True``, and even then the old
one is kept beside it as ``reports/<cycle>.replaced-<timestamp>/``.

Each step reads the artifacts of earlier steps from ``<cycle_dir>/artifacts/`` and
writes its own there (see `ARTIFACTS`); the executed notebook and its HTML report
sit in ``<cycle_dir>/``. Every artifact's sha256 is recorded when written and checked
when read (`sop_lib.core.integrity`); one batch at a time holds a cycle, and its kernels die
with it (`sop_lib.core.runlock`); the reports folder is checked for write access and free
space before any step runs.

The terminal shows only the batch's own lines. Everything else a run says goes to its log,
``<cycle_dir>/sop-run.log`` (`RunLog`, `quiet`): Python warnings, library logging
(papermill, nbclient, nbconvert, traitlets, jupyter_client), the kernels' own output (their
start-up warnings, "KeyboardInterrupt caught in kernel", a crash's last words) and a copy
of every stderr stream the notebooks show. The log is written before the manifest, so it is
part of the cycle and `sop verify` checks it like any other file.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shlex
import shutil
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from sop_lib.batch import kernels
from sop_lib.core import handover, integrity, memory, runlock
from sop_lib.core.contracts import CONTRACTS
from sop_lib.core.handover import (  # noqa: F401 (the batch's names)
    ARTIFACTS,
    DRAWS_FILE,
    POSTERIOR_FILE,
    CycleError,
    step_complete,
)
from sop_lib.core.params import RunParams, changed_sentence, load_params, setting_text
from sop_lib.core.versions import stack_versions
from sop_lib.core.workers import plan_workers

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = PROJECT_ROOT / "notebooks"


@dataclass(frozen=True)
class Step:
    number: int
    notebook: str
    title: str

    @property
    def stem(self) -> str:
        return Path(self.notebook).stem


STEPS: tuple[Step, ...] = (
    Step(1, "01_data_preparation.ipynb", "Data gathering and preparation"),
    Step(2, "02_demand_planning.ipynb", "Demand planning"),
    Step(3, "03_supply_planning.ipynb", "Supply planning"),
    Step(4, "04_pre_sop_reconciliation.ipynb", "Pre-S&OP reconciliation"),
    Step(5, "05_executive_review.ipynb", "Executive S&OP review"),
)

MAX_DETAILS = 10  # lines of an error's detail (e.g. blocking data problems) printed by the CLI


class StepFailed(CycleError):
    """A step's notebook failed: one summary line, then up to `MAX_DETAILS` lines of detail."""

    def __init__(
        self,
        step: Step,
        cell: int | None,
        error: str,
        notebook: Path,
        resume: str,
        details: list[str] | None = None,
        report: Path | None = None,
    ):
        self.step, self.cell, self.error, self.notebook = step, cell, error, notebook
        self.details, self.report = details or [], report
        where = f"cell {cell}" if cell is not None else "start-up"
        kept = f"report of what ran at {report} | " if report else ""
        lines = [
            f"Step {step.number} ({step.title}) failed in {where}: {error} | {kept}"
            f"executed notebook kept at {notebook} | fix the cause, then resume with: {resume} --from-step {step.number}"
        ]
        lines += self.details[:MAX_DETAILS]
        if len(self.details) > MAX_DETAILS:
            lines.append(f"  ... and {len(self.details) - MAX_DETAILS} more: see {report or notebook}")
        super().__init__("\n".join(lines))


# --- the run's log: what is not the batch's own line ---------------------------------

RUN_LOG = "sop-run.log"  # in the cycle folder (`sop init`'s and `sop demo`'s are named in the cli)
BACKTEST_LOG = "sop-backtest.log"
INDEX_LOG = "index.log"  # beside reports/index.html: what building it said, written only when it said something


class RunLog:
    """Where a command's noise goes instead of the terminal.

    File-like (``write``/``flush``) for logging handlers and papermill's ``stderr_file``; the
    open file itself (`file`) becomes the kernels' stdout and stderr. Until `open` names a file
    (a run's folder exists only after its checks) text is held in memory; ``lazy`` opens the
    file at the first noise, so a quiet command leaves no empty log. `note` writes one of our own
    lines (a step starting) for orientation; `written` lists the files that received anything else.
    """

    def __init__(self, title: str):
        self.title = title
        self.written: list[Path] = []
        self.file: io.TextIOWrapper | None = None
        self._path: Path | None = None
        self._held: list[tuple[str, bool]] = []  # (text, ours) before a file is open
        self._start = self._own = 0

    def open(self, path: str | Path, *, lazy: bool = False) -> None:
        self.close_file()
        self._path = Path(path)
        if not lazy or any(not ours for _, ours in self._held):
            self._open_now()

    def _open_now(self) -> None:
        try:
            f = open(self._path, "a", encoding="utf-8", errors="replace", buffering=1)  # held open for the run
        except OSError:  # e.g. its folder is not made yet: keep holding, try again at the next noise or at `close`
            return
        self.file, self._start, self._own = f, os.fstat(f.fileno()).st_size, 0
        held, self._held = self._held, []
        self._put(f"==== {self.title} · {time.strftime('%Y-%m-%d %H:%M:%S')}\n", ours=True)
        for text, ours in held:
            self._put(text, ours)

    def _put(self, text: str, ours: bool) -> None:
        if self.file is None:
            self._held.append((text, ours))
            if not ours and self._path is not None:
                self._open_now()
            return
        self.file.write(text)
        self.file.flush()
        if ours:
            self._own += len(text.encode("utf-8", "replace"))

    def write(self, text: str) -> int:
        if text:
            self._put(text, ours=False)
        return len(text)

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()

    def note(self, line: str) -> None:
        self._put(f"{time.strftime('%H:%M:%S')} {line.rstrip()}\n", ours=True)

    def close_file(self) -> None:
        """Close the file (later text is held until the next `open`); remember it if it holds more than our lines."""
        f, self.file = self.file, None
        if f is not None:
            f.flush()
            size = os.fstat(f.fileno()).st_size  # the kernels wrote into it too
            f.close()
            if size - self._start > self._own and self._path not in self.written:
                self.written.append(self._path)
        self._path = None

    def moved(self, old: Path, new: Path) -> None:
        """A folder holding written logs was renamed (staging to final)."""
        self.written = [new / p.relative_to(old) if p.is_relative_to(old) else p for p in self.written]

    def close(self) -> None:
        if self.file is None and self._path is not None and any(not ours for _, ours in self._held):
            self._open_now()
        self.close_file()
        noise = "".join(text for text, ours in self._held if not ours)
        self._held = []
        if noise:  # no file could take it: better on the terminal than lost
            sys.stderr.write(noise)


_QUIET: list[RunLog] = []


@contextmanager
def quiet(runlog: RunLog):
    """Python warnings and library logging of this process go to ``runlog`` (then closed) instead of
    the terminal; nested use with the same log does nothing more. The kernels' output is sent there
    by `run_steps` and `run_backtest`, which start them."""
    if runlog in _QUIET:
        yield runlog
        return
    handler = logging.StreamHandler(runlog)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.addHandler(handler)  # papermill, nbclient, nbconvert, traitlets, jupyter_client: all propagate here
    _QUIET.append(runlog)
    try:
        with warnings.catch_warnings():  # restores showwarning and the filters on the way out
            warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: runlog.write(
                warnings.formatwarning(message, category, filename, lineno, line)
            )
            yield runlog
    except BaseException as exc:  # the terminal gets the error from the caller; the log keeps it beside its noise
        runlog.note(f"stopped: {type(exc).__name__}: {exc}")
        raise
    finally:
        _QUIET.remove(runlog)
        root.removeHandler(handler)
        runlog.close()


def _tee(log: Callable[[str], None], runlog: RunLog) -> Callable[[str], None]:
    def say(line: str) -> None:
        log(line)
        runlog.note(line)

    return say


# --- one step inside a notebook ----------------------------------------------------


@dataclass
class StepContext:
    step: Step
    params: RunParams
    cycle_dir: Path

    def read(self, name: str) -> pd.DataFrame:
        return handover.read_table(self.cycle_dir, name)

    def write(self, name: str, df: pd.DataFrame) -> None:
        """Hand a table to later steps; a name another step owns is refused (no silent clobbering)."""
        owner = ARTIFACTS.get(name, self.step.number)
        if owner != self.step.number:
            raise KeyError(f"step {self.step.number} may not write {name!r} (written by step {owner})")
        handover.write_table(self.cycle_dir, name, df)

    def export_csv(self, name: str, df: pd.DataFrame) -> str:
        """Write a report's full table as CSV beside the hand-overs and return the link to it,
        relative to the step's HTML report (which sits next to ``artifacts/``)."""
        out = handover.write_csv(self.cycle_dir, name, df)
        return f"{handover.ARTIFACTS_DIR}/{out.name}"

    def source_tables(self) -> dict[str, pd.DataFrame]:
        """Every source table that step 1 handed over, by name (an undeclared one has no rows)."""
        return {name: self.read(name) for name in CONTRACTS}

    def write_netcdf(self, obj, name: str = DRAWS_FILE) -> None:
        """Write draws (xarray Dataset) or a posterior (an xarray DataTree, ArviZ 1's InferenceData) as NetCDF."""
        handover.write_netcdf(self.cycle_dir, obj, name)

    def read_draws(self):
        """The demand draws of step 2 (checked against their checksum), loaded into memory; steps 3
        and 4 are refused first, with what to set, when they would not fit (`core.memory`)."""
        path = handover.artifacts_dir(self.cycle_dir) / DRAWS_FILE
        if self.step.number in memory.DRAW_COPIES and path.exists():
            from sop_lib.demand.drivers import sku_of

            size, series = memory.draws_size(path)
            skus = len({sku_of(u) for u in series})
            workers = plan_workers(self.params.supply.plan_workers, skus) if self.step.number == 4 else 1
            memory.check_step_memory(self.step.number, size, workers)
        return handover.read_draws(self.cycle_dir)

    @property
    def plan_cache(self) -> Path:
        """Where steps 3 and 4 keep the plans they solve, so the same plan is solved once (`supply.solved`)."""
        return self.cycle_dir / handover.PLANS_DIR

    def say_skipped(self) -> None:
        """One sentence naming what this step skips for want of a source (nothing when none is missing)."""
        from sop_lib import data
        from sop_lib.core import reporting

        text = data.skipped(self.params.sources, self.step.number)
        if text:
            reporting.say(text)

    def overrides(self) -> pd.DataFrame:
        """The consensus overrides of the params file (``demand.overrides``), validated; empty when none."""
        from sop_lib import demand

        path = self.params.demand.overrides
        return demand.load_overrides(self.params.base_dir / path) if path else pd.DataFrame()

    def read_previous(self, *names: str) -> tuple[str | None, dict[str, pd.DataFrame]]:
        """The last completed cycle before this one and its tables ``names`` (checked), or ``(None, {})``."""
        return handover.read_previous(self.cycle_dir.parent, self.params.cycle, names)


def open_step(
    number: int,
    *,
    params_file: str,
    cycle_dir: str,
    cycle: str = "",
    prepare_upstream: bool = True,
    overrides: dict[str, Any] | None = None,
) -> StepContext:
    """What a notebook calls first: validated params, the earlier steps' artifacts, the report
    style, and the stakeholders' comments on this step (``comments/<cycle>.yaml``).

    When an analyst opens notebook N on its own, earlier steps may not have run into
    ``cycle_dir`` yet; with ``prepare_upstream`` they are run there first (papermill,
    default parameters), so every notebook works standalone. ``overrides`` (dotted keys, e.g.
    ``{"supply.service_level": 0.98}``) change params for this run only, validated as the file is,
    and the report says so.
    """
    runlock.watch_batch()  # a kernel started by `sop run` dies with it (no orphan sampling on)
    params = load_params(params_file, overrides={"cycle": cycle} if cycle else None, settings=overrides)
    cdir = Path(cycle_dir).resolve()
    cdir.mkdir(parents=True, exist_ok=True)
    stamp, snapshot = cdir / "params.json", params.model_dump_json(indent=2)
    stale = prepare_upstream and stamp.exists() and stamp.read_text() != snapshot
    if stale:  # the sandbox holds another cycle's or profile's results: redo the earlier steps
        print(f"{cdir} was prepared with other parameters; re-running the earlier steps")
    if prepare_upstream:
        stamp.write_text(snapshot)
    missing = list(range(1, number)) if stale else missing_steps(cdir, number)
    if missing:
        if not prepare_upstream:
            raise CycleError(f"{cdir}: step(s) {missing} have not run; run them first")
        first = missing[0]
        print(f"Preparing steps {first}-{number - 1} into {cdir} (their artifacts were missing)...")
        run_steps(
            cdir,
            params_file=str(Path(params_file).resolve()),
            cycle=params.cycle,
            steps=[s for s in STEPS if first <= s.number < number],
            progress=False,
            export=False,
            settings=params.changed,
        )
    from sop_lib.core import reporting
    from sop_lib.executive import records

    reporting.style()
    if params.changed:
        reporting.say(changed_sentence(params.changed))
    reporting.show_comments(records.comments_for(params.base_dir, params.cycle, step=number))
    return StepContext(STEPS[number - 1], params, cdir)


def settings_args(settings: dict[str, Any]) -> str:
    """' --set key=value ...' to repeat a run's settings on the command line ('' for none)."""
    return "".join(f" --set {shlex.quote(f'{k}={setting_text(v)}')}" for k, v in settings.items())


# --- the batch --------------------------------------------------------------------


def run_steps(
    cycle_dir: Path,
    *,
    params_file: str,
    cycle: str,
    steps: list[Step],
    progress: bool = True,
    export: bool = True,
    kernel_name: str = "python3",
    resume: str = "",
    log: Callable[[str], None] = print,
    runlog: RunLog | None = None,
    settings: dict[str, Any] | None = None,
) -> None:
    """Execute ``steps`` into ``cycle_dir``; raise `StepFailed` at the first failing cell.

    The kernels' own output goes to ``runlog`` (by default ``cycle_dir/sop-run.log``), not to the terminal.
    """
    own = runlog is None
    if own:
        runlog = RunLog(f"steps {', '.join(str(s.number) for s in steps)} into {cycle_dir}")
    if runlog.file is None:
        runlog.open(cycle_dir / RUN_LOG)
    try:
        with _as_batch():
            for step in steps:
                _run_step(
                    step,
                    cycle_dir,
                    params_file=params_file,
                    cycle=cycle,
                    progress=progress,
                    export=export,
                    kernel_name=kernel_name,
                    resume=resume,
                    log=_tee(log, runlog),
                    runlog=runlog,
                    settings=settings or {},
                )
    finally:
        if own:
            runlog.close()


@contextmanager
def _as_batch():
    """Mark the kernels papermill starts inside as this batch's: their watchdog ends them if the batch dies."""
    saved = {k: os.environ.get(k) for k in runlock.batch_env()}
    os.environ.update(runlock.batch_env())  # inherited by the kernels
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_step(
    step: Step,
    cycle_dir: Path,
    *,
    params_file: str,
    cycle: str,
    progress: bool,
    export: bool,
    kernel_name: str,
    resume: str,
    log: Callable[[str], None],
    runlog: RunLog,
    settings: dict[str, Any],
) -> None:
    """Execute one step's notebook into ``cycle_dir`` and render its report."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from sop_lib.core import reporting

    out_nb = cycle_dir / step.notebook
    log(f"[step {step.number}/5] {step.title}: running {step.notebook}")
    started, watch = time.perf_counter(), kernels.KernelWatch()
    try:
        pm.execute_notebook(
            str(NOTEBOOKS / step.notebook),
            str(out_nb),
            parameters={
                "params_file": params_file,
                "cycle_dir": str(cycle_dir),
                "cycle": cycle,
                "prepare_upstream": False,
                "overrides": settings,
            },
            cwd=str(NOTEBOOKS),
            kernel_name=kernel_name,
            progress_bar=progress,
            request_save_on_cell_execute=True,
            kernel_manager_class=kernels.kernel_manager(runlog.file, watch),
            stderr_file=runlog,  # a copy of what the notebook shows on stderr (its warnings); the notebook keeps it
        )
    except PapermillExecutionError as exc:
        first, *details = str(exc.evalue).splitlines() or [""]
        report = None
        if export:  # what ran before the failure is what the planner needs (a blocked step 1's data-quality report)
            try:
                report = reporting.export_html(out_nb, cycle_dir / f"{step.stem}.html", title=f"{cycle} · {step.title} (stopped)")
            except Exception:  # noqa: BLE001 - the failure itself is what must be reported
                report = None
        raise StepFailed(
            step,
            exc.cell_index,
            f"{exc.ename}: {first}",
            out_nb,
            resume or f"sop run --cycle {cycle}",
            details=[d for d in details if d.strip()],
            report=report,
        ) from None
    except Exception as exc:  # kernel died, notebook missing...
        error = kernels.failure_text(exc, watch)
        raise StepFailed(step, _running_cell(out_nb), error, out_nb, resume or f"sop run --cycle {cycle}") from None
    finally:
        watch.stop()
    if export:
        reporting.export_html(out_nb, cycle_dir / f"{step.stem}.html", title=f"{cycle} · {step.title}")
    log(f"[step {step.number}/5] done in {time.perf_counter() - started:.0f} s, kernel memory peak {watch.peak_gb:.1f} GB")


def _running_cell(notebook: Path) -> int | None:
    """The cell that was running when the kernel went away: the last one papermill had started
    (None before the first)."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    started = [i for i, c in enumerate(cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def missing_steps(cycle_dir: Path, before: int) -> list[int]:
    """Steps before ``before`` whose hand-over artifacts are not all in ``cycle_dir``."""
    return [s.number for s in STEPS if s.number < before and not step_complete(cycle_dir, s.number)]


def _complete(cycle_dir: Path) -> bool:
    return (cycle_dir / "manifest.json").exists()


MIN_FREE_BYTES = 200 * 1024**2  # a demo cycle takes about 50 MB (most of it the draws); real ones more


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def check_writable(root: Path) -> None:
    """Fail before any step runs if the reports folder cannot be made, written or is nearly full."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CycleError(
            f"cannot create the reports folder {root}: {exc.strerror or exc}; choose another folder with --reports"
        ) from None
    probe = root / f".write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"\0" * 4096)
        probe.unlink()
    except OSError as exc:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass
        raise CycleError(
            f"the reports folder {root} is not writable ({exc.strerror or exc}); "
            "fix its permissions or choose another folder with --reports"
        ) from None
    cycles = sorted(p for p in root.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]") if _complete(p))
    need = max(MIN_FREE_BYTES, 2 * _folder_bytes(cycles[-1]) if cycles else 0)
    free = shutil.disk_usage(root).free
    if free < need:
        basis = f"twice the last completed cycle, {cycles[-1].name}" if cycles and need > MIN_FREE_BYTES else "the minimum"
        raise CycleError(
            f"only {free / 1024**2:,.0f} MB free on the disk of {root}; a cycle needs about "
            f"{need / 1024**2:,.0f} MB ({basis}). Free some space or choose another folder with --reports"
        )


def describe_partial(staging: Path) -> str:
    """What an unfinished run left behind: when it started, which steps finished, which had begun."""
    stamp = staging / "params.json"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp.stat().st_mtime)) if stamp.exists() else "unknown time"
    done = [s.number for s in STEPS if step_complete(staging, s.number)]
    begun = [s.number for s in STEPS if (staging / s.notebook).exists() and s.number not in done]
    text = (
        f"found an unfinished run in {staging} (started {when}): "
        f"{'step(s) ' + ', '.join(map(str, done)) + ' complete' if done else 'no step complete'}"
    )
    return text + (f", step {begun[0]} had begun and did not finish" if begun else "")


def run_cycle(
    params_file: str | Path,
    *,
    cycle: str | None = None,
    reports_root: str | Path = PROJECT_ROOT / "reports",
    from_step: int = 1,
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
    runlog: RunLog | None = None,
    settings: dict[str, Any] | None = None,
    pdf: str = "executive",
) -> Path:
    """Run the monthly cycle; return ``reports/<cycle>/index.html``. ``settings``: `sop run --set`;
    ``pdf``: which reports are also printed to PDF (`PDF_CHOICES`).

    Only ``log``'s lines reach the terminal; warnings, library logging and the kernels' output go to
    ``runlog`` (`quiet`), which writes ``<cycle_dir>/sop-run.log`` once the cycle's folder is made.
    """
    runlog = runlog or RunLog(f"run_cycle {params_file}")
    with quiet(runlog):
        return _run_cycle(
            params_file,
            cycle=cycle,
            reports_root=reports_root,
            from_step=from_step,
            force=force,
            progress=progress,
            log=log,
            runlog=runlog,
            settings=settings or {},
            pdf=pdf,
        )


def _run_cycle(
    params_file: str | Path,
    *,
    cycle: str | None,
    reports_root: str | Path,
    from_step: int,
    force: bool,
    progress: bool,
    log: Callable[[str], None],
    runlog: RunLog,
    settings: dict[str, Any],
    pdf: str,
) -> Path:
    from sop_lib.companies.demo import ensure_demo_company
    from sop_lib.core.params import check_source_files

    params_file = Path(params_file).resolve()
    params = load_params(params_file, overrides={"cycle": cycle} if cycle else None, settings=settings, check_files=False)
    if params.data.demo:
        ensure_demo_company(params.data_folder, params.cycle, params.data.demo_seed)
    check_source_files(params, params_file)
    if not 1 <= from_step <= len(STEPS):
        raise CycleError(f"--from-step must be between 1 and {len(STEPS)}, got {from_step}")
    if pdf not in PDF_CHOICES:
        raise CycleError(f"--pdf must be one of {', '.join(PDF_CHOICES)}, got {pdf!r}")

    root = Path(reports_root).resolve()
    check_writable(root)
    try:
        with runlock.CycleLock(root / f"{params.cycle}.lock") as lock:
            if lock.taken_over is not None:
                _tee(log, runlog)(f"Taking over the lock of {lock.taken_over.describe()}: that process is no longer running.")
            return _run_locked(
                params, params_file, root, from_step=from_step, force=force, progress=progress, log=log, runlog=runlog, pdf=pdf
            )
    except runlock.LockHeld as exc:
        raise CycleError(f"{params.cycle}: {exc}") from None


def _run_locked(
    params: RunParams,
    params_file: Path,
    root: Path,
    *,
    from_step: int,
    force: bool,
    progress: bool,
    log: Callable[[str], None],
    runlog: RunLog,
    pdf: str = "executive",
) -> Path:
    """`run_cycle` once this process holds the cycle's lock."""
    say = _tee(log, runlog)
    from sop_lib.core import reporting
    from sop_lib.executive import views, workbook

    final = root / params.cycle
    staging = root / f"{params.cycle}.partial"
    if _complete(final) and not force:
        raise CycleError(
            f"{final} already holds a completed cycle; it is not overwritten. "
            f"Use --force to replace it (the old one is kept as {params.cycle}.replaced-<time>) or --cycle for another month"
        )
    if staging.exists():
        action = (
            "starting again from step 1 (to keep its finished steps, resume with --from-step N)"
            if from_step == 1
            else f"resuming at step {from_step}"
        )
        say(f"{describe_partial(staging)}; {action}.")
    if from_step == 1:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
    elif not staging.exists() or missing_steps(staging, from_step):
        # No usable failed run to resume: start steps N-5 from a copy of the completed cycle.
        if _complete(final) and force:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(final, staging)
            (staging / "manifest.json").unlink()
        elif not staging.exists():
            raise CycleError(f"nothing to resume: {staging} does not exist; start with --from-step 1")
    runlog.open(staging / RUN_LOG)  # appended to on a resume: one header per run
    missing = missing_steps(staging, from_step)
    if missing:
        raise CycleError(f"cannot resume at step {from_step}: step(s) {missing} have no artifacts in {staging}")

    snapshot = params.model_dump_json(indent=2)
    earlier = staging / "params.json"
    if from_step > 1 and not force and earlier.exists() and earlier.read_text() != snapshot:
        raise CycleError(
            f"the params differ from those steps 1-{from_step - 1} in {staging} ran with "
            f"({earlier}); resume with the same params file, start again with --from-step 1, or use --force"
        )
    earlier.write_text(snapshot)
    started = time.perf_counter()
    resume = f"sop run --params {params_file} --cycle {params.cycle} --reports {root}{settings_args(params.changed)}"
    run_steps(
        staging,
        params_file=str(params_file),
        cycle=params.cycle,
        resume=resume,
        steps=[s for s in STEPS if s.number >= from_step],
        progress=progress,
        log=log,
        runlog=runlog,
        settings=params.changed,
    )
    shutil.rmtree(staging / handover.PLANS_DIR, ignore_errors=True)  # solved plans: for this batch's steps only
    views.build_views(staging, params)  # one page per department declared in params
    reporting.build_index(staging, params, STEPS)
    say(f"Plan workbook: {workbook.write_workbook(staging, params).name}")  # where planners and finance work
    print_reports(staging, [s for s in STEPS if pdf == "all" or (pdf == "executive" and s.number == len(STEPS))], say)
    runlog.note("the cycle's files are complete: the manifest records their checksums, this log's included")
    runlog.close_file()  # the log is part of the cycle now; later noise goes to reports/index.log
    runlog.open(root / INDEX_LOG, lazy=True)
    manifest = {
        "cycle": params.cycle,
        "company": params.company,
        "params_file": str(params_file),
        "finished": pd.Timestamp.now().isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "from_step": from_step,
        "versions": stack_versions(),  # the suite, Python and the packages whose releases move the figures
        "files": integrity.cycle_files(staging),  # sha256 per artifact, report and notebook: `sop verify`
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if final.exists():
        final.rename(root / f"{params.cycle}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
    staging.rename(final)
    runlog.moved(staging, final)
    reporting.build_cycles_index(root)  # reports/index.html: every completed cycle, newest first
    return final / "index.html"


PDF_CHOICES = ("executive", "all", "none")  # which reports a cycle also prints to PDF


def print_reports(cycle_dir: Path, steps: list[Step], log: Callable[[str], None]) -> list[Path]:
    """Each step's report also as PDF (A4, for the board pack); without a Chromium the cycle goes on and says so."""
    from sop_lib.core.printing import PrintError, print_pdf

    done = []
    for step in steps:
        try:
            done.append(print_pdf(cycle_dir / f"{step.stem}.html", cycle_dir / f"{step.stem}.pdf"))
        except PrintError as exc:
            log(f"No PDF of step {step.number}: {exc}")
    if done:
        log(f"PDF for the board pack: {', '.join(p.name for p in done)}")
    return done


BACKTEST_NOTEBOOK = "plan_quality_backtest.ipynb"


def run_backtest(
    params_file: str | Path,
    *,
    cycle: str | None = None,
    months: int | None = None,
    reports_root: str | Path = PROJECT_ROOT / "reports",
    progress: bool = True,
    log: Callable[[str], None] = print,
    runlog: RunLog | None = None,
    settings: dict[str, Any] | None = None,
) -> Path:
    """Replay the months before the cycle (`sop_lib.plan_quality.replay`) into ``reports/backtest-<cycle>/``; return its report.

    The replay runs in a staging folder; an earlier backtest of the same cycle is replaced
    only once the new one has finished, so a failing replay loses nothing. Warnings, library
    logging and the kernel's output go to ``runlog``: ``<folder>/sop-backtest.log``. ``settings``
    (`sop backtest --set`) change params keys for this replay only, as `run_cycle`'s do.
    """
    runlog = runlog or RunLog(f"run_backtest {params_file}")
    with quiet(runlog):
        return _run_backtest(
            params_file,
            cycle=cycle,
            months=months,
            reports_root=reports_root,
            progress=progress,
            log=log,
            runlog=runlog,
            settings=dict(settings or {}),
        )


def _run_backtest(
    params_file: str | Path,
    *,
    cycle: str | None,
    months: int | None,
    reports_root: str | Path,
    progress: bool,
    log: Callable[[str], None],
    runlog: RunLog,
    settings: dict[str, Any],
) -> Path:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from sop_lib.core import reporting

    params_file = Path(params_file).resolve()
    params = load_params(params_file, overrides={"cycle": cycle} if cycle else None, settings=settings, check_files=False)
    if months is not None and not 2 <= months <= 36:
        raise CycleError(f"--months must be between 2 and 36, got {months}")
    root = Path(reports_root).resolve()
    check_writable(root)
    final, staging = root / f"backtest-{params.cycle}", root / f"backtest-{params.cycle}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    runlog.open(staging / BACKTEST_LOG)
    log = _tee(log, runlog)
    out_nb = staging / BACKTEST_NOTEBOOK
    n = months or params.backtest.months
    log(f"[backtest] replaying {n} months before {params.cycle} for each policy: running {BACKTEST_NOTEBOOK}")
    started, watch = time.perf_counter(), kernels.KernelWatch()
    title = f"{params.cycle} · Plan quality: the last {n} months replayed"
    try:
        with _as_batch():
            pm.execute_notebook(
                str(NOTEBOOKS / BACKTEST_NOTEBOOK),
                str(out_nb),
                parameters={
                    "params_file": str(params_file),
                    "cycle": params.cycle,
                    "months": months or 0,
                    "out_dir": str(staging),
                    "overrides": settings,
                },
                cwd=str(NOTEBOOKS),
                progress_bar=progress,
                request_save_on_cell_execute=True,
                kernel_manager_class=kernels.kernel_manager(runlog.file, watch),
                stderr_file=runlog,
            )
    except Exception as exc:  # a cell's error, or the kernel's death (out of memory)
        kept = f" | executed notebook kept at {out_nb}{' | ' + str(final) + ' is unchanged' if final.exists() else ''}"
        if isinstance(exc, PapermillExecutionError):
            first = (str(exc.evalue).splitlines() or [""])[0]
            raise CycleError(f"backtest failed in cell {exc.cell_index}: {exc.ename}: {first}{kept}") from None
        why = kernels.failure_text(exc, watch, "the replay's kernel", kernels.REPLAY_RELIEF)
        raise CycleError(f"backtest failed in cell {_running_cell(out_nb)}: {why}{kept}") from None
    finally:
        watch.stop()
    report = reporting.export_html(out_nb, staging / "backtest.html", title=title)
    log(f"[backtest] done in {time.perf_counter() - started:.0f} s, kernel memory peak {watch.peak_gb:.1f} GB")
    runlog.close_file()  # closed before its folder is renamed
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    runlog.moved(staging, final)
    runlog.open(final / BACKTEST_LOG, lazy=True)
    return final / report.name
