"""result.json on disk and its schema: the atomic writer, the schema held to the typed model,
and the one parse path checking documents as ``jsonschema`` does."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlgate.adapters.result_file import write_json
from mlgate.core.compare import Comparison, diff
from mlgate.core.result import (
    NOISE_KEYS,
    SCHEMA_PATH,
    BaselineInfo,
    DataChange,
    HeadInfo,
    MetricRow,
    ParamChange,
    Result,
    RuleCheck,
    Summary,
    ThresholdsInfo,
    build_result,
    parse_result,
)
from mlgate.core.thresholds import parse_rules
from mlgate.errors import UsageError
from mlgate.services.results import load_result, save_result

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "result.json"


def _names(cls: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _built() -> Result:
    comparison = diff(Comparison(
        current={"acc": 0.9, "loss": math.nan, "f1": (0.5, 0.7)},
        baseline={"acc": 0.95, "gone": 1.0, "f1": (0.4, 0.6)},
        rules=parse_rules({"acc": {"min": 0.8, "tolerance": 0.01}}),
        files={"acc": "m.json"}, evaluation={"acc": "cv"},
    ))
    return build_result(
        name="m", head=HeadInfo(sha="a" * 40, ref="pr", subject="s"),
        baseline=BaselineInfo(found=True, sha="b" * 40, source="committed", base_ref="main"),
        comparison=comparison, require_baseline=True, metrics_files=["m.json"],
        params=[ParamChange("p", "params.yaml", 1, 2, "modified")],
        data=[DataChange("d.csv", "modified", "x", "y", 1, 2)],
        warnings=["w"], thresholds=ThresholdsInfo(source="baseline", commit="b" * 40, changed=(
            {"pattern": "acc", "baseline": {"min": 0.8}, "head": None},)),
    )


# ----- the schema is the typed model ----------------------------------------------------------


def test_the_schema_has_the_fields_of_the_records() -> None:
    top = SCHEMA["properties"]
    result_keys = [k for k in _names(Result) if k not in ("tool_version", "raw")]
    assert set(top) == {"schema", "tool", *result_keys}
    assert set(SCHEMA["required"]) == set(top) - {"warnings", "thresholds"}  # the optional two
    metric = SCHEMA["$defs"]["metric"]
    row_keys = [k for k in _names(MetricRow) if k not in ("noise", "informational")]
    assert metric["required"] == row_keys  # and in the order rows are written
    assert set(metric["properties"]) == {*row_keys, *NOISE_KEYS, "informational"}
    assert list(metric["properties"]["rules"]["items"]["properties"]) == _names(RuleCheck)
    assert metric["properties"]["rules"]["items"]["required"] == _names(RuleCheck)
    assert list(top["head"]["properties"]) == _names(HeadInfo)
    assert list(top["baseline"]["properties"]) == _names(BaselineInfo)
    # within_noise: one of the extra integer keys the schema allows (absent when 0)
    assert set(top["summary"]["required"]) == set(_names(Summary)) - {"within_noise"}
    assert list(top["params"]["items"]["properties"]) == _names(ParamChange)
    assert list(top["data"]["items"]["properties"]) == _names(DataChange)
    assert list(top["thresholds"]["properties"]) == _names(ThresholdsInfo)


def test_a_built_result_is_valid_and_reads_back_as_itself(tmp_path: Path) -> None:
    result = _built()
    doc = result.to_json()
    VALIDATOR.validate(doc)
    assert doc == result.raw
    save_result(tmp_path / "result.json", result)
    again = load_result(tmp_path / "result.json")
    assert again == result
    assert [r.noise for r in again.metrics] == [r.noise for r in result.metrics]
    assert json.dumps(again.to_json()) == json.dumps(doc)  # same keys, same order
    VALIDATOR.validate(json.loads(EXAMPLE.read_text()))
    assert parse_result(json.loads(EXAMPLE.read_text())).to_json() == json.loads(
        EXAMPLE.read_text())


# ----- the one parse path: schema-valid documents parse, the rest are usage errors ---------

_ODD: list[Any] = [None, True, False, 0, 1, -1, 1.5, "x", "NaN", "Infinity", "higher", "cv",
                   "modified", "passed", "min", "committed", "baseline", [], {}, ["x"],
                   {"name": 1}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


def _mutated(doc: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    path = rnd.choice(_paths(doc)[1:])
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if rnd.random() < 0.2 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(rnd.choice(_ODD))
    return doc


@pytest.mark.parametrize("seed", range(3))
def test_the_parse_path_accepts_exactly_what_the_schema_accepts(seed: int) -> None:
    rnd = random.Random(seed)
    base = _built().to_json()
    for _ in range(400):
        doc = _mutated(base, rnd)
        if rnd.random() < 0.3:
            doc = _mutated(doc, rnd)
        valid = VALIDATOR.is_valid(doc)
        # every schema-valid document parses into the typed model; every other is exit 2, named
        try:
            parse_result(doc, "r.json")
        except UsageError as err:
            assert not valid, (err, doc)
            assert err.where and err.where.startswith("r.json")
        else:
            assert valid, doc


@pytest.mark.parametrize(("change", "where", "message"), [
    (lambda d: d.pop("name"), "r.json: name", "'name' is a required property"),
    (lambda d: d.update(passed="yes"), "r.json: passed", "'yes' is not of type 'boolean'"),
    (lambda d: d["metrics"][0].update(current="big"), "r.json: metrics[0].current",
     "'big' is not valid under any of the given schemas"),
    (lambda d: d["metrics"][1].update(rules=[3]), "r.json: metrics[1].rules[0]",
     "3 is not of type 'object'"),
    (lambda d: d["summary"].update(new=-1), "r.json: summary.new",
     "-1 is less than the minimum of 0"),
    (lambda d: d.update(schema=7), "r.json: schema", "unsupported result schema 7"),
    (lambda d: d.update(schema=True), "r.json: schema", "unsupported result schema True"),
])
def test_a_bad_document_names_the_file_and_the_key(change: Any, where: str,
                                                    message: str) -> None:
    doc = _built().to_json()
    change(doc)
    with pytest.raises(UsageError, match=message.replace("[", r"\[")) as info:
        parse_result(doc, "r.json")
    assert info.value.where == where
    assert info.value.exit_code == 2


def test_load_result_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="result file not found"):
        load_result(tmp_path / "none.json")
    (tmp_path / "r.json").write_text("[1, 2]")
    with pytest.raises(UsageError, match="must be a JSON object"):
        load_result(tmp_path / "r.json")
    (tmp_path / "r.json").write_text('{"schema": 1, "passed": tru')
    with pytest.raises(UsageError, match="invalid JSON at line 1"):
        load_result(tmp_path / "r.json")


# ----- writing --------------------------------------------------------------------------------


def test_write_json_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "result.json"
    write_json(path, {"metrics": [{"name": "a"}]})
    write_json(path, {"metrics": [{"name": "b"}]})
    assert json.loads(path.read_text()) == {"metrics": [{"name": "b"}]}
    assert path.read_text() == json.dumps({"metrics": [{"name": "b"}]}, indent=2) + "\n"
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # as tempfile made it
    with pytest.raises(ValueError):
        write_json(path, {"a": math.nan})
    with pytest.raises(TypeError):
        write_json(path, {"a": object()})
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]
    assert json.loads(path.read_text()) == {"metrics": [{"name": "b"}]}


def test_large_results_stay_compact(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    doc = {"metrics": [{"name": f"m{i}", "rules": []} for i in range(1001)]}
    write_json(path, doc)
    assert path.read_text() == json.dumps(doc, allow_nan=False) + "\n"


def test_non_finite_values_are_written_as_strings(tmp_path: Path) -> None:
    result = _built()
    save_result(tmp_path / "r.json", result)
    text = (tmp_path / "r.json").read_text()
    loss = next(m for m in json.loads(text)["metrics"] if m["name"] == "loss")
    assert loss["current"] == "NaN" and loss["rules"][0]["rule"] == "finite"
    assert "NaN," not in text.replace('"NaN",', "")  # never the bare JavaScript literal
