"""Threshold rules: parsing ``thresholds:`` and deciding which rule applies to a metric."""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.errors import UsageError
from mlgate.formatting import format_number

_FLOAT_MAX = int(sys.float_info.max)
RULE_KEYS = ("min", "max", "tolerance", "direction")
DIRECTIONS = ("higher", "lower")

# Whole words (split on separators) that mean "lower is better".
_LOWER_WORDS = {
    "loss",
    "error",
    "err",
    "mae",
    "ae",  # median_ae, scikit-learn's short name
    "mse",
    "rmse",
    "msle",
    "rmsle",
    "mape",
    "smape",
    "latency",
    "time",
    "duration",
    "seconds",
    "ms",
    "perplexity",
    "logloss",
    "wer",
    "cer",
    "fpr",
    "fnr",
    "brier",
    "size",
    "bytes",
    "memory",
    "cost",
    "distance",
    "deviance",
    "runtime",
}
_LOWER_SUFFIXES = ("loss", "error", "time")
_direction_pattern: Any = None  # compiled on first use (see _lower_pattern)


@dataclass(frozen=True, slots=True)
class Tolerance:
    value: float
    percent: bool

    def allowed(self, baseline: float) -> float:
        """The allowed move in the bad direction, in the metric's units."""
        return abs(baseline) * self.value / 100.0 if self.percent else self.value

    def text(self) -> str:
        text = format_number(self.value)
        return f"{text}%" if self.percent else text


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: str
    min: float | None = None
    max: float | None = None
    tolerance: Tolerance | None = None
    direction: str | None = None

    @property
    def is_glob(self) -> bool:
        pattern = self.pattern
        return "*" in pattern or "?" in pattern or "[" in pattern

    def matches(self, metric: str) -> bool:
        """An exact rule names the metric; a glob matches the name or, for a ``FILE:KEY``
        name, the key alone (so ``test.*`` still covers ``eval/m.json:test.acc``)."""
        if not self.is_glob:
            return metric == self.pattern
        from fnmatch import fnmatchcase

        if fnmatchcase(metric, self.pattern):
            return True
        key = key_of(metric)
        return key != metric and fnmatchcase(key, self.pattern)


_FILE_SUFFIXES = (".json", ".yaml", ".yml")


def key_of(metric: str) -> str:
    """The key of a ``FILE:KEY`` metric name (the name itself when it is not one)."""
    file, sep, key = metric.partition(":")
    return key if sep and key and file.lower().endswith(_FILE_SUFFIXES) else metric


def thresholds_changes(baseline: Any, head: Any) -> list[dict[str, Any]]:
    """The rules that differ between two ``thresholds:`` mappings, by pattern (None: absent)."""
    base = _plain(baseline)
    mine = _plain(head)
    changes = []
    for pattern in sorted(set(map(str, base)) | set(map(str, mine))):
        before, after = base.get(pattern), mine.get(pattern)
        if before != after:
            changes.append({"pattern": pattern, "baseline": before, "head": after})
    return changes


# ----- the default policy: what gates a project that wrote no `thresholds:` ------------------

# Metrics that describe the run, not the model's quality: shown apart, never given a default
# rule (a rule that names them still applies). `informational:` in mlgate.yaml adds globs.
INFORMATIONAL = ("*time*", "*_s", "*duration*", "*latency*", "support", "n_*")
# A default rule lets a metric move this far in its bad direction, relative to the baseline:
# a change under 1 % never fails by default, a clear drop (5 % or more) does.
DEFAULT_TOLERANCE = Tolerance(5.0, percent=True)
# Whole words that name a quality measure whose better direction is higher.
_HIGHER_WORDS = {
    "accuracy", "acc", "precision", "recall", "f1", "f2", "fbeta", "auc", "roc", "pr_auc",
    "ap", "map", "r2", "score", "iou", "jaccard", "dice", "ndcg", "bleu", "rouge", "kappa",
    "mcc", "matthews", "specificity", "sensitivity", "tpr", "tnr", "d2", "explained",
    "variance", "top1", "top5", "hit", "hits", "mrr", "coverage", "silhouette",
}


def is_informational(metric: str, extra: Sequence[str] = ()) -> bool:
    """A timing, a count or a metric matched by ``informational:``: the whole name or its
    last part (after ``FILE:`` and the last dot) matches a glob."""
    last = metric.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    matches = _glob_matcher((*INFORMATIONAL, *extra))
    return matches(metric) is not None or matches(last) is not None


@functools.lru_cache(maxsize=32)
def _glob_matcher(globs: tuple[str, ...]) -> Callable[[str], Any]:
    """One compiled pattern for a set of globs (fnmatch's case-sensitive translation)."""
    from fnmatch import translate

    return re.compile("|".join(f"(?:{translate(g)})" for g in globs)).match


def known_direction(metric: str) -> bool:
    """Whether the name says which direction is better (a cost word, scikit-learn's
    ``neg_*``/``*_score``, or a quality word); a name that says neither gets no default rule."""
    lowered = metric.lower()
    last = lowered.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    if last.startswith("neg_") or last.endswith("_score"):
        return True
    if (_direction_pattern or _lower_pattern()).search(lowered):
        return True
    return any(word in _HIGHER_WORDS for word in re.split(r"[^a-z0-9]+", last))


def default_rules(names: Sequence[str], informational: Sequence[str] = ()) -> list[Rule]:
    """One rule per metric with a known direction that is not informational."""
    return [Rule(pattern=name, tolerance=DEFAULT_TOLERANCE) for name in names
            if known_direction(name) and not is_informational(name, informational)]


def infer_direction(metric: str) -> str:
    """``higher`` or ``lower`` is better, from the name (docs/thresholds.md has the full rules).

    The last part of the name decides first (after ``FILE:`` and the last dot): scikit-learn's
    ``neg_*`` scorers and ``*_score`` functions are higher-is-better even when they name an
    error (``neg_mean_squared_error``, ``d2_absolute_error_score``; ``brier_score`` excepted,
    which is a loss); a name ending in a cost word is lower-is-better. Otherwise any cost word
    in the whole name (loss, error, mae, rmse, latency, time…) makes it lower, else higher.
    """
    lowered = metric.lower()
    last = lowered.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    if last.startswith("neg_"):
        return "higher"
    if last.endswith("_score") and not last.startswith("brier"):
        return "higher"
    return "lower" if (_direction_pattern or _lower_pattern()).search(lowered) else "higher"


def _lower_pattern() -> Any:
    """One search for both "lower" cases of :func:`infer_direction`. The name's words are its
    runs of ``[a-z0-9]``, split again where a digit follows a letter: a cost word (letters only)
    is a word when nothing alphanumeric precedes it and no letter follows it; and the last word
    ends with a cost suffix ("val_logloss", "trainingtime") when only separators follow it."""
    global _direction_pattern
    if _direction_pattern is None:
        import re

        words = "|".join(sorted(_LOWER_WORDS, key=lambda w: (-len(w), w)))
        suffixes = "|".join(_LOWER_SUFFIXES)
        _direction_pattern = re.compile(
            rf"(?<![a-z0-9])(?:{words})(?![a-z])|(?:{suffixes})[^a-z0-9]*\Z"
        )
    return _direction_pattern


def _number(value: Any, where: str, key: str) -> float:
    from mlgate.yamlio import OversizedInt

    if isinstance(value, OversizedInt) or (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT_MAX
    ):
        raise UsageError(
            f"{key} is an integer beyond the range of a float (about 1.8e308)",
            where=f"{where}.{key}",
            fix=f"write e.g. `{key}: 0.9`",
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(
            f"{key} must be a number, got {value!r}",
            where=where,
            fix=f"write e.g. `{key}: 0.9`",
        )
    if not math.isfinite(value):
        raise UsageError(f"{key} must be a finite number, got {value!r}", where=where)
    return float(value)


def _tolerance(value: Any, where: str) -> Tolerance:
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                pct = float(text[:-1])
            except ValueError:
                pct = math.nan
            if not math.isfinite(pct) or pct < 0:
                raise UsageError(
                    f"tolerance {value!r} is not a valid percentage",
                    where=where,
                    fix='write e.g. `tolerance: "2%"` or an absolute `tolerance: 0.01`',
                )
            return Tolerance(pct, percent=True)
    number = _number(value, where, "tolerance")
    if number < 0:
        raise UsageError("tolerance must not be negative", where=where)
    return Tolerance(number, percent=False)


def parse_rules(data: Any, source: str = "thresholds") -> list[Rule]:
    """Parse a ``thresholds:`` mapping; errors name ``source`` and the metric key."""
    if data is None:
        return []
    if not isinstance(data, dict):
        raise UsageError(
            "must be a mapping of metric name to rule",
            where=source,
            fix="write e.g. `accuracy: {min: 0.9, tolerance: 0.01}`",
        )
    rules = []
    for pattern, spec in data.items():
        where = f"{source}: {pattern}"
        if not isinstance(spec, dict):
            raise UsageError(
                f"the rule must be a mapping, got {spec!r}",
                where=where,
                fix="write e.g. `{min: 0.9}`",
            )
        unknown = sorted(set(map(str, spec)) - set(RULE_KEYS))
        if unknown:
            raise UsageError(
                f"unknown key(s) {', '.join(unknown)}",
                where=where,
                fix=f"use only: {', '.join(RULE_KEYS)}",
            )
        direction = spec.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            raise UsageError(
                f"direction must be `higher` or `lower`, got {direction!r}", where=where
            )
        rule = Rule(
            pattern=str(pattern),
            min=_number(spec["min"], where, "min") if "min" in spec else None,
            max=_number(spec["max"], where, "max") if "max" in spec else None,
            tolerance=_tolerance(spec["tolerance"], where) if "tolerance" in spec else None,
            direction=direction,
        )
        if rule.min is not None and rule.max is not None and rule.min > rule.max:
            raise UsageError(f"min {rule.min:g} is above max {rule.max:g}", where=where)
        rules.append(rule)
    return rules


def rule_for(metric: str, rules: Sequence[Rule]) -> Rule | None:
    """The exact rule for ``metric``, else the most specific matching glob."""
    return rule_index(rules)(metric)


def _specificity(rule: Rule) -> int:
    """Most literal characters = most specific; "*" comes last."""
    return len(rule.pattern.replace("*", "").replace("?", ""))


def rule_index(rules: Sequence[Rule]) -> Callable[[str], Rule | None]:
    """The rule lookup of many metrics (see :func:`rule_for`): exact rules by name (the first of
    a name), else the most specific matching glob (most literal characters; ties in their
    order), the rules sorted out once."""
    if not rules:
        return _no_rule
    exact: dict[str, Rule] = {}
    for rule in rules:
        if not rule.is_glob:
            exact.setdefault(rule.pattern, rule)
    # max() keeps the first of equally specific globs; a stable sort keeps them in order.
    globs = sorted((r for r in rules if r.is_glob), key=_specificity, reverse=True)
    if not globs:
        return exact.get

    def lookup(metric: str) -> Rule | None:
        rule = exact.get(metric)
        if rule is not None:
            return rule
        return next((r for r in globs if r.matches(metric)), None)

    return lookup


def _no_rule(_metric: str) -> Rule | None:
    return None


def _plain(thresholds: Any) -> dict[str, Any]:
    """``thresholds:`` as JSON values with string keys (what result.json can hold)."""
    import json

    if not isinstance(thresholds, dict):
        return {}
    return {str(k): json.loads(json.dumps(v, default=str)) for k, v in thresholds.items()}


def load_thresholds_arg(value: str) -> tuple[Any, str]:
    """The ``--thresholds`` option: a YAML file path or inline YAML (with or without the
    top-level ``thresholds:`` key)."""
    from pathlib import Path

    from mlgate.yamlio import load_file, parse_text

    path = Path(value)
    if "\n" not in value and len(value) < 4096 and path.is_file():
        data = load_file(path)
        source = str(path)
    else:
        data = parse_text(value, "--thresholds (inline YAML)")
        source = "--thresholds"
    if isinstance(data, dict) and set(data) == {"thresholds"}:
        data = data["thresholds"]
    if data is None:
        return {}, source
    return data, source
