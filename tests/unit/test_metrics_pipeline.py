"""core.metrics: the files a dvc.yaml lists (pipeline_of, read_pipeline, param keys merged across
stages and files), flattening, TOML, qualified names and one number per metric."""

from __future__ import annotations

import sys

import pytest

from mlgate.core.metrics import (
    Metric,
    Pipeline,
    flatten,
    number,
    parse_data,
    pipeline_of,
    read_pipeline,
)
from mlgate.errors import UsageError
from mlgate.yamlio import MAX_FILE_BYTES, LimitError

FLOAT_MAX_INT = int(sys.float_info.max)


def reader(files: dict[str, str]):
    return files.get


# ----- pipeline_of ----------------------------------------------------------------------------


def test_keys_of_the_same_params_file_from_two_stages_are_merged() -> None:
    data = {"stages": {"train": {"params": ["lr"]}, "tune": {"params": ["epochs", "lr"]}}}
    assert pipeline_of(data) == Pipeline((), ("params.yaml",),
                                         (("params.yaml", ("epochs", "lr")),))


def test_a_file_listed_whole_anywhere_is_diffed_whole() -> None:
    whole_first = {"stages": {"a": {"params": [{"hp.yaml": None}]},
                              "b": {"params": [{"hp.yaml": ["depth"]}]}}}
    keys_first = {"stages": {"a": {"params": [{"hp.yaml": ["depth"]}]},
                             "b": {"params": [{"hp.yaml": None}]}}}
    top_level = {"params": ["hp.yaml"], "stages": {"b": {"params": [{"hp.yaml": ["depth"]}]}}}
    for data in (whole_first, keys_first, top_level):
        assert pipeline_of(data) == Pipeline((), ("hp.yaml",), ())


def test_an_empty_or_malformed_key_list_means_the_whole_file() -> None:
    for selected in ([], "depth", {"depth": 1}):
        data = {"stages": {"a": {"params": [{"hp.yaml": selected}]}}}
        assert pipeline_of(data) == Pipeline((), ("hp.yaml",), ())


def test_a_stage_key_is_recorded_on_the_stage_params_yaml_not_on_another_file() -> None:
    data = {"params": ["a.yaml", "b.yaml"], "stages": {"train": {"params": ["lr"]}}}
    assert pipeline_of(data) == Pipeline((), ("a.yaml", "b.yaml", "params.yaml"),
                                         (("params.yaml", ("lr",)),))


def test_stages_that_are_not_mappings_are_skipped_not_the_end() -> None:
    data = {"stages": {"broken": "echo hi", "train": {"metrics": ["m.json"]}}}
    assert pipeline_of(data).metrics == ("m.json",)


def test_a_wdir_that_is_not_a_path_is_ignored() -> None:
    data = {"stages": {"train": {"wdir": 3, "metrics": ["m.json"], "params": ["lr"]}}}
    assert pipeline_of(data) == Pipeline(("m.json",), ("params.yaml",),
                                         (("params.yaml", ("lr",)),))


def test_paths_come_out_relative_to_the_working_directory() -> None:
    # The docstring's example: ../training/m.json from training/ is m.json.
    data = {"metrics": ["../XGB/m.json", "../other/m.json"]}
    assert pipeline_of(data, "", "XGB/").metrics == ("m.json", "../other/m.json")
    # The repository's top: nothing to shorten.
    assert pipeline_of(data, "", "/").metrics == ("../XGB/m.json", "../other/m.json")
    assert pipeline_of(data).metrics == ("../XGB/m.json", "../other/m.json")


# ----- read_pipeline ----------------------------------------------------------------------------


def test_every_dvc_yaml_is_read_in_order_skipping_missing_and_non_mapping_ones() -> None:
    files = {
        "list/dvc.yaml": "- not a mapping\n",
        "a/dvc.yaml": "metrics: [m.json]\nparams: [hp.yaml]\n",
        "b/dvc.yaml": "metrics: [m.json, ../a/m.json]\nparams: [hp.yaml]\n",
    }
    found = read_pipeline(reader(files), ["missing/dvc.yaml", "list/dvc.yaml", "a/dvc.yaml",
                                          "b/dvc.yaml"])
    assert found == Pipeline(("a/m.json", "b/m.json"), ("a/hp.yaml", "b/hp.yaml"), ())


def test_read_pipeline_makes_paths_relative_to_the_working_directory() -> None:
    files = {"../dvc.yaml": "metrics: [eval/m.json]\n", "dvc.yaml": "metrics: [m.json]\n"}
    found = read_pipeline(reader(files), ["../dvc.yaml", "dvc.yaml"], prefix="eval")
    assert found.metrics == ("m.json",)
    found = read_pipeline(reader({"sub/dvc.yaml": "metrics: [m.json]\n"}), ["sub/dvc.yaml"],
                          prefix="top")
    assert found.metrics == ("sub/m.json",)


def test_param_keys_are_merged_across_dvc_yaml_files() -> None:
    files = {
        "dvc.yaml": "stages:\n  train:\n    params: [lr]\n",
        "a/dvc.yaml": "stages:\n  tune:\n    params:\n      - ../params.yaml: [epochs]\n",
        "b/dvc.yaml": "params: [hp.yaml]\n",
    }
    found = read_pipeline(reader(files), ["dvc.yaml", "a/dvc.yaml", "b/dvc.yaml"])
    assert found == Pipeline((), ("params.yaml", "b/hp.yaml"),
                             (("params.yaml", ("epochs", "lr")),))
    files["b/dvc.yaml"] = "stages:\n  all:\n    params:\n      - ../params.yaml:\n"
    found = read_pipeline(reader(files), ["dvc.yaml", "a/dvc.yaml", "b/dvc.yaml"])
    assert found == Pipeline((), ("params.yaml",), ())


def test_a_templated_dvc_yaml_goes_through_resolve_with_its_folder_and_path() -> None:
    calls = []

    def resolve(data, folder, path):
        calls.append((data, folder, path))
        return {"metrics": [data["vars"][0]["out"]], "params": ["hp.yaml"]}

    text = "vars:\n  - out: m.json\nmetrics: ['${out}']\n"
    found = read_pipeline(reader({"sub/dvc.yaml": text}), ["sub/dvc.yaml"], resolve)
    assert calls == [({"vars": [{"out": "m.json"}], "metrics": ["${out}"]}, "sub",
                      "sub/dvc.yaml")]
    assert found == Pipeline(("sub/m.json",), ("sub/hp.yaml",), ())


def test_a_templated_dvc_yaml_without_a_resolver_is_an_error_naming_it() -> None:
    text = "stages:\n  train:\n    cmd: python train.py ${lr}\n"
    with pytest.raises(UsageError) as err:
        read_pipeline(reader({"sub/dvc.yaml": text}), ["sub/dvc.yaml"])
    e = err.value
    assert e.message == ("uses templating (vars, ${...}, foreach or matrix) that this command "
                         "does not resolve")
    assert e.where == "sub/dvc.yaml"
    assert e.fix == "list the metrics files under `metrics:` in mlgate.yaml"


# ----- flatten, values, TOML ----------------------------------------------------------------------


def test_flatten_under_a_prefix() -> None:
    assert flatten({"acc": 0.9, "f": {"1": 2}}, "m.json", "eval") == {"eval.acc": 0.9,
                                                                      "eval.f.1": 2.0}


def test_scores_whose_mean_overflows_are_bad_input_naming_the_metric() -> None:
    with pytest.raises(UsageError) as err:
        flatten({"cv": {"folds": [1e308, 1e308]}}, "m.json")
    assert err.value.where == "m.json: cv.folds"


def test_the_largest_integer_a_float_holds_is_a_value() -> None:
    assert flatten({"n": [FLOAT_MAX_INT]}, "m.json") == {"n": (float(FLOAT_MAX_INT),)}
    assert flatten({"n": FLOAT_MAX_INT, "m": -FLOAT_MAX_INT}, "m.json") == {
        "n": float(FLOAT_MAX_INT), "m": -float(FLOAT_MAX_INT)}


def test_an_integer_beyond_float_range_says_how_to_write_it() -> None:
    with pytest.raises(UsageError) as err:
        flatten({"n": [1, 10**400]}, "m.json")
    e = err.value
    assert e.message == "metric value is an integer beyond the range of a float (about 1.8e308)"
    assert e.where == "m.json: n.1"
    assert e.fix == "write the value as a float (e.g. 1e300), or Infinity"


def test_a_toml_file_at_the_size_limit_is_read_and_beyond_it_refused() -> None:
    at_limit = "a = 1\n#" + "x" * (MAX_FILE_BYTES - 7)
    assert len(at_limit) == MAX_FILE_BYTES
    assert parse_data(at_limit, "m.toml") == {"a": 1}
    with pytest.raises(LimitError) as err:
        parse_data(at_limit + "x", "m.toml")
    assert err.value.message == f"file is larger than {MAX_FILE_BYTES} bytes"
    assert err.value.where == "m.toml"


def test_invalid_toml_names_the_file_and_the_fix() -> None:
    with pytest.raises(UsageError) as err:
        parse_data("a = = 1\n", "params.TOML")
    e = err.value
    assert e.message.startswith("invalid TOML: ")
    assert (e.where, e.fix) == ("params.TOML", "fix the syntax of the file")


# ----- names and numbers ----------------------------------------------------------------------


def test_a_metric_without_a_key_is_qualified_by_its_name() -> None:
    assert Metric("acc", 0.9, "eval/m.json").qualified() == Metric(
        "eval/m.json:acc", 0.9, "eval/m.json", "acc")
    assert Metric("acc", 0.9, "eval/m.json", "acc").qualified().key == "acc"


def test_number_is_the_mean_of_scores_or_the_number_itself() -> None:
    assert number((0.8, 0.9, 1.0)) == pytest.approx(0.9)
    assert number(0.5) == 0.5
