"""Compare metrics with the main-branch baseline and apply the thresholds (writes result.json)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.services.compare import CompareOptions


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base", metavar="REF", help="base branch (default: the PR's base, else main)"
    )
    parser.add_argument(
        "--metrics",
        nargs="+",
        metavar="FILE",
        help="metrics files (default: from dvc.yaml, mlgate.yaml or metrics.json)",
    )
    parser.add_argument(
        "--thresholds",
        metavar="YAML",
        help="thresholds as a YAML file or inline YAML (overrides mlgate.yaml)",
    )
    parser.add_argument(
        "--require-baseline",
        action="store_true",
        default=None,
        help="fail when no baseline is found",
    )
    parser.add_argument(
        "--baseline-file",
        metavar="FILE",
        help="read the baseline metrics from this file instead of git",
    )
    parser.add_argument(
        "--remote",
        metavar="NAME",
        default="origin",
        help="git remote to fetch the base branch and the baseline store from (default: origin)",
    )


def options_from(args: argparse.Namespace) -> CompareOptions:
    from mlgate.cli.args import project
    from mlgate.services.compare import CompareOptions

    config, paths = project(args)
    return CompareOptions(
        config=config,
        paths=paths,
        base=args.base,
        metrics=tuple(args.metrics) if args.metrics else None,
        thresholds=args.thresholds,
        require_baseline=args.require_baseline,
        baseline_file=args.baseline_file,
        remote=args.remote,
        config_file=args.config,
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlgate.adapters.git import Git

    git = Git(Path.cwd())
    with git.batched():  # git starts now, while Python imports the service
        from mlgate.adapters.actions import GitHubEnv
        from mlgate.services.compare import run_compare

        run_compare(options_from(args), GitHubEnv.from_env(), git=git)
    return 0
