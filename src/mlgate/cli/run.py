"""Run the whole pipeline: pull, train, compare, report, gate."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate.config import load_config
from mlgate.services.pipeline import (
    FAILED,
    STEPS,
    Options,
    StepResult,
    format_step,
    format_summary,
    run_pipeline,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base", metavar="REF", help="base branch (default: the PR's base, else main)"
    )
    parser.add_argument("--dry-run", action="store_true", help="do not post to GitHub")


def run(args: argparse.Namespace) -> int:
    from mlgate.cli import report_error

    root = Path.cwd()
    config = load_config(args.config, root)
    options = Options(config=args.config, out=args.out, base=args.base, dry_run=args.dry_run)

    def on_start(index: int, name: str) -> None:
        print(f"── mlgate run [{index}/{len(STEPS)}] {name}", flush=True)

    def on_done(index: int, result: StepResult) -> None:
        if result.status == FAILED and result.error is not None:
            report_error(f"step `{result.name}` failed: {result.error.render()}")
        elif result.status == FAILED:
            report_error(f"step `{result.name}` failed with exit code {result.exit_code}")
        print(f"   {format_step(result)}", flush=True)

    pipeline = run_pipeline(root, options, config, echo=True, on_start=on_start, on_done=on_done)
    print(format_summary(pipeline))
    return pipeline.exit_code
