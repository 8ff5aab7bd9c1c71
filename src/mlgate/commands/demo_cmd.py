"""Build a throw-away git+DVC project and run a PR through the whole pipeline."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", metavar="DIR", help="where to build the demo project (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the demo project afterwards")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
