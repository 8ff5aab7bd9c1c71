"""Render the Markdown report; on GitHub post the sticky PR comment and check run."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--result", metavar="FILE", help="result file (default: .mlgate/result.json)")
    add("--template", metavar="FILE", help="Jinja2 template extending the shipped one")
    add("--name", metavar="NAME",
        help="report name: comment marker and check run (default: mlgate)")
    add("--merge", nargs="+", metavar="FILE", help="several result files, one section per model")
    add("--dry-run", action="store_true", help="only write report.md and print it")
    add("--from-bundle", metavar="DIR", help="post a report bundle saved by a fork PR run")


def run(args: argparse.Namespace) -> int:
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.config import load_config, out_dir
    from mlgate.errors import UsageError
    from mlgate.report.publish import load_request, publish

    if args.from_bundle and (args.merge or args.result):
        raise UsageError("--from-bundle cannot be combined with --merge or --result",
                         where="--from-bundle")
    if args.merge and args.result:
        raise UsageError("--merge and --result cannot be combined", where="--merge")
    config = load_config(args.config)
    out = out_dir(args.out)
    request = load_request(args, config, out)
    publish(request, GitHubEnv.from_env())
    return 0
