"""Pull the DVC-tracked data (dvc pull)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate.config import load_config


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


def run(args: argparse.Namespace) -> int:
    from mlgate.adapters import dvc as dvc_pull

    cwd = Path.cwd()
    config = load_config(args.config, cwd)
    # Like `dvc pull`, work from any directory of the repository (a monorepo's subproject).
    root = dvc_pull.find_root(cwd)
    where = str(config.path.name if config.path else "mlgate.yaml")
    options = dvc_pull.resolve_options(
        config.pull,
        targets=args.targets,
        remote=args.remote,
        jobs=args.jobs,
        allow_missing=args.allow_missing,
        where=where,
    )
    source = "--targets" if args.targets else f"{where}: pull.targets"
    stats = dvc_pull.pull(
        root,
        dvc_pull.targets_from(cwd, root, options.targets),
        options.remote,
        options.jobs,
        allow_missing=options.allow_missing,
        log=_log,
        target_source=source,
    )
    _log(f"pull: {stats.summary()}")
    for path in stats.added + stats.modified:
        _log(f"pull:   {path}")
    return 0


def _log(message: str) -> None:
    print(f"mlgate: {message}", flush=True)
