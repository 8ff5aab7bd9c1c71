"""Command-line entry point.

Only argparse and the light command modules are imported here; every command imports its
heavy dependencies (dvc, sklearn, pandas, github) inside its own ``run`` so that
``mlgate --help`` and ``mlgate compare`` start fast.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from types import ModuleType

from mlgate import __version__
from mlgate.cli import (
    action,
    baseline,
    compare,
    demo,
    deploy,
    drift,
    gate,
    pull,
    report,
    run,
    train,
)
from mlgate.cli.output import report_error
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
    "drift": drift,
    "action": action,  # internal: run by actions/setup/run-step.sh
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


if __name__ == "__main__":
    raise SystemExit(main())
