"""The gto target reads a hand-registered champion's committed metrics through the resolved
DVC pipeline at that commit (as compare does): a templated dvc.yaml (`vars:` and `${...}`)
lists them, and the challenger is compared with them instead of failing or being let through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.deployproj import Project, make_result

DVC_YAML = """\
vars:
  - reports: eval
metrics:
  - ${reports}/scores.json
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    proj = Project(tmp_path, deploy={"target": "gto", "stage": "prod"})
    proj.repo.git("rm", "-q", "metrics.json")
    proj.repo.commit("templated pipeline", {"dvc.yaml": DVC_YAML})
    monkeypatch.chdir(proj.path)
    return proj


def train(project: Project, metrics: dict[str, float]) -> str:
    baseline = project.metrics
    project.metrics = metrics
    sha = project.repo.commit("retrain", {"eval/scores.json": json.dumps(metrics)})
    project.repo.git("push", "-q", "origin", "HEAD")
    project.write_result(make_result(metrics, baseline, sha=sha))
    return sha


def test_champion_metrics_from_a_templated_dvc_yaml(project: Project,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import gto.api

    deployed = train(project, {"accuracy": 0.95, "f1": 0.8})
    gto.api.register(str(project.path), "churn", ref=deployed, version="v3.0.0",
                     author="a", author_email="a@b.c")
    gto.api.assign(str(project.path), "churn", "prod", version="v3.0.0",
                   author="a", author_email="a@b.c")
    project.repo.git("push", "-q", "origin", "--tags")
    project.repo.git("tag", "-d", "churn@v3.0.0", "churn#prod#1")  # no metrics in the tags
    train(project, {"accuracy": 0.945, "f1": 0.8})
    train(project, {"accuracy": 0.936, "f1": 0.8})
    code = main(["deploy"])
    out = capsys.readouterr()
    assert code == 1, out  # 0.014 below the deployed 0.95 (eval/scores.json at its commit)
    train(project, {"accuracy": 0.946, "f1": 0.8})
    assert main(["deploy"]) == 0
    assert "churn@v3.0.1" in project.origin_tags()
