"""The README's action tables say what the action.yml files say (tests/gen_action_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests import gen_action_docs as gen

ROOT = Path(__file__).resolve().parents[2]


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def section() -> str:
    text = readme()
    start, end = "<!-- actions:start -->", "<!-- actions:end -->"
    assert text.count(start) == 1 and text.count(end) == 1
    return text[text.index(start) : text.index(end)]


def test_readme_tables_are_generated_from_the_action_files() -> None:
    text = readme()
    assert gen.updated_readme(text) == text, "stale: run `python -m tests.gen_action_docs`"


def test_each_action_has_its_heading_and_every_input_and_output_a_row() -> None:
    text = section()
    for ref, path in gen.action_files():
        action = yaml.safe_load(path.read_text(encoding="utf-8"))
        heading = f"#### `{ref}`"
        assert heading in text, ref
        body = text.split(heading, 1)[1].split("#### ", 1)[0]
        rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", body, flags=re.MULTILINE))
        expected = set(action.get("inputs") or {}) | set(action.get("outputs") or {})
        assert rows == expected, ref


def test_table_cells_keep_their_pipes_escaped() -> None:
    rendered = gen.render_action(
        "x@v1",
        {"description": "d", "inputs": {"a": {"description": "one | two\n three", "default": ""}}},
    )
    assert "| `a` | one \\| two three | — |" in rendered


def test_links_in_the_section_point_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", section()):
        if "://" not in target:
            assert (ROOT / target).exists(), target


def test_check_mode_reports_a_stale_readme_and_the_generator_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(readme().replace("| `extras` |", "| `extra` |", 1), encoding="utf-8")
    monkeypatch.setattr(gen, "README", stale)
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == readme()
