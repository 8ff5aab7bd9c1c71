"""A small project for deploy tests: a git repo with a bare ``origin``, result.json, a model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from mlgate.adapters.result_file import write_json
from mlgate.core.compare import Comparison, diff
from mlgate.core.result import BaselineInfo, HeadInfo, build_result
from mlgate.core.thresholds import parse_rules
from tests.helpers.gitrepo import GitRepo

THRESHOLDS: dict[str, Any] = {"accuracy": {"min": 0.8, "tolerance": 0.01}, "*": {"tolerance": "5%"}}


def make_result(
    current: dict[str, float],
    baseline: dict[str, float] | None = None,
    thresholds: dict[str, Any] | None = None,
    *,
    name: str = "churn",
    sha: str = "a" * 40,
) -> dict[str, Any]:
    rules = parse_rules(THRESHOLDS if thresholds is None else thresholds)
    comparison = diff(Comparison(current=current, baseline=baseline, rules=rules))
    return build_result(
        name=name,
        head=HeadInfo(sha=sha, ref="main", subject="Train"),
        baseline=BaselineInfo(found=baseline is not None, sha="b" * 40 if baseline else None,
                              source="committed" if baseline else None, base_ref="main",
                              merge_base=None, note=None),
        comparison=comparison,
        require_baseline=False,
        metrics_files=["metrics.json"],
    ).to_json()


MODEL_META: dict[str, Any] = {
    "name": "churn",
    "estimator": "sklearn.linear_model.LogisticRegression",
    "params": {"C": 1.0, "max_iter": 200},
    "task": "classification",
    "target": "churned",
    "data": {"path": "data/train.csv", "sha256": "0" * 64, "rows": 1000,
             "columns": ["age", "plan", "churned"]},
    "metrics": {"accuracy": 0.91, "f1": 0.8},
    "commit": None,
    "created_at": "2026-11-23T05:00:00+00:00",
    "mlgate_version": "0.1.0",
    "train_config": {"data": "data/train.csv", "target": "churned",
                     "model": "sklearn.linear_model.LogisticRegression",
                     "params": {"C": 1.0, "max_iter": 200}},
}


class Project:
    """``repo`` (branch main, pushed to the bare ``origin``) with mlgate.yaml and metrics."""

    def __init__(self, tmp: Path, deploy: dict[str, Any] | None = None,
                 metrics: dict[str, float] | None = None, name: str = "churn") -> None:
        self.origin = tmp / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)],
                       check=True)
        self.repo = GitRepo(tmp / "repo")
        self.repo.git("remote", "add", "origin", str(self.origin))
        self.config: dict[str, Any] = {"name": name, "thresholds": THRESHOLDS}
        if deploy is not None:
            self.config["deploy"] = deploy
        self.metrics = metrics or {"accuracy": 0.9, "f1": 0.8}
        self.repo.commit("init", {
            ".gitignore": ".mlgate/\n",
            "mlgate.yaml": yaml.safe_dump(self.config, sort_keys=False),
            "metrics.json": json.dumps(self.metrics),
        })
        self.repo.git("push", "-q", "origin", "main")

    @property
    def path(self) -> Path:
        return self.repo.path

    def set_deploy(self, deploy: dict[str, Any]) -> None:
        self.config["deploy"] = deploy
        self.repo.write("mlgate.yaml", yaml.safe_dump(self.config, sort_keys=False))

    def train(self, metrics: dict[str, float], message: str = "retrain",
              push: bool = True) -> str:
        """Commit new metrics (a merged PR) and write the passing result.json and a model."""
        baseline = self.metrics
        self.metrics = metrics
        sha = self.repo.commit(message, {"metrics.json": json.dumps(metrics)})
        if push:
            self.repo.git("push", "-q", "origin", "HEAD")
        self.write_result(make_result(metrics, baseline, sha=sha))
        return sha

    def write_result(self, result: dict[str, Any]) -> Path:
        path = self.path / ".mlgate" / "result.json"
        write_json(path, result)
        return path

    def write_model(self, meta: dict[str, Any] | None = None,
                    content: bytes = b"fake-joblib-bytes") -> Path:
        model = self.path / ".mlgate" / "model" / "model.joblib"
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(content)
        (model.parent / "model.json").write_text(json.dumps(meta or MODEL_META), encoding="utf-8")
        return model

    def origin_tags(self) -> list[str]:
        out = subprocess.run(["git", "tag", "--list"], cwd=self.origin, capture_output=True,
                             text=True, check=True).stdout
        return sorted(t for t in out.splitlines() if t)

    def lock_tag(self, tag: str) -> Path:
        """Hold git's lock on ``refs/tags/<tag>`` (as a running or crashed git would)."""
        lock = self.path / ".git" / "refs" / "tags" / f"{tag}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text("")
        return lock

    def local_tags(self) -> list[str]:
        return sorted(t for t in self.repo.git("tag", "--list").splitlines() if t)


def read_outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            key, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[key] = "\n".join(lines[i + 1:j])
            i = j + 1
            continue
        key, _, value = line.partition("=")
        out[key] = value
        i += 1
    return out
