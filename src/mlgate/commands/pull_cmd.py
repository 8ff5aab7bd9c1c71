"""Pull the DVC-tracked data (dvc pull)."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", nargs="*", metavar="TARGET", help="DVC targets to pull (default: all)")
    parser.add_argument("--remote", "-r", metavar="NAME", help="DVC remote to pull from")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", help="parallel transfer jobs")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
