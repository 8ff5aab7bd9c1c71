"""Baseline store: record HEAD's metrics in git notes (refs/notes/mlgate), show, push, fetch."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["record", "show", "push", "fetch"],
        help="record HEAD's metrics; show a commit's record; push or fetch the store",
    )
    parser.add_argument(
        "--metrics", nargs="+", metavar="FILE", help="metrics files (default: as compare)"
    )
    parser.add_argument("--commit", metavar="REV", default="HEAD", help="commit (default: HEAD)")
    parser.add_argument(
        "--remote", metavar="NAME", default="origin", help="git remote (default: origin)"
    )
    parser.add_argument(
        "--push", action="store_true", help="with record: push the store to the remote afterwards"
    )


def run(args: argparse.Namespace) -> int:
    from mlgate.adapters.git import Git
    from mlgate.adapters.notes import NotesStore
    from mlgate.config import load_config
    from mlgate.services.baseline import BaselineOptions, run_baseline

    root = Path.cwd()
    options = BaselineOptions(
        action=args.action,
        root=root,
        config=load_config(args.config, root),
        commit=args.commit,
        remote=args.remote,
        metrics=tuple(args.metrics) if args.metrics else None,
        push=args.push,
    )
    git = Git(root)
    run_baseline(options, git=git, store=NotesStore(git, args.remote))
    return 0
