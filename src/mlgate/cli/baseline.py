"""Baseline store: record HEAD's metrics in git notes (refs/notes/mlgate), show, push, fetch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mlgate.adapters.git import Git
from mlgate.cli.compare import working_tree_reader
from mlgate.config import load_config
from mlgate.core.baseline import NOTES_REF, fetch_notes, push_notes, read_note, write_note
from mlgate.core.compare import encode
from mlgate.core.metrics import discover_metrics_files, load_metrics
from mlgate.errors import UsageError


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
    root = Path.cwd()
    git = Git(root)
    git.require_repo()
    if args.action == "fetch":
        ok = fetch_notes(git, args.remote)
        print(f"mlgate baseline: {'fetched' if ok else 'no'} {NOTES_REF} from {args.remote}")
        return 0
    sha = git.rev(args.commit)
    if not sha:
        raise UsageError(f"unknown commit {args.commit!r}", where="--commit")
    config = load_config(args.config, root)
    name = config.model_name(root)
    if args.action == "show":
        note = read_note(git, sha)
        if not note:
            raise UsageError(
                f"no baseline recorded for {sha[:12]}",
                fix="record one with `mlgate baseline record` (on main, after training)",
            )
        print(json.dumps(note, indent=2, sort_keys=True))
        return 0
    if args.action == "push":
        entry = (read_note(git, sha) or {}).get("models", {}).get(name)
        if not entry:
            raise UsageError(f"no baseline recorded for {sha[:12]} and model {name!r}")
        push_notes(git, args.remote, sha, name, entry["metrics"])
        print(f"mlgate baseline: pushed {NOTES_REF} to {args.remote}")
        return 0

    # record: metrics of the working tree, which must belong to the commit recorded.
    read = working_tree_reader(root)
    files, _ = discover_metrics_files(read, config.metrics, args.metrics)
    metrics = {m.name: encode(m.value) for m in load_metrics(files, read, missing_ok=False)}
    if args.push:
        # Start from the remote store so that the push is a fast-forward.
        fetch_notes(git, args.remote)
    write_note(git, sha, name, metrics)
    print(
        f"mlgate baseline: recorded {len(metrics)} metrics of {name!r} for {sha[:12]} "
        f"in {NOTES_REF}"
    )
    if args.push:
        push_notes(git, args.remote, sha, name, metrics)
        print(f"mlgate baseline: pushed {NOTES_REF} to {args.remote}")
    return 0
