"""Issue 22, the pure parts: which files a (resolved) dvc.yaml lists, params keyed by file,
TOML, and the fs that DVC's resolver reads through (no git, no DVC)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from mlgate.adapters.dvc_pipeline import ReaderFs
from mlgate.core.changes import params_diff, params_files, read_params
from mlgate.core.metrics import (
    Pipeline,
    discover_metrics_files,
    load_metrics,
    needs_templating,
    pipeline_of,
    read_pipeline,
)
from mlgate.errors import UsageError
from mlgate.yamlio import LimitError


def reader(files: dict[str, str]):
    return files.get


@pytest.mark.parametrize(
    ("text", "templated"),
    [
        ("stages:\n  t:\n    cmd: x\n    metrics: [m.json]\n", False),
        ("stages:\n  t:\n    cmd: x\n    metrics:\n    - ${d}/m.json\n", True),
        ("vars:\n  - a: 1\nstages: {}\n", True),
        ("stages:\n  t:\n    foreach: [a]\n    do: {cmd: x}\n", True),
        ("stages:\n  t:\n    matrix: {a: [1]}\n    cmd: x\n", True),
        ("metrics:\n  - dvclive/metrics.json\n", False),
    ],
)
def test_needs_templating(text: str, templated: bool) -> None:
    assert needs_templating(text) is templated


def test_pipeline_of_joins_folder_and_wdir_and_lists_params_files() -> None:
    data = {
        "metrics": ["dvclive/metrics.json"],
        "params": ["dvclive/params.yaml"],
        "stages": {
            "train": {"cmd": "x", "wdir": "src", "params": ["lr", {"hp.toml": ["a"]}],
                      "metrics": [{"../eval/m.json": {"cache": False}}]},
            "bad": "not a stage",
        },
    }
    found = pipeline_of(data, "training")
    assert found == Pipeline(
        metrics=("training/dvclive/metrics.json", "training/eval/m.json"),
        params=("training/dvclive/params.yaml", "training/src/params.yaml",
                "training/src/hp.toml"),
        param_keys=(("training/src/params.yaml", ("lr",)), ("training/src/hp.toml", ("a",))),
    )
    # From the subdirectory `training`, the root's files are ../x and its own are plain.
    assert pipeline_of({"metrics": ["training/m.json", "m.json"]}, "..", "training") == \
        Pipeline(metrics=("m.json", "../m.json"))


def test_templated_dvc_yaml_without_a_resolver_is_a_usage_error() -> None:
    read = reader({"dvc.yaml": "stages:\n  t:\n    cmd: x\n    metrics:\n    - ${d}/m.json\n"})
    with pytest.raises(UsageError, match="templating"):
        read_pipeline(read)


def test_explicit_metrics_win_and_pipeline_is_given() -> None:
    read = reader({})
    pipeline = Pipeline(metrics=("a.json",))
    assert discover_metrics_files(read, [], None, pipeline=pipeline) == (["a.json"], "dvc.yaml")
    assert discover_metrics_files(read, ["b.json"], None, pipeline=pipeline) == (
        ["b.json"], "mlgate.yaml")
    assert discover_metrics_files(read, [], ["c.json"], pipeline=pipeline) == (
        ["c.json"], "--metrics")


def test_params_keyed_by_file() -> None:
    base = read_params(reader({"params.yaml": "lr: 1\n", "d/params.yaml": "lr: 0.1\n"}),
                       ["params.yaml", "d/params.yaml"])
    head = read_params(reader({"params.yaml": "lr: 2\n", "d/params.yaml": "lr: 0.2\n"}),
                       ["params.yaml", "d/params.yaml"])
    rows = params_diff(base, head)
    assert [(r["file"], r["name"], r["baseline"], r["current"]) for r in rows] == [
        ("d/params.yaml", "lr", 0.1, 0.2), ("params.yaml", "lr", 1, 2)]
    assert params_files(reader({}), ["x.yaml"], Pipeline(params=("d/params.yaml",))) == (
        ["params.yaml", "x.yaml", "d/params.yaml"], {})


def test_a_file_listed_only_with_keys_is_read_for_those_keys() -> None:
    pipeline = Pipeline(params=("params.yaml", "hp.yaml", "all.yaml"),
                        param_keys=(("params.yaml", ("lr",)), ("hp.yaml", ("model",))))
    files, selected = params_files(reader({}), [], pipeline)
    assert selected == {"hp.yaml": ("model",)}  # a params.yaml is diffed whole, as DVC does
    got = read_params(reader({"hp.yaml": "model:\n  depth: 3\nmodelx: 1\nother: 2\n",
                              "all.yaml": "a: 1\n"}), files, selected)
    assert got == {("hp.yaml", "model.depth"): 3, ("all.yaml", "a"): 1}


def test_params_diff_keeps_none_values_and_deleted_files() -> None:
    rows = params_diff({("p.yaml", "a"): None}, {})
    assert rows == [{"name": "a", "file": "p.yaml", "baseline": None, "current": None,
                     "status": "deleted"}]
    assert params_diff({("p.yaml", "a"): None}, {("p.yaml", "a"): None}) == []


def test_toml_metrics_and_params() -> None:
    read = reader({"m.toml": "[test]\nacc = 0.5\nf = [1, 2]\n", "p.toml": "[m]\nd = 3\n"})
    assert [(m.name, m.value) for m in load_metrics(["m.toml"], read, missing_ok=False)] == [
        ("test.acc", 0.5), ("test.f", (1.0, 2.0))]
    assert read_params(read, ["p.toml"]) == {("p.toml", "m.d"): 3}
    with pytest.raises(UsageError, match="invalid TOML"):
        load_metrics(["m.toml"], reader({"m.toml": "acc = \n"}), missing_ok=False)


def test_reader_fs_reads_bounded_yaml() -> None:
    fs = ReaderFs(reader({"params.yaml": "a: 1\n", "../x.yaml": "b: 2\n"}))
    assert fs.join("", "params.yaml") == "params.yaml"
    assert fs.exists("params.yaml") and not fs.exists("nope.yaml")
    assert fs.open("../x.yaml").read() == "b: 2\n"
    names = "abcdefghijklmnopqrstuvwxyz"
    bomb = "a: &a [x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}]\n" for p, c in pairwise(names))
    with pytest.raises(LimitError):
        ReaderFs(reader({"p.yaml": bomb})).open("p.yaml")
