"""Reading YAML as a whole (yamlio.py): the files projects really have (dvc.yaml,
*.dvc, dvc.lock, params.yaml, mlgate.yaml, what DVC itself writes) read exactly as PyYAML reads
them, through libyaml's loader behind the bounds; errors name the file; the bounds hold with
and without libyaml. The bounds themselves are in test_yamlio_bounds.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate import yamlio
from mlgate.errors import UsageError
from mlgate.services.demo import BASELINE_MODEL, SCENARIOS, config_yaml
from mlgate.yamlio import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES, LimitError, OversizedInt

ROOT = Path(__file__).parents[2]


def shape(value: Any) -> Any:
    """``value`` with its types spelled out, so that 1 == 1.0 == True and "a" ==
    OversizedInt("a") no longer compare equal, and key order counts."""
    if isinstance(value, dict):
        return ("dict", [(shape(k), shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [shape(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def read(text: str, where: str = "file.yaml") -> Any:
    return yamlio.parse_text(text, where)


def assert_reads_as_pyyaml(text: str, where: str = "file.yaml") -> Any:
    """The bounded reader gives exactly PyYAML's own value (same types, key order)."""
    value = read(text, where)
    assert shape(value) == shape(yaml.safe_load(text)), text
    return value


def test_the_c_loader_reads_when_pyyaml_has_it() -> None:
    loader = yamlio._yaml_loader("a: 1\n")
    try:
        assert isinstance(loader, yaml.CSafeLoader)
    finally:
        loader.dispose()


# ----- the real files ---------------------------------------------------------------------------

# What the tests write as dvc.yaml, dvc.lock and *.dvc, and what DVC 3 writes.
DVC_FILES = {
    "dvc.yaml (stage, flow lists)": (
        "stages:\n  train:\n    cmd: python train.py\n    deps: [data/train.csv, train.py]\n"
        "    outs: [models/model.txt]\n    metrics:\n      - metrics.json:\n"
        "          cache: false\n"
    ),
    "dvc.yaml (quoted cmd)": (
        "stages:\n  train:\n    cmd: '/usr/bin/python3 train.py'\n"
        "    deps: [data/train.csv, train.py]\n    metrics:\n      - metrics.json:\n"
        "          cache: false\n"
    ),
    "dvc.yaml (bench)": "metrics:\n- metrics.json\n",
    "dvc.yaml (two stages)": (
        "stages:\n  train:\n    cmd: t\n    metrics: [results/train/metrics.json]\n"
        "  evaluate:\n    cmd: e\n    metrics: [results/evaluate/metrics.json]\n"
    ),
    "dvc.yaml (top and stage metrics)": (
        "metrics:\n  - top.json\n  - shared.json\nstages:\n"
        "  train:\n    cmd: x\n    metrics:\n      - train.json\n"
        "      - eval.json: {cache: false}\n  evaluate:\n    metrics: [shared.json, 7]\n"
    ),
    "dvc.yaml (yaml metrics)": (
        "stages:\n  train:\n    cmd: python train.py\n    metrics:\n"
        "      - eval/scores.yaml:\n          cache: false\n      - eval/timing.json\n"
    ),
    "dvc.yaml (dvc stage add)": (
        "stages:\n  train:\n    cmd: 'python train.py --lr 0.1 # x'\n    deps:\n"
        "    - data/d.csv\n    params:\n    - epochs\n    - lr\n    outs:\n    - model.pkl\n"
        "    metrics:\n    - metrics.json:\n        cache: false\n    plots:\n    - plots.csv\n"
    ),
    "dvc.lock": (
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: python prepare.py\n    deps:\n"
        "    - path: data/raw.csv\n      md5: aaa\n      size: 10\n    outs:\n"
        "    - path: data/prepared.csv\n      md5: 0cc175b9c0f1b6a831c399e269772661\n"
        "      size: 20\n"
    ),
    "data.dvc": "outs:\n- md5: 347441cd9fe13856fba32e012c6c3559\n  size: 6658\n  hash: md5\n"
    "  path: churn.csv\n",
    "dir.dvc (hash starting with a digit)": (
        "outs:\n- md5: 5f0ecbad0d1a2d7c7b1cb4e01b07c4e7.dir\n  size: 2\n  nfiles: 1\n"
        "  hash: md5\n  path: dir\n"
    ),
    "all-digit md5": "outs:\n- md5: 34744112345678901234567890123456\n  path: a.csv\n",
    "empty outs": "outs: []\n",
    "params.yaml": (
        "# training parameters\ntrain:\n  lr: 0.001\n  epochs: 10\n  layers: [64, 32]\n"
        "  dropout: 0.5   # per layer\n  optimizer: adam\n  early_stop: true\n"
        "  seed: null\n  decay: 1.0e-05\n  momentum: -0.9\n\nprepare:\n  split: 0.2\n"
        "  path: data/raw.csv\n  name: 'run #1'\n  note: \"it's fine\"\n"
    ),
    "inline thresholds": 'accuracy: {min: 0.9}\n"*": {tolerance: "2%"}\n',
    "metrics.yaml": "test:\n  accuracy: 0.9\n  loss: 0.3\n",
}


def example_files() -> list[Path]:
    names = ("dvc.yaml", "mlgate.yaml", "params.yaml", "dvc.lock")
    found = [p for p in (ROOT / "examples").rglob("*")
             if p.is_file() and (p.name in names or p.suffix == ".dvc")]
    return sorted(found)


def test_the_examples_are_found() -> None:
    names = {p.name for p in example_files()}
    assert {"mlgate.yaml", "churn.csv.dvc"} <= names


@pytest.mark.parametrize("path", example_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_example_files_read_as_pyyaml_reads_them(path: Path) -> None:
    assert_reads_as_pyyaml(path.read_text(encoding="utf-8"), path.name)
    assert shape(yamlio.load_file(path)) == shape(yaml.safe_load(path.read_text("utf-8")))


@pytest.mark.parametrize("name", sorted(DVC_FILES))
def test_dvc_and_params_files_read_as_pyyaml_reads_them(name: str) -> None:
    assert_reads_as_pyyaml(DVC_FILES[name])


@pytest.mark.parametrize("model", [BASELINE_MODEL, *(s.model for s in SCENARIOS)])
def test_the_demo_config_reads_back(model: Any) -> None:
    value = assert_reads_as_pyyaml(config_yaml(model))
    assert value["train"]["params"] == model.params


def test_what_dvc_itself_writes_reads_as_pyyaml_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvc.repo import Repo

    monkeypatch.chdir(tmp_path)  # DVC resolves the stage's paths from the working directory
    Repo.init(str(tmp_path), no_scm=True).close()
    (tmp_path / "data" / "dir").mkdir(parents=True)
    (tmp_path / "data" / "d.csv").write_text("a,b\n1,2\n")
    (tmp_path / "data" / "dir" / "f.txt").write_text("x\n")
    with Repo(str(tmp_path)) as repo:
        repo.add(["data/d.csv", "data/dir"])
        repo.stage.add(name="train", cmd="python train.py --lr 0.1", deps=["data/d.csv"],
                       params=["lr"], outs=["model.pkl"], metrics_no_cache=["metrics.json"])
    for name in ("data/d.csv.dvc", "data/dir.dvc", "dvc.yaml"):
        assert_reads_as_pyyaml((tmp_path / name).read_text(encoding="utf-8"), name)


# ----- scalars: YAML 1.1 as PyYAML resolves it ----------------------------------------------------

RESOLVED = {
    "a": "a", "x y": "x y", "a#b": "a#b", "a,b": "a,b", "http://x/y": "http://x/y", "y": "y",
    "0": 0, "-1": -1, "+1": 1, "-0": 0, "1.5": 1.5, "1.": 1.0, "1.0e+5": 1e5, "1.5E-3": 1.5e-3,
    "1e5": "1e5", "1.0e5": "1.0e5", "1.2.3": "1.2.3", "3a4b.dir": "3a4b.dir", "0a1b": "0a1b",
    "0o17": "0o17", "0X1F": "0X1F", "12 monkeys": "12 monkeys", "yes": True, "NO": False,
    "On": True, "off": False, "yEs": "yEs", "~": None, "~x": "~x", "Null": None, "none": "none",
    "'it''s'": "it's", '""': "", "'a # b'": "a # b", '"a: b"': "a: b", "[]": [], "{}": {},
    "[ a , 'b' ]": ["a", "b"], "[1, 2.5, yes, ~]": [1, 2.5, True, None], "{a: 1}": {"a": 1},
}


@pytest.mark.parametrize("scalar", sorted(RESOLVED))
def test_the_everyday_scalars_resolve_as_in_yaml_1_1(scalar: str) -> None:
    value = assert_reads_as_pyyaml(f"k: {scalar}\n")["k"]
    assert shape(value) == shape(RESOLVED[scalar])


# ----- errors name the file and the spot --------------------------------------------------------


@pytest.mark.parametrize("text", [
    "a: b: c\n", "a:\n  - x\n  b: 1\n", "- a\nb: 1\n", "a: 'x\n", "a: [x\n", "a:\n b: 1\n c\n",
    "a: 1\n b: 2\n", "a: @x\n",
])
def test_invalid_yaml_is_a_usage_error_naming_the_file_and_line(text: str) -> None:
    with pytest.raises(UsageError, match=r"^invalid YAML at line \d+, column \d+: ") as err:
        read(text, "params.yaml")
    assert err.value.where == "params.yaml"
    assert not isinstance(err.value, LimitError)  # a malformed file, not a bound


def test_an_oversized_integer_is_kept_as_its_text() -> None:
    digits = "-" + "7" * (MAX_INT_DIGITS + 1)
    value = read(f"a: {digits}\nb: {'7' * MAX_INT_DIGITS}\nc: +1_000\n")
    assert type(value["a"]) is OversizedInt and value["a"] == digits
    assert value["b"] == int("7" * MAX_INT_DIGITS)
    assert value["c"] == 1000


# ----- bounds at and beyond the limit -----------------------------------------------------------


def test_values_up_to_the_bound_are_read_and_beyond_it_fail() -> None:
    pairs = (MAX_NODES - 1) // 2  # the mapping itself, its keys and values
    at_bound = "".join(f"k{i}: {i}\n" for i in range(pairs))
    assert len(read(at_bound, "params.yaml")) == pairs
    beyond = at_bound + f"k{pairs}: 0\n"
    with pytest.raises(LimitError, match=f"more than {MAX_NODES} values") as err:
        read(beyond, "params.yaml")
    assert err.value.where == "params.yaml"


@pytest.mark.parametrize(
    "levels", [MAX_DEPTH - 6, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 5]
)
def test_nesting_near_and_beyond_the_bound(levels: int) -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(levels - 1))
    text += "  " * (levels - 1) + "leaf: [1]\n"  # `levels` mappings, a list, its item
    if levels + 2 > MAX_DEPTH:
        with pytest.raises(LimitError, match="deep") as err:
            read(text, "params.yaml")
        assert err.value.where == "params.yaml"
    else:
        assert_reads_as_pyyaml(text)


# ----- without libyaml: PyYAML's own loader, the same bounds ------------------------------------


@pytest.fixture
def no_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    monkeypatch.setattr(yamlio, "_LOADER", [])  # the loader class is made once per process


@pytest.mark.usefixtures("no_libyaml")
def test_without_libyaml_the_python_loader_reads_behind_the_same_bounds() -> None:
    loader = yamlio._yaml_loader("a: 1\n")
    loader.dispose()
    assert isinstance(loader, yaml.SafeLoader)
    assert_reads_as_pyyaml(DVC_FILES["dvc.lock"])
    text = "a: &a [1, 2]\n" + "".join(f"b{i}: [" + ",".join(["*a"] * 9) + "]\n"
                                        for i in range(200))
    with pytest.raises(LimitError, match="alias"):
        read(text, "params.yaml")
    with pytest.raises(LimitError, match="recursive"):
        read("a: &a [1, *a]\n", "params.yaml")
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(LimitError, match="deep"):
        read(deep, "params.yaml")
    with pytest.raises(LimitError, match="deep"):
        read("[" * 100_000, "params.yaml")  # stopped before the recursive composer
    value = read(f"n: {'9' * (MAX_INT_DIGITS + 1)}\n", "params.yaml")
    assert type(value["n"]) is OversizedInt
    with pytest.raises(UsageError, match="invalid YAML at line 1"):
        read("a: b: c\n", "params.yaml")
