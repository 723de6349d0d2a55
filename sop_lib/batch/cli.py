"""Command line: ``sop run`` (the monthly batch), ``sop demo`` (write the demo company),
``sop verify`` (check a stored cycle's files against its manifest), ``sop sources`` (the
data contracts), ``sop init`` (propose a params file for a folder of exports), ``sop
decide`` (record a decision of the meeting) and ``sop backtest`` (replay the last months:
the suite's plans against naive and perfect foresight).

The terminal shows only our own lines. What the libraries and the notebooks' kernels would
print besides (Python warnings, papermill's and Jupyter's logging) goes to the command's log
(`sop_lib.batch.runner.RunLog`): ``<cycle>/sop-run.log``, ``backtest-<cycle>/sop-backtest.log``,
``sop-init.log`` beside the proposed params file, ``sop-demo.log`` in the demo's folder; one
line names it when anything was written there."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import date
from pathlib import Path

from sop_lib.core.params import MONTH, ParamsError, parse_settings
from sop_lib.executive.records import RecordError

DEFAULT_PARAMS = "params/default.yaml"


def _month(text: str) -> str:
    """argparse type for YYYY-MM."""
    if not MONTH.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, e.g. 2026-11, got {text!r}")
    return text


def _settings_option(parser: argparse.ArgumentParser, where: str) -> None:
    """`--set KEY=VALUE`, the same for `sop run` and `sop backtest`."""
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"change a params key for this run only, e.g. --set supply.service_level=0.98 (repeatable; "
        f"validated as the file is, {where})",
    )


def _parser() -> argparse.ArgumentParser:
    from sop_lib.core.versions import version_line

    ap = argparse.ArgumentParser(prog="sop", description="Monthly S&OP cycle: five notebooks run by papermill.")
    ap.add_argument("--version", action="version", version=version_line())
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the monthly cycle and render its HTML reports")
    run.add_argument("--params", default=DEFAULT_PARAMS, help=f"params YAML (default {DEFAULT_PARAMS})")
    run.add_argument("--cycle", help="planning cycle YYYY-MM (default: the params file's)")
    run.add_argument("--from-step", type=int, default=1, help="resume a failed run at step N (1-5)")
    run.add_argument("--force", action="store_true", help="replace a completed cycle (the old one is kept aside)")
    run.add_argument("--reports", default="reports", help="folder that holds one sub-folder per cycle")
    run.add_argument("--quiet", action="store_true", help="no per-cell progress bars")
    run.add_argument(
        "--pdf",
        choices=["executive", "all", "none"],
        default="executive",
        help="reports also printed to PDF for the board pack, A4 (default: the executive review)",
    )
    _settings_option(run, "recorded in the cycle's params.json, shown on the reports")
    demo = sub.add_parser("demo", help="write the demo company's source files")
    demo.add_argument("--params", default=DEFAULT_PARAMS)
    demo.add_argument(
        "--company",
        choices=["demo", "wholesaler"],
        default="demo",
        help="wholesaler: a second company's raw German exports, to try `sop init` on",
    )
    demo.add_argument("--folder", help="where to write them (default: the params file's data folder)")
    demo.add_argument(
        "--cycle", type=_month, help="the cycle YYYY-MM they are exported for (default: the params file's, else this month)"
    )
    demo.add_argument(
        "--skus",
        type=int,
        help="the demo company scaled to about this many SKUs (copies of its range), "
        "with DIR/params.yaml to run it; needs --folder",
    )
    demo.add_argument("--regions", type=int, default=3, help="with --skus: how many of the demo's 3 regions")
    verify = sub.add_parser("verify", help="check a stored cycle's files against the checksums in its manifest")
    verify.add_argument("--cycle", required=True, help="the cycle YYYY-MM")
    verify.add_argument("--reports", default="reports", help="folder that holds one sub-folder per cycle")
    sub.add_parser("sources", help="print every data contract: columns, types, allowed values, meaning")
    dec = sub.add_parser("decide", help="record a decision of the meeting (decisions/<cycle>.yaml beside the params)")
    dec.add_argument("--cycle", required=True, type=_month, help="the cycle the meeting reviewed, YYYY-MM")
    dec.add_argument("--params", default=DEFAULT_PARAMS)
    dec.add_argument("--reports", default="reports", help="folder that holds one sub-folder per cycle")
    dec.add_argument("--id", help="short id, e.g. D3 (default: the next free D<n>)")
    dec.add_argument("--decision", help="what was decided")
    dec.add_argument("--owner", help="who acts on it")
    dec.add_argument("--due", type=_month, help="month it is due, YYYY-MM (default: the month after the cycle)")
    dec.add_argument("--status", choices=["open", "done", "dropped"], default=None)
    dec.add_argument("--rests-on", dest="rests_on", help="the scenario or number it rests on")
    dec.add_argument("--adopts", help="a step-4 scenario of this cycle whose changes enter the plan from next cycle")
    bt = sub.add_parser(
        "backtest",
        help="replay the last months: the suite's plans against naive, the forecaster's limit (demo) and perfect foresight",
    )
    bt.add_argument("--params", default=DEFAULT_PARAMS, help=f"params YAML (default {DEFAULT_PARAMS})")
    bt.add_argument("--cycle", type=_month, help="replay the months before this cycle (default: the params file's)")
    bt.add_argument("--months", type=int, help="months to replay (default: the params file's backtest.months, 12)")
    bt.add_argument("--reports", default="reports", help="folder that gets backtest-<cycle>/")
    bt.add_argument("--quiet", action="store_true", help="no per-cell progress bars")
    _settings_option(bt, "shown on the report")
    init = sub.add_parser("init", help="propose a params file for a folder of exports")
    init.add_argument("folder", help="the folder holding the exports (CSV, Excel, Parquet, SQLite/DuckDB)")
    init.add_argument("--out", help="the params file to write (default FOLDER/params.yaml)")
    init.add_argument("--force", action="store_true", help="replace an existing params file")
    return ap


def decide(args) -> int:
    """`sop decide`: one decision, from flags or (on a terminal) prompts with defaults."""
    import pandas as pd

    from sop_lib.core.params import load_params
    from sop_lib.executive import records as decisions

    p = load_params(args.params, check_files=False)
    taken = decisions.load_decisions(p.base_dir, args.cycle)
    n = 1 + max([int(d.id[1:]) for d in taken if d.id[:1] == "D" and d.id[1:].isdigit()] or [0])
    defaults = {
        "id": f"D{n}",
        "due": (pd.Timestamp(f"{args.cycle}-01") + pd.DateOffset(months=1)).strftime("%Y-%m"),
        "status": "open",
        "rests_on": f"scenario '{args.adopts}'" if args.adopts else "",
    }
    values = {k: getattr(args, k) for k in ("id", "decision", "owner", "due", "status", "rests_on", "adopts")}
    for key in ("id", "decision", "owner", "due", "status", "rests_on"):
        if values[key] is None:
            if sys.stdin.isatty():
                answer = input(f"{key.replace('_', ' ')}" + (f" [{defaults[key]}]" if defaults.get(key) else "") + ": ")
                values[key] = answer.strip() or defaults.get(key)
            else:
                values[key] = defaults.get(key)
    missing = [k for k in ("decision", "owner") if not values[k]]
    if missing:
        raise decisions.RecordError(f"sop decide: {' and '.join('--' + m for m in missing)} needed (no terminal to ask)")
    if values["adopts"]:
        values["expected"] = decisions.expected_effect(Path(args.reports) / args.cycle, values["adopts"])
    path = decisions.record(p.base_dir, args.cycle, decisions.Decision(**{k: v for k, v in values.items() if v is not None}))
    print(f"Recorded {values['id']} in {path}")
    return 0


INIT_LOG = "sop-init.log"  # beside the params file `sop init` writes
DEMO_LOG = "sop-demo.log"  # in the folder `sop demo` writes


def init_params(folder: str, out: str | None, force: bool, runlog=None) -> int:
    """`sop init`: write the proposal, then load it as `sop run` would and say what step 1 will find."""
    from sop_lib.data import onboarding

    if runlog is not None:
        runlog.open((Path(out).parent if out else Path(folder)) / INIT_LOG, lazy=True)
    try:
        path, unmapped = onboarding.init(folder, out, force=force)
    except ValueError as exc:
        print(f"sop init: error: {exc}", file=sys.stderr)
        return 2
    print(f"Proposed {path}; every '# guess' in it is one: check it.")
    print(
        f"Spreadsheets to fill in beside it: {onboarding.overrides_template(_cycle_of(path))} (the demand review's "
        f"consensus overrides) and {onboarding.DECISIONS_TEMPLATE} (the meeting's decisions: copy it to "
        "decisions/<cycle>.xlsx)."
    )
    for line in unmapped:
        print(f"  could not map: {line}")
    verdict = onboarding.try_proposal(path)
    print(
        f"Read as step 1 would: {verdict.sources} sources, {len(verdict.blocking)} blocking problem(s), "
        f"{verdict.warnings} warning(s)."
    )
    for p in verdict.blocking[:10]:
        print(f"  - {p}")
    if len(verdict.blocking) > 10:
        print(f"  ... and {len(verdict.blocking) - 10} more")
    if not verdict.runs:
        print(f"Not ready to run yet. Set these keys in {path}, then sop run --params {path}:")
        for key in verdict.keys:
            print(f"  - {key}")
        return 1
    print(f"Next: sop run --params {path}")
    return 0


def _cycle_of(params_file: Path) -> str:
    import yaml

    return str(yaml.safe_load(params_file.read_text(encoding="utf-8"))["cycle"])


def verify_cycle(cycle_dir: Path) -> int:
    """`sop verify`: one line per problem, 0 when every file is as the run wrote it."""
    from sop_lib.core import integrity

    problems = integrity.verify(cycle_dir)
    for p in problems:
        print(f"sop verify: {cycle_dir}: {p}", file=sys.stderr)
    if problems:
        print(
            f"sop verify: {cycle_dir}: {len(problems)} problem(s); the cycle's files are not as its run wrote them",
            file=sys.stderr,
        )
        return 1
    print(f"{cycle_dir}: all files match the manifest's checksums")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "verify":
        return verify_cycle(Path(args.reports) / args.cycle)
    if args.command == "sources":
        from sop_lib.core.contracts import describe

        print(describe(), end="")
        return 0
    from sop_lib.batch.runner import CycleError, RunLog, quiet

    runlog = RunLog(shlex.join(["sop", *(sys.argv[1:] if argv is None else argv)]))
    try:
        if args.command == "decide":
            return decide(args)
        with quiet(runlog):
            return _quiet_command(args, runlog)
    except (ParamsError, CycleError, RecordError) as exc:
        print(f"sop: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (ParamsError, RecordError)) else 1
    except KeyboardInterrupt:  # Ctrl-C: one line, not the event loop's traceback (the log says where it stopped)
        print("sop: interrupted", file=sys.stderr)
        return 130
    finally:
        if runlog.written:  # one line, on stdout, after the command's last line (its error included)
            what = "Library warnings and kernel messages" if args.command in ("run", "backtest") else "Library warnings"
            print(f"{what} are in {', '.join(map(str, runlog.written))}")


def _quiet_command(args, runlog) -> int:
    """`sop init`, `sop demo`, `sop backtest` and `sop run`, inside `quiet`."""
    from sop_lib.batch.runner import run_cycle
    from sop_lib.core.params import load_params

    if args.command == "init":
        return init_params(args.folder, args.out, args.force, runlog)
    if args.command == "demo":
        from sop_lib.companies.demo import write_demo_company
        from sop_lib.companies.wholesaler import write_wholesaler

        if args.company == "wholesaler":  # needs no params file: it is not the demo's company
            if not args.folder:
                raise ParamsError("sop demo --company wholesaler needs --folder (where to write its exports)")
            runlog.open(Path(args.folder) / DEMO_LOG, lazy=True)
            default = load_params(args.params, check_files=False).cycle if Path(args.params).exists() else None
            print(write_wholesaler(args.folder, args.cycle or default or date.today().strftime("%Y-%m")))
            return 0
        p = load_params(args.params, check_files=False)
        if args.skus is not None:
            from sop_lib.companies.scaled import write_scaled_demo

            if not args.folder:
                raise ParamsError("sop demo --skus needs --folder (where to write the scaled company and its params)")
            runlog.open(Path(args.folder) / DEMO_LOG, lazy=True)
            try:
                params = write_scaled_demo(args.folder, args.cycle or p.cycle, args.skus, args.regions, p.data.demo_seed)
            except ValueError as exc:
                raise ParamsError(f"sop demo: {exc}") from None
            print(f"Wrote the scaled demo company to {args.folder}; run it with: sop run --params {params}")
            return 0
        folder = Path(args.folder) if args.folder else p.data_folder
        runlog.open(folder / DEMO_LOG, lazy=True)
        print(write_demo_company(folder, args.cycle or p.cycle, p.data.demo_seed))
        return 0
    if args.command == "backtest":
        from sop_lib.batch.runner import run_backtest

        report = run_backtest(
            args.params,
            cycle=args.cycle,
            months=args.months,
            reports_root=Path(args.reports),
            progress=not args.quiet,
            runlog=runlog,
            settings=parse_settings(args.settings),
        )
        print(f"Backtest complete. Open the report: {report}")
        return 0
    index = run_cycle(
        args.params,
        cycle=args.cycle,
        reports_root=Path(args.reports),
        from_step=args.from_step,
        force=args.force,
        progress=not args.quiet,
        runlog=runlog,
        settings=parse_settings(args.settings),
        pdf=args.pdf,
    )
    print(f"Cycle complete. Open the reports: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
