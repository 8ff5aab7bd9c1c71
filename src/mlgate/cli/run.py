"""Run the whole pipeline: pull, train, compare, report, gate."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.services.pipeline import StepResult


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base", metavar="REF", help="base branch (default: the PR's base, else main)"
    )
    parser.add_argument("--dry-run", action="store_true", help="do not post to GitHub")


def run(args: argparse.Namespace) -> int:
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.adapters.github import connector
    from mlgate.cli.args import project
    from mlgate.cli.output import report_error
    from mlgate.services.pipeline import (
        FAILED,
        STEPS,
        PipelineOptions,
        format_step,
        format_summary,
        run_pipeline,
    )

    config, paths = project(args)
    options = PipelineOptions(
        config=config, paths=paths, config_file=args.config, base=args.base, dry_run=args.dry_run
    )

    def on_start(index: int, name: str) -> None:
        print(f"── mlgate run [{index}/{len(STEPS)}] {name}", flush=True)

    def on_done(index: int, result: StepResult) -> None:
        if result.status == FAILED and result.error is not None:
            report_error(f"step `{result.name}` failed: {result.error.render()}")
        elif result.status == FAILED:
            report_error(f"step `{result.name}` failed with exit code {result.exit_code}")
        print(f"   {format_step(result)}", flush=True)

    env = GitHubEnv.from_env()
    pipeline = run_pipeline(options, env, on_start=on_start, on_done=on_done,
                            connect=connector(env.api_url, env.token, env.repository))
    print(format_summary(pipeline))
    return pipeline.exit_code
