"""The pure comparison: thresholds, directions, statuses, NaN/inf — no git, no files."""

from __future__ import annotations

import math

import pytest

from mlgate.core.compare import Comparison, decode, diff, encode, status_of
from mlgate.core.thresholds import infer_direction, parse_rules, rule_for
from mlgate.errors import UsageError


def run(current, baseline, thresholds=None, require=False):
    return diff(Comparison(current, baseline, parse_rules(thresholds or {}), require)).to_json()


def row(result, name):
    return next(m for m in result["metrics"] if m["name"] == name)


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
