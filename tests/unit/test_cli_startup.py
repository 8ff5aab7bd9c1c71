"""What `mlgate --help` and `mlgate compare` import (issue 17: they must start fast)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from mlgate.cli import COMMANDS, SUMMARIES, build_parser

# Never on the compare path: the heavy extras, and what only recording or rendering needs.
HEAVY = ("jinja2", "github", "dvc", "numpy", "pandas", "sklearn", "requests", "jsonschema",
         "tempfile", "secrets", "mlgate.report", "mlgate.deploy", "mlgate.train")


def _imported(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(list(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )
    return set(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize("name", list(SUMMARIES))
def test_summaries_are_the_first_line_of_each_command_module(name: str) -> None:
    doc = importlib.import_module(f"mlgate.cli.{name}").__doc__ or ""
    assert SUMMARIES[name] == doc.strip().splitlines()[0]
    assert COMMANDS[name].__name__ == f"mlgate.cli.{name}"


def test_help_imports_no_command_module() -> None:
    modules = _imported(
        "import contextlib, io\nfrom mlgate.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n    except SystemExit: pass"
    )
    assert not {m for m in modules if m.startswith("mlgate.cli.")} - {"mlgate.cli.output"}
    assert not {m for m in modules if m.split(".")[0] in ("yaml", "dataclasses")}


def test_compare_imports_only_what_compare_uses() -> None:
    modules = _imported(
        "from mlgate.cli import build_parser\n"
        "args = build_parser(['compare']).parse_args(['compare'])\n"
        "import mlgate.services.compare, mlgate.cli.args"
    )
    assert {m for m in modules if m.startswith("mlgate.cli.")} <= {
        "mlgate.cli.compare", "mlgate.cli.args", "mlgate.cli.output"}
    assert not [m for m in modules if m.startswith(HEAVY) or m.split(".")[0] in HEAVY]


def test_a_parser_for_one_command_parses_it_as_the_full_one_does() -> None:
    argv = ["compare", "--base", "dev", "--metrics", "a.json", "b.json", "--require-baseline"]
    one, full = build_parser(argv).parse_args(argv), build_parser().parse_args(argv)
    assert vars(one) == vars(full)
    assert set(build_parser(["--help"])._subparsers._group_actions[0].choices) == set(SUMMARIES)
    assert set(build_parser(["nope"])._subparsers._group_actions[0].choices) == set(SUMMARIES)
