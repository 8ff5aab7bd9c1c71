"""`baseline: retrain`: the merge base is trained in the same job, in a temporary worktree."""

from __future__ import annotations

import json

import pytest

from mlgate.cli import main
from tests.helpers.dvcproject import breast_cancer_frame, git, make_dvc_project

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
