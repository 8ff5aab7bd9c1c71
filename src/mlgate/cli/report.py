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
    from mlgate.adapters.github import connector
    from mlgate.cli.args import project
    from mlgate.services.report import ReportOptions, run_report

    config, paths = project(args)
    options = ReportOptions(
        config=config,
        paths=paths,
        result_file=args.result,
        merge=tuple(args.merge) if args.merge else None,
        from_bundle=args.from_bundle,
        name=args.name,
        template=args.template,
        dry_run=args.dry_run,
    )
    env = GitHubEnv.from_env()
    run_report(options, env, connect=connector(env.api_url, env.token, env.repository))
    return 0
