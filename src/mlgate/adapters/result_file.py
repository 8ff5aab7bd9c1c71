"""JSON documents on disk: read ``result.json`` (:func:`read_result_doc`) and the atomic
writer every document of ``--out`` uses (:func:`write_json`).

This module moves text only; the typed model and its one parse path (schema check included)
are :mod:`mlgate.core.result`, which services combine with it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mlgate.errors import UsageError

# Above this many metrics result.json is written compact: the json module's C encoder does
# not indent, and its Python one takes ~10 ms per 1,000 rows.
INDENT_LIMIT = 100


def write_json(path: Path, doc: Any) -> None:
    """Write ``doc`` atomically (a reader never sees half a file; mode 0600). NaN and
    infinities are refused: result.json spells them as strings (core.compare.encode)."""
    big = isinstance(doc, dict) and len(doc.get("metrics", ())) > INDENT_LIMIT
    text = json.dumps(doc, indent=None if big else 2, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp: str | None = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                         prefix=f".{path.name}.", delete=False) as fh:
            tmp = fh.name
            fh.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def read_result_doc(path: Path) -> Any:
    """The JSON document of a result file (checked and parsed by ``core.result.parse_result``)."""
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
    return doc
