"""``.mlgate/folds.json``: the built-in trainer's per-fold scores (schema 1, docs/training.md).

Pure: the document is built, parsed and matched here; reading and writing happen elsewhere.
Baseline and PR are paired only when they were scored on the same folds: the same data
(sha256), k, repeats and fold seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from mlgate.core.metrics import Metric
from mlgate.core.noise import check_scores, encode_list, mean
from mlgate.errors import UsageError

FOLDS_SCHEMA = 1
FOLDS_FILE = "folds.json"
METHODS = ("cv", "holdout")


@dataclass(frozen=True, slots=True)
class FoldSpec:
    """Which folds: k-fold repeated ``repeats`` times, shuffled with ``fold_seed``."""

    k: int
    repeats: int
    fold_seed: int

    def text(self) -> str:
        return f"{self.repeats} × {self.k}-fold, fold-seed {self.fold_seed}"


@dataclass(frozen=True, slots=True)
class Folds:
    """One training run's per-fold scores (``method`` holdout: one score per metric)."""

    method: str
    metrics_file: str
    data_sha256: str | None
    spec: FoldSpec | None  # None for a hold-out
    scores: dict[str, tuple[float, ...]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def same_folds(self, other: Folds) -> bool:
        return self.method == other.method == "cv" and self.spec == other.spec

    def to_json(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "schema": FOLDS_SCHEMA,
            "method": self.method,
            "metrics_file": self.metrics_file,
            "data_sha256": self.data_sha256,
            "k": spec.k if spec else None,
            "repeats": spec.repeats if spec else None,
            "fold_seed": spec.fold_seed if spec else None,
            **self.extra,
            "scores": {name: encode_list(values) for name, values in self.scores.items()},
        }


def parse_folds(doc: Any, where: str) -> Folds:
    """A folds.json document (or a baseline record's ``folds``), validated."""
    if not isinstance(doc, dict) or doc.get("schema") != FOLDS_SCHEMA:
        raise UsageError(
            f"not a folds document of schema {FOLDS_SCHEMA}",
            where=where,
            fix="retrain with this mlgate version (`mlgate train`)",
        )
    method = doc.get("method")
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}", where=f"{where}: method")
    spec = _spec(doc, where) if method == "cv" else None
    scores = _scores(doc.get("scores"), f"{where}: scores")
    known = {"schema", "method", "metrics_file", "data_sha256", "k", "repeats", "fold_seed",
             "scores"}
    return Folds(
        method=method,
        metrics_file=str(doc.get("metrics_file") or ""),
        data_sha256=_opt_str(doc.get("data_sha256")),
        spec=spec,
        scores=scores,
        extra={k: v for k, v in doc.items() if k not in known},
    )


def _spec(doc: dict[str, Any], where: str) -> FoldSpec:
    values = [doc.get(key) for key in ("k", "repeats", "fold_seed")]
    whole = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(whole) != 3:
        raise UsageError("k, repeats and fold_seed must be whole numbers", where=where)
    return FoldSpec(*whole)


def _scores(raw: Any, where: str) -> dict[str, tuple[float, ...]]:
    if not isinstance(raw, dict):
        raise UsageError("must be a mapping of metric names to lists of scores", where=where)
    out: dict[str, tuple[float, ...]] = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not values:
            raise UsageError("must be a non-empty list of scores", where=f"{where}.{name}")
        scores = tuple(_number(v, f"{where}.{name}") for v in values)
        check_scores(scores, f"{where}.{name}")
        out[str(name)] = scores
    return out


def _number(value: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    if isinstance(value, str) and value in special:
        return special[value]
    raise UsageError(f"a score must be a number, got {value!r}", where=where)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _same_number(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _key(metric: Metric, metrics_file: str) -> str:
    """The metric's key in its file (``FILE:KEY`` names keep the key after the colon)."""
    prefix = f"{metrics_file}:"
    return metric.name[len(prefix):] if metric.name.startswith(prefix) else metric.name


def attach(
    metrics: list[Metric], folds: Folds, *, any_file: bool = False
) -> tuple[list[Metric], set[str]]:
    """Replace the trainer's mean values by their per-fold scores (cv only) when the scores
    belong to them: same metrics file (unless ``any_file``: a store record names none) and the
    mean of the scores equals the value. Returns the metrics and the names that belong to the
    folds (also for a hold-out)."""
    out: list[Metric] = []
    owned: set[str] = set()
    for metric in metrics:
        scores = folds.scores.get(_key(metric, folds.metrics_file))
        mine = (
            (any_file or metric.file == folds.metrics_file)
            and not isinstance(metric.value, tuple)
            and scores is not None
            and _same_number(mean(scores), metric.value)
        )
        if not mine or scores is None:
            out.append(metric)
            continue
        owned.add(metric.name)
        out.append(replace(metric, value=scores) if folds.method == "cv" else metric)
    return out, owned


def record_matches(stored: Folds, current: Folds, stored_sha: str, merge_base: str | None
                   ) -> str | None:
    """Why a recorded baseline cannot be paired with the PR's folds; None when it can.

    Other data is fine when the record belongs to the merge base itself: retraining it would
    give the same scores (the PR changed the data, which is what is being measured)."""
    if not stored.same_folds(current):
        theirs = stored.spec.text() if stored.spec else stored.method
        return f"it was scored on other folds ({theirs}; the PR: {_spec_text(current)})"
    if stored.data_sha256 != current.data_sha256 and stored_sha != merge_base:
        return "it was scored on other data than the PR's, at an ancestor of the merge base"
    return None


def _spec_text(folds: Folds) -> str:
    return folds.spec.text() if folds.spec else folds.method
