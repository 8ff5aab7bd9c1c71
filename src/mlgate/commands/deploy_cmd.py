"""Ship the model when the gate passed: github-release, gto or command."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=["github-release", "gto", "command"], help="deploy target (default: deploy.target in mlgate.yaml)")
    parser.add_argument("--result", metavar="FILE", help="result file (default: .mlgate/result.json)")
    parser.add_argument("--force", action="store_true", help="deploy even when the gate did not pass or HEAD is not on the base branch (shown in logs and report)")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
