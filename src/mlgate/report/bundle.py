"""The report bundle: what a fork PR's run leaves for a trusted ``workflow_run`` to post.

Layout of ``.mlgate/bundle/``: ``manifest.json``, ``result-1.json`` … (the result documents),
``report.md`` (for people; never posted: the poster re-renders from the validated results).
Everything read back is treated as hostile: sizes, names and file types are checked, the
results are validated, and nothing in it decides where the report goes (the PR number and
the head commit come from the workflow_run event) or whether the gate passed:
``core.compare.rejudge`` recomputes every verdict from the bundle's figures with the trusted
checkout's thresholds. The figures themselves, current **and baseline** values alike, stay
the fork's claim: they are not looked up again in the base repository's store (see
docs/guarantees.md, "The fork's report bundle: what its figures are worth").
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.adapters.result_file import write_json
from mlgate.core.result import Result, parse_result
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError

KIND = "mlgate-report-bundle"
VERSION = 1
MANIFEST = "manifest.json"
MAX_FILES = 24
MAX_RESULTS = 20
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def write_bundle(directory: Path, name: str, results: list[Result], report_md: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file() and (old.name == MANIFEST or old.name == "report.md"
                              or re.fullmatch(r"result-\d+\.json", old.name)):
            old.unlink()
    files = []
    for i, result in enumerate(results, 1):
        fname = f"result-{i}.json"
        write_json(directory / fname, bundled_document(result))
        files.append(fname)
    (directory / "report.md").write_text(report_md, encoding="utf-8")
    write_json(directory / MANIFEST, {
        "kind": KIND, "version": VERSION, "name": name, "results": files,
        "report": "report.md", "mlgate_version": __version__,
    })
    return directory


def _bad(message: str, where: str) -> UsageError:
    return UsageError(f"invalid report bundle: {message}", where=where,
                      fix="pass the directory that `mlgate report` saved as .mlgate/bundle/ "
                          "(downloaded with actions/download-artifact)")


class _Reader:
    """Reads the bundle's files, counting the bytes actually read against the total cap (a
    manifest may list one file many times)."""

    def __init__(self) -> None:
        self.total = 0

    def json(self, path: Path, limit: int) -> Any:
        try:
            st = path.lstat()
        except FileNotFoundError as err:
            raise _bad("file missing", str(path)) from err
        if not stat.S_ISREG(st.st_mode):
            raise _bad("not a regular file (symlinks are refused)", str(path))
        if st.st_size > limit:
            raise _bad(f"file larger than {limit} bytes", str(path))
        if self.total + st.st_size > MAX_TOTAL_BYTES:
            raise _bad(f"larger than {MAX_TOTAL_BYTES} bytes in total", str(path))
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        self.total += len(data)
        if len(data) > limit or self.total > MAX_TOTAL_BYTES:
            raise _bad(f"larger than {MAX_TOTAL_BYTES} bytes in total", str(path))
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise _bad(f"not valid JSON ({type(err).__name__})", str(path)) from err


def _is_int(value: Any, expected: int) -> bool:
    """``value == expected`` for a JSON integer: ``true`` and ``1.0`` are not 1."""
    return type(value) is int and value == expected


def bundled_document(result: Result) -> dict[str, Any]:
    """The result as the producer read it, its ``passed`` set by the verdict (fail closed: a
    result that claims to pass while listing failures goes into the bundle as failed)."""
    doc = dict(result.raw) if result.raw else result.to_json()
    if doc.get("passed") is True and not verdict(result).passed:
        doc["passed"] = False
    return doc


def read_bundle(directory: Path) -> tuple[str | None, list[Result]]:
    """Validate and load a bundle: (report name or None, result documents). The results'
    own ``passed`` is not trusted: see ``core.compare.rejudge``."""
    _check_directory(directory)
    reader = _Reader()
    manifest = reader.json(directory / MANIFEST, MAX_MANIFEST_BYTES)
    mwhere = str(directory / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise _bad(f"kind must be {KIND!r}", mwhere)
    if not _is_int(manifest.get("version"), VERSION):
        raise _bad(f"unsupported bundle version {manifest.get('version')!r} (version must be "
                   f"the integer {VERSION})", mwhere)
    files = manifest.get("results")
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_RESULTS:
        raise _bad(f"results must list 1 to {MAX_RESULTS} files", mwhere)
    if len(set(map(str, files))) != len(files):
        raise _bad("results lists a file more than once", mwhere)
    results = []
    for fname in files:
        if not isinstance(fname, str) or not _SAFE_NAME.fullmatch(fname) or fname == MANIFEST:
            raise _bad(f"unsafe result file name {str(fname)[:80]!r}", mwhere)
        path = directory / fname
        doc = reader.json(path, MAX_FILE_BYTES)
        if isinstance(doc, dict):
            if "schema" in doc and not _is_int(doc["schema"], 1):
                raise _bad(f"schema must be the integer 1, got {doc['schema']!r}", str(path))
            if not isinstance(doc.get("passed"), bool):
                doc["passed"] = False  # recomputed anyway; its absence is no reason to refuse
        results.append(parse_result(doc, str(path)))
    name = manifest.get("name")
    return (name if isinstance(name, str) and name else None), results


def _check_directory(directory: Path) -> None:
    where = str(directory)
    try:
        st = directory.lstat()
    except FileNotFoundError as err:
        raise _bad("directory not found", where) from err
    if not stat.S_ISDIR(st.st_mode):
        raise _bad("not a directory (symlinks are refused)", where)
    entries = list(directory.iterdir())
    if len(entries) > MAX_FILES:
        raise _bad(f"more than {MAX_FILES} files", where)
    total = 0
    for entry in entries:
        est = entry.lstat()
        if not stat.S_ISREG(est.st_mode):
            raise _bad("only regular files are allowed", str(entry))
        total += est.st_size
    if total > MAX_TOTAL_BYTES:
        raise _bad(f"larger than {MAX_TOTAL_BYTES} bytes in total", where)
