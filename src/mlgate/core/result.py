"""``result.json``: the versioned document that compare writes and report, gate and deploy read.

:class:`Result` is the typed, immutable form of the document; :func:`load_result` validates and
parses a file, :func:`save_result` writes one (the bytes on disk are those of schema 1: same
keys, same order, same indentation). The JSON Schema is ``mlgate/schema/result-v1.schema.json``;
docs/result-schema.md explains it. Whether a result passes is :func:`mlgate.core.verdict.verdict`.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from mlgate import __version__
from mlgate.errors import UsageError

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "result-v1.schema.json"
SUMMARY_KEYS = (
    "metrics", "regressed", "removed", "new", "improved", "unchanged",
    "rules_passed", "rules_failed", "rules_skipped",
)
# How the report orders metrics of each status (failing metrics always first). It differs on
# purpose from the order of the rows in result.json (core.compare.STATUS_ORDER): both orders
# are pinned by golden files, so neither can follow the other without changing user output.
REPORT_STATUS_RANK = {"regressed": 0, "improved": 1, "new": 2, "removed": 3, "unchanged": 4}

# Optional per-metric keys (noise-aware comparison, core/noise.py), written only when present.
NOISE_KEYS = ("evaluation", "folds", "paired", "spread", "noise_floor", "noise_warning")

# A metric value as written in JSON: a number, "NaN"/"Infinity"/"-Infinity", or null.
JsonValue = float | int | str | None


# What a record without a given mapping holds (a record must not share a mutable default).
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class RuleCheck(NamedTuple):
    """One check a threshold made on one metric (min, max, tolerance or finite)."""

    rule: str
    threshold: str
    limit: JsonValue
    status: str  # passed | failed | skipped
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "threshold": self.threshold, "limit": self.limit,
                "status": self.status, "message": self.message}


_ROW_FIELDS = (
    "name", "file", "baseline", "current", "delta", "relative_delta", "direction",
    "direction_source", "status", "rule", "rules", "passed",
)


class MetricRow:
    """One metric of a result. A plain class with slots rather than a record (a result holds
    one per metric); treat it as immutable. ``noise`` (the NOISE_KEYS the row has) takes no
    part in equality."""

    __slots__ = (*_ROW_FIELDS, "noise", "_source")

    def __init__(
        self, name: str, file: str | None, baseline: JsonValue, current: JsonValue,
        delta: JsonValue, relative_delta: JsonValue, direction: str, direction_source: str,
        status: str, rule: str | None, rules: tuple[RuleCheck, ...], passed: bool,
        noise: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.file = file
        self.baseline = baseline
        self.current = current
        self.delta = delta
        self.relative_delta = relative_delta
        self.direction = direction
        self.direction_source = direction_source
        self.status = status
        self.rule = rule
        self.rules = rules
        self.passed = passed
        self.noise: Mapping[str, Any] = {} if noise is None else noise
        # The row as read, when to_json() would write it back unchanged (see _metric_row):
        # save_result writes it instead of building it again.
        self._source: dict[str, Any] | None = None

    def _fields(self) -> tuple[Any, ...]:
        return (self.name, self.file, self.baseline, self.current, self.delta,
                self.relative_delta, self.direction, self.direction_source, self.status,
                self.rule, self.rules, self.passed)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(_ROW_FIELDS, self._fields(), strict=True))
        return f"MetricRow({shown}, noise={self.noise!r})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "file": self.file, "baseline": self.baseline,
            "current": self.current, "delta": self.delta, "relative_delta": self.relative_delta,
            "direction": self.direction, "direction_source": self.direction_source,
            "status": self.status, "rule": self.rule,
            "rules": [check.to_json() for check in self.rules], "passed": self.passed,
            **self.noise,
        }


class HeadInfo(NamedTuple):
    sha: str | None = None
    ref: str | None = None
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"sha": self.sha, "ref": self.ref, "subject": self.subject}


class BaselineInfo(NamedTuple):
    found: bool
    sha: str | None = None
    source: str | None = None  # committed | store | retrain | file
    base_ref: str | None = None
    merge_base: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"found": self.found, "sha": self.sha, "source": self.source,
                "base_ref": self.base_ref, "merge_base": self.merge_base, "note": self.note}


class ThresholdsInfo(NamedTuple):
    """Whose thresholds were applied: ``baseline`` (mlgate.yaml at the baseline commit), ``head``
    (the PR's own: ``thresholds-from: head``, or none at the baseline) or ``input``
    (``--thresholds``); ``changed``: the PR's changes to them, applied after merge."""

    source: str
    commit: str | None = None
    changed: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "commit": self.commit,
                "changed": [dict(c) for c in self.changed]}


class Summary(NamedTuple):
    metrics: int = 0
    regressed: int = 0
    removed: int = 0
    new: int = 0
    improved: int = 0
    unchanged: int = 0
    rules_passed: int = 0
    rules_failed: int = 0
    rules_skipped: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(zip(SUMMARY_KEYS, self, strict=True))


class ParamChange(NamedTuple):
    name: str
    file: str | None
    baseline: Any
    current: Any
    status: str  # modified | added | deleted

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "baseline": self.baseline,
                "current": self.current, "status": self.status}


class DataChange(NamedTuple):
    path: str
    status: str  # modified | added | deleted
    baseline_md5: str | None = None
    current_md5: str | None = None
    baseline_size: int | None = None
    current_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "baseline_md5": self.baseline_md5,
                "current_md5": self.current_md5, "baseline_size": self.baseline_size,
                "current_size": self.current_size}


class Result(NamedTuple):
    """One comparison, as in result.json. ``raw`` is the document itself: user report
    templates see it (``model.raw``), and a report bundle passes it on unchanged. ``raw``
    takes no part in equality."""

    name: str
    passed: bool
    head: HeadInfo
    baseline: BaselineInfo
    summary: Summary
    metrics: tuple[MetricRow, ...]
    failed_rules: tuple[str, ...]
    skipped_rules: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    params: tuple[ParamChange, ...] = ()
    data: tuple[DataChange, ...] = ()
    require_baseline: bool = False
    metrics_files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    thresholds: ThresholdsInfo | None = None
    created_at: str = ""
    tool_version: str = __version__
    raw: Mapping[str, Any] = _EMPTY

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self[:-1] == other[:-1]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:-1])

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(self._fields[:-1], self[:-1], strict=True))
        return f"Result({shown})"

    def to_json(self) -> dict[str, Any]:
        """The document, keys in the order of schema 1 (optional keys last)."""
        return self._document([row.to_json() for row in self.metrics])

    def _document(self, metrics: list[Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "tool": {"name": "mlgate", "version": self.tool_version},
            "name": self.name,
            "created_at": self.created_at,
            "passed": self.passed,
            "head": self.head.to_json(),
            "baseline": self.baseline.to_json(),
            "require_baseline": self.require_baseline,
            "metrics_files": list(self.metrics_files),
            "summary": self.summary.to_json(),
            "metrics": metrics,
            "failed_rules": list(self.failed_rules),
            "skipped_rules": list(self.skipped_rules),
            "params": [p.to_json() for p in self.params],
            "data": [d.to_json() for d in self.data],
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }
        if self.thresholds is not None:
            doc["thresholds"] = self.thresholds.to_json()
        return doc


# ----- building (compare) --------------------------------------------------------------------


def build_result(
    *,
    name: str,
    head: HeadInfo,
    baseline: BaselineInfo,
    comparison: dict[str, Any],
    require_baseline: bool,
    metrics_files: list[str],
    params: list[dict[str, Any]] | None = None,
    data: list[dict[str, Any]] | None = None,
    errors: list[str] | None = None,
    warnings: list[str] | None = None,
    thresholds: ThresholdsInfo | None = None,
) -> Result:
    """The result of a comparison (``core.compare.diff``) with what was compared."""
    errors = list(errors or [])
    if require_baseline and not baseline.found:
        errors.append(
            "no baseline was found and require-baseline is true "
            "(record one on main with `mlgate baseline record`)"
        )
    doc = {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "mlgate", "version": __version__},
        "name": name,
        # As datetime.now(timezone.utc).replace(microsecond=0).isoformat() writes it.
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "passed": bool(comparison["passed"]) and not errors,
        "head": head.to_json(),
        "baseline": baseline.to_json(),
        "require_baseline": require_baseline,
        "metrics_files": metrics_files,
        "summary": comparison["summary"],
        "metrics": comparison["metrics"],
        "failed_rules": comparison["failed_rules"] + errors,
        "skipped_rules": comparison["skipped_rules"],
        "params": params or [],
        "data": data or [],
        "errors": errors,
        "warnings": list(warnings or []),
    }
    if thresholds is not None:
        doc["thresholds"] = thresholds.to_json()
    return parse_result(doc)


# ----- writing -------------------------------------------------------------------------------

# Above this many metrics result.json is written compact (smaller, and faster to read back).
_INDENT_LIMIT = 1000
_SCALARS = frozenset({str, int, float, bool, type(None)})
_INF = float("inf")
# Per depth: the C encoder writing a container's items one per line at that depth's indent.
_LEAF_ENCODERS: list[json.JSONEncoder] = []


class _NotPlain(Exception):
    """A value ``dumps_indented`` leaves to ``json.dumps`` (and its errors)."""


def dumps_indented(doc: Any) -> str:
    """Exactly ``json.dumps(doc, indent=2, allow_nan=False)``, several times faster: that
    indenting encoder is pure Python, while each container holding only plain values (a rule
    check, a summary, most metric rows) is written here by the C encoder, its items one per
    line. Anything unusual (non-string keys, subclasses, NaN) is left to ``json.dumps``."""
    out: list[str] = []
    try:
        _dump(doc, 0, out)
    except (_NotPlain, ValueError, RecursionError):
        return json.dumps(doc, indent=2, allow_nan=False)
    return "".join(out)


def _dump(value: Any, depth: int, out: list[str]) -> None:
    kind = type(value)
    if kind is not dict and kind is not list:
        out.append(_scalar(value, kind))
        return
    if not value:
        out.append("{}" if kind is dict else "[]")
        return
    end = "\n" + "  " * depth
    pad = end + "  "
    if _plain(value.values() if kind is dict else value):
        text = _leaf_encoder(depth + 1).encode(value)
        out.append(f"{text[0]}{pad}{text[1:-1]}{end}{text[-1]}")
        return
    if kind is list and all(type(v) is dict and v and _plain(v.values()) for v in value):
        # Rows of plain values (metric rows): one C call for all of them. Between two rows
        # the encoder writes `}` SEP `{`, which it writes nowhere else: a plain row holds no
        # `{` after a separator, and no string holds a raw newline.
        encoder = _leaf_encoder(depth + 2)
        rows = encoder.encode(value)[2:-2].replace(
            "}" + encoder.item_separator + "{", f"{pad}}},{pad}{{{pad}  "
        )
        out.append(f"[{pad}{{{pad}  {rows}{pad}}}{end}]")
        return
    if kind is list:
        for i, item in enumerate(value):
            out.append(("[" if i == 0 else ",") + pad)
            _dump(item, depth + 1, out)
        out.append(end + "]")
        return
    for i, (key, item) in enumerate(value.items()):
        if type(key) is not str:
            raise _NotPlain(key)
        out.append(f"{'{' if i == 0 else ','}{pad}{encode_basestring_ascii(key)}: ")
        _dump(item, depth + 1, out)
    out.append(end + "}")


def _plain(items: Any) -> bool:
    """Whether every item is a plain value (or an empty container: written alike)."""
    return all(type(v) in _SCALARS or (not v and type(v) in (dict, list)) for v in items)


def _scalar(value: Any, kind: type) -> str:
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is bool or value is None:
        return "true" if value is True else ("false" if value is False else "null")
    if kind is int:
        return int.__repr__(value)
    if kind is float and value == value and value not in (_INF, -_INF):
        return float.__repr__(value)
    raise _NotPlain(value)


def _leaf_encoder(depth: int) -> json.JSONEncoder:
    while len(_LEAF_ENCODERS) <= depth:
        pad = "  " * len(_LEAF_ENCODERS)
        _LEAF_ENCODERS.append(json.JSONEncoder(separators=(",\n" + pad, ": "), allow_nan=False))
    return _LEAF_ENCODERS[depth]


def _dumps_compact(doc: Any) -> str:
    """Exactly ``json.dumps(doc, allow_nan=False)``, without its check for circular references
    (a fifth of its time on a large result); a circular document still fails as it did."""
    try:
        return _COMPACT.encode(doc)
    except RecursionError:
        return json.dumps(doc, allow_nan=False)


_COMPACT = json.JSONEncoder(allow_nan=False, check_circular=False)


def write_json(path: Path, doc: Any) -> None:
    """Write atomically, so a reader never sees half a file."""
    big = isinstance(doc, dict) and len(doc.get("metrics", ())) > _INDENT_LIMIT
    text = _dumps_compact(doc) if big else dumps_indented(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _temp_file(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temp_file(path: Path) -> tuple[Path, int]:
    """A new file beside ``path`` (mode 0600, as tempfile.mkstemp made it): the tempfile
    module would cost ``mlgate compare`` a few milliseconds of imports."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_TEMP_IDS)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # left by a crashed process that had our pid: take the next name
    raise FileExistsError(f"no free temporary name beside {path}")


_TEMP_IDS = itertools.count()


def save_result(path: Path, result: Result) -> None:
    """Write ``result.to_json()``; a row that was read as it would be written (every row of a
    built result) is written as read, not built again."""
    rows = [row.to_json() if row._source is None else row._source for row in result.metrics]
    write_json(path, result._document(rows))


# ----- reading -------------------------------------------------------------------------------

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
    if doc.get("schema") != SCHEMA_VERSION or type(doc.get("schema")) is not int:  # not true
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
        rules = metric.get("rules", [])
        if not isinstance(rules, list):
            raise UsageError("rules must be a list", where=f"{where}: metrics[{i}].rules")
        for j, check in enumerate(rules):
            if not isinstance(check, dict):
                raise UsageError("each rule check must be an object",
                                 where=f"{where}: metrics[{i}].rules[{j}]")
    return doc


def load_result(path: Path) -> Result:
    """Read, validate and parse a result file."""
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
    return parse_result(validate(doc, str(path)))


def parse_result(doc: dict[str, Any]) -> Result:
    """The typed form of a validated document. Parts no reader relies on are read leniently
    (as the report always did): odd values become empty ones instead of errors."""
    head, base = doc["head"], doc["baseline"]
    return Result(
        name=doc["name"],
        passed=doc["passed"],
        head=HeadInfo(sha=_opt_str(head.get("sha")), ref=_opt_str(head.get("ref")),
                      subject=_opt_str(head.get("subject"))),
        baseline=BaselineInfo(
            found=base.get("found") is True, sha=_opt_str(base.get("sha")),
            source=_opt_str(base.get("source")), base_ref=_opt_str(base.get("base_ref")),
            merge_base=_opt_str(base.get("merge_base")), note=_opt_str(base.get("note")),
        ),
        summary=Summary(**{k: _count(doc["summary"].get(k)) for k in SUMMARY_KEYS}),
        metrics=tuple(_metric_row(m) for m in doc["metrics"]),
        failed_rules=_strings(doc["failed_rules"]),
        skipped_rules=_strings(doc.get("skipped_rules")),
        errors=_strings(doc.get("errors")),
        params=tuple(_param(p) for p in _list(doc.get("params")) if isinstance(p, dict)),
        data=tuple(_data(d) for d in _list(doc.get("data")) if isinstance(d, dict)),
        require_baseline=doc.get("require_baseline") is True,
        metrics_files=_strings(doc.get("metrics_files")),
        warnings=_strings(doc.get("warnings")),
        thresholds=_thresholds(doc.get("thresholds")),
        created_at=str(doc.get("created_at") or ""),
        tool_version=str((doc.get("tool") or {}).get("version") or ""),
        raw=doc,
    )


_CHECK_KEYS = ("rule", "threshold", "limit", "status", "message")


def _metric_row(m: dict[str, Any]) -> MetricRow:
    """The typed row. A row that ``to_json()`` would write back unchanged (every row that
    core.compare.diff writes) is kept as ``_source``; any other is read by :func:`_any_row`."""
    keys = tuple(m)
    if keys == _ROW_FIELDS or _noise_keys_last(keys, m):
        (name, file, base, cur, delta, rel, direction, source, status, rule, checks, passed,
         *extra) = m.values()
        if (
            (file is None or type(file) is str)
            and type(direction) is str and direction
            and type(source) is str and type(status) is str
            and (rule is None or type(rule) is str)
            and type(passed) is bool
            and type(checks) is list and (not checks or all(map(_written_as_read, checks)))
        ):
            row = MetricRow(name, file, base, cur, delta, rel, direction, source, status, rule,
                            tuple(map(_rule_check, checks)) if checks else (), passed,
                            dict(zip(keys[12:], extra, strict=True)) if extra else {})
            row._source = m
            return row
    return _any_row(m)


def _any_row(m: dict[str, Any]) -> MetricRow:
    """The typed row of any row: values of the wrong type are read leniently."""
    checks = tuple(_rule_check(c) for c in m.get("rules") or [])
    return MetricRow(
        name=m["name"], file=_opt_str(m.get("file")), baseline=m.get("baseline"),
        current=m.get("current"), delta=m.get("delta"), relative_delta=m.get("relative_delta"),
        direction=str(m.get("direction") or "higher"),
        direction_source=str(m.get("direction_source") or ""),
        status=str(m.get("status", "")), rule=_opt_str(m.get("rule")), rules=checks,
        # Fail closed: a row is passing only when it says so.
        passed=m.get("passed") is not False,
        noise={k: m[k] for k in NOISE_KEYS if k in m},
    )


def _noise_keys_last(keys: tuple[str, ...], m: dict[str, Any]) -> bool:
    """Whether ``keys`` are the row fields and then noise keys in NOISE_KEYS order."""
    return keys[:12] == _ROW_FIELDS and keys[12:] == tuple(k for k in NOISE_KEYS if k in m)


def _rule_check(c: dict[str, Any]) -> RuleCheck:
    return RuleCheck(
        rule=str(c.get("rule", "")),
        threshold=str(c.get("threshold", c.get("rule", ""))),
        limit=c.get("limit"),
        status=str(c.get("status")),
        message=str(c.get("message", "")),
    )


def _written_as_read(c: Any) -> bool:
    """Whether a rule check's ``to_json()`` would write it back unchanged."""
    return (tuple(c) == _CHECK_KEYS and type(c["rule"]) is str
            and type(c["threshold"]) is str and type(c["status"]) is str
            and type(c["message"]) is str)


def _thresholds(t: Any) -> ThresholdsInfo | None:
    if not isinstance(t, dict):
        return None
    changed = tuple(c for c in _list(t.get("changed")) if isinstance(c, dict))
    return ThresholdsInfo(source=str(t.get("source") or ""), commit=_opt_str(t.get("commit")),
                          changed=changed)


def _param(p: dict[str, Any]) -> ParamChange:
    return ParamChange(name=str(p.get("name", "")), file=_opt_str(p.get("file")),
                       baseline=p.get("baseline"), current=p.get("current"),
                       status=str(p.get("status", "")))


def _data(d: dict[str, Any]) -> DataChange:
    return DataChange(
        path=str(d.get("path", "")), status=str(d.get("status", "")),
        baseline_md5=_opt_str(d.get("baseline_md5")), current_md5=_opt_str(d.get("current_md5")),
        baseline_size=_size(d.get("baseline_size")), current_size=_size(d.get("current_size")),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in _list(value))
