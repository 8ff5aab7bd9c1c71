"""Run the whole pipeline: pull, train, compare, report, gate."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", metavar="REF", help="base branch (default: the PR's base, else main)")
    parser.add_argument("--dry-run", action="store_true", help="do not post to GitHub")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
