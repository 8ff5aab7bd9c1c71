"""Issue 24: `drift.features` takes `!` exclusion patterns (`["*", "!target", "!id_*"]`).

A column is checked when it matches some positive pattern and no `!` pattern ("excluded if any
`!` matches", whatever the order); a list of `!` patterns only means every column but those; an
exclusion that matches no column is a warning (a positive pattern that matches none stays
exit 2); patterns that leave no column are exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.cli import main
from mlgate.core.drift import compute_drift
from mlgate.core.drift_config import DriftThresholds, parse_drift_config
from mlgate.errors import UsageError


def frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id_user": np.arange(n) + seed * n,  # drifts by nature: new ids every time
        "id_session": rng.integers(0, 10**9, n),
        "age": rng.normal(40, 10, n),
        "plan": rng.choice(["a", "b", "c"], n),
        "target": rng.integers(0, 2, n),
    })


def names(features: tuple[str, ...], warnings: list[str] | None = None) -> list[str]:
    result = compute_drift(frame(1), frame(2), DriftThresholds(features=features),
                           warn=None if warnings is None else warnings.append)
    return sorted(f.stats.name for f in result.features)


def test_exclusions_remove_matching_columns() -> None:
    assert names(("*", "!target", "!id_*")) == ["age", "plan"]


def test_an_exclusion_wins_whatever_its_position() -> None:
    assert names(("!id_*", "*", "!target")) == ["age", "plan"]
    assert names(("age", "id_user", "!id_*")) == ["age"]


def test_only_exclusions_mean_every_other_column() -> None:
    assert names(("!target", "!id_*")) == ["age", "plan"]


def test_an_exclusion_matching_no_column_is_a_warning() -> None:
    warnings: list[str] = []
    assert names(("*", "!target", "!nope*"), warnings) == ["age", "id_session", "id_user",
                                                           "plan"]
    assert len(warnings) == 1 and "'!nope*'" in warnings[0] and "matches no column" in warnings[0]


def test_a_positive_pattern_matching_no_column_stays_exit_2() -> None:
    with pytest.raises(UsageError, match="matches no column"):
        names(("nope*", "!target"))


def test_patterns_that_leave_no_column_are_bad_input() -> None:
    with pytest.raises(UsageError, match="no column") as err:
        names(("id_*", "!id_*"))
    assert "drift.features" in str(err.value.where)


@pytest.mark.parametrize("raw", [["!"], ["*", "!"]])
def test_an_empty_exclusion_is_a_config_error(raw: list[str]) -> None:
    with pytest.raises(UsageError) as err:
        parse_drift_config({"features": raw})
    assert "drift.features" in str(err.value.where)


def test_cli_with_a_small_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    frame(1).to_csv(tmp_path / "ref.csv", index=False)
    frame(2).to_csv(tmp_path / "cur.csv", index=False)
    (tmp_path / "mlgate.yaml").write_text(
        'name: m\ndrift: {features: ["*", "!target", "!id_*", "!gone"]}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    code = main(["drift", "--reference", "ref.csv", "--current", "cur.csv", "--dry-run"])
    out = capsys.readouterr()
    assert code == 0, out
    doc = json.loads((tmp_path / ".mlgate" / "drift.json").read_text(encoding="utf-8"))
    assert sorted(f["name"] for f in doc["features"]) == ["age", "plan"]
    assert doc["thresholds"]["features"] == ["*", "!target", "!id_*", "!gone"]
    assert "'!gone' matches no column" in out.err and "warning" in out.err
