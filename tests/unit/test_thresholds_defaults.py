"""core.thresholds: the default policy (known_direction, is_informational, default_rules), key_of,
the bounds of rule numbers and thresholds_changes of values JSON has no type for."""

from __future__ import annotations

import datetime
import sys

import pytest

from mlgate.core.thresholds import (
    DEFAULT_TOLERANCE,
    Rule,
    Tolerance,
    default_rules,
    is_informational,
    key_of,
    known_direction,
    parse_rules,
    thresholds_changes,
)
from mlgate.errors import UsageError


@pytest.mark.parametrize(
    "name",
    ["neg_foo", "stats.neg_foo", "a.b.neg_foo", "m.json:neg_foo", "m.json:x:neg_foo",
     "val_loss", "test_accuracy", "eval.top1", "custom_score"],
)
def test_names_that_say_their_direction(name: str) -> None:
    assert known_direction(name)


@pytest.mark.parametrize("name", ["foo", "stats.foo_bar", "m.json:widgets", "rows"])
def test_names_that_say_neither_direction(name: str) -> None:
    assert not known_direction(name)


@pytest.mark.parametrize(
    "name",
    ["support", "test.support", "eval.test.support", "m.json:n_rows", "m.json:stage:n_rows",
     "train_time", "fit_s"],
)
def test_informational_by_the_whole_name_or_its_last_part(name: str) -> None:
    assert is_informational(name)


def test_informational_globs_added_by_the_config_match_the_last_part_too() -> None:
    assert is_informational("eval.rows_seen", ("rows_*",))
    assert not is_informational("eval.rows_seen")
    assert not is_informational("support_vectors.accuracy")


def test_default_rules_give_a_five_percent_tolerance_to_known_quality_metrics() -> None:
    assert Tolerance(5.0, percent=True) == DEFAULT_TOLERANCE
    rules = default_rules(["accuracy", "val_loss", "widgets", "train_time", "rows_acc"],
                          informational=("rows_*",))
    assert rules == [Rule("accuracy", tolerance=Tolerance(5.0, percent=True)),
                     Rule("val_loss", tolerance=Tolerance(5.0, percent=True))]


@pytest.mark.parametrize(
    ("name", "key"),
    [("eval/m.json:acc", "acc"), ("m.json:a:b", "a:b"), ("accuracy", "accuracy"),
     ("m.json", "m.json"), ("notes:acc", "notes:acc"), ("m.json:", "m.json:"),
     ("M.YAML:acc", "acc")],
)
def test_key_of(name: str, key: str) -> None:
    assert key_of(name) == key


def test_the_largest_integer_a_float_holds_is_a_bound() -> None:
    big = int(sys.float_info.max)
    [rule] = parse_rules({"acc": {"min": big}})
    assert rule.min == float(big)


def test_an_integer_bound_beyond_float_range_says_how_to_write_it() -> None:
    with pytest.raises(UsageError) as err:
        parse_rules({"acc": {"max": 10**400}})
    e = err.value
    assert e.message == "max is an integer beyond the range of a float (about 1.8e308)"
    assert (e.where, e.fix) == ("thresholds: acc.max", "write e.g. `max: 0.9`")


def test_thresholds_changes_write_yaml_dates_as_text() -> None:
    day = datetime.date(2024, 1, 2)
    assert thresholds_changes({"acc": {"min": day}}, {}) == [
        {"pattern": "acc", "baseline": {"min": "2024-01-02"}, "head": None}]
