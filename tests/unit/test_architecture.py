"""ARCHITECTURE.md's tables name exactly the packages and modules in src/mlgate.

The layers themselves are checked by `lint-imports` (import-linter, run by .ci/run); this test
catches the other way the page goes stale: a module added, moved or removed without the page.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "ARCHITECTURE.md"
SRC = ROOT / "src" / "mlgate"
# Not parts of the architecture: the package's own entry points.
ENTRY_POINTS = {"__init__", "__main__"}

_ROW = re.compile(r"^\|\s*`mlgate\.(\w+)`\s*\|(.*)$")
_NAME = re.compile(r"`(\w+)`")


def _table_rows() -> dict[str, list[str]]:
    """Each table row that starts with `mlgate.NAME`: its cells after the first."""
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match:
            name = match.group(1)
            assert name not in rows, f"ARCHITECTURE.md names mlgate.{name} twice"
            rows[name] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def _packages() -> dict[str, set[str]]:
    return {
        d.name: {p.stem for p in d.glob("*.py")} - ENTRY_POINTS
        for d in SRC.iterdir()
        if (d / "__init__.py").is_file()
    }


def _modules() -> set[str]:
    return {p.stem for p in SRC.glob("*.py")} - ENTRY_POINTS


def test_every_package_and_top_level_module_is_in_the_doc_and_nothing_else() -> None:
    named = set(_table_rows())
    present = set(_packages()) | _modules()
    assert sorted(present - named) == [], "in src/mlgate but not in ARCHITECTURE.md's tables"
    assert sorted(named - present) == [], "in ARCHITECTURE.md's tables but not in src/mlgate"


def test_each_package_row_lists_exactly_its_modules() -> None:
    rows = _table_rows()
    for package, modules in sorted(_packages().items()):
        listed = set(_NAME.findall(rows[package][0]))
        assert sorted(modules - listed) == [], f"mlgate.{package}: modules missing from its row"
        assert sorted(listed - modules) == [], f"mlgate.{package}: its row lists missing modules"


def test_the_top_level_modules_are_not_packages_in_the_doc() -> None:
    """A top-level module's row has one cell after its name (what it owns), a package's two."""
    rows = _table_rows()
    for module in _modules():
        assert len(rows[module]) == 2, f"mlgate.{module}: a module row is | name | owns |"
    for package in _packages():
        assert len(rows[package]) == 3, (
            f"mlgate.{package}: a package row is | name | modules | owns |"
        )
