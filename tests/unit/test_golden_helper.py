"""Golden files cannot pass by rewriting their own expectations (tests/helpers/golden.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.golden import check_golden, check_golden_json, in_ci

FAILED = pytest.fail.Exception


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "report.md"
    path.write_text("expected\n", encoding="utf-8")
    return path


def test_a_mismatch_fails_without_the_variable(gold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLGATE_UPDATE_GOLDEN", raising=False)
    check_golden(gold, "expected\n")
    with pytest.raises(AssertionError):
        check_golden(gold, "changed\n")
    assert gold.read_text(encoding="utf-8") == "expected\n"


@pytest.mark.parametrize("ci", ["true", "1", "yes", "TRUE"])
def test_updating_is_refused_under_ci(gold: Path, monkeypatch: pytest.MonkeyPatch, ci: str
                                      ) -> None:
    monkeypatch.setenv("MLGATE_UPDATE_GOLDEN", "1")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(FAILED, match="never rewritten in CI"):
        check_golden(gold, "changed\n")
    with pytest.raises(FAILED, match="never rewritten in CI"):
        check_golden(gold, "expected\n")  # even when it would match
    with pytest.raises(FAILED, match="never rewritten in CI"):
        check_golden_json(gold.with_suffix(".json"), {"a": 1})
    assert gold.read_text(encoding="utf-8") == "expected\n"
    assert not gold.with_suffix(".json").exists()


def test_updating_rewrites_then_fails(gold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLGATE_UPDATE_GOLDEN", "1")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(FAILED, match="golden updated, review and re-run"):
        check_golden(gold, "changed\n")
    assert gold.read_text(encoding="utf-8") == "changed\n"
    check_golden(gold, "changed\n")  # nothing to rewrite: the comparison is real


def test_updating_json_rewrites_then_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    path = tmp_path / "result.json"
    monkeypatch.setenv("MLGATE_UPDATE_GOLDEN", "1")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(FAILED, match="golden updated"):
        check_golden_json(path, {"b": [1, 2], "a": None})
    assert path.read_text(encoding="utf-8") == '{\n  "a": null,\n  "b": [\n    1,\n    2\n  ]\n}\n'
    check_golden_json(path, {"a": None, "b": [1, 2]})
    monkeypatch.delenv("MLGATE_UPDATE_GOLDEN")
    with pytest.raises(AssertionError):
        check_golden_json(path, {"a": None, "b": [1]})


def test_missing_golden_file_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLGATE_UPDATE_GOLDEN", raising=False)
    with pytest.raises(AssertionError, match="missing"):
        check_golden(tmp_path / "nope.md", "x")


def test_ci_detection() -> None:
    assert in_ci({"CI": "true"}) and in_ci({"CI": "1"}) and in_ci({"CI": " True "})
    assert not in_ci({}) and not in_ci({"CI": ""}) and not in_ci({"CI": "false"})
    assert not in_ci({"CI": "0"}) and not in_ci({"CI": "no"})
