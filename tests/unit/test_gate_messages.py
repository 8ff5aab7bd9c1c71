"""`mlgate gate` says why it failed even when no rule is listed as failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers import report_fixtures as fx


def gate(tmp_path: Path, doc: dict, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    code = main(["gate", "--result", str(path)])
    return code, output.read_text(encoding="utf-8"), str(path)


def test_a_result_without_metrics_fails_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, outputs, _ = gate(tmp_path, fx.result([]), monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert "mlgate gate: FAILED (churn): no metric was compared (the PR has no metrics)" in err
    assert "0 rule(s) failed" not in err
    assert "no metric was compared" in outputs  # failed-rules is never empty on a failure


def test_a_failing_metric_row_without_a_failed_rule_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = fx.result([fx.metric("accuracy", 0.9, 0.8, "regressed", passed=False)])
    doc["passed"] = True  # a hand-edited file that claims to pass
    code, _, _ = gate(tmp_path, doc, monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert "failed metric: accuracy" in err


def test_failed_rules_are_listed_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = fx.failing_result()
    code, outputs, _ = gate(tmp_path, doc, monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert f"FAILED (churn): {len(doc['failed_rules'])} rule(s) failed" in err
    for rule in doc["failed_rules"]:
        assert f"  - {rule}" in err and rule in outputs
