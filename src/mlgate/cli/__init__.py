"""Command-line entry point.

Only argparse is imported here, and only the module of the command that runs: each command
module imports its heavy dependencies (dvc, sklearn, pandas, github) inside its own ``run``,
so that ``mlgate --help`` and ``mlgate compare`` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from types import ModuleType
from typing import NoReturn

from mlgate import __version__
from mlgate.cli.output import report_error
from mlgate.errors import EXIT_INTERNAL, MlgateError

# Command -> its one-line summary: the first line of the docstring of mlgate.cli.<command>
# (a unit test keeps them equal). `mlgate --help` lists them without importing the modules.
SUMMARIES: dict[str, str] = {
    "pull": "Pull the DVC-tracked data (dvc pull).",
    "train": "Train: dvc repro, a user command, or the built-in scikit-learn trainer.",
    "compare": "Compare metrics with the main-branch baseline and apply the thresholds "
    "(writes result.json).",
    "report": "Render the Markdown report; on GitHub post the sticky PR comment and check run.",
    "gate": "Pass or fail the gate from result.json (exit 0 passed, 1 failed).",
    "deploy": "Ship the model when the gate passed: github-release, gto or command; or roll "
    "back.",
    "baseline": "Baseline store: record HEAD's metrics in git notes (refs/notes/mlgate), show, "
    "push, fetch.",
    "run": "Run the whole pipeline: pull, train, compare, report, gate.",
    "demo": "Build a throw-away git+DVC project and run a PR through the whole pipeline.",
    "drift": "Check the current data for drift from the training data (exit 0 none, 1 drift "
    "found).",
    # internal: run by actions/setup/run-step.sh
    "action": "Run one step for the GitHub composite actions (internal: called by "
    "actions/setup/run-step.sh).",
}


class _Commands(Mapping[str, ModuleType]):
    """Command name -> its module (``configure`` and ``run``), imported on first use."""

    def __getitem__(self, name: str) -> ModuleType:
        if name not in SUMMARIES:
            raise KeyError(name)
        return importlib.import_module(f"mlgate.cli.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(SUMMARIES)

    def __len__(self) -> int:
        return len(SUMMARIES)


COMMANDS: Mapping[str, ModuleType] = _Commands()


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: mlgate.yaml when present)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where mlgate writes its files (default: .mlgate)"
    )


# The help formatter of every parser: argparse's own, which sizes the help to the terminal with
# shutil.get_terminal_size() ($COLUMNS, else the terminal, else 80).
WidthFormatter = argparse.HelpFormatter


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command. Given ``argv`` that names a command, only that command's
    parser is built (each parser costs `mlgate compare` milliseconds); else every command
    is listed by name and summary, for ``--help`` and the error naming the valid ones."""
    chosen = _command_in(argv) if argv is not None else None
    if chosen not in SUMMARIES:
        chosen = None
    parser = argparse.ArgumentParser(
        prog="mlgate",
        formatter_class=WidthFormatter,
        description="CI-native MLOps: pull DVC data, train, compare metrics with the "
        "main-branch baseline, report on the PR and gate deployment.",
    )
    parser.add_argument("--version", action="version", version=f"mlgate {__version__}")
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name, help_text in SUMMARIES.items():
        if chosen is not None and name != chosen:
            continue
        cmd_parser = sub.add_parser(name, help=help_text, description=help_text,
                                    formatter_class=WidthFormatter)
        if argv is None or name == chosen:
            module = COMMANDS[name]
            add_common_arguments(cmd_parser)
            module.configure(cmd_parser)
            cmd_parser.set_defaults(handler=module.run)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs: its first word that is not an option (``mlgate`` itself
    takes no option with a value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        raise  # the reader of stdout went away (`mlgate compare | head -1`): see entry()
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
        return EXIT_INTERNAL


# What git and a shell report when the reader of stdout went away: 128 + SIGPIPE.
EXIT_BROKEN_PIPE = 141


def entry() -> NoReturn:
    """The ``mlgate`` console script: `main`, then the exit with its code.

    When the reader of stdout goes away (``mlgate compare | head -1``) the command ends quietly
    with 141, as git does: no traceback and no "Exception ignored" at exit. A command has written
    its files by the time it prints (compare prints after result.json). Stdout is pointed at
    os.devnull, so that the interpreter's own flush at exit cannot fail again (as the Python
    documentation on SIGPIPE recommends)."""
    try:
        try:
            code = main(sys.argv[1:])
        finally:  # argparse's --help and usage errors leave main by SystemExit
            if sys.stdout is not None:  # None when the descriptor was closed (`>&-`)
                sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    sys.exit(code)


if __name__ == "__main__":
    entry()
