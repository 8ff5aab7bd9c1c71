"""The fast YAML reader (issue 17): the everyday files (dvc.yaml, *.dvc, params.yaml,
mlgate.yaml) are read without importing PyYAML, and whenever the fast reader gives a value it
is exactly the full loader's (same types, key order, bounds); anything else goes to the full
loader, with today's messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mlgate import yamlio
from mlgate.errors import UsageError
from mlgate.services.demo import BASELINE_MODEL, SCENARIOS, config_yaml
from mlgate.yamlio import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES, LimitError, OversizedInt

ROOT = Path(__file__).parents[2]
FUZZ = settings(
    max_examples=400,
    deadline=timedelta(seconds=5),  # generous: the CI machine is shared
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)


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


def fast(text: str) -> Any:
    return yamlio._fast_yaml(text)


def full(text: str) -> Any:
    return yamlio._parse_yaml(text, "file.yaml")


def assert_fast_is_full(text: str) -> Any:
    """The fast reader takes ``text`` and gives exactly the full loader's value."""
    value = fast(text)
    assert value is not yamlio._UNSURE, f"the fast reader gave up on:\n{text}"
    assert shape(value) == shape(full(text)), text
    return value


def assert_agrees_or_gives_up(text: str) -> bool:
    """Whenever the fast reader gives a value, the full loader reads the same (no error)."""
    value = fast(text)
    if value is yamlio._UNSURE:
        return False
    assert shape(value) == shape(full(text)), repr(text)
    return True


# ----- (a) the real files -----------------------------------------------------------------------

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
def test_example_files_take_the_fast_path(path: Path) -> None:
    assert_fast_is_full(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(DVC_FILES))
def test_dvc_and_params_files_take_the_fast_path(name: str) -> None:
    assert_fast_is_full(DVC_FILES[name])


@pytest.mark.parametrize("model", [BASELINE_MODEL, *(s.model for s in SCENARIOS)])
def test_the_demo_config_takes_the_fast_path(model: Any) -> None:
    value = assert_fast_is_full(config_yaml(model))
    assert value["train"]["params"] == model.params


def test_what_dvc_itself_writes_takes_the_fast_path(
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
        assert_fast_is_full((tmp_path / name).read_text(encoding="utf-8"))


# ----- (b) what PyYAML's dumper writes ----------------------------------------------------------

words = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
simple_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    words, st.sampled_from(["data/train.csv", "python train.py", "", "yes", "1.0", "x: y"]),
)
simple_data = st.recursive(
    simple_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(words, inner, max_size=4),
    max_leaves=25,
).filter(lambda d: isinstance(d, (dict, list)) and len(d) > 0)
any_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(), st.text(max_size=30),
)
any_keys = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none(),
                     st.floats(allow_nan=False))
any_data = st.recursive(
    any_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_keys, inner, max_size=4),
    max_leaves=25,
)
dump_options = st.fixed_dictionaries({
    "sort_keys": st.booleans(),
    "width": st.sampled_from([20, 40, 80, 1000]),
    "indent": st.sampled_from([2, 3, 4]),
    "allow_unicode": st.booleans(),
})


def dump(data: Any, options: dict[str, Any]) -> str:
    try:
        return yaml.safe_dump(data, default_flow_style=False, **options)
    except TypeError:  # sort_keys over keys of several types
        assume(False)
        raise


def sorted_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: sorted_keys(data[k]) for k in sorted(data)}
    if isinstance(data, list):
        return [sorted_keys(v) for v in data]
    return data


@FUZZ
@given(simple_data, dump_options)
def test_dumped_everyday_data_takes_the_fast_path(data: Any, options: dict[str, Any]) -> None:
    text = dump(data, {**options, "width": 1000})  # a narrow width folds `python train.py`
    value = assert_fast_is_full(text)
    assert shape(value) == shape(sorted_keys(data) if options["sort_keys"] else data)


@FUZZ
@given(any_data, dump_options)
def test_dumped_data_reads_the_same_or_goes_to_the_full_loader(
    data: Any, options: dict[str, Any]
) -> None:
    assert_agrees_or_gives_up(dump(data, options))


# ----- (c) YAML-ish texts -------------------------------------------------------------------------

SCALARS = [
    "a", "key", "x y", "data/train.csv", "python train.py --lr 0.1", "md5", "é", "a#b", "a,b",
    "a]b", "a}b", "a[b", "a'b", 'a"b', "a:b", "http://x/y", "a!b", "a&b", "a*b", "a|b", "y", "n",
    "0", "1", "-1", "+1", "-0", "007", "08", "0x1f", "0X1F", "0o17", "0b101", "0b", "1_000",
    "1:30", "190:20:30", "1.5", "1.", "-1.5", "+.5", ".5", "-.5", "1e5", "1.0e+5", "1.5E-3",
    "1.e-3", "1.0e5", "1.2.3", "3a4b.dir", "0a1b", "12 monkeys", ".inf", "-.inf", ".Inf", ".nan",
    ".NaN", "2001-12-14", "2001-12-14 21:59:43.10 -5", "2001-12-14t21:59:43.10-05:00",
    "yes", "no", "on", "off", "Yes", "NO", "On", "TRUE", "False", "yEs", "~", "~x", "null",
    "Null", "NULL", "none", "<<", "=", "<a", "9" * 4301, "-" + "9" * 4301, "1" * 30,
    "'s'", "'it''s'", "''", '"d"', '""', '"a\\"b"', '"a\\tb"', "'a # b'", '"a: b"',
    "[]", "{}", "[a, b]", "[a,b]", "[ a , 'b' ]", "[1, 2.5, yes, ~]", "[a, b,]", "[a: b]",
    "{a: 1}", "{a: 1, b: [c]}", "{a: 1, a: 2}", "{a: , b: 1}", "{a:1}", '{"a": 1}', "{a}",
    "&x a", "*x", "!!str 1", "!x a", "|", ">", "|-", "@a", "`a", "%a", "? a", ": a", ",a",
]
TOKENS = [
    "- ", "-", ": ", ":", " ", "  ", "#", " # c", "'", '"', "[", "]", "{", "}", ", ", "---",
    "...", "\t", "\\", "\u00a0", "\ufeff", "\x85", "\u2028", "\r", *SCALARS,
]
indents = st.sampled_from([0, 0, 0, 1, 2, 2, 3, 4, 4, 6])
keys = st.sampled_from(["a", "b", "c", "key", "a b", "1", "1.5", "yes", "~", "null", "'q'",
                        '"d"', "'a: b'", "-x", "a:b", "k#", "<<", "?", "", "x" * 1100])
values = st.sampled_from(SCALARS) | st.sampled_from(["", "", " # note", "#c", "- x"])


@st.composite
def structured_line(draw: st.DrawFn) -> str:
    line = " " * draw(indents) + draw(st.sampled_from(["", "", "", "- ", "- - ", "-  "]))
    if draw(st.booleans()):
        line += draw(keys) + draw(st.sampled_from([": ", ":", " : ", ":  "]))
    line += draw(values)
    if draw(st.integers(0, 5)) == 0:
        line += draw(st.sampled_from(TOKENS))
    return line


structured_texts = st.lists(structured_line(), min_size=1, max_size=8).map(
    lambda lines: "\n".join(lines) + "\n"
)
token_soup = st.lists(
    st.lists(st.sampled_from(TOKENS), max_size=6).map("".join), min_size=1, max_size=6
).map("\n".join)


@FUZZ
@given(structured_texts)
def test_yamlish_lines_read_the_same_or_go_to_the_full_loader(text: str) -> None:
    assert_agrees_or_gives_up(text)


@FUZZ
@given(token_soup)
def test_token_soup_reads_the_same_or_goes_to_the_full_loader(text: str) -> None:
    assert_agrees_or_gives_up(text)


@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("layout", ["k: {}\n", "- {}\n", "a:\n  - {} # c\n", "- k: {}\n",
                                    "{}: v\n", "- {}: v\n  w: 1\n"])
def test_each_scalar_reads_as_pyyaml_reads_it(scalar: str, layout: str) -> None:
    assert_agrees_or_gives_up(layout.format(scalar))


# Which of them the fast reader must resolve itself (the everyday ones), and to what.
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
def test_the_everyday_scalars_are_resolved_by_the_fast_reader(scalar: str) -> None:
    value = assert_fast_is_full(f"k: {scalar}\n")["k"]
    assert shape(value) == shape(RESOLVED[scalar])


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  text\n", "a: >\n  text\n", "---\na: 1\n",
    "a: 1\n...\n", "a:\tb\n", "a: b\n  c\n", "a: 1\na: 2\n", "? a\n: b\n", 'a: "\\n"\n',
    "a: 'multi\n  line'\n", "a: [1,\n  2]\n", "a: 2001-12-14\n", "a: 0x1f\n", "a: .inf\n",
    "<<: {a: 1}\n", "a: 1_000\n", "a: 1:30\n", "a: 007\n", "\ufeffa: 1\n", "a: 1\r\n",
    "plain text\n", "[a, b]\n", "a: {b: [c]}\n", "a: [a: b]\n", "1: a\n1.0: b\n",
])
def test_the_fast_reader_gives_up_on_the_rest(text: str) -> None:
    assert fast(text) is yamlio._UNSURE


# ----- errors and bounds are unchanged ------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "a: b: c\n", "a:\n  - x\n  b: 1\n", "- a\nb: 1\n", "a: 'x\n", "a: [x\n", "a:\n b: 1\n c\n",
    "a: 1\n b: 2\n", "a: @x\n", "k: " + "9" * 5000 + "\n",
])
def test_parse_text_errors_and_values_are_the_full_loaders(text: str) -> None:
    def outcome(parse: Any) -> Any:
        try:
            return shape(parse(text))
        except UsageError as err:
            return (type(err).__name__, str(err), err.where)

    assert outcome(lambda t: yamlio.parse_text(t, "file.yaml")) == outcome(full)


def test_an_oversized_integer_is_kept_as_its_text() -> None:
    digits = "-" + "7" * (MAX_INT_DIGITS + 1)
    value = assert_fast_is_full(f"a: {digits}\nb: {'7' * MAX_INT_DIGITS}\n")
    assert type(value["a"]) is OversizedInt and value["a"] == digits
    assert value["b"] == int("7" * MAX_INT_DIGITS)


def test_values_up_to_the_bound_are_read_fast_and_beyond_it_fail_as_before() -> None:
    pairs = (MAX_NODES - 1) // 2  # the mapping itself, its keys and values
    at_bound = "".join(f"k{i}: {i}\n" for i in range(pairs))
    assert len(assert_fast_is_full(at_bound)) == pairs
    beyond = at_bound + f"k{pairs}: 0\n"
    assert fast(beyond) is yamlio._UNSURE
    with pytest.raises(LimitError, match=f"more than {MAX_NODES} values") as err:
        yamlio.parse_text(beyond, "params.yaml")
    assert err.value.where == "params.yaml"


@pytest.mark.parametrize(
    "levels", [MAX_DEPTH - 6, MAX_DEPTH - 3, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5]
)
def test_nesting_near_and_beyond_the_bound(levels: int) -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(levels - 1))
    text += "  " * (levels - 1) + "leaf: [1]\n"  # `levels` mappings, then a list
    if levels < MAX_DEPTH - 4:
        assert_fast_is_full(text)
        return
    assert fast(text) is yamlio._UNSURE
    if levels >= MAX_DEPTH:
        with pytest.raises(LimitError, match="deep"):
            yamlio.parse_text(text, "params.yaml")
    else:
        assert yamlio.parse_text(text, "params.yaml") == full(text)


# ----- (d) PyYAML is not imported when the fast reader succeeds -----------------------------------

PROBE = """
import json, sys
from mlgate.yamlio import parse_text
value = parse_text(sys.stdin.read(), "dvc.yaml")
print(json.dumps({"value": value, "yaml": "yaml" in sys.modules}))
"""


def probe(text: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-c", PROBE], input=text, capture_output=True,
                          text=True, check=True, env=env)
    return dict(json.loads(proc.stdout))


def test_a_simple_dvc_yaml_does_not_import_pyyaml() -> None:
    text = DVC_FILES["dvc.yaml (dvc stage add)"]
    out = probe(text)
    assert out == {"value": full(text), "yaml": False}


def test_a_file_beyond_the_subset_still_imports_pyyaml() -> None:  # the probe can see it
    out = probe("base: &b {lr: 0.1}\nmodel: *b\n")
    assert out == {"value": {"base": {"lr": 0.1}, "model": {"lr": 0.1}}, "yaml": True}
