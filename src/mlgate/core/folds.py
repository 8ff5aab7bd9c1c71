"""``.mlgate/folds.json``: the built-in trainer's per-fold scores, or the per-repeat scores of
a user pipeline run K times (``train: {repeats: K}``) (schema 1, docs/training.md).

Pure: the document is built, parsed and matched here; reading and writing happen elsewhere.
Baseline and PR are paired only when they were scored on the same folds: the same data
(sha256), k, repeats and fold seed; for repeats, the same K and the same seeds. A PR whose
training stopped early (the sequential stop: r of R repeats) pairs with the first r repeats of
a baseline scored on the same k and fold seed with R or more repeats (the folds of repeat r
come from the fold seed alone); a user pipeline's r runs pair with the first r runs of a record
whose seeds start with the PR's.
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
METHODS = ("cv", "holdout", "repeats")
# Methods whose scores are lists a metric is compared by (a hold-out has one score).
LIST_METHODS = ("cv", "repeats")
# The most runs of a user pipeline (train.repeats; the built-in trainer's bound too).
MAX_RUNS = 100


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

    @property
    def seeds(self) -> tuple[int, ...]:
        """The ``MLGATE_SEED`` of each run (method ``repeats``); empty otherwise."""
        seeds = self.extra.get("seeds") if self.method == "repeats" else None
        return tuple(seeds) if isinstance(seeds, (list, tuple)) else ()

    @property
    def files(self) -> tuple[str, ...]:
        """The metrics files these scores belong to (relative to the working directory)."""
        listed = self.extra.get("metrics_files") if self.method == "repeats" else None
        if isinstance(listed, (list, tuple)) and listed:
            return tuple(str(f) for f in listed)
        return (self.metrics_file,)

    def prefix_of(self, other: Folds) -> int | None:
        """The scores per metric of ``other`` (a PR's) when ``self`` (a baseline's) holds its
        folds as a prefix: cv on the same k and fold seed, with at least ``other``'s repeats,
        or runs (``repeats``) whose seeds start with ``other``'s; None otherwise."""
        if self.method == "repeats" and other.method == "repeats":
            # A user pipeline's runs: the PR's seeds the first of the record's.
            count = len(other.seeds)
            return count if count and self.seeds[:count] == other.seeds else None
        mine, theirs = self.spec, other.spec
        if self.method != "cv" or other.method != "cv" or mine is None or theirs is None:
            return None
        if (mine.k, mine.fold_seed) != (theirs.k, theirs.fold_seed):
            return None
        return theirs.k * theirs.repeats if mine.repeats >= theirs.repeats else None

    def same_folds(self, other: Folds) -> bool:
        if self.method != other.method:
            return False
        if self.method == "repeats":
            return bool(self.seeds) and self.seeds == other.seeds
        return self.method == "cv" and self.spec == other.spec

    def text(self) -> str:
        """The folds in words: ``3 × 5-fold, fold-seed 0``, ``5 repeats, MLGATE_SEED 42–46``."""
        if self.method == "repeats":
            return repeats_text(self.seeds)
        return self.spec.text() if self.spec else self.method

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
    extra = {k: v for k, v in doc.items() if k not in known}
    if method == "repeats":
        extra.update(_repeats(doc, scores, where))
    return Folds(
        method=method,
        metrics_file=str(doc.get("metrics_file") or ""),
        data_sha256=_opt_str(doc.get("data_sha256")),
        spec=spec,
        scores=scores,
        extra=extra,
    )


def repeats_folds(
    scores: dict[str, tuple[float, ...]], seeds: tuple[int, ...], metrics_files: list[str],
    extra: dict[str, Any] | None = None,
) -> Folds:
    """The folds document of a user pipeline run ``len(seeds)`` times: each metric's value in
    every run, in run order (run i had ``MLGATE_SEED`` = ``seeds[i]``)."""
    return Folds(
        method="repeats",
        metrics_file=metrics_files[0] if metrics_files else "",
        data_sha256=None,
        spec=None,
        scores=dict(scores),
        extra={**(extra or {}), "repeats": len(seeds), "seeds": list(seeds),
               "metrics_files": list(metrics_files)},
    )


def repeats_text(seeds: tuple[int, ...]) -> str:
    if not seeds:
        return "repeats"
    which = (f"{seeds[0]}–{seeds[-1]}" if list(seeds) == list(range(seeds[0], seeds[-1] + 1))
             and len(seeds) > 1 else ", ".join(str(s) for s in seeds))
    return f"{len(seeds)} repeats, MLGATE_SEED {which}"


def _repeats(doc: dict[str, Any], scores: dict[str, tuple[float, ...]], where: str
             ) -> dict[str, Any]:
    """``repeats`` (K) and ``seeds`` (one per run) of a ``repeats`` document, checked."""
    k, seeds = doc.get("repeats"), doc.get("seeds")
    if not (isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= MAX_RUNS):
        raise UsageError(f"repeats must be a whole number from 1 to {MAX_RUNS}, got {k!r}",
                         where=f"{where}: repeats")
    if not (isinstance(seeds, list) and len(seeds) == k
            and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)):
        raise UsageError(f"seeds must be a list of {k} whole numbers (one per run)",
                         where=f"{where}: seeds")
    for name, values in scores.items():
        if len(values) != k:
            raise UsageError(f"has {len(values)} scores, not one per run ({k})",
                             where=f"{where}: scores.{name}")
    files = doc.get("metrics_files")
    out: dict[str, Any] = {"repeats": k, "seeds": list(seeds)}
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        out["metrics_files"] = list(files)
    return out


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


def _scores_of(metric: Metric, folds: Folds, any_file: bool) -> tuple[float, ...] | None:
    """The scores of ``metric`` in ``folds``, when it comes from their files and its value is
    theirs: the mean of the scores (cv, holdout), or the last run's score (repeats: the
    metrics files on disk are the last run's)."""
    if isinstance(metric.value, tuple):
        return None
    if folds.method == "repeats":
        if not (any_file or metric.file in folds.files):
            return None
        scores = folds.scores.get(metric.name)
        return scores if scores and _same_number(scores[-1], metric.value) else None
    if not (any_file or metric.file == folds.metrics_file):
        return None
    scores = folds.scores.get(_key(metric, folds.metrics_file))
    return scores if scores is not None and _same_number(mean(scores), metric.value) else None


def attach(
    metrics: list[Metric], folds: Folds, *, any_file: bool = False
) -> tuple[list[Metric], set[str]]:
    """Replace the trainer's values by their per-fold (cv) or per-run (repeats) scores when the
    scores belong to them: same metrics file (unless ``any_file``: a store record names none)
    and the value is theirs (the mean of the folds; for repeats the last run's score, which is
    what the metrics file on disk holds). Returns the metrics and the names that belong to the
    folds (also for a hold-out)."""
    out: list[Metric] = []
    owned: set[str] = set()
    for metric in metrics:
        scores = _scores_of(metric, folds, any_file)
        if scores is None:
            out.append(metric)
            continue
        owned.add(metric.name)
        out.append(replace(metric, value=scores) if folds.method in LIST_METHODS else metric)
    return out, owned


def record_matches(stored: Folds, current: Folds, stored_sha: str, merge_base: str | None
                   ) -> str | None:
    """Why a recorded baseline cannot be paired with the PR's folds; None when it can.

    Other data is fine when the record belongs to the merge base itself: retraining it would
    give the same scores (the PR changed the data, which is what is being measured)."""
    if not stored.same_folds(current) and stored.prefix_of(current) is None:
        what = "runs" if current.method == "repeats" else "folds"
        return f"it was scored on other {what} ({stored.text()}; the PR: {current.text()})"
    if stored.data_sha256 != current.data_sha256 and stored_sha != merge_base:
        return "it was scored on other data than the PR's, at an ancestor of the merge base"
    return None


def first_scores(metrics: list[Metric], count: int) -> list[Metric]:
    """The metrics with their lists of scores cut to the first ``count`` (a baseline's R
    repeats paired with a PR that stopped after r: the first r·k scores; r for runs)."""
    return [replace(m, value=m.value[:count]) if isinstance(m.value, tuple)
            and len(m.value) > count else m for m in metrics]
