"""The command table of `mlgate`: each command's summary is its module's first docstring line,
and the parser built for one command parses it as the full parser does. (What the commands
import: only the heavy extras are checked, in tests/integration/test_packaging.py; their speed
is measured by bench/bench_compare.py.)"""

from __future__ import annotations

import importlib

import pytest

from mlgate.cli import COMMANDS, SUMMARIES, build_parser


@pytest.mark.parametrize("name", list(SUMMARIES))
def test_summaries_are_the_first_line_of_each_command_module(name: str) -> None:
    doc = importlib.import_module(f"mlgate.cli.{name}").__doc__ or ""
    assert SUMMARIES[name] == doc.strip().splitlines()[0]
    assert COMMANDS[name].__name__ == f"mlgate.cli.{name}"


def test_a_parser_for_one_command_parses_it_as_the_full_one_does() -> None:
    argv = ["compare", "--base", "dev", "--metrics", "a.json", "b.json", "--require-baseline"]
    one, full = build_parser(argv).parse_args(argv), build_parser().parse_args(argv)
    assert vars(one) == vars(full)
    assert set(build_parser(["--help"])._subparsers._group_actions[0].choices) == set(SUMMARIES)
    assert set(build_parser(["nope"])._subparsers._group_actions[0].choices) == set(SUMMARIES)
