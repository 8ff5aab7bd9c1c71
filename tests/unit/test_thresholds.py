"""Threshold rules pinned exactly: globs (``*``, ``?``, ``[...]``) and their specificity,
tolerances, directions and the errors a bad rule gives (core/thresholds.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from mlgate.core.thresholds import (
    Rule,
    Tolerance,
    infer_direction,
    load_thresholds_arg,
    parse_rules,
    rule_for,
)
from mlgate.errors import UsageError


def error(spec: Any, source: str = "thresholds") -> tuple[str, str | None, str | None]:
    with pytest.raises(UsageError) as err:
        parse_rules(spec, source)
    return err.value.message, err.value.where, err.value.fix


# ----- globs --------------------------------------------------------------------------------


def test_question_mark_is_a_glob_for_one_character() -> None:
    rule = Rule("test.f?")
    assert rule.is_glob
    assert rule.matches("test.f1") and rule.matches("test.fx")
    assert not rule.matches("test.f") and not rule.matches("test.f10")
    assert not rule.matches("test.F1")  # case-sensitive
    assert rule_for("test.f1", [rule]) is rule


def test_character_classes_are_globs() -> None:
    rule = Rule("test.[ab]cc")
    assert rule.is_glob
    assert rule.matches("test.acc") and rule.matches("test.bcc")
    assert not rule.matches("test.ccc") and not rule.matches("test.[ab]cc")
    negated = Rule("[!t]*")
    assert negated.matches("val.loss") and not negated.matches("train.loss")


def test_exact_patterns_are_literal() -> None:
    rule = Rule("test.f1")
    assert not rule.is_glob
    assert rule.matches("test.f1")
    assert not rule.matches("test.f2") and not rule.matches("Test.f1")
    assert Rule("*").is_glob and Rule("a*").is_glob and not Rule("a.b-c_d").is_glob


def test_a_question_mark_rule_applies_in_a_comparison() -> None:
    from mlgate.core.compare import Comparison, diff

    res = diff(Comparison({"test.f1": 0.5, "test.f10": 0.5}, None,
                          parse_rules({"test.f?": {"min": 0.6}})))
    assert res.failed_rules == ("test.f1: min 0.6 (0.5 is below 0.6)",)


def test_specificity_counts_literal_characters_not_wildcards() -> None:
    rules = parse_rules({"a.???": {}, "a.b*": {}, "*": {}})
    # "a.???" has 2 literal characters, "a.b*" has 3
    assert rule_for("a.bcd", rules).pattern == "a.b*"  # type: ignore[union-attr]
    assert rule_for("a.xyz", rules).pattern == "a.???"  # type: ignore[union-attr]
    assert rule_for("zz", rules).pattern == "*"  # type: ignore[union-attr]
    stars = parse_rules({"a*": {}, "a.*.*": {}, "a.b.*": {}})
    assert rule_for("a.b.c", stars).pattern == "a.b.*"  # type: ignore[union-attr]
    classes = parse_rules({"test.f?": {}, "test.[fg]1": {}})
    # a class counts as its characters: "test.[fg]1" (10) beats "test.f" (6)
    assert rule_for("test.f1", classes).pattern == "test.[fg]1"  # type: ignore[union-attr]


def test_an_exact_rule_beats_any_glob_and_ties_keep_the_first() -> None:
    rules = parse_rules({"test.*": {}, "test.f1": {"min": 0.1}, "test.f?": {}})
    assert rule_for("test.f1", rules) == Rule("test.f1", min=0.1)
    tie = parse_rules({"a?": {"min": 1}, "?b": {"min": 2}})
    assert rule_for("ab", tie) == Rule("a?", min=1.0)
    assert rule_for("nothing", parse_rules({"test.*": {}})) is None
    assert rule_for("x", []) is None


# ----- tolerances ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "tol"), [
    ("2%", Tolerance(2.0, True)),
    (" 2.5% ", Tolerance(2.5, True)),
    ("0%", Tolerance(0.0, True)),
    ("0.5%", Tolerance(0.5, True)),
    (0, Tolerance(0.0, False)),
    (0.01, Tolerance(0.01, False)),
    (3, Tolerance(3.0, False)),
])
def test_tolerance_forms(raw: Any, tol: Tolerance) -> None:
    assert parse_rules({"a": {"tolerance": raw}}) == [Rule("a", tolerance=tol)]
    assert parse_rules({"a": {"tolerance": raw}})[0].tolerance.percent is tol.percent  # type: ignore[union-attr]


def test_tolerance_allowed_and_text() -> None:
    assert Tolerance(10.0, True).allowed(-2.0) == pytest.approx(0.2)
    assert Tolerance(10.0, True).allowed(2.0) == pytest.approx(0.2)
    assert Tolerance(50.0, True).allowed(4.0) == 2.0
    assert Tolerance(0.5, False).allowed(-100.0) == 0.5
    assert Tolerance(2.0, True).text() == "2%" and Tolerance(0.01, False).text() == "0.01"
    assert Tolerance(0.0, True).text() == "0%"


@pytest.mark.parametrize("raw", ["two%", "-1%", "inf%", "nan%", "%"])
def test_bad_percentages(raw: str) -> None:
    assert error({"acc": {"tolerance": raw}}) == (
        f"tolerance {raw!r} is not a valid percentage", "thresholds: acc",
        'write e.g. `tolerance: "2%"` or an absolute `tolerance: 0.01`')


def test_bad_absolute_tolerances() -> None:
    assert error({"acc": {"tolerance": -0.5}}) == (
        "tolerance must not be negative", "thresholds: acc", None)
    assert error({"acc": {"tolerance": "0.1"}}) == (
        "tolerance must be a number, got '0.1'", "thresholds: acc",
        "write e.g. `tolerance: 0.9`")
    assert error({"acc": {"tolerance": math.inf}}) == (
        "tolerance must be a finite number, got inf", "thresholds: acc", None)


# ----- numbers, keys, directions ------------------------------------------------------------


@pytest.mark.parametrize(("key", "value", "message", "fix"), [
    ("min", "high", "min must be a number, got 'high'", "write e.g. `min: 0.9`"),
    ("max", True, "max must be a number, got True", "write e.g. `max: 0.9`"),
    ("min", None, "min must be a number, got None", "write e.g. `min: 0.9`"),
    ("max", math.nan, "max must be a finite number, got nan", None),
    ("min", -math.inf, "min must be a finite number, got -inf", None),
])
def test_bad_numbers(key: str, value: Any, message: str, fix: str | None) -> None:
    assert error({"m": {key: value}}, "mlgate.yaml: thresholds") == (
        message, "mlgate.yaml: thresholds: m", fix)


def test_numbers_are_floats() -> None:
    rule = parse_rules({"m": {"min": 1, "max": 2}})[0]
    assert (rule.min, rule.max) == (1.0, 2.0)
    assert isinstance(rule.min, float) and isinstance(rule.max, float)


def test_structure_errors() -> None:
    assert error(["a"]) == ("must be a mapping of metric name to rule", "thresholds",
                            "write e.g. `accuracy: {min: 0.9, tolerance: 0.01}`")
    assert error("a: 1", "x.yaml") == ("must be a mapping of metric name to rule", "x.yaml",
                                       "write e.g. `accuracy: {min: 0.9, tolerance: 0.01}`")
    assert error({"a": 0.9}) == ("the rule must be a mapping, got 0.9", "thresholds: a",
                                 "write e.g. `{min: 0.9}`")
    assert error({"a": {"minimum": 1, "dir": "up", "min": 0}}) == (
        "unknown key(s) dir, minimum", "thresholds: a",
        "use only: min, max, tolerance, direction")
    assert error({"a": {"direction": "up"}}) == (
        "direction must be `higher` or `lower`, got 'up'", "thresholds: a", None)
    assert error({"a": {"min": 0.9, "max": 0.5}}) == (
        "min 0.9 is above max 0.5", "thresholds: a", None)


def test_full_rule_and_empty_input() -> None:
    assert parse_rules(None) == [] and parse_rules({}) == []
    rules = parse_rules({"acc": {"min": 0.8, "max": 1, "tolerance": "1%", "direction": "lower"},
                         7: {}})
    assert rules == [
        Rule("acc", min=0.8, max=1.0, tolerance=Tolerance(1.0, True), direction="lower"),
        Rule("7"),
    ]
    assert parse_rules({"a": {"direction": "higher"}})[0].direction == "higher"


@pytest.mark.parametrize(("name", "direction"), [
    ("val_logloss", "lower"),
    ("trainingtime", "lower"),
    ("totalerror", "lower"),
    ("myloss", "lower"),
    ("LOSS", "lower"),
    ("Val-Loss", "lower"),
    ("mse2", "lower"),  # a letter-digit boundary splits words
    ("p95_latency", "lower"),
    ("timeliness", "higher"),
    ("errorless_rate", "higher"),
    ("lossy", "higher"),
    ("accuracy", "higher"),
    ("", "higher"),
    ("__", "higher"),
    ("_loss_", "lower"),
])
def test_direction_inference_edges(name: str, direction: str) -> None:
    assert infer_direction(name) == direction


# ----- --thresholds -------------------------------------------------------------------------


def test_thresholds_arg_inline_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_thresholds_arg("acc: {min: 0.9}") == ({"acc": {"min": 0.9}}, "--thresholds")
    assert load_thresholds_arg("thresholds:\n  acc: {min: 0.9}\n") == (
        {"acc": {"min": 0.9}}, "--thresholds")
    assert load_thresholds_arg("thresholds:") == ({}, "--thresholds")
    assert load_thresholds_arg("thresholds: {}\nother: 1\n") == (
        {"thresholds": {}, "other": 1}, "--thresholds")
    (tmp_path / "t.yaml").write_text("thresholds:\n  f1: {tolerance: '1%'}\n", encoding="utf-8")
    assert load_thresholds_arg("t.yaml") == ({"f1": {"tolerance": "1%"}}, "t.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    assert load_thresholds_arg("empty.yaml") == ({}, "empty.yaml")
    (tmp_path / "sub").mkdir()
    assert load_thresholds_arg("sub") == ("sub", "--thresholds")  # not a file: inline YAML


def test_defaults_and_odd_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError) as err:
        parse_rules({"a": {"min": "x"}})
    assert err.value.where == "thresholds: a"
    assert infer_direction("trainingtime_") == "lower"
    assert infer_direction("trainloss.") == "lower"
    with pytest.raises(UsageError) as bad:
        load_thresholds_arg("a: [")
    assert bad.value.where == "--thresholds (inline YAML)"
    long = "a" * 4096  # too long to be a path: inline YAML, never looked up on disk
    assert load_thresholds_arg(long) == (long, "--thresholds")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x\ny.yaml").write_text("acc: {min: 1}\n", encoding="utf-8")
    assert load_thresholds_arg("x\ny.yaml") == ("x y.yaml", "--thresholds")
