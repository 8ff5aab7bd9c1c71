"""Bounded reading of JSON and YAML: every bound is an exit-2 error naming the file,
reached within a fraction of a second; files within the bounds read as before."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest

from mlgate import markdown as esc
from mlgate import yamlio
from mlgate.core.metrics import parse_metrics_text
from mlgate.errors import UsageError
from mlgate.yamlio import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_NODES,
    LimitError,
    inside_repo,
    parse_text,
    read_text,
)

LIMITS_DOC = Path(__file__).parents[2] / "docs" / "limits.md"


def bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"
    for prev, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_stops_fast() -> None:
    start = time.monotonic()
    with pytest.raises(LimitError, match="alias") as err:
        parse_text(bomb(), "metrics.yaml")
    assert err.value.where == "metrics.yaml"
    assert time.monotonic() - start < 2


def test_a_few_aliases_are_fine() -> None:
    text = "base: &b {lr: 0.1, depth: 3}\nmodel_a: *b\nmodel_b: {<<: *b, depth: 5}\n"
    assert parse_text(text, "params.yaml")["model_b"] == {"lr": 0.1, "depth": 5}


def test_recursive_alias() -> None:
    with pytest.raises(LimitError, match="recursive"):
        parse_text("a: &a [1, *a]\n", "params.yaml")
    with pytest.raises(LimitError, match="recursive"):
        parse_text("a: &a {b: *a}\n", "params.yaml")


@pytest.mark.parametrize("where", ["m.json", "m.yaml"])
def test_depth(where: str) -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_text(ok, where) is not None
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(LimitError, match="deep"):
        parse_text(deep, where)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_json_nested_very_deep(depth: int) -> None:
    with pytest.raises(LimitError, match="deep"):
        parse_text('{"a":' * depth + "1" + "}" * depth, "metrics.json")


def test_block_yaml_nested_deep() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + " " * 200 + "1\n"
    with pytest.raises(UsageError):
        parse_text(text, "params.yaml")


@pytest.mark.parametrize("where", ["m.json", "m.yaml"])
def test_node_count(where: str) -> None:
    many = "[" + ",".join(["1"] * MAX_NODES) + "]"
    with pytest.raises(LimitError, match="values"):
        parse_text(many, where)


def test_alias_limit_counts_expansions() -> None:
    text = "a: &a 1\nb: [" + ",".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(LimitError, match="alias"):
        parse_text(text, "params.yaml")


@pytest.mark.parametrize("where", ["metrics.json", "metrics.yaml"])
def test_oversized_integer_is_named_by_key(where: str) -> None:
    text = '{"ok": 1, "huge": ' + "9" * (MAX_INT_DIGITS + 1) + "}"
    with pytest.raises(UsageError, match="beyond the range") as err:
        parse_metrics_text(text, where)
    assert err.value.where == f"{where}: huge"
    assert parse_text('{"n": ' + "9" * MAX_INT_DIGITS + "}", where)["n"] == int("9" * 4300)


def test_size(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(LimitError, match="larger than"):
        read_text(path, "metrics.json")
    with pytest.raises(LimitError, match="larger than"):
        parse_text(" " * (MAX_FILE_BYTES + 1), "metrics.json")


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe{}", "{}".encode("utf-16"), '{"a": 1}'.encode("utf-16-le"), b"a: \xe9\n"],
)
def test_not_utf8(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    with pytest.raises(UsageError, match="not UTF-8") as err:
        read_text(path, "f.yaml")
    assert err.value.where == "f.yaml"


def test_read_text_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        read_text(tmp_path / "nope", "nope")
    with pytest.raises(UsageError, match="directory"):
        read_text(tmp_path, "dir")


def test_inside_repo(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    (top / "sub").mkdir(parents=True)
    outside = tmp_path / "secret.yaml"
    outside.write_text("x: 1\n")
    (top / "link.yaml").symlink_to(outside)
    (top / "inner.yaml").write_text("x: 1\n")
    (top / "ok-link.yaml").symlink_to(top / "inner.yaml")
    assert inside_repo(top / "sub" / ".." / "inner.yaml", top, "inner.yaml") == (
        top / "inner.yaml"
    ).resolve()
    assert inside_repo(top / "ok-link.yaml", top, "ok-link.yaml")
    for rel in ("link.yaml", "../secret.yaml", "sub/../../secret.yaml"):
        with pytest.raises(UsageError, match="outside the repository") as err:
            inside_repo(top / rel, top, rel)
        assert err.value.where == rel


def test_repo_top(tmp_path: Path) -> None:
    (tmp_path / "r" / ".git").mkdir(parents=True)
    (tmp_path / "r" / "a" / "b").mkdir(parents=True)
    assert yamlio.repo_top(tmp_path / "r" / "a" / "b") == (tmp_path / "r").resolve()


# ----- escaping of what cannot be written --------------------------------------------------


def test_lone_surrogates_are_replaced() -> None:
    for text in (esc.md("a\ud800b"), esc.code("x\udfff"), esc.clean("\ud83d")):
        text.encode("utf-8")  # would raise on a lone surrogate
        assert "\ufffd" in text


def test_percent_and_chart_of_overflowing_relative_change() -> None:
    rel = 1e7 / 1e-300
    assert esc.percent(rel) == "+∞"
    assert esc.chart_percent(rel) == esc.CHART_PERCENT_MAX
    assert esc.chart_percent(-rel) == -esc.CHART_PERCENT_MAX
    assert esc.chart_percent("Infinity") is None
    assert esc.chart_percent(0.0123) == 1.23


# ----- docs/limits.md matches the code -----------------------------------------------------


def _documented(heading: str) -> dict[str, str]:
    """``name`` -> value cell of the rows under ``## heading`` whose first cell names a
    constant in backticks."""
    text = LIMITS_DOC.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|[^|]*\|\s*([^|]+?)\s*\|\s*`([A-Za-z_.]+)`\s*\|", line)
        if match:
            rows[match.group(2)] = match.group(1)
    return rows


def _number(cell: str) -> float:
    text = cell.replace(",", "").replace(" ", "")
    units = {"MiB": 1024 * 1024, "s": 1, "%": 1}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def test_limits_table_matches_the_code() -> None:
    from mlgate.adapters import dvc, notes

    constants = {
        "yamlio.MAX_FILE_BYTES": MAX_FILE_BYTES,
        "yamlio.MAX_DEPTH": MAX_DEPTH,
        "yamlio.MAX_ALIASES": MAX_ALIASES,
        "yamlio.MAX_NODES": MAX_NODES,
        "yamlio.MAX_INT_DIGITS": MAX_INT_DIGITS,
        "notes.NOTE_WRITE_ATTEMPTS": notes.NOTE_WRITE_ATTEMPTS,
        "escape.CHART_PERCENT_MAX": esc.CHART_PERCENT_MAX,
        "dvc.PROBE_TIMEOUT": dvc.PROBE_TIMEOUT,
    }
    documented = {**_documented("Files"), **_documented("DVC")}
    assert set(documented) == set(constants)
    for name, value in constants.items():
        assert _number(documented[name]) == value, name
