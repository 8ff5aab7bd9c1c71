"""Pull the DVC-tracked data (dvc pull)."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--targets", nargs="*", metavar="TARGET", help="DVC targets to pull (default: all)"
    )
    parser.add_argument("--remote", "-r", metavar="NAME", help="DVC remote to pull from")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", help="parallel transfer jobs")
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="skip files missing from the remote (e.g. stage outputs) instead of failing",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="pull_all",
        help="also pull the outputs of dvc.yaml stages, which `dvc repro` regenerates (by "
        "default they are skipped when training runs `dvc repro`)",
    )


def run(args: argparse.Namespace) -> int:
    from mlgate.config import load_config
    from mlgate.services.pull import PullOptions, run_pull

    cwd = Path.cwd()
    options = PullOptions(
        config=load_config(args.config, cwd),
        cwd=cwd,
        targets=tuple(args.targets) if args.targets else None,
        remote=args.remote,
        jobs=args.jobs,
        allow_missing=args.allow_missing,
        pull_all=args.pull_all,
    )
    run_pull(options)
    return 0
