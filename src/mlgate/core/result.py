"""``result.json``: the versioned document that compare writes and report, gate and deploy read.

The JSON Schema is ``mlgate/schema/result-v1.schema.json``; docs/result-schema.md explains it.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.errors import UsageError

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "result-v1.schema.json"


def build_result(
    *,
    name: str,
    head: dict[str, Any],
    baseline: dict[str, Any],
    comparison: dict[str, Any],
    require_baseline: bool,
    metrics_files: list[str],
    params: list[dict[str, Any]] | None = None,
    data: list[dict[str, Any]] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    errors = list(errors or [])
    if require_baseline and not baseline.get("found"):
        errors.append(
            "no baseline was found and require-baseline is true "
            "(record one on main with `mlgate baseline record`)"
        )
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "mlgate", "version": __version__},
        "name": name,
        "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "passed": bool(comparison["passed"]) and not errors,
        "head": head,
        "baseline": baseline,
        "require_baseline": require_baseline,
        "metrics_files": metrics_files,
        "summary": comparison["summary"],
        "metrics": comparison["metrics"],
        "failed_rules": comparison["failed_rules"] + errors,
        "skipped_rules": comparison["skipped_rules"],
        "params": params or [],
        "data": data or [],
        "errors": errors,
    }


# Above this many metrics result.json is written compact: the indenting encoder is pure Python
# and would dominate the run time of a large comparison.
_INDENT_LIMIT = 1000


def write_json(path: Path, doc: Any) -> None:
    """Write atomically, so a reader never sees half a file."""
    big = isinstance(doc, dict) and len(doc.get("metrics", ())) > _INDENT_LIMIT
    text = json.dumps(doc, indent=None if big else 2, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    os.replace(tmp, path)


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema": int,
    "name": str,
    "passed": bool,
    "head": dict,
    "baseline": dict,
    "summary": dict,
    "metrics": list,
    "failed_rules": list,
}


def validate(doc: Any, where: str) -> dict[str, Any]:
    """Check the parts every reader relies on; errors name the file and key."""
    if not isinstance(doc, dict):
        raise UsageError("result must be a JSON object", where=where)
    if doc.get("schema") != SCHEMA_VERSION:
        raise UsageError(
            f"unsupported result schema {doc.get('schema')!r} (this mlgate reads schema "
            f"{SCHEMA_VERSION})",
            where=f"{where}: schema",
            fix="produce the file with the same mlgate version (`mlgate compare`)",
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(doc.get(key), kind):
            raise UsageError(f"missing or wrong type for {key!r}", where=f"{where}: {key}")
    for i, metric in enumerate(doc["metrics"]):
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
            raise UsageError("each metric needs a string name", where=f"{where}: metrics[{i}]")
        if not isinstance(metric.get("rules", []), list):
            raise UsageError("rules must be a list", where=f"{where}: metrics[{i}].rules")
    return doc


def read_result(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise UsageError(
            "result file not found",
            where=str(path),
            fix="run `mlgate compare` first, or pass --result PATH",
        ) from err
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"invalid JSON at line {err.lineno}: {err.msg}", where=str(path)) from err
    return validate(doc, str(path))


def result_path(out: Path, explicit: str | None = None) -> Path:
    return Path(explicit) if explicit else out / RESULT_FILE
