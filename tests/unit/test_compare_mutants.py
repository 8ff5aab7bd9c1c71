"""core.compare: a fork's result judged again (rejudge), the early verdict's min/max checks,
rule wording, the metric row's noise groups and informational flag, and rule-name errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mlgate.core import noise
from mlgate.core.compare import (
    FORK_NOTE,
    Comparison,
    diff,
    early_verdict,
    evaluate_rule,
    rejudge,
)
from mlgate.core.result import BaselineInfo, DataChange, HeadInfo, ParamChange, Result, build_result
from mlgate.core.thresholds import Rule, Tolerance, parse_rules
from mlgate.errors import UsageError

HEAD = HeadInfo(sha="f0f0", ref="refs/pull/7/head", subject="fork change")
PARAMS = (ParamChange("lr", "params.yaml", 0.1, 0.2, "modified"),)
DATA = (DataChange("data/train.csv", "modified"),)


def _fork_result(
    current: dict[str, float],
    baseline: dict[str, float] | None,
    *,
    note: str | None = None,
    errors: tuple[str, ...] = (),
    files: dict[str, str] | None = None,
) -> Result:
    """What a fork's own run reports: no rules at all, so it passes."""
    files = files if files is not None else dict.fromkeys(current, "metrics.json")
    cmp = Comparison(current=current, baseline=baseline, files=files)
    return build_result(
        name="fork", head=HEAD,
        baseline=BaselineInfo(found=baseline is not None, sha="b0b0" if baseline else None,
                              note=note),
        comparison=diff(cmp), require_baseline=False, metrics_files=("metrics.json",),
        params=PARAMS, data=DATA, errors=errors)


def _row(result: Result, name: str):
    return next(r for r in result.metrics if r.name == name)


# ----- rejudge --------------------------------------------------------------------------------


def test_rejudge_applies_the_base_thresholds_to_the_reported_figures() -> None:
    fork = _fork_result({"accuracy": 0.80, "loss": 0.5}, {"accuracy": 0.90, "old": 1.0})
    assert fork.passed
    rules = parse_rules({"accuracy": {"min": 0.85, "tolerance": 0.01}})
    judged = rejudge(fork, rules, require_baseline=False)
    assert not judged.passed
    acc = _row(judged, "accuracy")
    assert (acc.baseline, acc.current, acc.file) == (0.90, 0.80, "metrics.json")
    assert acc.rule == "accuracy" and [c.status for c in acc.rules] == ["failed", "failed"]
    assert judged.failed_rules == (
        "accuracy: min 0.85 (0.8 is below 0.85)",
        "accuracy: tolerance -0.01 (dropped 0.1, allowed 0.01)",
    )
    # A metric only the baseline has is removed; one only the fork has is new.
    assert _row(judged, "old").status == "removed" and _row(judged, "old").baseline == 1.0
    assert _row(judged, "old").current is None and _row(judged, "old").file is None
    assert _row(judged, "loss").status == "new" and _row(judged, "loss").current == 0.5
    # What was compared is kept; the note says who measured the figures.
    assert (judged.name, judged.head, judged.metrics_files) == ("fork", HEAD, ("metrics.json",))
    assert (judged.params, judged.data) == (PARAMS, DATA)
    assert judged.baseline.note == FORK_NOTE and judged.baseline.sha == "b0b0"
    assert judged.baseline.found and not judged.require_baseline
    assert judged.summary.metrics == 3 and judged.summary.rules_failed == 2


def test_rejudge_keeps_the_baseline_note_after_the_fork_note() -> None:
    fork = _fork_result({"accuracy": 0.9}, {"accuracy": 0.9}, note="baseline from the store")
    judged = rejudge(fork, [], require_baseline=False)
    assert judged.baseline.note == f"{FORK_NOTE} baseline from the store"
    assert judged.passed


def test_rejudge_keeps_the_fork_errors_and_fails_on_them() -> None:
    fork = _fork_result({"accuracy": 0.9}, {"accuracy": 0.9}, errors=("metrics file broken",))
    judged = rejudge(fork, [], require_baseline=False)
    assert judged.errors == ("metrics file broken",) and not judged.passed


def test_rejudge_without_a_baseline_skips_tolerances_or_fails_when_one_is_required() -> None:
    fork = _fork_result({"accuracy": 0.9}, None)
    rules = parse_rules({"accuracy": {"tolerance": 0.01}})
    judged = rejudge(fork, rules, require_baseline=False)
    check = _row(judged, "accuracy").rules[0]
    assert (check.status, check.message) == ("skipped", "skipped: no baseline")
    assert judged.passed and judged.skipped_rules == (
        "accuracy: tolerance -0.01 (skipped: no baseline)",)
    strict = rejudge(fork, rules, require_baseline=True)
    check = _row(strict, "accuracy").rules[0]
    assert (check.status, check.message) == (
        "failed", "no baseline, and require-baseline is true")
    assert not strict.passed and strict.require_baseline
    assert any("require-baseline is true" in e for e in strict.errors)


def test_rejudge_a_base_rule_on_a_metric_the_fork_dropped_is_an_error_not_a_crash() -> None:
    fork = _fork_result({"accuracy": 0.80}, {"accuracy": 0.90},
                        files={"accuracy": "eval/metrics.json"})
    rules = parse_rules({"accuracy": {"min": 0.85}, "recall": {"min": 0.5}})
    for required in (False, True):
        judged = rejudge(fork, rules, require_baseline=required)
        assert not judged.passed
        assert len(judged.errors) == 1
        assert judged.errors[0].startswith(
            "thresholds: recall: a threshold names metric 'recall', which is in neither")
        acc = _row(judged, "accuracy")
        # Compared without rules, with the baseline and the files still there.
        assert acc.rules == () and acc.rule is None
        assert (acc.baseline, acc.current, acc.file) == (0.90, 0.80, "eval/metrics.json")
        assert acc.status == "regressed"


def test_rejudge_reads_the_encoded_non_finite_figures() -> None:
    fork = _fork_result({"accuracy": 0.9}, {"accuracy": 0.9})
    row = replace(fork.metrics[0], current="Infinity", baseline="NaN")
    judged = rejudge(replace(fork, metrics=(row,)), [], require_baseline=False)
    acc = _row(judged, "accuracy")
    assert (acc.current, acc.baseline) == ("Infinity", "NaN")
    assert [(c.rule, c.status) for c in acc.rules] == [("finite", "failed")]


@pytest.mark.parametrize("side", ["current", "baseline"])
def test_rejudge_a_figure_beyond_float_range_is_bad_input_naming_the_row(side: str) -> None:
    long_name = "m" * 100
    fork = _fork_result({"accuracy": 0.9, long_name: 1.0}, {"accuracy": 0.9, long_name: 1.0})
    rows = list(fork.metrics)
    i = next(i for i, r in enumerate(rows) if r.name == long_name)
    rows[i] = replace(rows[i], **{side: 10**400})
    with pytest.raises(UsageError) as err:
        rejudge(replace(fork, metrics=tuple(rows)), [], require_baseline=False)
    assert err.value.message == "a metric value is beyond float range"
    assert err.value.where == f"result 'fork': metrics[{i}] ({'m' * 80})"


# ----- the early verdict: min and max -----------------------------------------------------------

Z5 = noise.sequential_boundary(5)
LOW = (0.50, 0.51, 0.49, 0.50, 0.50)  # one repeat of 5 folds, a small spread


def test_early_verdict_min_rule_decides_both_ways_and_stays_open_near_the_bound() -> None:
    below = parse_rules({"accuracy": {"min": 0.9}})
    verdict = early_verdict({}, {"accuracy": LOW}, below, 5)
    assert (verdict.state, verdict.decided) == (noise.FAIL, ("accuracy",))
    above = parse_rules({"accuracy": {"min": 0.3}})
    verdict = early_verdict({}, {"accuracy": LOW}, above, 5)
    assert (verdict.state, verdict.decided) == (noise.PASS, ("accuracy",))
    near = parse_rules({"accuracy": {"min": 0.499}})  # 0.001 inside, spread ~0.003
    assert early_verdict({}, {"accuracy": LOW}, near, 5).state == noise.OPEN


def test_early_verdict_max_rule_decides_both_ways() -> None:
    verdict = early_verdict({}, {"loss": LOW}, parse_rules({"loss": {"max": 0.1}}), 5)
    assert (verdict.state, verdict.decided) == (noise.FAIL, ("loss",))
    verdict = early_verdict({}, {"loss": LOW}, parse_rules({"loss": {"max": 0.7}}), 5)
    assert (verdict.state, verdict.decided) == (noise.PASS, ("loss",))
    near = parse_rules({"loss": {"max": 0.501}})
    assert early_verdict({}, {"loss": LOW}, near, 5).state == noise.OPEN


def test_early_verdict_pass_names_every_gated_metric_in_order() -> None:
    rules = parse_rules({"accuracy": {"min": 0.3}, "loss": {"max": 0.7}})
    verdict = early_verdict({}, {"loss": LOW, "notes": LOW, "accuracy": LOW}, rules, 5)
    assert verdict == type(verdict)(noise.PASS, ("loss", "accuracy"))


def test_early_verdict_an_ungated_metric_first_does_not_hide_the_gated_ones() -> None:
    rules = parse_rules({"accuracy": {"min": 0.9}})
    verdict = early_verdict({}, {"n_rows": LOW, "accuracy": LOW}, rules, 5)
    assert (verdict.state, verdict.decided) == (noise.FAIL, ("accuracy",))


def test_early_verdict_a_shorter_baseline_leaves_the_tolerance_open() -> None:
    rules = parse_rules({"accuracy": {"tolerance": 0.01}})
    verdict = early_verdict({"accuracy": LOW[:4]}, {"accuracy": LOW}, rules, 5)
    assert verdict.state == noise.OPEN


def test_early_verdict_a_non_finite_baseline_leaves_the_metric_open() -> None:
    # The tolerance cannot be measured: keep fitting, even though min alone would fail.
    rules = parse_rules({"accuracy": {"min": 0.9, "tolerance": 0.01}})
    base = (float("inf"),) * 5
    assert early_verdict({"accuracy": base}, {"accuracy": LOW}, rules, 5).state == noise.OPEN
    assert early_verdict({}, {"accuracy": LOW}, rules, 5).state == noise.FAIL


# ----- rule wording ---------------------------------------------------------------------------


def test_a_percentage_tolerance_says_how_far_in_percent_with_three_digits() -> None:
    rule = Rule("accuracy", tolerance=Tolerance(5.0, percent=True))
    [check] = evaluate_rule(rule, 0.9, 0.8, "higher", False)
    assert check.message == "dropped 11.1% (0.9 → 0.8), allowed 5% (0.045)"
    assert check.status == "failed"
    [check] = evaluate_rule(rule, 1.0, 0.9, "higher", False)
    assert check.message == "dropped 10% (1 → 0.9), allowed 5% (0.05)"


def test_a_rule_without_checks_on_a_removed_metric_fails_as_present() -> None:
    rule = Rule("accuracy", direction="higher")
    [check] = evaluate_rule(rule, 0.9, None, "higher", False)
    assert (check.rule, check.threshold, check.status) == ("present", "present", "failed")
    result = diff(Comparison(current={}, baseline={"accuracy": 0.9}, rules=[rule]))
    assert result.failed_rules == (
        "accuracy: present (removed: the metric is missing from the current metrics)",)


# ----- a metric row: repeat groups and informational -------------------------------------------

# Two repeats of 5 folds; the current run moved the first repeat only: per fold the change looks
# clear, per repeat it is within the noise.
G_BASE = (0.80,) * 5 + (0.81,) * 5
G_CUR = (0.82,) * 5 + (0.81,) * 5


def test_a_row_uses_the_metric_group_for_its_noise() -> None:
    rules = parse_rules({"accuracy": {"tolerance": "1%"}})
    grouped = diff(Comparison(current={"accuracy": G_CUR}, baseline={"accuracy": G_BASE},
                              rules=rules, groups={"accuracy": 5}))
    plain = diff(Comparison(current={"accuracy": G_CUR}, baseline={"accuracy": G_BASE},
                            rules=rules))
    row, flat = grouped.metrics[0], plain.metrics[0]
    assert row.status == "within_noise" and flat.status == "improved"
    assert row.noise["spread"] == pytest.approx(0.01)
    assert flat.noise["spread"] == pytest.approx(0.02 / 6, rel=1e-3)
    # Seed noise alone: the baseline's repeat spread; the allowance is 1 % of the baseline.
    null = row.noise["null_spread"]
    assert null == pytest.approx(0.01 / 2**0.5)
    allowed = 0.01 * 0.805
    assert row.noise["false_block_probability"] == pytest.approx(
        noise.normal_cdf(-allowed / null))
    assert row.noise["noise_warning"] is not None


def test_a_row_is_informational_by_the_default_and_the_configured_globs() -> None:
    result = diff(Comparison(current={"train_time": 3.0, "rows_seen": 10.0, "accuracy": 0.9},
                             baseline=None, informational=("rows_*",)))
    flags = {r.name: r.informational for r in result.metrics}
    assert flags == {"train_time": True, "rows_seen": True, "accuracy": False}


# ----- a rule that names no metric ------------------------------------------------------------


def test_an_exact_rule_after_a_glob_is_still_checked() -> None:
    rules = parse_rules({"test.*": {"min": 0.1}, "recall": {"min": 0.5}})
    with pytest.raises(UsageError) as err:
        diff(Comparison(current={"test.acc": 0.9}, baseline=None, rules=rules))
    assert "'recall'" in err.value.message and err.value.where == "thresholds: recall"


def test_a_rule_on_a_key_of_two_files_asks_for_file_colon_key() -> None:
    rules = parse_rules({"acc": {"min": 0.5}})
    current = {"b/m.json:acc": 0.9, "a/m.json:acc": 0.8, "c/m.json:acc": 0.7}
    with pytest.raises(UsageError) as err:
        diff(Comparison(current=current, baseline=None, rules=rules))
    e = err.value
    assert e.message == ("a threshold names metric 'acc', which is defined in more than one "
                         "metrics file: a/m.json:acc, b/m.json:acc, c/m.json:acc")
    assert e.where == "thresholds: acc"
    assert e.fix == ("name the one you mean as FILE:KEY, e.g. `'a/m.json:acc': {...}`, or "
                     "write a glob for all of them: `'*:acc': {...}`")
