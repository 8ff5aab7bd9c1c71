"""Generate the README's tables of action inputs and outputs from the action.yml files.

    python -m tests.gen_action_docs          # rewrite the tables in README.md
    python -m tests.gen_action_docs --check  # exit 1 when README.md is out of date

Only the part of README.md between ``<!-- actions:tables:start -->`` and
``<!-- actions:tables:end -->`` is rewritten; tests/unit/test_action_docs.py keeps it true.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- actions:tables:start -->"
END = "<!-- actions:tables:end -->"
ORDER = ("setup", "pull", "train", "compare", "report", "gate", "deploy")


def action_files() -> list[tuple[str, Path]]:
    """(uses: reference, path), the all-in-one first, then the steps in pipeline order."""
    found = [("mlgate/mlgate@v1", ROOT / "action.yml")]
    steps = {p.parent.name: p for p in ROOT.glob("actions/*/action.yml")}
    for name in [*ORDER, *sorted(set(steps) - set(ORDER))]:
        if name in steps:
            found.append((f"mlgate/mlgate/actions/{name}@v1", steps[name]))
    return found


def cell(text: Any) -> str:
    """One Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def render_action(ref: str, action: dict[str, Any]) -> str:
    lines = [f"#### `{ref}`", "", cell(action.get("description", "")), ""]
    inputs = action.get("inputs") or {}
    if inputs:
        lines += ["| Input | Description | Default |", "|---|---|---|"]
        for name, spec in inputs.items():
            default = str(spec.get("default", ""))
            shown = f"`{cell(default)}`" if default else "—"
            lines.append(f"| `{name}` | {cell(spec.get('description', ''))} | {shown} |")
        lines.append("")
    outputs = action.get("outputs") or {}
    if outputs:
        lines += ["| Output | Description |", "|---|---|"]
        for name, spec in outputs.items():
            lines.append(f"| `{name}` | {cell(spec.get('description', ''))} |")
        lines.append("")
    return "\n".join(lines)


def render_tables() -> str:
    parts = []
    for ref, path in action_files():
        action = yaml.safe_load(path.read_text(encoding="utf-8"))
        parts.append(render_action(ref, action))
    return "\n".join(parts).rstrip("\n")


def split_readme(text: str) -> tuple[str, str, str]:
    """(before, tables, after); raises ValueError when the markers are missing."""
    start = text.index(START) + len(START)
    end = text.index(END, start)
    return text[:start], text[start:end], text[end:]


def updated_readme(text: str) -> str:
    before, _, after = split_readme(text)
    return f"{before}\n{render_tables()}\n{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.gen_action_docs")
    parser.add_argument("--check", action="store_true", help="only check, exit 1 when stale")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = updated_readme(text)
    if args.check:
        if new != text:
            print("README.md action tables are stale: run python -m tests.gen_action_docs")
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: action tables updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
