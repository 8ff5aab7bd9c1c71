"""Command-line entry point.

Only argparse and the light command modules are imported here; every command imports its
heavy dependencies (dvc, sklearn, pandas, github) inside its own ``run`` so that
``mlgate --help`` and ``mlgate compare`` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from mlgate import __version__
from mlgate.cli import (
    baseline,
    compare,
    demo,
    deploy,
    gate,
    pull,
    report,
    run,
    train,
)
from mlgate.errors import EXIT_SERVICE, MlgateError

COMMANDS: dict[str, ModuleType] = {
    "pull": pull,
    "train": train,
    "compare": compare,
    "report": report,
    "gate": gate,
    "deploy": deploy,
    "baseline": baseline,
    "run": run,
    "demo": demo,
    "drift": __import__("mlgate.cli.drift", fromlist=["drift"]),
}


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: mlgate.yaml when present)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where mlgate writes its files (default: .mlgate)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlgate",
        description="CI-native MLOps: pull DVC data, train, compare metrics with the "
        "main-branch baseline, report on the PR and gate deployment.",
    )
    parser.add_argument("--version", action="version", version=f"mlgate {__version__}")
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name, module in COMMANDS.items():
        doc = (module.__doc__ or "").strip().splitlines()
        help_text = doc[0] if doc else name
        cmd_parser = sub.add_parser(name, help=help_text, description=help_text)
        add_common_arguments(cmd_parser)
        module.configure(cmd_parser)
        cmd_parser.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except MlgateError as err:
        report_error(err.render())
        return err.exit_code
    except KeyboardInterrupt:
        report_error("interrupted")
        return 130
    except Exception as err:
        if os.environ.get("MLGATE_DEBUG"):
            raise
        report_error(
            f"internal error: {type(err).__name__}: {err}\n"
            "This is a bug in mlgate. Re-run with MLGATE_DEBUG=1 for the traceback "
            "and report it."
        )
        return EXIT_SERVICE


def report_error(text: str) -> None:
    """Print an error; on GitHub Actions also as an ``::error::`` annotation."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # Annotations are one line; GitHub decodes %0A as a newline.
        encoded = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::error title=mlgate::{encoded}", file=sys.stderr)
    else:
        print(f"mlgate: error: {text}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
