"""Render the Markdown report; on GitHub post the sticky PR comment and check run."""

from __future__ import annotations

import argparse

from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--result", metavar="FILE", help="result file (default: .mlgate/result.json)")
    parser.add_argument("--template", metavar="FILE", help="Jinja2 template extending the shipped one")
    parser.add_argument("--name", metavar="NAME", help="report name: comment marker and check run (default: mlgate)")
    parser.add_argument("--merge", nargs="+", metavar="FILE", help="several result files, one section per model")
    parser.add_argument("--dry-run", action="store_true", help="only write report.md and print it")
    parser.add_argument("--from-bundle", metavar="DIR", help="post a report bundle saved by a fork PR run")


def run(args: argparse.Namespace) -> int:
    raise UsageError("not implemented yet")
