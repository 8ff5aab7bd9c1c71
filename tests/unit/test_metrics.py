"""Metrics loading (core/metrics.py) pinned: where the file list comes from, the fallbacks, a
name in two files, and the "NaN"/"Infinity" strings the trainer itself writes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from mlgate.core.metrics import (
    DEFAULT_METRICS_FILE,
    Metric,
    discover_metrics_files,
    flatten,
    is_finite,
    load_metrics,
    metrics_files_from_dvc_yaml,
    parse_metrics_text,
)
from mlgate.errors import UsageError
from mlgate.train.scoring import encode_value

FIX_VALUE = "write numbers only in metrics files (NaN and Infinity are allowed)"


def reader(files: dict[str, str]) -> Any:
    return files.get


# ----- which files ---------------------------------------------------------------------------


def test_cli_metrics_win_over_everything() -> None:
    read = reader({"dvc.yaml": "metrics: [a.json]"})
    assert discover_metrics_files(read, ["c.json"], ["x.json", "y.json"]) == (
        ["x.json", "y.json"], "--metrics")


def test_mlgate_yaml_metrics_win_over_dvc_yaml() -> None:
    """Issue 22: an explicit mlgate.yaml `metrics:` overrides discovery from dvc.yaml."""
    read = reader({"dvc.yaml": "metrics:\n  - eval/m.json\n"})
    assert discover_metrics_files(read, ["c.json"]) == (["c.json"], "mlgate.yaml")
    assert discover_metrics_files(read, [], []) == (["eval/m.json"], "dvc.yaml")


def test_a_dvc_yaml_without_metrics_falls_back_to_mlgate_yaml_then_metrics_json() -> None:
    read = reader({"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"})
    assert discover_metrics_files(read, ["scores.json"]) == (["scores.json"], "mlgate.yaml")
    assert discover_metrics_files(read, []) == (["metrics.json"], "default")
    empty = reader({"dvc.yaml": ""})
    assert discover_metrics_files(empty, ["s.json"]) == (["s.json"], "mlgate.yaml")
    assert discover_metrics_files(reader({}), []) == ([DEFAULT_METRICS_FILE], "default")
    assert DEFAULT_METRICS_FILE == "metrics.json"


def test_metrics_files_from_dvc_yaml() -> None:
    text = (
        "metrics:\n  - top.json\n  - shared.json\n"
        "stages:\n"
        "  train:\n    cmd: x\n    metrics:\n      - train.json\n"
        "      - eval.json: {cache: false}\n"
        "  evaluate:\n    metrics: [shared.json, 7]\n"
        "  broken: just-a-string\n"
    )
    assert metrics_files_from_dvc_yaml(text) == ["top.json", "shared.json", "train.json",
                                                "eval.json"]
    assert metrics_files_from_dvc_yaml("") == []
    assert metrics_files_from_dvc_yaml("- a\n- b\n") == []
    assert metrics_files_from_dvc_yaml("stages: [a, b]\n") == []
    assert metrics_files_from_dvc_yaml("metrics:\nstages:\n  s:\n    metrics:\n") == []


def test_a_broken_dvc_yaml_names_itself() -> None:
    with pytest.raises(UsageError) as err:
        metrics_files_from_dvc_yaml("metrics: [", "sub/dvc.yaml")
    assert err.value.where == "sub/dvc.yaml"


# ----- values --------------------------------------------------------------------------------


def test_the_strings_the_trainer_writes_are_read_back() -> None:
    written = {"auc": encode_value(math.nan), "loss": encode_value(math.inf),
               "gain": encode_value(-math.inf), "acc": encode_value(0.5)}
    assert written == {"auc": "NaN", "loss": "Infinity", "gain": "-Infinity", "acc": 0.5}
    values = parse_metrics_text(json.dumps(written), "metrics.json")
    assert math.isnan(values["auc"])
    assert values["loss"] == math.inf and values["gain"] == -math.inf and values["acc"] == 0.5


@pytest.mark.parametrize(("raw", "value"), [
    ("nan", math.nan), ("+NaN", math.nan), ("-nan", math.nan), (" NaN ", math.nan),
    ("inf", math.inf), ("+inf", math.inf), ("INFINITY", math.inf), ("+Infinity", math.inf),
    ("-inf", -math.inf), ("-Infinity", -math.inf),
    (3, 3.0), (0.25, 0.25), (-1, -1.0),
])
def test_accepted_values(raw: Any, value: float) -> None:
    got = flatten({"m": raw}, "metrics.json")["m"]
    assert isinstance(got, float)
    assert (math.isnan(got) and math.isnan(value)) or got == value


@pytest.mark.parametrize("raw", [True, None, "0.5", "infinite", "", [1, "x"]])
def test_rejected_values_name_the_key(raw: Any) -> None:
    with pytest.raises(UsageError) as err:
        flatten({"a": {"b": raw}}, "m.json")
    bad = raw[1] if isinstance(raw, list) else raw
    assert err.value.message == f"metric value must be a number, got {bad!r}"
    assert err.value.where == ("m.json: a.b.1" if isinstance(raw, list) else "m.json: a.b")
    assert err.value.fix == FIX_VALUE


def test_flatten_nests_with_dots_and_lists_by_index() -> None:
    data = {"test": {"acc": 0.9, "per_class": [0.8, {"f1": 0.7}]}, "n": 3, 7: 1}
    assert flatten(data, "m.json") == {"test.acc": 0.9, "test.per_class.0": 0.8,
                                       "test.per_class.1.f1": 0.7, "n": 3.0, "7": 1.0}
    assert flatten({}, "m.json") == {} and flatten([], "m.json") == {}
    assert flatten([0.5, 0.25], "m.json") == {"0": 0.5, "1": 0.25}


def test_a_bare_number_file_is_an_error() -> None:
    with pytest.raises(UsageError) as err:
        flatten(0.9, "m.json")
    assert (err.value.message, err.value.where, err.value.fix) == (
        "a metrics file must hold a mapping of names to numbers", "m.json",
        'write e.g. {"accuracy": 0.93}')


def test_parse_metrics_text_json_and_yaml() -> None:
    assert parse_metrics_text('{"a": {"b": 1}}', "m.json") == {"a.b": 1.0}
    assert parse_metrics_text("a:\n  b: 2\n", "m.yaml") == {"a.b": 2.0}
    assert parse_metrics_text("", "m.yaml") == {}
    with pytest.raises(UsageError) as err:
        parse_metrics_text("{", "eval/m.json")
    assert err.value.where == "eval/m.json"


# ----- several files -------------------------------------------------------------------------


def test_load_metrics_merges_files_in_order() -> None:
    read = reader({"a.json": '{"acc": 0.9, "n": {"x": 1}}', "b.yaml": "loss: 0.2\n"})
    assert load_metrics(["a.json", "b.yaml"], read, missing_ok=False) == [
        Metric("acc", 0.9, "a.json", "acc"), Metric("n.x", 1.0, "a.json", "n.x"),
        Metric("loss", 0.2, "b.yaml", "loss")]


def test_the_same_name_in_two_files_is_kept_from_both_as_file_colon_key() -> None:
    # issue 11: a key in two metrics files is no longer an error; both are named FILE:KEY
    read = reader({"a.json": '{"acc": 0.9}', "b.json": '{"loss": 1, "acc": 0.8}'})
    assert load_metrics(["a.json", "b.json"], read, missing_ok=True) == [
        Metric("a.json:acc", 0.9, "a.json", "acc"), Metric("loss", 1.0, "b.json", "loss"),
        Metric("b.json:acc", 0.8, "b.json", "acc")]


def test_a_missing_file() -> None:
    read = reader({"b.json": '{"acc": 1}'})
    assert load_metrics(["a.json", "b.json"], read, missing_ok=True) == [
        Metric("acc", 1.0, "b.json", "acc")]
    assert load_metrics(["a.json"], read, missing_ok=True) == []
    with pytest.raises(UsageError) as err:
        load_metrics(["b.json", "a.json"], read, missing_ok=False)
    assert (err.value.message, err.value.where, err.value.fix) == (
        "metrics file not found", "a.json",
        "train first (`mlgate train`) or point `metrics:` in mlgate.yaml or --metrics at the "
        "right file")


def test_is_finite() -> None:
    assert is_finite(0.0) and is_finite(-1e300)
    assert not is_finite(None) and not is_finite(math.nan) and not is_finite(math.inf)


def test_errors_name_the_file_by_default() -> None:
    with pytest.raises(UsageError) as err:
        parse_metrics_text('{"a": "x"}', "eval/m.json")
    assert err.value.where == "eval/m.json: a"
    with pytest.raises(UsageError) as dvc:
        metrics_files_from_dvc_yaml("metrics: [")
    assert dvc.value.where == "dvc.yaml"
