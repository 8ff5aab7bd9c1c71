"""Issue 21 items 13 and 14: `mlgate drift` on bad current data (a header and no rows, a file
that is not a table) is exit 2 naming the file; a column whose values are all new is drift;
`mlgate drift | head -1` ends quietly with 141."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.cli import main
from mlgate.core.drift import compute_drift
from mlgate.core.drift_config import DriftThresholds


def _reference(root: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 500),
                          "plan": rng.choice(["a", "b", "c"], 500)})
    path = root / "ref.csv"
    frame.to_csv(path, index=False)
    return path


def _drift(root: Path, current: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return main(["drift", "--reference", "ref.csv", "--current", current])


def test_current_data_with_a_header_and_no_rows_is_exit_2_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _reference(tmp_path)
    (tmp_path / "now.csv").write_text("age,plan\n", encoding="utf-8")
    code = _drift(tmp_path, "now.csv", monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "now.csv" in err and "no rows" in err and "How to fix" in err


def test_reference_with_no_rows_is_exit_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ref.csv").write_text("age,plan\n", encoding="utf-8")
    pd.DataFrame({"age": [1.0], "plan": ["a"]}).to_csv(tmp_path / "now.csv", index=False)
    code = _drift(tmp_path, "now.csv", monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "ref.csv" in err and "no rows" in err


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00",
                                     b'{"not": "a table"}\n'], ids=["binary", "json"])
def test_current_file_that_is_not_a_table_is_exit_2_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    content: bytes,
) -> None:
    _reference(tmp_path)
    (tmp_path / "now.csv").write_bytes(content)
    code = _drift(tmp_path, "now.csv", monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "now.csv" in err, err
    assert "internal error" not in err


def test_a_column_whose_values_are_all_new_is_drift() -> None:
    n = 10_000
    reference = pd.DataFrame({"city": [f"r{i}" for i in range(n)]})
    current = pd.DataFrame({"city": [f"c{i}" for i in range(n)]})
    result = compute_drift(reference, current, DriftThresholds())
    [feature] = result.features
    assert feature.stats.unseen == n
    assert feature.drifted, feature
    assert feature.stats.psi > DriftThresholds().psi


def test_many_categories_shared_by_both_sides_do_not_drift() -> None:
    n = 10_000
    values = [f"v{i}" for i in range(n)]
    result = compute_drift(pd.DataFrame({"city": values}), pd.DataFrame({"city": values[::-1]}),
                           DriftThresholds())
    assert not result.drifting


# ----- 14: a closed pipe -------------------------------------------------------------------
def _closed_pipe_run(cwd: Path, *args: str, env: dict[str, str] | None = None
                     ) -> subprocess.CompletedProcess[str]:
    """``mlgate ARGS`` with stdout a pipe whose reader is already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=cwd,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
                              timeout=120, env=env)
    finally:
        os.close(write_end)


def _drifting_project(root: Path) -> None:
    """200 drifting features: the report is far larger than stdout's buffer, so the write
    that meets the closed pipe happens while the command runs, not at exit."""
    rng = np.random.default_rng(1)
    names = [f"feature_{i:03d}_with_a_long_name" for i in range(200)]
    pd.DataFrame({n: rng.normal(0, 1, 300) for n in names}).to_csv(root / "ref.csv",
                                                                   index=False)
    pd.DataFrame({n: rng.normal(3, 1, 300) for n in names}).to_csv(root / "now.csv",
                                                                   index=False)


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
def test_drift_into_a_closed_pipe_ends_quietly_with_141(tmp_path: Path, unbuffered: str) -> None:
    _drifting_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PYTHONUNBUFFERED"] = unbuffered
    proc = _closed_pipe_run(tmp_path, "drift", "--reference", "ref.csv", "--current",
                            "now.csv", env=env)
    assert (proc.returncode, proc.stderr.count("Traceback")) == (141, 0), proc.stderr
    assert "internal error" not in proc.stderr and "BrokenPipeError" not in proc.stderr
    assert (tmp_path / ".mlgate" / "drift.json").is_file()


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
def test_action_drift_into_a_closed_pipe_ends_quietly_with_141(tmp_path: Path,
                                                               unbuffered: str) -> None:
    _drifting_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PYTHONUNBUFFERED"] = unbuffered
    env.update(IN_REFERENCE="ref.csv", IN_CURRENT="now.csv", IN_DRY_RUN="true",
               GITHUB_OUTPUT=str(tmp_path / "out.txt"))
    proc = _closed_pipe_run(tmp_path, "action", "drift", env=env)
    assert proc.returncode == 141, proc.stderr
    assert "internal error" not in proc.stderr and "BrokenPipeError" not in proc.stderr
