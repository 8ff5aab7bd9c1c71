"""`baseline: retrain`: the merge base is trained in the same job, in a temporary worktree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlgate.adapters.git import Git
from mlgate.cli import main
from mlgate.errors import ServiceError
from mlgate.services.retrain import retrain_metrics
from tests.helpers.dvcproject import (
    REMOTE_NAME,
    breast_cancer_frame,
    git,
    make_dvc_project,
    write_data,
)

CONFIG = """\
name: cancer
baseline: retrain
train:
  data: data/train.csv
  target: target
  model: sklearn.tree.DecisionTreeClassifier
  params: {{max_depth: {depth}, random_state: 0}}
  metrics: [accuracy, f1]
thresholds:
  accuracy: {{tolerance: 0.5}}
"""


@pytest.mark.slow
def test_retrain_trains_the_merge_base(tmp_path, monkeypatch):
    root = make_dvc_project(
        tmp_path / "proj",
        remote_dir=tmp_path / "remote",
        data_frame_or_csv_text=breast_cancer_frame(300),
        config_yaml=CONFIG.format(depth=3),
        extra_files={".gitignore": "/metrics.json\n/.mlgate/\n"},
    )
    monkeypatch.chdir(root)
    # What main trains to, measured directly: the baseline must equal it.
    assert main(["train"]) == 0
    main_metrics = json.loads((root / "metrics.json").read_text())

    git(root, "checkout", "-q", "-b", "pr")
    (root / "mlgate.yaml").write_text(CONFIG.format(depth=1))
    git(root, "commit", "-q", "-am", "stump")
    assert main(["train"]) == 0
    assert main(["compare"]) == 0
    doc = json.loads((root / ".mlgate" / "result.json").read_text())
    assert doc["baseline"]["source"] == "retrain"
    assert doc["baseline"]["sha"] == git(root, "rev-parse", "main")
    baseline = {m["name"]: m["baseline"] for m in doc["metrics"]}
    assert baseline == main_metrics
    assert doc["params"][0]["name"] == "train.params.max_depth"
    # The worktree is gone afterwards.
    assert git(root, "worktree", "list").count("\n") == 0


def _subdir_project(repo: Path, remote: Path) -> Path:
    """A monorepo: git at ``repo``, the project (``dvc init --subdir``, mlgate.yaml, its data
    and its metrics) in ``repo/proj``, a README at the top; committed and pushed."""
    from dvc.repo import Repo

    proj = repo / "proj"
    proj.mkdir(parents=True)
    remote.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("monorepo\n", encoding="utf-8")
    Repo.init(str(proj), subdir=True).close()
    with Repo(str(proj)) as dvc:
        with dvc.config.edit() as conf:
            conf["remote"][REMOTE_NAME] = {"url": str(remote)}
            conf["core"]["remote"] = REMOTE_NAME
        write_data(proj / "data" / "train.csv", breast_cancer_frame(300))
        dvc.add(str(proj / "data" / "train.csv"))
        (proj / "mlgate.yaml").write_text(CONFIG.format(depth=3), encoding="utf-8")
        (proj / ".gitignore").write_text("/metrics.json\n/.mlgate/\n", encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "Project in a subdirectory")
        dvc.push()
    return proj


@pytest.mark.slow
def test_retrain_in_a_subdirectory_project(tmp_path, monkeypatch):
    proj = _subdir_project(tmp_path / "repo", tmp_path / "remote")
    assert not (tmp_path / "repo" / ".dvc").exists()  # DVC lives in the subdirectory only
    monkeypatch.chdir(proj)
    assert main(["train"]) == 0
    main_metrics = json.loads((proj / "metrics.json").read_text())

    git(proj, "checkout", "-q", "-b", "pr")
    (proj / "mlgate.yaml").write_text(CONFIG.format(depth=1))
    git(proj, "commit", "-q", "-am", "stump")
    assert main(["train"]) == 0
    # Without the remote the worktree's data can only come from the project's own cache.
    shutil.rmtree(tmp_path / "remote")
    assert main(["compare"]) == 0
    doc = json.loads((proj / ".mlgate" / "result.json").read_text())
    assert doc["baseline"]["source"] == "retrain"
    assert doc["baseline"]["sha"] == git(proj, "rev-parse", "main")
    baseline = {m["name"]: m["baseline"] for m in doc["metrics"]}
    assert baseline == main_metrics
    pr_metrics = json.loads((proj / "metrics.json").read_text())
    assert {m["name"]: m["current"] for m in doc["metrics"]} == pr_metrics
    assert pr_metrics != main_metrics
    # Nothing was trained or written at the repository's top, and the worktree is gone.
    assert not (tmp_path / "repo" / "metrics.json").exists()
    assert not (tmp_path / "repo" / ".mlgate").exists()
    assert git(proj, "worktree", "list").count("\n") == 0


def test_retrain_says_when_the_merge_base_has_no_project_directory(tmp_path):
    # The PR adds the project: at the merge base there is nothing to retrain in proj/.
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("monorepo\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "top")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "proj").mkdir()
    (repo / "proj" / "mlgate.yaml").write_text(CONFIG.format(depth=1), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    with pytest.raises(ServiceError) as err:
        retrain_metrics(Git(repo / "proj"), base, ["metrics.json"], None)
    assert f"merge base {base[:12]} has no proj/ directory" in err.value.message
    assert git(repo, "worktree", "list").count("\n") == 0


def test_the_retrained_metrics_are_read_with_the_same_bounds(tmp_path):
    from mlgate.services.retrain import _read
    from mlgate.yamlio import MAX_FILE_BYTES, LimitError

    big = tmp_path / "metrics.json"
    big.write_text('{"a": 1}' + " " * MAX_FILE_BYTES)
    with pytest.raises(LimitError, match="larger than") as info:
        _read(big, "metrics.json (retrained at abc)")
    assert info.value.where == "metrics.json (retrained at abc)"
    assert _read(tmp_path / "missing.json", "missing.json") is None
    (tmp_path / "ok.json").write_text('{"a": 1}')
    assert _read(tmp_path / "ok.json", "ok.json") == '{"a": 1}'
