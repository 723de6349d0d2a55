"""Command line: ``sop run`` (the monthly batch), ``sop demo`` (write the demo company) and
``sop verify`` (check a stored cycle's files against its manifest)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sop_lib.params import ParamsError

DEFAULT_PARAMS = "params/default.yaml"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sop", description="Monthly S&OP cycle: five notebooks run by papermill.")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the monthly cycle and render its HTML reports")
    run.add_argument("--params", default=DEFAULT_PARAMS, help=f"params YAML (default {DEFAULT_PARAMS})")
    run.add_argument("--cycle", help="planning cycle YYYY-MM (default: the params file's)")
    run.add_argument("--from-step", type=int, default=1, help="resume a failed run at step N (1-5)")
    run.add_argument("--force", action="store_true", help="replace a completed cycle (the old one is kept aside)")
    run.add_argument("--reports", default="reports", help="folder that holds one sub-folder per cycle")
    run.add_argument("--quiet", action="store_true", help="no per-cell progress bars")
    demo = sub.add_parser("demo", help="write the demo company's source files")
    demo.add_argument("--params", default=DEFAULT_PARAMS)
    verify = sub.add_parser("verify", help="check a stored cycle's files against the checksums in its manifest")
    verify.add_argument("--cycle", required=True, help="the cycle YYYY-MM")
    verify.add_argument("--reports", default="reports", help="folder that holds one sub-folder per cycle")
    return ap


def verify_cycle(cycle_dir: Path) -> int:
    """`sop verify`: one line per problem, 0 when every file is as the run wrote it."""
    from sop_lib import integrity

    problems = integrity.verify(cycle_dir)
    for p in problems:
        print(f"sop verify: {cycle_dir}: {p}", file=sys.stderr)
    if problems:
        print(f"sop verify: {cycle_dir}: {len(problems)} problem(s); the cycle's files are not as its run wrote them",
              file=sys.stderr)
        return 1
    print(f"{cycle_dir}: all files match the manifest's checksums")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from sop_lib.params import load_params
    from sop_lib.pipeline import CycleError, run_cycle

    if args.command == "verify":
        return verify_cycle(Path(args.reports) / args.cycle)
    try:
        if args.command == "demo":
            from sop_lib.demo import write_demo_company

            p = load_params(args.params, check_files=False)
            print(write_demo_company(p.data_folder, p.cycle, p.data.demo_seed))
            return 0
        index = run_cycle(args.params, cycle=args.cycle, reports_root=Path(args.reports), from_step=args.from_step,
                          force=args.force, progress=not args.quiet)
    except (ParamsError, CycleError) as exc:
        print(f"sop: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ParamsError) else 1
    print(f"Cycle complete. Open the reports: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
