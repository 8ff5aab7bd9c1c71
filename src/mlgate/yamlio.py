"""Reading JSON and YAML files with errors that name the file and the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlgate.errors import UsageError


def _loader() -> Any:
    import yaml  # not at module level: `mlgate --help` must not pay for it

    # libyaml's loader is several times faster on big metrics files.
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_text(text: str, where: str) -> Any:
    """Parse JSON (by file extension) or YAML text; ``where`` names the source in errors."""
    if where.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(
                f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}",
                where=where,
                fix="fix the syntax of the file (a JSON linter shows the exact spot)",
            ) from err
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise UsageError(
            f"invalid YAML{at}: {problem}",
            where=where,
            fix="fix the syntax of the file (indentation, quotes, colons)",
        ) from err


def load_file(path: Path, where: str | None = None) -> Any:
    name = where or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise UsageError("file not found", where=name) from err
    except UnicodeDecodeError as err:
        raise UsageError("file is not UTF-8 text", where=name) from err
    except IsADirectoryError as err:
        raise UsageError("is a directory, expected a file", where=name) from err
    return parse_text(text, name)
