"""The pure comparison: baseline and current metrics + rules -> per-metric diff and verdict.

No I/O here; ``services.compare`` gathers the inputs (git, files) and writes the result.
:func:`diff` returns the typed rows of result.json (``core.result.MetricRow``); :func:`rejudge`
judges a fork's reported figures again with the base branch's thresholds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mlgate.core import noise
from mlgate.core.result import MetricRow, Result, RuleCheck, Summary, build_result
from mlgate.core.thresholds import (
    Rule,
    Tolerance,
    infer_direction,
    is_informational,
    key_of,
    rule_index,
)
from mlgate.errors import UsageError
from mlgate.formatting import format_number

# ``within_noise``: a list-valued metric that moved, but by no more than the noise
# (|Δ| <= noise.NOISE_Z x its spread); ``improved``/``regressed`` are changes beyond it.
STATUS_ORDER = ("regressed", "removed", "new", "improved", "within_noise", "unchanged")
# Relative changes below this are treated as float noise, not a change.
_REL_EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class Comparison:
    """Inputs of one comparison, already read from wherever they live."""

    current: Mapping[str, noise.MetricValue]  # a number, or per-fold scores (core/noise.py)
    baseline: Mapping[str, noise.MetricValue] | None
    rules: Sequence[Rule] = ()
    require_baseline: bool = False
    files: Mapping[str, str] = field(default_factory=dict)  # metric -> file it came from
    evaluation: Mapping[str, str] = field(default_factory=dict)  # metric -> "cv" | "holdout"
    informational: Sequence[str] = ()  # globs added to core.thresholds.INFORMATIONAL
    # metric -> scores per repeat (k) of its repeat-major per-fold lists (folds.json's k); a
    # metric not here is taken as one score per repeat (per-seed lists).
    groups: Mapping[str, int] = field(default_factory=dict)
    fits: Mapping[str, int] = field(default_factory=dict)  # metric -> fits (folds.json's fits)


@dataclass(frozen=True, slots=True)
class Diff:
    """What :func:`diff` found: the ``metrics``, ``summary`` and rule lists of result.json."""

    passed: bool
    metrics: tuple[MetricRow, ...] = ()
    summary: Summary = field(default_factory=Summary)
    failed_rules: tuple[str, ...] = ()
    skipped_rules: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "metrics": [row.to_json() for row in self.metrics],
                "summary": self.summary.to_json(), "failed_rules": list(self.failed_rules),
                "skipped_rules": list(self.skipped_rules)}


def encode(value: float | None) -> float | str | None:
    """JSON has no NaN/Infinity: they are written as the strings "NaN", "Infinity"."""
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def decode(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return float(value)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def status_of(baseline: float | None, current: float | None, direction: str) -> str:
    if current is None:
        return "removed"
    if baseline is None:
        return "new"
    if not (_finite(baseline) and _finite(current)):
        same = (math.isnan(baseline) and math.isnan(current)) or baseline == current
        if same:
            return "unchanged"
        return "regressed" if not _finite(current) else "improved"
    delta = current - baseline
    if abs(delta) <= _REL_EPSILON * max(abs(baseline), abs(current), 1.0):
        return "unchanged"
    better = delta > 0 if direction == "higher" else delta < 0
    return "improved" if better else "regressed"


def _rule_check(
    kind: str, limit: float | None, passed: bool | None, message: str, threshold: str
) -> RuleCheck:
    status = "skipped" if passed is None else ("passed" if passed else "failed")
    return RuleCheck(rule=kind, threshold=threshold, limit=encode(limit), status=status,
                     message=message)


def _value_text(value: float | None) -> str:
    """A value inside a rule message (result.json text): 6 significant digits."""
    return format_number(value, missing="none", infinity="Infinity")


def _not_finite(value: float) -> str:
    return f"{_value_text(value)} is not a finite number"


# The same few limits are written for every metric a glob rule covers.
_limit_text = functools.lru_cache(maxsize=1024)(format_number)
_MISSING = "removed: the metric is missing from the current metrics"
_NEW = "skipped: new metric, not in the baseline"
# kind -> (comparison shown when the check passes, wording when it fails)
_BOUND_WORDS = {"min": (">=", "is below"), "max": ("<=", "is above")}


def _bound_check(kind: str, limit: float, current: float | None) -> RuleCheck:
    """``min``/``max``: the current value must not be below/above ``limit``."""
    limit_text = _limit_text(limit)
    threshold = f"{kind} {limit_text}"
    if current is None:
        return _rule_check(kind, limit, False, _MISSING, threshold)
    if not _finite(current):
        return _rule_check(kind, limit, False, _not_finite(current), threshold)
    ok = current >= limit if kind == "min" else current <= limit
    shown, failed = _BOUND_WORDS[kind]
    message = f"{_value_text(current)} {shown if ok else failed} {limit_text}"
    return _rule_check(kind, limit, ok, message, threshold)


def _tolerance_check(
    tol: Tolerance,
    baseline: float | None,
    current: float | None,
    direction: str,
    require_baseline: bool,
    new: bool = False,
) -> RuleCheck:
    """``tolerance``: the current value may move at most ``tol`` in the bad direction.
    ``new``: the baseline was found but does not have this metric."""
    sign = "-" if direction == "higher" else "+"
    threshold = f"tolerance {sign}{tol.text()}"
    if current is None:
        return _rule_check("tolerance", None, False, _MISSING, threshold)
    if baseline is None:
        if new:
            return _rule_check("tolerance", None, None, _NEW, threshold)
        if require_baseline:
            message = "no baseline, and require-baseline is true"
            return _rule_check("tolerance", None, False, message, threshold)
        return _rule_check("tolerance", None, None, "skipped: no baseline", threshold)
    if not _finite(baseline):
        message = f"baseline is {_value_text(baseline)}; only a finite current value passes"
        return _rule_check("tolerance", None, _finite(current), message, threshold)
    allowed = tol.allowed(baseline)
    limit = baseline - allowed if direction == "higher" else baseline + allowed
    ok, message = _within_tolerance(baseline, current, allowed, limit, direction, tol)
    return _rule_check("tolerance", limit, ok, message, threshold)


def _within_tolerance(
    baseline: float, current: float, allowed: float, limit: float, direction: str,
    tol: Tolerance | None = None,
) -> tuple[bool, str]:
    if not _finite(current):
        return False, _not_finite(current)
    slack = _REL_EPSILON * max(abs(limit), 1.0)
    if direction == "higher":
        if current >= baseline:
            return True, "did not drop"
        message = _moved_text("dropped", baseline, current, allowed, tol)
        return current >= limit - slack, message
    if current <= baseline:
        return True, "did not rise"
    message = _moved_text("rose", baseline, current, allowed, tol)
    return current <= limit + slack, message


def _moved_text(
    verb: str, baseline: float, current: float, allowed: float, tol: Tolerance | None
) -> str:
    """How far the metric moved, in the rule's own terms: a percentage rule says percentages
    (the values and the allowance in the metric's units after them)."""
    move = abs(current - baseline)
    if tol is None or not tol.percent or baseline == 0:
        return f"{verb} {_value_text(move)}, allowed {_value_text(allowed)}"
    pct = format_number(move / abs(baseline) * 100, digits=3)
    return (f"{verb} {pct}% ({_value_text(baseline)} → {_value_text(current)}), "
            f"allowed {tol.text()} ({_value_text(allowed)})")


def evaluate_rule(
    rule: Rule,
    baseline: float | None,
    current: float | None,
    direction: str,
    require_baseline: bool,
    new: bool = False,
) -> list[RuleCheck]:
    """The checks one rule makes on one metric (min, max, tolerance; ``present`` when the
    metric was removed and the rule has no other check)."""
    checks: list[RuleCheck] = []
    if rule.min is not None:
        checks.append(_bound_check("min", rule.min, current))
    if rule.max is not None:
        checks.append(_bound_check("max", rule.max, current))
    if rule.tolerance is not None:
        checks.append(
            _tolerance_check(rule.tolerance, baseline, current, direction, require_baseline, new)
        )
    if current is None and not checks:
        checks.append(_rule_check("present", None, False, _MISSING, "present"))
    return checks


def diff(cmp: Comparison) -> Diff:
    """Compare every metric: the typed rows of result.json, its summary and rule lists."""
    names = list(cmp.current)
    if cmp.baseline:
        names += [n for n in cmp.baseline if n not in cmp.current]
    _check_rules_match(cmp, names)
    rows = _ordered(_rows(cmp, names))
    failed: list[str] = []
    skipped: list[str] = []
    passed = 0
    for r in rows:
        for c in r.rules:
            if c.status == "passed":
                passed += 1
            elif c.status in ("failed", "skipped"):
                text = f"{r.name}: {c.threshold} ({c.message})"
                (failed if c.status == "failed" else skipped).append(text)
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for r in rows:
        counts[r.status] += 1
    summary = Summary(metrics=len(rows), **counts, rules_passed=passed,
                      rules_failed=len(failed), rules_skipped=len(skipped))
    return Diff(passed=not failed, metrics=tuple(rows), summary=summary,
                failed_rules=tuple(failed), skipped_rules=tuple(skipped))


def _ordered(rows: list[MetricRow]) -> list[MetricRow]:
    """Failing metrics first, then by status (``STATUS_ORDER``) and name: the order of sorting by
    ``(passed, status rank, name)``, made by sorting each (passed, status) group by name."""
    groups: dict[tuple[bool, str], list[MetricRow]] = {
        (ok, status): [] for ok in (False, True) for status in STATUS_ORDER
    }
    for r in rows:
        groups[(r.passed, r.status)].append(r)
    ordered: list[MetricRow] = []
    for group in groups.values():
        group.sort(key=_name)
        ordered += group
    return ordered


def _name(row: MetricRow) -> str:
    return row.name


def _rows(cmp: Comparison, names: list[str]) -> list[MetricRow]:
    """One row per metric, with the checks of the rule that applies to it (if any)."""
    rule_of = rule_index(cmp.rules)
    return [_metric_row(name, cmp, rule_of(name)) for name in names]


def _metric_row(name: str, cmp: Comparison, rule: Rule | None) -> MetricRow:
    current_raw = cmp.current.get(name)
    base_raw = cmp.baseline.get(name) if cmp.baseline else None
    base, current = noise.means(base_raw, current_raw)  # lists: compared by the mean
    direction = rule.direction if rule and rule.direction else infer_direction(name)
    direction_source = "explicit" if rule and rule.direction else "inferred"
    status = status_of(base, current, direction)
    group = cmp.groups.get(name, 1)
    if status in ("improved", "regressed"):
        stats = noise.compare_values(base_raw, current_raw, group)
        if stats is not None and stats.within_noise():
            status = "within_noise"
    delta = rel = None
    if current is not None and base is not None:
        delta = current - base
        if _finite(base) and _finite(current):
            rel = delta / abs(base) if base != 0 else (0.0 if delta == 0 else None)
        else:
            delta = math.nan
    checks: list[RuleCheck] = []
    if rule is not None:
        # A rule on a metric the PR dropped fails, glob or not: renaming or deleting a metric
        # must not take it out of the gate.
        new = cmp.baseline is not None and base is None
        checks = evaluate_rule(rule, base, current, direction, cmp.require_baseline, new)
    if current is not None and not _finite(current) and not checks:
        checks.append(_rule_check("finite", None, False, _not_finite(current), "finite"))
    return MetricRow(
        name=name, file=cmp.files.get(name), baseline=encode(base), current=encode(current),
        delta=encode(delta), relative_delta=encode(rel), direction=direction,
        direction_source=direction_source, status=status,
        rule=rule.pattern if rule else None, rules=tuple(checks),
        passed=all(c.status != "failed" for c in checks),
        noise=_noise_fields(name, cmp, rule, base_raw, current_raw, base, group),
        informational=is_informational(name, cmp.informational),
    )


def _noise_fields(
    name: str,
    cmp: Comparison,
    rule: Rule | None,
    base_raw: noise.MetricValue | None,
    current_raw: noise.MetricValue | None,
    base: float | None,
    group: int = 1,
) -> dict[str, Any]:
    """Optional row fields: how the trainer measured it, per-fold scores, spread, noise floor,
    null spread and the estimated false-block probability."""
    fields: dict[str, Any] = {}
    if name in cmp.evaluation:
        fields["evaluation"] = cmp.evaluation[name]
    if name in cmp.fits:
        fields["fits"] = cmp.fits[name]
    allowed = threshold = None
    if rule is not None and rule.tolerance is not None and base is not None and _finite(base):
        allowed = rule.tolerance.allowed(base)
        threshold = f"tolerance {rule.tolerance.text()}"
    fields.update(noise.row_fields(base_raw, current_raw, allowed, threshold, group))
    return fields


def _check_rules_match(cmp: Comparison, names: list[str]) -> None:
    if not cmp.rules:
        return
    known = set(names)
    for rule in cmp.rules:
        if rule.is_glob or rule.pattern in known:
            continue
        qualified = sorted(n for n in known if key_of(n) == rule.pattern and n != rule.pattern)
        if qualified:
            raise UsageError(
                f"a threshold names metric {rule.pattern!r}, which is defined in more than one "
                f"metrics file: {', '.join(qualified)}",
                where=f"thresholds: {rule.pattern}",
                fix=f"name the one you mean as FILE:KEY, e.g. `{qualified[0]!r}: {{...}}`, or "
                f"write a glob for all of them: `'*:{rule.pattern}': {{...}}`",
            )
        raise UsageError(
            f"a threshold names metric {rule.pattern!r}, which is in neither the current "
            "nor the baseline metrics",
            where=f"thresholds: {rule.pattern}",
            fix="fix the metric name (known: "
            + (", ".join(sorted(known)[:20]) or "none")
            + ") or use a glob such as `test.*`",
        )


# ----- a fork's figures, judged again ---------------------------------------------------------
FORK_NOTE = ("The figures were reported by the pull request's own run (a fork) and are its "
             "own; the verdict was recomputed here with the base branch's thresholds.")


def _figure(value: Any, where: str) -> float | None:
    """A reported value (schema-checked: a number, "NaN"/"Infinity"/"-Infinity" or null)."""
    try:
        return decode(value)
    except OverflowError as err:
        raise UsageError("a metric value is beyond float range", where=where) from err


def rejudge(result: Result, rules: Sequence[Rule], require_baseline: bool) -> Result:
    """``result`` judged again from its figures (baseline and current value of each metric)
    with ``rules``, the trusted checkout's thresholds, by the same :func:`diff` as
    ``mlgate compare``; whatever the result says about rules and passing is dropped."""
    current: dict[str, float] = {}
    baseline: dict[str, float] = {}
    files: dict[str, str] = {}
    for i, row in enumerate(result.metrics):
        where = f"result {result.name!r}: metrics[{i}] ({row.name[:80]})"
        now, then = _figure(row.current, where), _figure(row.baseline, where)
        if now is not None:
            current[row.name] = now
        if then is not None:
            baseline[row.name] = then
        if row.file:
            files[row.name] = row.file
    errors = list(result.errors)
    cmp = Comparison(current=current, baseline=baseline if result.baseline.found else None,
                     rules=rules, require_baseline=require_baseline, files=files)
    try:
        comparison = diff(cmp)
    except UsageError as err:  # a base rule names a metric the fork no longer reports
        errors.append(f"{err.where}: {err.message}" if err.where else err.message)
        comparison = diff(Comparison(current, cmp.baseline, [], require_baseline, files))
    base = result.baseline
    note = f"{FORK_NOTE} {base.note}" if base.note else FORK_NOTE
    return build_result(
        name=result.name, head=result.head,
        baseline=replace(base, note=note), comparison=comparison, require_baseline=require_baseline,
        metrics_files=result.metrics_files, params=result.params, data=result.data,
        errors=errors)


# ----- the trainer's sequential stop (issue 23, item 4; core/noise.py has the boundary) -----


@dataclass(frozen=True, slots=True)
class EarlyVerdict:
    """What the first ``look`` repeats decide: ``state`` is noise.PASS (every gated metric
    clearly inside its rules), noise.FAIL (one clearly outside) or noise.OPEN; ``decided``
    names the metrics that decided it."""

    state: str
    decided: tuple[str, ...] = ()


def early_verdict(
    baseline: Mapping[str, Sequence[float]],
    current: Mapping[str, Sequence[float]],
    rules: Sequence[Rule],
    group: int,
) -> EarlyVerdict:
    """The verdict of repeat-major per-fold scores so far, ``current`` paired with the same
    positions of ``baseline`` (its first ``len`` scores), under the rules ``diff`` applies:
    each check's margin over its spread against ``noise.sequential_boundary(group)``. A
    tolerance on a metric the baseline lacks checks nothing (``diff`` skips it too). Group 1:
    the per-run scores of a user pipeline (``train: {repeats: K}``)."""
    rule_of = rule_index(rules)
    boundary = noise.sequential_boundary(group)
    failed: list[str] = []
    passed: list[str] = []
    open_: list[str] = []
    for name, scores in current.items():
        rule = rule_of(name)
        if rule is None:
            continue
        state = _early_metric(rule, name, baseline.get(name), tuple(scores), group, boundary)
        (failed if state == noise.FAIL else passed if state == noise.PASS else open_).append(
            name)
    if failed:  # one metric clearly outside its rules decides the verdict
        return EarlyVerdict(noise.FAIL, tuple(failed))
    return EarlyVerdict(noise.OPEN) if open_ else EarlyVerdict(noise.PASS, tuple(passed))


def _exact(spread: float | None, values: tuple[float, ...], group: int) -> float | None:
    """Group 1: a spread within rounding of 0 (equal differences of floats: 0.84 − 0.83 and
    0.83 − 0.82 differ in the last bit) is 0."""
    if (group == 1 and spread is not None and all(map(math.isfinite, values))
            and spread <= 1e-9 * max(1.0, *map(abs, values))):
        return 0.0
    return spread


def _early_metric(rule: Rule, name: str, base_raw: Sequence[float] | None,
                  cur: tuple[float, ...], group: int, boundary: float) -> str:
    direction = rule.direction or infer_direction(name)
    states: list[str] = []
    cur_mean = noise.mean(cur)
    base = None if base_raw is None else tuple(base_raw)[:len(cur)]
    # One score per run (group 1): a spread of 0 is exact only when neither side moves with
    # the seed; else two or three equal values may be a coincidence (core/noise.py).
    fixed = group > 1 or (len(set(cur)) == 1 and base is not None and len(set(base)) == 1)
    own = _exact(noise.grouped_spread(cur, group), cur, group)
    if own == 0 and not fixed:
        own = None
    if rule.min is not None:
        states.append(noise.decide(cur_mean - rule.min, own, boundary))
    if rule.max is not None:
        states.append(noise.decide(rule.max - cur_mean, own, boundary))
    if rule.tolerance is not None and base is not None:
        if len(base) != len(cur) or any(math.isnan(v) for v in base + cur):
            return noise.OPEN
        base_mean = noise.mean(base)
        if not (_finite(base_mean) and _finite(cur_mean)):
            return noise.OPEN
        bad = base_mean - cur_mean if direction == "higher" else cur_mean - base_mean
        differences = noise.paired_differences(base, cur)
        spread = _exact(noise.grouped_spread(differences, group), base + cur, group)
        if spread == 0 and not (fixed or not any(differences)):
            spread = None  # equal differences, not all 0, of scores that move with the seed
        states.append(noise.decide(rule.tolerance.allowed(base_mean) - bad, spread, boundary))
    if noise.FAIL in states:
        return noise.FAIL
    return noise.PASS if all(s == noise.PASS for s in states) else noise.OPEN
