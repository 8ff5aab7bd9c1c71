"""What a same-repository PR controls cannot move its own gate (issue 21, fail-open items).

Each test is one way a PR could make a worse model pass on today's main: the base branch in
its own config, a symlinked config, no thresholds at all, a base ahead of HEAD. Real git
repositories; compare runs in-process through the CLI entry point.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.gitrepo import GitRepo

MAIN_RULES = "thresholds:\n  accuracy: {min: 0.9, tolerance: 0.01}\n"


def mlgate(repo: GitRepo, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(repo.path)
    return main(list(args))


def result(repo: GitRepo) -> dict:
    return json.loads((repo.path / ".mlgate" / "result.json").read_text())


def rows(doc: dict) -> dict[str, dict]:
    return {m["name"]: m for m in doc["metrics"]}


def pull_request_event(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       base: str = "main") -> None:
    """The environment of a `pull_request` job whose base branch is ``base``."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 7, "pull_request": {
        "number": 7, "head": {"sha": repo.head(), "ref": "pr"},
        "base": {"ref": base, "sha": repo.git("rev-parse", base)}}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_BASE_REF", base)
    monkeypatch.setenv("GITHUB_HEAD_REF", "pr")


# ----- 1. `base:` in the PR's mlgate.yaml does not pick the baseline ------------------------


@pytest.mark.parametrize("base", ["HEAD", "HEAD^2", "pr"])
def test_pr_config_base_cannot_make_the_pr_its_own_baseline(
        repo, tmp_path, monkeypatch, base):
    repo.commit("main", {"mlgate.yaml": MAIN_RULES, "metrics.json": {"accuracy": 0.95}})
    repo.checkout("pr", new=True)
    repo.commit("drop", {"mlgate.yaml": f"base: {base!r}\nthresholds:\n  accuracy: {{}}\n",
                         "metrics.json": {"accuracy": 0.50}})
    pull_request_event(repo, tmp_path, monkeypatch)
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["baseline"]["base_ref"] == "main"
    assert rows(doc)["accuracy"]["baseline"] == 0.95
    assert doc["passed"] is False
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 1


# ----- 2. a symlinked mlgate.yaml does not bring its own thresholds --------------------------


def test_symlinked_config_is_still_judged_by_the_merge_base_config(repo, tmp_path, monkeypatch):
    repo.commit("main", {"mlgate.yaml": MAIN_RULES, "metrics.json": {"accuracy": 0.95}})
    repo.checkout("pr", new=True)
    repo.write("loose.yaml", "thresholds:\n  accuracy: {min: 0.1, tolerance: 0.9}\n")
    (repo.path / "mlgate.yaml").unlink()
    os.symlink("loose.yaml", repo.path / "mlgate.yaml")
    repo.commit("loosen", {"metrics.json": {"accuracy": 0.50}})
    pull_request_event(repo, tmp_path, monkeypatch)
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["thresholds"]["source"] == "baseline"
    assert doc["passed"] is False
    assert doc["thresholds"]["changed"], "the loosened rule is listed as a threshold change"


# ----- 5. no thresholds is not a pass: the default policy ----------------------------------


def no_rules_project(repo: GitRepo, pr_metrics: dict, config: str | None = None) -> None:
    files: dict = {"metrics.json": {"accuracy": 0.95, "f1": 0.90, "fit_time_s": 1.0,
                                    "support": 120, "custom_thing": 3.0}}
    if config is not None:
        files["mlgate.yaml"] = config
    repo.commit("main", files)
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": pr_metrics})


def test_no_thresholds_a_clear_drop_fails_by_default(repo, monkeypatch):
    no_rules_project(repo, {"accuracy": 0.894, "f1": 0.90, "fit_time_s": 9.0,
                            "support": 40, "custom_thing": 1.0})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["passed"] is False
    assert doc["thresholds"]["default_rules"] is True
    by = rows(doc)
    assert by["accuracy"]["passed"] is False
    assert by["f1"]["passed"] is True
    # Timings and counts are informational: shown, never gated by default.
    for name in ("fit_time_s", "support"):
        assert by[name]["rules"] == [] and by[name]["informational"] is True
    # A name with no known direction gets no default rule.
    assert by["custom_thing"]["rules"] == []
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 1


def test_no_thresholds_a_change_under_one_percent_never_fails(repo, monkeypatch):
    no_rules_project(repo, {"accuracy": 0.9406, "f1": 0.8911, "fit_time_s": 1.0,
                            "support": 120, "custom_thing": 3.0})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["passed"] is True
    assert doc["thresholds"]["default_rules"] is True


def test_informational_globs_in_config_take_metrics_out_of_the_default_rules(repo, monkeypatch):
    no_rules_project(repo, {"accuracy": 0.5, "f1": 0.90, "fit_time_s": 1.0,
                            "support": 120, "custom_thing": 3.0},
                     config="informational: [accura*]\n")
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert rows(doc)["accuracy"]["informational"] is True
    assert rows(doc)["accuracy"]["rules"] == []
    assert doc["passed"] is True


def test_explicit_empty_thresholds_means_no_rules_with_a_warning(repo, monkeypatch, capsys):
    no_rules_project(repo, {"accuracy": 0.5, "f1": 0.90, "fit_time_s": 1.0,
                            "support": 120, "custom_thing": 3.0},
                     config="thresholds: {}\n")
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["thresholds"]["default_rules"] is False
    assert all(m["rules"] == [] for m in doc["metrics"])
    assert any("thresholds: {}" in w for w in doc["warnings"])
    out = capsys.readouterr()
    assert "thresholds: {}" in out.out + out.err


# ----- 6. a requested base ahead of HEAD is said, never silently replaced ----------------------


def test_base_ahead_of_head_is_an_error_not_another_commit(repo, monkeypatch, capsys):
    repo.commit("c0", {"metrics.json": {"accuracy": 0.70}, "mlgate.yaml": MAIN_RULES})
    behind = repo.commit("c1", {"metrics.json": {"accuracy": 0.80}})
    repo.commit("c2", {"metrics.json": {"accuracy": 0.90}})
    repo.git("checkout", "-q", "-b", "pr", behind)
    assert mlgate(repo, "compare", "--base", "main", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "main" in err and "ahead of" in err
    assert not (repo.path / ".mlgate" / "result.json").exists()


def test_the_comment_says_default_rules_were_used(repo, monkeypatch):
    no_rules_project(repo, {"accuracy": 0.894, "f1": 0.90, "fit_time_s": 9.0,
                            "support": 40, "custom_thing": 1.0})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    assert mlgate(repo, "report", "--dry-run", monkeypatch=monkeypatch) == 0
    report = (repo.path / ".mlgate" / "report.md").read_text(encoding="utf-8")
    assert "**Default rules**" in report and "5%" in report


def test_explicit_rules_mean_no_default_rules_note(repo, monkeypatch):
    no_rules_project(repo, {"accuracy": 0.5, "f1": 0.90, "fit_time_s": 1.0,
                            "support": 120, "custom_thing": 3.0},
                     config="thresholds:\n  f1: {min: 0.5}\n")
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo)
    assert doc["thresholds"]["default_rules"] is False
    assert rows(doc)["accuracy"]["rules"] == []  # only the written rules gate
    assert mlgate(repo, "report", "--dry-run", monkeypatch=monkeypatch) == 0
    assert "**Default rules**" not in (repo.path / ".mlgate" / "report.md").read_text()
