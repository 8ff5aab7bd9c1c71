"""``result.json`` read and written by the services: the file I/O of ``adapters.result_file``
joined with the typed model and its one parse path, ``core.result``."""

from __future__ import annotations

from pathlib import Path

from mlgate.adapters.result_file import read_result_doc, write_json
from mlgate.core.result import Result, parse_result


def load_result(path: Path) -> Result:
    """Read, check against the schema and parse a result file (bad input: exit 2, named)."""
    return parse_result(read_result_doc(path), str(path))


def save_result(path: Path, result: Result) -> None:
    write_json(path, result.to_json())
