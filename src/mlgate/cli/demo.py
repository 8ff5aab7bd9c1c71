"""Build a throw-away git+DVC project and run a PR through the whole pipeline."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        metavar="DIR",
        help="build the demo project in DIR, new or empty, and keep it "
        "(default: a temporary directory, deleted afterwards)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary demo project afterwards"
    )


def run(args: argparse.Namespace) -> int:
    from mlgate.services.demo import run_demo

    return run_demo(args.dir, args.keep, sys.stdout)
