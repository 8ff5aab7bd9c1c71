"""The gate's integrity, pure logic: the verdict, removed metrics, duplicated keys, the
thresholds diff."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from mlgate.core.compare import Comparison, diff
from mlgate.core.metrics import Metric, load_metrics, qualify
from mlgate.core.result import SCHEMA_PATH, parse_result
from mlgate.core.thresholds import parse_rules, rule_for, thresholds_changes
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from tests.helpers import report_fixtures as fx

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "result.json"


def run(current, baseline, thresholds=None):
    return diff(Comparison(current, baseline, parse_rules(thresholds or {}))).to_json()


def row(res, name):
    return next(m for m in res["metrics"] if m["name"] == name)


# ----- 6. one verdict, fail closed ------------------------------------------------------------


def passing_doc() -> dict:
    return fx.result([fx.metric("accuracy", 0.9, 0.91, "improved",
                                rules=[fx.rule("min", "min 0.9", "passed", "0.91 >= 0.9")])])


def test_verdict_passes_a_clean_result():
    assert verdict(parse_result(passing_doc(), "r")).passed is True


def test_verdict_fails_a_row_whose_check_failed_even_if_the_row_says_passed():
    doc = passing_doc()
    doc["metrics"][0]["rules"][0]["status"] = "failed"
    assert doc["passed"] is True and doc["failed_rules"] == [] and doc["metrics"][0]["passed"]
    decided = verdict(parse_result(doc, "r"))
    assert decided.passed is False
    assert decided.failed_metrics == ("accuracy",)


def test_verdict_fails_with_errors():
    doc = passing_doc()
    doc["errors"] = ["something broke"]
    assert verdict(parse_result(doc, "r")).passed is False


def test_verdict_fails_when_no_metric_was_compared():
    doc = fx.result([])
    assert doc["passed"] is True
    decided = verdict(parse_result(doc, "r"))
    assert decided.passed is False
    assert any("no metric" in reason for reason in decided.reasons())


def test_verdict_fails_when_every_metric_was_removed():
    doc = fx.result([fx.metric("accuracy", 0.9, None, "removed")])
    assert verdict(parse_result(doc, "r")).passed is False


# ----- 1. a glob rule on a removed metric fails -----------------------------------------------


def test_removed_metric_fails_its_glob_rule():
    res = run({"acc": 0.5}, {"accuracy": 0.95}, {"*": {"tolerance": "5%"}})
    assert res["passed"] is False
    gone = row(res, "accuracy")
    assert gone["status"] == "removed" and gone["passed"] is False
    assert "removed" in gone["rules"][0]["message"]


def test_removed_metric_with_direction_only_rule_fails():
    res = run({"b": 1.0}, {"a": 1.0, "b": 1.0}, {"a": {"direction": "lower"}})
    assert res["passed"] is False
    assert row(res, "a")["rules"][0]["rule"] == "present"


def test_removed_metric_without_any_rule_does_not_fail():
    res = run({"b": 1.0}, {"a": 1.0, "b": 1.0}, {"b": {"min": 0}})
    assert res["passed"] is True


def test_new_metric_next_to_a_baseline_is_not_no_baseline():
    res = run({"acc": 0.9, "f1": 0.8}, {"f1": 0.8}, {"*": {"tolerance": 0.01}})
    assert res["skipped_rules"] == ["acc: tolerance -0.01 (skipped: new metric, not in the "
                                    "baseline)"]


# ----- FILE:KEY for a key in two files ---------------------------------------------------------


def files_reader(files: dict[str, dict]):
    return lambda p: json.dumps(files[p]) if p in files else None


def test_duplicate_key_is_kept_from_both_files():
    metrics = load_metrics(["a/m.json", "b/m.json"],
                           files_reader({"a/m.json": {"x": 1, "y": 2}, "b/m.json": {"x": 3}}),
                           missing_ok=False)
    assert {(m.name, m.value, m.file) for m in metrics} == {
        ("a/m.json:x", 1.0, "a/m.json"), ("y", 2.0, "a/m.json"), ("b/m.json:x", 3.0, "b/m.json")}


def test_qualify_uses_both_sides():
    current = [Metric("x", 1.0, "a.json")]
    baseline = [Metric("x", 1.0, "a.json"), Metric("x", 2.0, "b.json")]
    cur, base = qualify([current, baseline])
    assert [m.name for m in cur] == ["a.json:x"]
    assert sorted(m.name for m in base) == ["a.json:x", "b.json:x"]


def test_plain_rule_on_duplicated_key_is_a_usage_error():
    with pytest.raises(UsageError) as err:
        run({"a.json:x": 1.0, "b.json:x": 2.0}, None, {"x": {"min": 0}})
    text = err.value.render()
    assert "a.json:x" in text and "b.json:x" in text


def test_glob_matches_the_key_of_a_qualified_name():
    rules = parse_rules({"test.*": {"min": 0}})
    assert rule_for("eval/m.json:test.acc", rules).pattern == "test.*"


# ----- the thresholds diff ----------------------------------------------------------------------


def test_thresholds_changes_lists_added_removed_and_changed():
    base = {"accuracy": {"min": 0.9}, "loss": {"max": 1}, "*": {"tolerance": "5%"}}
    head = {"accuracy": {"min": 0.5}, "*": {"tolerance": "5%"}, "f1": {"min": 0.1}}
    assert thresholds_changes(base, head) == [
        {"pattern": "accuracy", "baseline": {"min": 0.9}, "head": {"min": 0.5}},
        {"pattern": "f1", "baseline": None, "head": {"min": 0.1}},
        {"pattern": "loss", "baseline": {"max": 1}, "head": None},
    ]


# ----- schema --------------------------------------------------------------------------------


def test_new_optional_fields_validate():
    schema = json.loads(SCHEMA_PATH.read_text())
    doc = json.loads(EXAMPLE.read_text())
    jsonschema.validate(doc, schema)
    doc = copy.deepcopy(doc)
    doc["warnings"] = ["committed and recorded baseline differ: accuracy 0.9 vs 0.95"]
    doc["thresholds"] = {"source": "baseline", "commit": "0" * 40, "changed": [
        {"pattern": "accuracy", "baseline": {"min": 0.9}, "head": None}]}
    jsonschema.validate(doc, schema)
    parsed = parse_result(doc, "r")
    assert parsed.warnings == tuple(doc["warnings"])
    assert parsed.to_json()["thresholds"] == {**doc["thresholds"], "default_rules": False}
