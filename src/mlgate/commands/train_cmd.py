"""Train: dvc repro, a user command, or the built-in scikit-learn trainer."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--command", metavar="CMD", help="run this command instead of the configured trainer")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
