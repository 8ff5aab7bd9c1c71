"""The comparison (core/compare.py): every decision pinned with exact values (boundaries,
epsilon, NaN/inf, signs), the rule messages, and small examples of directions, statuses and
globs. Hand-computed expectations; floats chosen so that the float error matters."""

from __future__ import annotations

import math
from typing import Any

import pytest

from mlgate.core.compare import (
    STATUS_ORDER,
    Comparison,
    decode,
    diff,
    encode,
    evaluate_rule,
    status_of,
)
from mlgate.core.result import MetricRow, RuleCheck, Summary
from mlgate.core.thresholds import Rule, Tolerance, infer_direction, parse_rules, rule_for
from mlgate.errors import UsageError


def run(current: dict[str, float], baseline: dict[str, float] | None,
        thresholds: dict[str, Any] | None = None, require: bool = False) -> dict[str, Any]:
    """The comparison as result.json writes it (``Diff.to_json``)."""
    return diff(Comparison(current, baseline, parse_rules(thresholds or {}), require)).to_json()


def row(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in result["metrics"] if m["name"] == name)


def rule_checks(*args: Any) -> list[dict[str, Any]]:
    return [c.to_json() for c in evaluate_rule(*args)]


def test_diff_returns_the_typed_rows_of_the_result() -> None:
    res = diff(Comparison({"a": 0.5, "b": 0.7}, {"a": 0.6}, parse_rules({"a": {"min": 0.55}})))
    assert all(type(r) is MetricRow for r in res.metrics)
    assert res.metrics[0].rules == (RuleCheck("min", "min 0.55", 0.55, "failed",
                                              "0.5 is below 0.55"),)
    assert res.summary == Summary(metrics=2, regressed=1, new=1, rules_failed=1)
    assert res.failed_rules == ("a: min 0.55 (0.5 is below 0.55)",) and not res.passed


def check(kind: str, limit: Any, status: str, message: str, threshold: str) -> dict[str, Any]:
    return {"rule": kind, "threshold": threshold, "limit": limit, "status": status,
            "message": message}


# ----- min / max boundaries -----------------------------------------------------------------


def test_a_value_exactly_at_min_passes_and_just_below_fails() -> None:
    at = run({"accuracy": 0.9}, None, {"accuracy": {"min": 0.9}})
    assert row(at, "accuracy")["rules"] == [check("min", 0.9, "passed", "0.9 >= 0.9", "min 0.9")]
    assert at["passed"] is True
    below = run({"accuracy": 0.8999999}, None, {"accuracy": {"min": 0.9}})
    assert row(below, "accuracy")["rules"] == [
        check("min", 0.9, "failed", "0.9 is below 0.9", "min 0.9")]  # 6 significant digits
    assert below["failed_rules"] == ["accuracy: min 0.9 (0.9 is below 0.9)"]


def test_a_value_exactly_at_max_passes_and_just_above_fails() -> None:
    at = run({"latency_ms": 50.0}, None, {"latency_ms": {"max": 50}})
    assert row(at, "latency_ms")["rules"] == [check("max", 50.0, "passed", "50 <= 50", "max 50")]
    assert at["passed"] is True
    above = run({"latency_ms": 50.5}, None, {"latency_ms": {"max": 50}})
    assert row(above, "latency_ms")["rules"] == [
        check("max", 50.0, "failed", "50.5 is above 50", "max 50")]
    assert above["passed"] is False


def test_min_equal_to_max_is_accepted_and_only_that_value_passes() -> None:
    rules = parse_rules({"x": {"min": 0.5, "max": 0.5}})
    assert rules == [Rule("x", min=0.5, max=0.5)]
    assert run({"x": 0.5}, None, {"x": {"min": 0.5, "max": 0.5}})["passed"] is True
    assert run({"x": 0.51}, None, {"x": {"min": 0.5, "max": 0.5}})["passed"] is False
    assert run({"x": 0.49}, None, {"x": {"min": 0.5, "max": 0.5}})["passed"] is False


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_bounds_fail_a_non_finite_value_with_its_name(bad: float) -> None:
    text = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(bad)]
    checks = rule_checks(Rule("x", min=0.0, max=1.0), 0.5, bad, "higher", False)
    assert checks == [
        check("min", 0.0, "failed", f"{text} is not a finite number", "min 0"),
        check("max", 1.0, "failed", f"{text} is not a finite number", "max 1"),
    ]


def test_bounds_on_a_missing_metric_fail() -> None:
    checks = rule_checks(Rule("x", min=0.0, max=1.0), 0.5, None, "higher", False)
    missing = "removed: the metric is missing from the current metrics"
    assert checks == [check("min", 0.0, "failed", missing, "min 0"),
                      check("max", 1.0, "failed", missing, "max 1")]


# ----- tolerance: the epsilon and the boundary ------------------------------------------------


def test_drop_exactly_at_tolerance_passes_although_the_float_limit_is_above_it() -> None:
    # 0.07 - 0.01 == 0.060000000000000005 > 0.06: only the epsilon lets 0.06 pass.
    assert 0.07 - 0.01 > 0.06
    res = run({"accuracy": 0.06}, {"accuracy": 0.07}, {"accuracy": {"tolerance": 0.01}})
    assert row(res, "accuracy")["rules"] == [check(
        "tolerance", 0.07 - 0.01, "passed", "dropped 0.01, allowed 0.01", "tolerance -0.01")]
    assert res["passed"] is True


def test_rise_exactly_at_tolerance_passes_although_the_float_limit_is_below_it() -> None:
    assert 0.06 + 0.01 < 0.07
    res = run({"loss": 0.07}, {"loss": 0.06}, {"loss": {"tolerance": 0.01}})
    assert row(res, "loss")["rules"] == [check(
        "tolerance", 0.06 + 0.01, "passed", "rose 0.01, allowed 0.01", "tolerance +0.01")]


def test_the_epsilon_is_tiny_a_real_overshoot_fails() -> None:
    drop = run({"accuracy": 0.0599999}, {"accuracy": 0.07}, {"accuracy": {"tolerance": 0.01}})
    assert drop["passed"] is False
    assert drop["failed_rules"] == ["accuracy: tolerance -0.01 (dropped 0.0100001, allowed 0.01)"]
    rise = run({"loss": 0.0700001}, {"loss": 0.06}, {"loss": {"tolerance": 0.01}})
    assert rise["failed_rules"] == ["loss: tolerance +0.01 (rose 0.0100001, allowed 0.01)"]
    # around a large limit the slack is relative: 1e-12 of 1e6 is 1e-6
    big = run({"n": 999_999.0 - 2e-6}, {"n": 1_000_000.0}, {"n": {"tolerance": 1.0}})
    assert big["passed"] is False
    assert run({"n": 999_999.0 - 5e-7}, {"n": 1_000_000.0}, {"n": {"tolerance": 1.0}})["passed"]


def test_zero_tolerance_passes_only_no_move_in_the_bad_direction() -> None:
    assert run({"a": 0.9}, {"a": 0.9}, {"a": {"tolerance": 0}})["passed"] is True
    assert run({"a": 0.91}, {"a": 0.9}, {"a": {"tolerance": 0}})["passed"] is True
    res = run({"a": 0.89}, {"a": 0.9}, {"a": {"tolerance": 0}})
    assert row(res, "a")["rules"][0]["status"] == "failed"
    ok = run({"a": 0.9}, {"a": 0.9}, {"a": {"tolerance": 0}})
    assert row(ok, "a")["rules"] == [check("tolerance", 0.9, "passed", "did not drop",
                                          "tolerance -0")]
    lower = run({"loss": 0.3}, {"loss": 0.3}, {"loss": {"tolerance": 0}})
    assert row(lower, "loss")["rules"][0]["message"] == "did not rise"


def test_percent_tolerance_on_a_negative_baseline_uses_its_magnitude() -> None:
    # baseline -2, "10%": allowed 0.2, so a higher-is-better metric may drop to -2.2
    rules = {"score": {"tolerance": "10%"}}
    ok = run({"score": -2.15}, {"score": -2.0}, rules)
    assert row(ok, "score")["rules"] == [check(
        "tolerance", -2.2, "passed", "dropped 7.5% (-2 → -2.15), allowed 10% (0.2)",
        "tolerance -10%")]
    bad = run({"score": -2.25}, {"score": -2.0}, rules)
    assert bad["failed_rules"] == [
        "score: tolerance -10% (dropped 12.5% (-2 → -2.25), allowed 10% (0.2))"]
    # lower is better: may rise from -2 to -1.8
    low = run({"loss": -1.85}, {"loss": -2.0}, {"loss": {"tolerance": "10%"}})
    assert row(low, "loss")["rules"][0]["limit"] == pytest.approx(-1.8, abs=1e-15)
    assert row(low, "loss")["rules"][0]["message"] == "rose 7.5% (-2 → -1.85), allowed 10% (0.2)"
    assert low["passed"] is True
    assert run({"loss": -1.75}, {"loss": -2.0}, {"loss": {"tolerance": "10%"}})["passed"] is False


def test_zero_percent_tolerance_is_valid() -> None:
    assert parse_rules({"a": {"tolerance": "0%"}}) == [Rule("a", tolerance=Tolerance(0.0, True))]
    res = run({"a": 0.9}, {"a": 0.9}, {"a": {"tolerance": "0%"}})
    assert row(res, "a")["rules"][0]["threshold"] == "tolerance -0%"
    assert res["passed"] is True
    assert run({"a": 0.8999}, {"a": 0.9}, {"a": {"tolerance": "0%"}})["passed"] is False


# ----- NaN and infinity ---------------------------------------------------------------------


@pytest.mark.parametrize(("baseline", "current", "direction", "status"), [
    (0.9, math.nan, "higher", "regressed"),
    (0.9, math.nan, "lower", "regressed"),
    (0.9, math.inf, "higher", "regressed"),  # a metric that turns infinite is broken
    (0.9, -math.inf, "lower", "regressed"),
    (math.nan, math.nan, "higher", "unchanged"),
    (math.inf, math.inf, "higher", "unchanged"),
    (-math.inf, -math.inf, "lower", "unchanged"),
    (math.nan, 0.9, "higher", "improved"),
    (math.inf, 0.9, "lower", "improved"),
    (math.inf, -math.inf, "higher", "regressed"),
    (math.nan, math.inf, "higher", "regressed"),
    (math.inf, math.nan, "higher", "regressed"),
])
def test_status_with_non_finite_values(baseline: float, current: float, direction: str,
                                       status: str) -> None:
    assert status_of(baseline, current, direction) == status


@pytest.mark.parametrize(("baseline", "current", "direction", "status"), [
    (None, 1.0, "higher", "new"),
    (1.0, None, "higher", "removed"),
    (None, None, "higher", "removed"),
    (1.0, 1.0, "higher", "unchanged"),
    (1.0, 1.1, "higher", "improved"),
    (1.0, 1.1, "lower", "regressed"),
    (1.0, 0.9, "higher", "regressed"),
    (1.0, 0.9, "lower", "improved"),
    (-1.0, -0.5, "higher", "improved"),
    (0.0, 1e-13, "higher", "unchanged"),  # below 1e-12 of max(|b|, |c|, 1): noise
    (0.0, 2e-12, "higher", "improved"),
    (1e6, 1e6 + 1e-7, "higher", "unchanged"),  # relative: 1e-12 of 1e6
    (1e6, 1e6 + 1e-5, "higher", "improved"),
    (1e6 + 1e-5, 1e6, "lower", "improved"),
])
def test_status_of_finite_values(baseline: float | None, current: float | None, direction: str,
                                 status: str) -> None:
    assert status_of(baseline, current, direction) == status


def test_a_metric_that_turns_nan_fails_and_is_reported_as_regressed() -> None:
    res = run({"accuracy": math.nan}, {"accuracy": 0.9})
    acc = row(res, "accuracy")
    assert (acc["status"], acc["current"], acc["delta"], acc["relative_delta"]) == (
        "regressed", "NaN", "NaN", None)
    assert acc["rules"] == [check("finite", None, "failed", "NaN is not a finite number",
                                  "finite")]
    assert res["failed_rules"] == ["accuracy: finite (NaN is not a finite number)"]
    assert res["summary"]["regressed"] == 1 and res["summary"]["rules_failed"] == 1


def test_a_metric_that_turns_infinite_fails() -> None:
    res = run({"loss": math.inf}, {"loss": 0.2})
    loss = row(res, "loss")
    assert (loss["status"], loss["current"], loss["delta"]) == ("regressed", "Infinity", "NaN")
    assert res["failed_rules"] == ["loss: finite (Infinity is not a finite number)"]


def test_nan_baseline_and_nan_current_is_unchanged_but_still_fails() -> None:
    res = run({"auc": math.nan}, {"auc": math.nan})
    auc = row(res, "auc")
    assert (auc["status"], auc["baseline"], auc["current"], auc["delta"]) == (
        "unchanged", "NaN", "NaN", "NaN")
    assert auc["relative_delta"] is None
    assert res["passed"] is False and res["summary"]["unchanged"] == 1


def test_a_non_finite_baseline_with_a_tolerance_rule() -> None:
    rules = {"auc": {"tolerance": 0.01}}
    fine = run({"auc": 0.8}, {"auc": math.nan}, rules)
    assert row(fine, "auc")["rules"] == [check(
        "tolerance", None, "passed", "baseline is NaN; only a finite current value passes",
        "tolerance -0.01")]
    assert row(fine, "auc")["status"] == "improved" and fine["passed"] is True
    broken = run({"auc": math.nan}, {"auc": math.inf}, rules)
    assert row(broken, "auc")["rules"] == [check(
        "tolerance", None, "failed", "baseline is Infinity; only a finite current value passes",
        "tolerance -0.01")]
    assert broken["failed_rules"] == [
        "auc: tolerance -0.01 (baseline is Infinity; only a finite current value passes)"]


def test_tolerance_on_a_non_finite_current_with_finite_baseline_fails() -> None:
    res = run({"auc": -math.inf}, {"auc": 0.8}, {"auc": {"tolerance": "1%"}})
    assert row(res, "auc")["rules"] == [check(
        "tolerance", 0.8 - 0.008, "failed", "-Infinity is not a finite number",
        "tolerance -1%")]


def test_tolerance_without_baseline_skips_or_fails_and_missing_current_fails() -> None:
    skipped = rule_checks(Rule("a", tolerance=Tolerance(1.0, True)), None, 0.5, "lower", False)
    assert skipped == [check("tolerance", None, "skipped", "skipped: no baseline",
                             "tolerance +1%")]
    required = rule_checks(Rule("a", tolerance=Tolerance(1.0, True)), None, 0.5, "lower", True)
    assert required == [check("tolerance", None, "failed",
                              "no baseline, and require-baseline is true", "tolerance +1%")]
    gone = rule_checks(Rule("a", tolerance=Tolerance(2.0, False)), 0.5, None, "lower", True)
    assert gone == [check("tolerance", None, "failed",
                          "removed: the metric is missing from the current metrics",
                          "tolerance +2")]


# ----- deltas -------------------------------------------------------------------------------


@pytest.mark.parametrize("rules", [None, {"*": {"min": -100}}])  # plain rows; rows with a rule
def test_relative_delta_keeps_its_sign_on_negative_baselines(rules: dict[str, Any] | None) -> None:
    res = run({"score": -1.0, "loss": -3.0}, {"score": -2.0, "loss": -2.0}, rules)
    assert (row(res, "score")["delta"], row(res, "score")["relative_delta"]) == (1.0, 0.5)
    assert (row(res, "loss")["delta"], row(res, "loss")["relative_delta"]) == (-1.0, -0.5)
    assert row(res, "score")["status"] == "improved" and row(res, "loss")["status"] == "improved"


def test_relative_delta_on_positive_and_zero_baselines() -> None:
    res = run({"a": 3.0, "b": 0.0, "c": 0.0}, {"a": 2.0, "b": 0.0, "c": 4.0})
    assert (row(res, "a")["delta"], row(res, "a")["relative_delta"]) == (1.0, 0.5)
    assert (row(res, "b")["delta"], row(res, "b")["relative_delta"]) == (0.0, 0.0)
    assert (row(res, "c")["delta"], row(res, "c")["relative_delta"]) == (-4.0, -1.0)


def test_new_and_removed_rows_have_no_delta() -> None:
    res = run({"new": 1.0}, {"gone": 2.0})
    assert {k: row(res, "new")[k] for k in ("baseline", "current", "delta", "relative_delta")} == {
        "baseline": None, "current": 1.0, "delta": None, "relative_delta": None}
    assert {k: row(res, "gone")[k] for k in ("baseline", "current", "delta")} == {
        "baseline": 2.0, "current": None, "delta": None}


# ----- the whole result ---------------------------------------------------------------------


def test_a_full_result_document() -> None:
    res = diff(Comparison(
        current={"accuracy": 0.93, "rmse": 4.0, "f1": 0.5, "new": 1.0},
        baseline={"accuracy": 0.95, "rmse": 4.2, "f1": 0.5, "gone": 3.0},
        rules=parse_rules({"accuracy": {"min": 0.9, "tolerance": 0.01}, "*": {"min": 0.0},
                           "new": {"tolerance": 0.1}}),
        files={"accuracy": "metrics.json", "rmse": "eval/m.json"},
    )).to_json()
    assert res["passed"] is False
    assert [m["name"] for m in res["metrics"]] == ["accuracy", "gone", "new", "rmse", "f1"]
    assert row(res, "accuracy")["file"] == "metrics.json"
    assert row(res, "rmse")["file"] == "eval/m.json" and row(res, "f1")["file"] is None
    assert row(res, "rmse")["rule"] == "*" and row(res, "gone")["rule"] == "*"
    # issue 11: a glob rule fails a removed metric too (renaming a metric must not pass)
    assert row(res, "gone")["rules"] == [check(
        "min", 0.0, "failed", "removed: the metric is missing from the current metrics",
        "min 0")]
    assert row(res, "gone")["passed"] is False
    assert row(res, "rmse")["direction"] == "lower"
    assert row(res, "rmse")["direction_source"] == "inferred"
    assert row(res, "f1")["passed"] is True and row(res, "accuracy")["passed"] is False
    assert res["failed_rules"] == [
        "accuracy: tolerance -0.01 (dropped 0.02, allowed 0.01)",
        "gone: min 0 (removed: the metric is missing from the current metrics)"]
    assert res["skipped_rules"] == [
        "new: tolerance -0.1 (skipped: new metric, not in the baseline)"]
    assert res["summary"] == {
        "metrics": 5, "regressed": 1, "removed": 1, "new": 1, "improved": 1, "unchanged": 1,
        "rules_passed": 3, "rules_failed": 2, "rules_skipped": 1,
    }


def test_rows_sort_by_status_order_then_name_failing_first() -> None:
    assert STATUS_ORDER == ("regressed", "removed", "new", "improved", "within_noise", "unchanged")
    res = run({"b": 1.0, "a": 1.0, "z": 0.5, "y": 2.0, "n": 1.0},
              {"b": 1.0, "a": 1.0, "z": 0.6, "y": 1.0, "r": 1.0}, {"y": {"max": 1.5}})
    assert [m["name"] for m in res["metrics"]] == ["y", "z", "r", "n", "a", "b"]


def test_an_empty_comparison_passes() -> None:
    res = run({}, None)
    assert res == {"passed": True, "metrics": [], "failed_rules": [], "skipped_rules": [],
                   "summary": {"metrics": 0, "regressed": 0, "removed": 0, "new": 0,
                               "improved": 0, "unchanged": 0, "rules_passed": 0,
                               "rules_failed": 0, "rules_skipped": 0}}


def test_an_exact_rule_may_name_a_metric_only_in_the_baseline() -> None:
    res = run({"b": 1.0}, {"a": 1.0, "b": 1.0}, {"a": {"max": 2}})
    assert res["failed_rules"] == [
        "a: max 2 (removed: the metric is missing from the current metrics)"]


def test_an_unknown_exact_rule_names_the_known_metrics() -> None:
    with pytest.raises(UsageError) as err:
        run({"b": 1.0, "a": 2.0}, {"c": 1.0}, {"d": {"min": 0}})
    assert err.value.message == (
        "a threshold names metric 'd', which is in neither the current nor the baseline metrics")
    assert err.value.where == "thresholds: d"
    assert err.value.fix == "fix the metric name (known: a, b, c) or use a glob such as `test.*`"
    with pytest.raises(UsageError) as none:
        run({}, None, {"d": {"min": 0}})
    assert none.value.fix == "fix the metric name (known: none) or use a glob such as `test.*`"
    many = {f"m{i:02d}": 1.0 for i in range(25)}
    with pytest.raises(UsageError) as cut:
        run(many, None, {"d": {"min": 0}})
    assert cut.value.fix is not None
    assert "m19)" in cut.value.fix and "m20" not in cut.value.fix


def test_encode_and_decode_of_non_finite_values() -> None:
    assert [encode(v) for v in (math.nan, math.inf, -math.inf, 0.5, None)] == [
        "NaN", "Infinity", "-Infinity", 0.5, None]
    assert decode("Infinity") == math.inf and decode("-Infinity") == -math.inf
    assert math.isnan(decode("NaN") or 0.0)
    assert decode(None) is None and decode(2) == 2.0 and isinstance(decode(2), float)


def test_rule_messages_use_six_significant_digits() -> None:
    res = run({"x": 1234567.0}, None, {"x": {"max": 1000000}})
    assert res["failed_rules"] == ["x: max 1e+06 (1.23457e+06 is above 1e+06)"]


def test_the_epsilon_boundaries_are_inclusive_and_exactly_one_part_in_1e12() -> None:
    assert status_of(0.0, 1e-12, "higher") == "unchanged"  # |delta| == 1e-12 * 1
    limit = 0.95 - 0.01
    at_slack = limit - 1e-12 * 1.0
    drop = run({"a": at_slack}, {"a": 0.95}, {"a": {"tolerance": 0.01}})
    assert drop["passed"] is True
    over = run({"a": 0.06 - 1.5e-12}, {"a": 0.07}, {"a": {"tolerance": 0.01}})
    assert over["passed"] is False  # 1.5e-12 below a limit under 1: the slack is 1e-12
    rise_limit = 0.06 + 0.01
    rise = run({"loss": rise_limit + 1e-12}, {"loss": 0.06}, {"loss": {"tolerance": 0.01}})
    assert rise["passed"] is True


# ----- the comparison on small examples: directions, statuses, globs, NaN/inf -----------------


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("accuracy", "higher"),
        ("test.f1", "higher"),
        ("roc_auc", "higher"),
        ("loss", "lower"),
        ("val_loss", "lower"),
        ("train.logloss", "lower"),
        ("rmse", "lower"),
        ("test.mae", "lower"),
        ("latency_ms", "lower"),
        ("inference_time", "lower"),
        ("mean_squared_error", "lower"),
        ("r2", "higher"),
        ("precision", "higher"),
        ("recall", "higher"),
    ],
)
def test_direction_inferred_from_name(name, direction):
    assert infer_direction(name) == direction


def test_min_and_absolute_tolerance():
    res = run({"accuracy": 0.93}, {"accuracy": 0.95}, {"accuracy": {"min": 0.9, "tolerance": 0.01}})
    acc = row(res, "accuracy")
    assert acc["status"] == "regressed"
    assert [c["status"] for c in acc["rules"]] == ["passed", "failed"]
    assert acc["rules"][1]["limit"] == pytest.approx(0.94)
    assert res["passed"] is False
    assert res["failed_rules"] == ["accuracy: tolerance -0.01 (dropped 0.02, allowed 0.01)"]


def test_drop_within_absolute_tolerance_passes():
    res = run({"accuracy": 0.945}, {"accuracy": 0.95}, {"accuracy": {"tolerance": 0.01}})
    assert res["passed"] is True
    assert row(res, "accuracy")["status"] == "regressed"


def test_drop_exactly_at_tolerance_passes_despite_float_error():
    res = run({"accuracy": 0.94}, {"accuracy": 0.95}, {"accuracy": {"tolerance": 0.01}})
    assert res["passed"] is True


def test_percentage_tolerance_lower_is_better():
    # rmse 4.0 -> 4.07 is +1.75 %, allowed 2 %: passes; 4.1 is +2.5 %: fails.
    ok = run({"rmse": 4.07}, {"rmse": 4.0}, {"rmse": {"max": 4.5, "tolerance": "2%"}})
    bad = run({"rmse": 4.1}, {"rmse": 4.0}, {"rmse": {"max": 4.5, "tolerance": "2%"}})
    assert ok["passed"] is True
    assert bad["passed"] is False
    assert row(bad, "rmse")["direction"] == "lower"
    assert row(bad, "rmse")["rules"][1]["threshold"] == "tolerance +2%"
    assert row(bad, "rmse")["rules"][1]["limit"] == pytest.approx(4.08)


def test_max_rule_fails_above():
    res = run({"latency_ms": 51}, None, {"latency_ms": {"direction": "lower", "max": 50}})
    lat = row(res, "latency_ms")
    assert lat["direction_source"] == "explicit"
    assert lat["rules"][0]["status"] == "failed"
    assert lat["rules"][0]["message"] == "51 is above 50"


def test_explicit_direction_overrides_inference():
    res = run(
        {"error_budget": 2.0}, {"error_budget": 1.0}, {"error_budget": {"direction": "higher"}}
    )
    assert row(res, "error_budget")["status"] == "improved"


def test_statuses():
    res = run(
        {"a": 1.0, "b": 2.0, "c": 3.0, "new": 1.0}, {"a": 1.0, "b": 1.0, "c": 4.0, "gone": 1.0}
    )
    statuses = {m["name"]: m["status"] for m in res["metrics"]}
    assert statuses == {
        "a": "unchanged",
        "b": "improved",
        "c": "regressed",
        "new": "new",
        "gone": "removed",
    }
    assert res["summary"]["improved"] == 1 and res["summary"]["removed"] == 1


def test_regressions_come_first():
    res = run(
        {"a": 1.0, "b": 2.0, "c": 3.0, "new": 1.0}, {"a": 1.0, "b": 1.0, "c": 4.0, "gone": 1.0}
    )
    assert [m["name"] for m in res["metrics"]] == ["c", "gone", "new", "b", "a"]


def test_failing_metric_sorted_before_other_regressions():
    res = run({"x": 0.5, "y": 0.5}, {"x": 0.6, "y": 0.51}, {"y": {"tolerance": 0.001}})
    assert [m["name"] for m in res["metrics"]] == ["y", "x"]


def test_glob_default_and_specific_glob():
    rules = parse_rules(
        {"*": {"tolerance": "5%"}, "test.*": {"tolerance": 0.0}, "test.f1": {"min": 0.1}}
    )
    assert rule_for("train.acc", rules).pattern == "*"
    assert rule_for("test.acc", rules).pattern == "test.*"
    assert rule_for("test.f1", rules).pattern == "test.f1"
    assert rule_for("anything", parse_rules({"test.*": {}})) is None


def test_no_baseline_absolute_rules_apply_relative_skipped():
    res = run({"accuracy": 0.8}, None, {"accuracy": {"min": 0.9, "tolerance": 0.01}})
    acc = row(res, "accuracy")
    assert [c["status"] for c in acc["rules"]] == ["failed", "skipped"]
    assert res["skipped_rules"] == ["accuracy: tolerance -0.01 (skipped: no baseline)"]
    assert acc["status"] == "new"


def test_require_baseline_fails_relative_rules():
    res = run({"accuracy": 0.95}, None, {"accuracy": {"tolerance": 0.01}}, require=True)
    assert res["passed"] is False
    assert "require-baseline" in res["failed_rules"][0]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_fail_their_rules(bad):
    res = run({"accuracy": bad}, {"accuracy": 0.9}, {"accuracy": {"min": 0.5, "tolerance": 0.1}})
    acc = row(res, "accuracy")
    assert all(c["status"] == "failed" for c in acc["rules"])
    assert acc["current"] == encode(bad)
    assert res["passed"] is False


def test_non_finite_value_without_rule_still_fails_closed():
    res = run({"loss": math.nan}, {"loss": 0.2})
    assert res["passed"] is False
    assert row(res, "loss")["rules"][0]["rule"] == "finite"


def test_removed_metric_with_exact_rule_fails():
    res = run({"b": 1.0}, {"a": 1.0, "b": 1.0}, {"a": {"min": 0.5}})
    assert res["passed"] is False
    assert "missing from the current metrics" in res["failed_rules"][0]


def test_removed_metric_fails_its_glob_rule_too():
    # Issue 11: a glob rule on a metric the PR dropped fails (it used to be ignored).
    res = run({"b": 1.0}, {"a": 1.0, "b": 1.0}, {"*": {"tolerance": "1%"}})
    assert res["passed"] is False
    assert res["failed_rules"] == [
        "a: tolerance -1% (removed: the metric is missing from the current metrics)"]


def test_rule_for_unknown_metric_is_usage_error():
    with pytest.raises(UsageError) as err:
        run({"accuracy": 0.9}, {"accuracy": 0.9}, {"acuracy": {"min": 0.5}})
    assert "acuracy" in err.value.render()
    assert "accuracy" in (err.value.fix or "")


def test_zero_baseline_relative_delta_is_null():
    res = run({"errors": 3.0}, {"errors": 0.0})
    assert row(res, "errors")["relative_delta"] is None
    assert row(res, "errors")["delta"] == 3.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"accuracy": {"minimum": 0.9}}, "unknown key(s) minimum"),
        ({"accuracy": {"min": "high"}}, "min must be a number"),
        ({"accuracy": {"tolerance": "two%"}}, "not a valid percentage"),
        ({"accuracy": {"tolerance": -1}}, "must not be negative"),
        ({"accuracy": {"direction": "up"}}, "direction must be"),
        ({"accuracy": 0.9}, "the rule must be a mapping"),
        ({"accuracy": {"min": 0.9, "max": 0.5}}, "above max"),
        (["accuracy"], "must be a mapping"),
    ],
)
def test_bad_thresholds_name_the_key(spec, message):
    with pytest.raises(UsageError) as err:
        parse_rules(spec, "mlgate.yaml: thresholds")
    assert message in err.value.render()
    assert "mlgate.yaml: thresholds" in err.value.render()


def test_encode_decode_roundtrip():
    for value in (1.5, math.inf, -math.inf):
        assert decode(encode(value)) == value
    assert math.isnan(decode(encode(math.nan)))
    assert encode(None) is None


def test_status_of_tiny_float_noise_is_unchanged():
    assert status_of(0.1 + 0.2, 0.3, "higher") == "unchanged"


# ----- rule messages in the rule's own terms (a percentage tolerance in percent) -----------


def last_rule(res: dict[str, Any], name: str) -> dict[str, Any]:
    return row(res, name)["rules"][-1]


def test_percentage_tolerance_says_the_move_and_the_allowance_in_percent() -> None:
    res = run({"rmse": 0.22}, {"rmse": 0.2}, {"rmse": {"tolerance": "5%"}})
    failed = last_rule(res, "rmse")
    assert failed["status"] == "failed"
    assert failed["message"] == "rose 10% (0.2 → 0.22), allowed 5% (0.01)"
    assert res["failed_rules"] == ["rmse: tolerance +5% (rose 10% (0.2 → 0.22), allowed 5% (0.01))"]


def test_percentage_tolerance_higher_is_better_drop() -> None:
    res = run({"r2": 0.4}, {"r2": 0.5}, {"r2": {"tolerance": "2%"}})
    assert last_rule(res, "r2")["message"] == "dropped 20% (0.5 → 0.4), allowed 2% (0.01)"
    ok = run({"r2": 0.495}, {"r2": 0.5}, {"r2": {"tolerance": "2%"}})
    assert (last_rule(ok, "r2")["status"], last_rule(ok, "r2")["message"]) == (
        "passed", "dropped 1% (0.5 → 0.495), allowed 2% (0.01)")


def test_absolute_tolerance_keeps_its_units() -> None:
    res = run({"accuracy": 0.93}, {"accuracy": 0.95}, {"accuracy": {"tolerance": 0.01}})
    assert last_rule(res, "accuracy")["message"] == "dropped 0.02, allowed 0.01"
