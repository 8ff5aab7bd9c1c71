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
from mlgate.errors import EXIT_SERVICE, MlgateError

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


class WidthFormatter(argparse.HelpFormatter):
    """argparse's formatter, given the terminal width: argparse finds it with shutil, whose
    imports (bz2, lzma) cost `mlgate compare` milliseconds, for every argument added."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _columns() - 2)


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size() finds it: $COLUMNS, else the
    terminal of stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


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


# Commands whose process may end without tearing the interpreter down (see ``entry``): they
# start no thread, register no exit handler and close every file they write.
QUICK_EXIT = frozenset({"compare", "gate"})


def entry() -> NoReturn:
    """The ``mlgate`` console script. After compare and gate it flushes the output and ends the
    process at once: tearing the interpreter down (freeing every object of a large result,
    module by module) cost ``mlgate compare`` 6-15 ms of its 70 ms, for nothing the OS would
    not do anyway. Every other command exits normally, exit handlers included."""
    argv = sys.argv[1:]
    code = main(argv)
    if _quick_exit(argv):
        for stream in (sys.stdout, sys.stderr):  # None when the descriptor was closed
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                code = code or 120  # what Python exits with when it cannot flush at the end
        os._exit(code)
    sys.exit(code)


def _quick_exit(argv: Sequence[str]) -> bool:
    """Whether ``argv`` runs a QUICK_EXIT command, itself or as ``action STEP``."""
    words = [arg for arg in argv if not arg.startswith("-")]
    if words[:1] == ["action"]:
        words = words[1:]
    # Coverage writes its data in an exit handler.
    return bool(words) and words[0] in QUICK_EXIT and "coverage" not in sys.modules


if __name__ == "__main__":
    entry()
