"""Compare metrics with the main-branch baseline and apply the thresholds (writes result.json)."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", metavar="REF", help="base branch (default: the PR's base, else main)")
    parser.add_argument("--metrics", nargs="+", metavar="FILE", help="metrics files (default: from dvc.yaml, mlgate.yaml or metrics.json)")
    parser.add_argument("--thresholds", metavar="YAML", help="thresholds as a YAML file or inline YAML (overrides mlgate.yaml)")
    parser.add_argument("--require-baseline", action="store_true", default=None, help="fail when no baseline is found")
    parser.add_argument("--baseline-file", metavar="FILE", help="read the baseline metrics from this file instead of git")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
