"""result.json's fast writer: byte for byte what ``json.dumps(indent=2)`` writes (issue 17)."""

from __future__ import annotations

import json
import math
import random
import stat
from pathlib import Path
from typing import Any

import pytest

from mlgate.core.result import dumps_indented, write_json

GOLDEN = Path(__file__).parents[1] / "golden"
_LEAVES: list[Any] = [None, True, False, 0, -5, 10**30, 1.5, -0.0, 1e300, 0.1, "x", "",
                      "caf\u00e9 \"q\" \\ \n}", "},\n      {", [], {}]


def _doc(rnd: random.Random, depth: int = 0) -> Any:
    pick = rnd.random()
    if depth > 4 or pick < 0.35:
        return rnd.choice(_LEAVES)
    if pick < 0.6:
        return {rnd.choice(["a", "}", "{", "\u00fc"]) + str(i): _doc(rnd, depth + 1)
                for i in range(rnd.randint(0, 4))}
    if pick < 0.8:  # rows of plain values, as the metric rows of result.json
        return [{f"k{i}": rnd.choice(_LEAVES) for i in range(rnd.randint(1, 4))}
                for _ in range(rnd.randint(1, 4))]
    return [_doc(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]


def _same(doc: Any) -> None:
    try:
        expected = json.dumps(doc, indent=2, allow_nan=False)
    except (TypeError, ValueError) as err:
        with pytest.raises(type(err), match=str(err)):
            dumps_indented(doc)
        return
    assert dumps_indented(doc) == expected


@pytest.mark.parametrize("seed", range(5))
def test_random_documents_are_written_as_json_dumps_writes_them(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(2000):
        _same(_doc(rnd))


def test_the_golden_result_and_odd_values_are_written_alike() -> None:
    _same(json.loads((GOLDEN / "result_committed.json").read_text()))
    for odd in ({"a": math.nan}, {"a": [1, {"b": math.inf}]}, {1: 2, "x": [3]},
                {"a": (1, 2)}, {"a": {1.5: [1]}}, [{1, 2}], {"rows": [{"a": math.nan}]},
                [{"a": 1}, {}], True, "top", 3.5):
        _same(odd)


def test_write_json_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "result.json"
    write_json(path, {"metrics": [{"name": "a"}]})
    write_json(path, {"metrics": [{"name": "b"}]})
    assert json.loads(path.read_text()) == {"metrics": [{"name": "b"}]}
    assert path.read_text().endswith("}\n")
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # as tempfile.mkstemp made it
    with pytest.raises(ValueError):
        write_json(path, {"a": math.nan})
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]


def test_large_results_stay_compact(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    doc = {"metrics": [{"name": f"m{i}", "rules": []} for i in range(1001)]}
    write_json(path, doc)
    assert path.read_text() == json.dumps(doc, allow_nan=False) + "\n"
