"""The gate cannot be fooled by the PR it gates (real git repositories).

Each test is one way a PR could make a worse model pass; see SPEC "What the gate guarantees".
"""

from __future__ import annotations

import json

import pytest

from mlgate.cli import main
from tests.helpers.gitrepo import GitRepo

GLOB_ONLY = 'thresholds:\n  "*": {tolerance: "5%"}\n'


def mlgate(repo: GitRepo, *args: str, monkeypatch: pytest.MonkeyPatch, cwd=None) -> int:
    monkeypatch.chdir(cwd or repo.path)
    return main(list(args))


def result(path) -> dict:
    return json.loads((path / ".mlgate" / "result.json").read_text())


def rows(doc: dict) -> dict[str, dict]:
    return {m["name"]: m for m in doc["metrics"]}


# ----- 1. glob-only rules: empty or renamed metrics ----------------------------------------


@pytest.fixture
def glob_project(repo: GitRepo) -> GitRepo:
    repo.commit("main", {"mlgate.yaml": GLOB_ONLY,
                         "metrics.json": {"accuracy": 0.95, "f1": 0.9}})
    repo.checkout("pr", new=True)
    return repo


def test_empty_metrics_file_is_an_error_not_a_pass(glob_project, monkeypatch, capsys):
    glob_project.commit("empty", {"metrics.json": {}})
    assert mlgate(glob_project, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "metrics.json" in err and "no metrics" in err
    assert mlgate(glob_project, "gate", monkeypatch=monkeypatch) != 0


def test_first_pr_with_empty_metrics_is_an_error(repo, monkeypatch):
    repo.commit("main", {"mlgate.yaml": GLOB_ONLY})
    repo.checkout("pr", new=True)
    repo.commit("first", {"metrics.json": {}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 2


def test_renamed_metric_fails_its_glob_rule(glob_project, monkeypatch):
    glob_project.commit("rename", {"metrics.json": {"acc": 0.5, "f1": 0.9}})
    assert mlgate(glob_project, "compare", monkeypatch=monkeypatch) == 0
    doc = result(glob_project.path)
    by = rows(doc)
    assert by["accuracy"]["status"] == "removed"
    assert by["accuracy"]["passed"] is False
    assert by["acc"]["status"] == "new"
    # A new metric next to a found baseline is not "no baseline".
    assert "no baseline" not in by["acc"]["rules"][0]["message"]
    assert doc["passed"] is False
    assert mlgate(glob_project, "gate", monkeypatch=monkeypatch) == 1


# ----- 2. the baseline's metrics files are the baseline commit's ---------------------------


def test_pr_renaming_its_metrics_file_still_has_a_baseline(repo, monkeypatch):
    stage = "stages:\n  train:\n    cmd: python train.py\n    metrics:\n      - {}:\n" \
            "          cache: false\n"
    repo.commit("main", {"dvc.yaml": stage.format("training_metrics.json"),
                         "training_metrics.json": {"accuracy": 0.95, "loss": 0.2},
                         "mlgate.yaml": GLOB_ONLY})
    repo.checkout("pr", new=True)
    repo.git("rm", "-q", "training_metrics.json")
    repo.commit("move metrics", {"dvc.yaml": stage.format("training/metrics.json"),
                                 "training/metrics.json": {"accuracy": 0.80}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["baseline"]["found"] is True
    by = rows(doc)
    assert by["accuracy"]["baseline"] == 0.95
    assert by["accuracy"]["passed"] is False
    assert by["loss"]["status"] == "removed"
    assert by["loss"]["file"] == "training_metrics.json"
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 1


# ----- 3. a project in a subdirectory --------------------------------------------------------


def test_subdirectory_project_finds_its_committed_baseline(repo, monkeypatch):
    repo.commit("main", {"README.md": "monorepo\n", "proj/mlgate.yaml": GLOB_ONLY,
                         "proj/metrics.json": {"accuracy": 0.95},
                         "proj/params.yaml": "depth: 3\n"})
    repo.checkout("pr", new=True)
    repo.commit("worse", {"proj/metrics.json": {"accuracy": 0.80},
                          "proj/params.yaml": "depth: 1\n"})
    proj = repo.path / "proj"
    assert mlgate(repo, "compare", monkeypatch=monkeypatch, cwd=proj) == 0
    doc = result(proj)
    assert doc["baseline"]["found"] is True
    assert doc["baseline"]["source"] == "committed"
    assert rows(doc)["accuracy"]["baseline"] == 0.95
    assert doc["params"][0]["name"] == "depth"
    assert mlgate(repo, "gate", monkeypatch=monkeypatch, cwd=proj) == 1


# ----- 4. thresholds are the baseline commit's ---------------------------------------------


def test_pr_lowering_its_own_threshold_is_still_gated_by_the_base(repo, monkeypatch):
    repo.commit("main", {"mlgate.yaml": "thresholds:\n  accuracy: {min: 0.9}\n",
                         "metrics.json": {"accuracy": 0.95}})
    repo.checkout("pr", new=True)
    repo.commit("lower the bar", {"mlgate.yaml": "thresholds:\n  accuracy: {min: 0.5}\n",
                                  "metrics.json": {"accuracy": 0.8}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["passed"] is False
    assert doc["failed_rules"] == ["accuracy: min 0.9 (0.8 is below 0.9)"]
    thresholds = doc["thresholds"]
    assert thresholds["source"] == "baseline"
    assert thresholds["changed"] == [
        {"pattern": "accuracy", "baseline": {"min": 0.9}, "head": {"min": 0.5}}
    ]
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 1


def test_pr_cannot_opt_itself_out_with_thresholds_from_head(repo, monkeypatch):
    repo.commit("main", {"mlgate.yaml": "thresholds:\n  accuracy: {min: 0.9}\n",
                         "metrics.json": {"accuracy": 0.95}})
    repo.checkout("pr", new=True)
    repo.commit("opt out", {"mlgate.yaml": "thresholds-from: head\n"
                            "thresholds:\n  accuracy: {min: 0.5}\n",
                            "metrics.json": {"accuracy": 0.8}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    assert result(repo.path)["passed"] is False


def test_thresholds_from_head_set_on_the_base_opts_out(repo, monkeypatch):
    repo.commit("main", {"mlgate.yaml": "thresholds-from: head\n"
                         "thresholds:\n  accuracy: {min: 0.9}\n",
                         "metrics.json": {"accuracy": 0.95}})
    repo.checkout("pr", new=True)
    repo.commit("lower", {"mlgate.yaml": "thresholds-from: head\n"
                          "thresholds:\n  accuracy: {min: 0.5}\n",
                          "metrics.json": {"accuracy": 0.8}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["passed"] is True
    assert doc["thresholds"]["source"] == "head"


def test_thresholds_from_is_validated(repo, monkeypatch, capsys):
    repo.commit("main", {"mlgate.yaml": "thresholds-from: pr\n", "metrics.json": {"a": 1}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 2
    assert "thresholds-from" in capsys.readouterr().err


def test_first_pr_without_base_thresholds_uses_its_own(repo, monkeypatch):
    repo.commit("main", {"README.md": "x\n"})
    repo.checkout("pr", new=True)
    repo.commit("first", {"mlgate.yaml": "thresholds:\n  accuracy: {min: 0.9}\n",
                          "metrics.json": {"accuracy": 0.8}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["passed"] is False
    assert doc["thresholds"]["source"] == "head"


# ----- 5. a failed compare leaves no stale pass ----------------------------------------------


def test_failed_compare_removes_the_previous_result(repo, monkeypatch):
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}})
    repo.checkout("pr", new=True)
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 0
    repo.write("metrics.json", '{"accuracy": 0.9,')
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 2
    assert not (repo.path / ".mlgate" / "result.json").exists()
    assert mlgate(repo, "gate", monkeypatch=monkeypatch) == 2


# ----- 11. a push to the base branch compares with the first parent --------------------------


def test_push_to_main_compares_with_first_parent(repo, monkeypatch):
    parent = repo.commit("main 1", {"metrics.json": {"accuracy": 0.95},
                                    "mlgate.yaml": GLOB_ONLY})
    head = repo.commit("main 2", {"metrics.json": {"accuracy": 0.80}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["baseline"]["sha"] == parent
    assert doc["head"]["sha"] == head
    assert rows(doc)["accuracy"]["baseline"] == 0.95
    assert doc["passed"] is False


def test_push_to_main_applies_the_merged_thresholds(repo, monkeypatch):
    repo.commit("main 1", {"metrics.json": {"accuracy": 0.95},
                           "mlgate.yaml": "thresholds:\n  accuracy: {min: 0.9}\n"})
    repo.commit("merge: accept 0.85", {"metrics.json": {"accuracy": 0.86},
                                       "mlgate.yaml": "thresholds:\n  accuracy: {min: 0.85}\n"})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["thresholds"]["source"] == "head"
    assert doc["passed"] is True


def test_root_commit_on_main_has_no_baseline(repo, monkeypatch):
    repo.commit("main 1", {"metrics.json": {"accuracy": 0.95}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    assert result(repo.path)["baseline"]["found"] is False


# ----- 12. baseline: auto prefers the store's record for the merge base ----------------------


def test_auto_prefers_the_record_of_the_merge_base_and_warns(repo, monkeypatch):
    repo.commit("main", {"metrics.json": {"accuracy": 0.90}, "mlgate.yaml": "name: m\n"})
    # CI retrained on main without committing: the store holds what main really measures.
    repo.write("metrics.json", {"accuracy": 0.95})
    assert mlgate(repo, "baseline", "record", monkeypatch=monkeypatch) == 0
    repo.git("checkout", "-q", "--", "metrics.json")
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.94}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["baseline"]["source"] == "store"
    acc = rows(doc)["accuracy"]
    assert acc["baseline"] == 0.95
    assert acc["status"] == "regressed"
    assert any("accuracy" in w and "0.9" in w and "0.95" in w for w in doc["warnings"])


def test_auto_committed_beats_a_recorded_ancestor(repo, monkeypatch):
    repo.commit("main 1", {"metrics.json": {"accuracy": 0.80}, "mlgate.yaml": "name: m\n"})
    assert mlgate(repo, "baseline", "record", monkeypatch=monkeypatch) == 0
    merge_base = repo.commit("main 2", {"metrics.json": {"accuracy": 0.90}})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.91}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["baseline"]["source"] == "committed"
    assert doc["baseline"]["sha"] == merge_base


# ----- real repositories: duplicate keys, removed files, no-baseline reason ------------------


def test_key_in_two_metrics_files_keeps_both(repo, monkeypatch, capsys):
    dvc = ("stages:\n  train:\n    cmd: t\n    metrics: [results/train/metrics.json]\n"
           "  evaluate:\n    cmd: e\n    metrics: [results/evaluate/metrics.json]\n")
    repo.commit("main", {"dvc.yaml": dvc,
                         "results/train/metrics.json": {"dice_multi": 0.9, "loss": 0.1},
                         "results/evaluate/metrics.json": {"dice_multi": 0.8},
                         "mlgate.yaml": "thresholds:\n  loss: {max: 0.5}\n"
                         '  "results/evaluate/metrics.json:dice_multi": {tolerance: 0.01}\n'})
    repo.checkout("pr", new=True)
    repo.commit("pr", {"results/evaluate/metrics.json": {"dice_multi": 0.7}})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    by = rows(doc)
    assert set(by) == {"results/train/metrics.json:dice_multi",
                       "results/evaluate/metrics.json:dice_multi", "loss"}
    assert by["results/evaluate/metrics.json:dice_multi"]["passed"] is False
    assert by["results/train/metrics.json:dice_multi"]["status"] == "unchanged"
    assert by["loss"]["rule"] == "loss"


def test_plain_rule_on_a_duplicated_key_is_ambiguous(repo, monkeypatch, capsys):
    repo.commit("main", {"a.json": {"k": 1.0}, "b.json": {"k": 2.0},
                         "mlgate.yaml": "metrics: [a.json, b.json]\n"
                         "thresholds:\n  k: {min: 0}\n"})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "a.json:k" in err and "b.json:k" in err


def test_no_baseline_says_what_was_looked_for(repo, monkeypatch):
    repo.commit("main", {".gitignore": "metrics.json\n.mlgate/\n", "mlgate.yaml": "name: m\n"})
    repo.checkout("pr", new=True)
    repo.commit("pr")
    repo.write("metrics.json", {"accuracy": 0.9})
    assert mlgate(repo, "compare", monkeypatch=monkeypatch) == 0
    note = result(repo.path)["baseline"]["note"]
    assert "metrics.json" in note
    assert "refs/notes/mlgate" in note
    assert "mlgate baseline record" in note and "baseline: retrain" in note
