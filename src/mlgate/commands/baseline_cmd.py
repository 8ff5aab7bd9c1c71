"""Baseline store: record HEAD's metrics in git notes (refs/notes/mlgate), show, push, fetch."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["record", "show", "push", "fetch"], help="record HEAD's metrics; show a commit's; push/fetch the notes ref")
    parser.add_argument("--metrics", nargs="+", metavar="FILE", help="metrics files (default: as compare)")
    parser.add_argument("--commit", metavar="REV", default="HEAD", help="commit (default: HEAD)")
    parser.add_argument("--remote", metavar="NAME", default="origin", help="git remote for push/fetch (default: origin)")
    parser.add_argument("--push", action="store_true", help="with record: push the notes ref to the remote afterwards")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
