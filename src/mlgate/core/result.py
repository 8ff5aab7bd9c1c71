"""``result.json``: the versioned document that compare writes and report, gate and deploy read.

:class:`Result` is the typed, immutable form of the document; :func:`parse_result` checks a
document against the JSON Schema ``mlgate/schema/result-v1.schema.json`` (docs/result-schema.md
explains it) and makes it typed, :meth:`Result.to_json` makes the document again. Reading and
writing the file is :mod:`mlgate.adapters.result_file`. Whether a result passes is
:func:`mlgate.core.verdict.verdict`.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate import __version__
from mlgate.errors import UsageError

if TYPE_CHECKING:
    from mlgate.core.compare import Diff

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "result-v1.schema.json"
SUMMARY_KEYS = (
    "metrics", "regressed", "removed", "new", "improved", "unchanged",
    "rules_passed", "rules_failed", "rules_skipped", "within_noise",
)
# How the report orders metrics of each status (failing metrics always first). It differs on
# purpose from the order of the rows in result.json (core.compare.STATUS_ORDER): both orders
# are pinned by golden files, so neither can follow the other without changing user output.
REPORT_STATUS_RANK = {"regressed": 0, "improved": 1, "within_noise": 2, "new": 3, "removed": 4,
                      "unchanged": 5}

# Optional per-metric keys (noise-aware comparison, core/noise.py), written only when present.
NOISE_KEYS = ("evaluation", "folds", "paired", "spread", "noise_floor", "noise_warning",
              "null_spread", "false_block_probability", "fits")

# A metric value as written in JSON: a number, "NaN"/"Infinity"/"-Infinity", or null.
JsonValue = float | int | str | None


def _plain(record: Any) -> dict[str, Any]:
    """A flat record's document: its fields, in order."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One check a threshold made on one metric (min, max, tolerance, finite or present)."""

    rule: str
    threshold: str
    limit: JsonValue
    status: str  # passed | failed | skipped
    message: str

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric of a result. ``noise`` (the NOISE_KEYS the row has) is written after the
    other keys and takes no part in equality."""

    name: str
    file: str | None
    baseline: JsonValue
    current: JsonValue
    delta: JsonValue
    relative_delta: JsonValue
    direction: str
    direction_source: str
    status: str
    rule: str | None
    rules: tuple[RuleCheck, ...]
    passed: bool
    noise: Mapping[str, Any] = field(default_factory=dict, compare=False)
    informational: bool = False  # a timing or count: shown apart, no default rule

    def to_json(self) -> dict[str, Any]:
        doc = {name: getattr(self, name) for name in ROW_KEYS}
        doc["rules"] = [check.to_json() for check in self.rules]
        doc.update(self.noise)
        if self.informational:
            doc["informational"] = True
        return doc


@dataclass(frozen=True, slots=True)
class HeadInfo:
    sha: str | None = None
    ref: str | None = None
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class BaselineInfo:
    found: bool
    sha: str | None = None
    source: str | None = None  # committed | store | retrain | file
    base_ref: str | None = None
    merge_base: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class ThresholdsInfo:
    """Whose thresholds were applied: ``baseline`` (mlgate.yaml at the baseline commit), ``head``
    (the PR's own: ``thresholds-from: head``, or none at the baseline) or ``input``
    (``--thresholds``); ``changed``: the PR's changes to them, applied after merge."""

    source: str
    commit: str | None = None
    changed: tuple[Mapping[str, Any], ...] = ()
    default_rules: bool = False  # no `thresholds:` written: core.thresholds.default_rules

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "commit": self.commit,
                "changed": [dict(c) for c in self.changed], "default_rules": self.default_rules}


@dataclass(frozen=True, slots=True)
class Summary:
    metrics: int = 0
    regressed: int = 0
    removed: int = 0
    new: int = 0
    improved: int = 0
    unchanged: int = 0
    rules_passed: int = 0
    rules_failed: int = 0
    rules_skipped: int = 0
    # List-valued metrics that moved within the noise: a key the schema's extra integer keys
    # allow, written only when not 0 (absent means 0), so results without one keep their form.
    within_noise: int = 0

    def to_json(self) -> dict[str, int]:
        doc = _plain(self)
        if not self.within_noise:
            del doc["within_noise"]
        return doc


@dataclass(frozen=True, slots=True)
class ParamChange:
    name: str
    file: str | None
    baseline: Any
    current: Any
    status: str  # modified | added | deleted

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class DataChange:
    path: str
    status: str  # modified | added | deleted
    baseline_md5: str | None = None
    current_md5: str | None = None
    baseline_size: int | None = None
    current_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True, slots=True)
class Result:
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
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The document, keys in the order of schema 1 (optional keys last)."""
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
            "metrics": [row.to_json() for row in self.metrics],
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


# The keys of a metric row in result.json, in order (``noise`` holds the optional ones).
ROW_KEYS = tuple(f.name for f in fields(MetricRow) if f.name not in ("noise", "informational"))


# ----- building (compare) --------------------------------------------------------------------


def build_result(
    *,
    name: str,
    head: HeadInfo,
    baseline: BaselineInfo,
    comparison: Diff,
    require_baseline: bool,
    metrics_files: Sequence[str],
    params: Sequence[ParamChange] = (),
    data: Sequence[DataChange] = (),
    errors: Sequence[str] = (),
    warnings: Sequence[str] = (),
    thresholds: ThresholdsInfo | None = None,
) -> Result:
    """The result of a comparison (``core.compare.diff``) with what was compared."""
    errors = list(errors)
    if require_baseline and not baseline.found:
        errors.append(
            "no baseline was found and require-baseline is true "
            "(record one on main with `mlgate baseline record`)"
        )
    result = Result(
        name=name,
        passed=comparison.passed and not errors,
        head=head,
        baseline=baseline,
        summary=comparison.summary,
        metrics=tuple(comparison.metrics),
        failed_rules=(*comparison.failed_rules, *errors),
        skipped_rules=tuple(comparison.skipped_rules),
        errors=tuple(errors),
        params=tuple(params),
        data=tuple(data),
        require_baseline=require_baseline,
        metrics_files=tuple(metrics_files),
        warnings=tuple(warnings),
        thresholds=thresholds,
        # As datetime.now(timezone.utc).replace(microsecond=0).isoformat() writes it.
        created_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
    )
    return replace(result, raw=result.to_json())


def param_change(doc: Mapping[str, Any]) -> ParamChange:
    """A params change as ``core.changes.params_diff`` (or result.json) writes it."""
    return _record(ParamChange, doc)


def data_change(doc: Mapping[str, Any]) -> DataChange:
    """A data change as ``core.changes.data_diff`` (or result.json) writes it."""
    return _record(DataChange, doc)


# ----- reading (a document checked against the schema) ---------------------------------------


def parse_result(doc: Any, where: str = RESULT_FILE) -> Result:
    """The typed form of a result document, which is first checked against the schema:
    anything else raises UsageError naming ``where`` and the key."""
    check_schema(doc, where)
    thresholds = doc.get("thresholds")
    return Result(
        name=doc["name"],
        passed=doc["passed"],
        head=_record(HeadInfo, doc["head"]),
        baseline=_record(BaselineInfo, doc["baseline"]),
        summary=_record(Summary, doc["summary"]),
        metrics=tuple(_metric_row(m) for m in doc["metrics"]),
        failed_rules=tuple(doc["failed_rules"]),
        skipped_rules=tuple(doc["skipped_rules"]),
        errors=tuple(doc["errors"]),
        params=tuple(param_change(p) for p in doc["params"]),
        data=tuple(data_change(d) for d in doc["data"]),
        require_baseline=doc["require_baseline"],
        metrics_files=tuple(doc["metrics_files"]),
        warnings=tuple(doc.get("warnings", ())),
        thresholds=None if thresholds is None else ThresholdsInfo(
            source=thresholds["source"], commit=thresholds.get("commit"),
            changed=tuple(thresholds["changed"]),
            default_rules=thresholds.get("default_rules", False)),
        created_at=doc["created_at"],
        tool_version=doc["tool"]["version"],
        raw=doc,
    )


def _metric_row(m: Mapping[str, Any]) -> MetricRow:
    return MetricRow(
        **{key: m[key] for key in ROW_KEYS if key != "rules"},
        rules=tuple(_record(RuleCheck, c) for c in m["rules"]),
        noise={k: m[k] for k in NOISE_KEYS if k in m},
        informational=m.get("informational", False),
    )


def _record(cls: Any, doc: Mapping[str, Any]) -> Any:
    """A flat record from its document (extra keys are ignored; a key the schema lets out
    takes the field's default, or None)."""
    return cls(**{
        f.name: doc.get(f.name, None if f.default is MISSING else f.default)
        for f in fields(cls)
    })


# ----- the schema ----------------------------------------------------------------------------


@functools.cache
def result_schema() -> dict[str, Any]:
    """``result-v1.schema.json``, the one definition of the document (package data)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def check_schema(doc: Any, where: str) -> None:
    """Check ``doc`` against the result schema with ``jsonschema``; the error names ``where``
    and the key of the first problem (the deepest one jsonschema ranks best)."""
    if not isinstance(doc, dict):
        raise UsageError("result must be a JSON object", where=where)
    schema = doc.get("schema")
    if schema != SCHEMA_VERSION or type(schema) is not int:  # not true, not 1.0
        raise UsageError(
            f"unsupported result schema {schema!r} (this mlgate reads schema {SCHEMA_VERSION})",
            where=f"{where}: schema",
            fix="produce the file with the same mlgate version (`mlgate compare`)",
        )
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        parts = list(error.absolute_path)
        if error.validator == "required":  # name the missing key, not the object missing it
            parts += [k for k in error.validator_value if k not in error.instance][:1]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        raise UsageError(message, where=f"{where}: {path.lstrip('.') or 'result'}")


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(result_schema())
