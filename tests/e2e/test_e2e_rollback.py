"""End to end with act: the one-click rollback workflow (examples/workflows/rollback.yml) and
the scheduled drift workflow (examples/workflows/drift.yml), against the fake GitHub server.

The workflows are the example files, unchanged except for the capture step that act's helper
appends; the mlgate action is this repository (copied), mapped as ``mlgate/mlgate@v1``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub.server import FakeGitHub
from tests.helpers.act import (
    ActResult,
    ActRunner,
    clone_workspace,
    e2e_marks,
    git,
    make_action_repo,
    write_stub_actions,
)

pytestmark = e2e_marks()

REPO = "acme/churn"
TOKEN = "ghs_e2eRollbackToken0123456789abcdefghijklm"
FLOWS = Path(__file__).resolve().parents[2] / "examples" / "workflows"


@dataclass
class World:
    root: Path
    runner: ActRunner
    fake: FakeGitHub
    clones: int = 0

    def act(self, ws: Path, event_name: str, event: dict[str, Any], flow: str) -> ActResult:
        return self.runner.run(
            ws, event_name, event, FLOWS / flow, api_url=self.fake.url, token=TOKEN,
            env={"MLGATE_VENV": str(self.root / "venv"), "GITHUB_RUN_ID": "9001"},
        )

    def clone(self, origin: Path) -> Path:
        self.clones += 1
        return clone_workspace(origin, self.root / f"ws{self.clones}", "main", REPO)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("e2e-rollback")
    with pytest.MonkeyPatch.context() as mp:
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(
            "[user]\n\tname = mlgate e2e\n\temail = e2e@mlgate.invalid\n"
            "[init]\n\tdefaultBranch = main\n", encoding="utf-8")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("DVC_NO_ANALYTICS", "1")
        mp.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site"))
        runner = ActRunner(make_action_repo(root / "action"), write_stub_actions(root / "stubs"),
                           root / "act")
        fake = FakeGitHub(token=TOKEN, repo=REPO).start()
        try:
            yield World(root, runner, fake)
        finally:
            fake.close()


def dispatch_event(version: str) -> dict[str, Any]:
    return {
        "ref": "refs/heads/main", "inputs": {"version": version},
        "repository": {"full_name": REPO, "name": "churn", "owner": {"login": "acme"},
                       "default_branch": "main"},
    }


def released_project(world: World, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two releases of `churn`, deployed by mlgate (in this process)."""
    from mlgate.cli import main
    from tests.helpers.deployproj import Project

    proj = Project(world.root / "releases", deploy={"target": "github-release"})
    for key, value in world.fake.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLGATE_GITHUB_BACKOFF", "0")
    monkeypatch.chdir(proj.path)
    for accuracy in (0.95, 0.96):
        proj.train({"accuracy": accuracy, "f1": 0.8})
        proj.write_model(content=f"model {accuracy}".encode())
        assert main(["deploy"]) == 0
    return proj.origin


def latest_tag(fake: FakeGitHub) -> str:
    resp = fake.handle("GET", f"/repos/{REPO}/releases/latest",
                       {"authorization": f"token {TOKEN}"}, b"", fake.url)
    return str(resp.body["tag_name"])


def test_rollback_workflow_puts_the_previous_release_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = released_project(world, monkeypatch)
    assert latest_tag(world.fake) == "churn-v1.0.1"
    run = world.act(world.clone(origin), "workflow_dispatch", dispatch_event(""), "rollback.yml")
    assert run.job_result == "success", run.explain()
    assert run.outputs("rollback") == {"rolled-back": "true", "version": "1.0.0",
                                       "url": "https://github.com/acme/churn/releases/tag/"
                                              "churn-v1.0.0"}, run.explain()
    assert latest_tag(world.fake) == "churn-v1.0.0"
    assert "churn rolled back from 1.0.1 to 1.0.0" in run.summary()
    # The same run again (a re-run: same GITHUB_RUN_ID) changes nothing.
    again = world.act(world.clone(origin), "workflow_dispatch", dispatch_event(""),
                      "rollback.yml")
    assert again.job_result == "success", again.explain()
    assert again.outputs("rollback")["rolled-back"] == "false"
    assert latest_tag(world.fake) == "churn-v1.0.0"
    # A version given as the input.
    back = world.act(world.clone(origin), "workflow_dispatch", dispatch_event("1.0.1"),
                     "rollback.yml")
    assert back.outputs("rollback")["version"] == "1.0.1", back.explain()
    assert latest_tag(world.fake) == "churn-v1.0.1"
    # An unknown version fails the job with exit 2 and one clear annotation.
    bad = world.act(world.clone(origin), "workflow_dispatch", dispatch_event("7.0.0"),
                    "rollback.yml")
    assert bad.job_result == "failure"
    assert "version 7.0.0 is not a deployed version of this model" in bad.log()


def drift_project(world: World) -> Path:
    """A git+DVC repository laid out as examples/workflows/drift.yml assumes."""
    import numpy as np
    import pandas as pd

    from tests.helpers.dvcproject import make_dvc_project

    rng = np.random.default_rng(7)
    train = pd.DataFrame({"tenure": rng.normal(0, 1, 3000),
                          "plan": rng.choice(["a", "b"], 3000),
                          "churned": rng.integers(0, 2, 3000)})
    current = train.assign(tenure=rng.normal(1.0, 1, 3000))  # tenure moved by one sd
    train_csv = train.to_csv(index=False)
    model = {"name": "churn", "target": "churned", "commit": None,
             "data": {"path": "data/train.csv",
                      "sha256": hashlib.sha256(train_csv.encode()).hexdigest()}}
    seed = make_dvc_project(
        world.root / "drift-seed", remote_dir=world.root / "dvc-remote",
        data_frame_or_csv_text=current, data_path="data/current.parquet",
        extra_files={"data/train.csv": train_csv, "model/model.json": json.dumps(model)},
    )
    origin = world.root / "drift-origin.git"
    git(world.root, "init", "-q", "--bare", "-b", "main", str(origin))
    git(seed, "remote", "add", "origin", str(origin))
    git(seed, "push", "-q", "origin", "main")
    return origin


def test_scheduled_drift_workflow_opens_the_drift_issue(world: World) -> None:
    origin = drift_project(world)
    event = {"schedule": "17 6 * * *",
             "repository": {"full_name": REPO, "name": "churn", "owner": {"login": "acme"},
                            "default_branch": "main"}}
    run = world.act(world.clone(origin), "schedule", event, "drift.yml")
    assert run.job_result == "success", run.explain()  # fail-on-drift: false
    assert run.outputs("drift").get("drifted") == "true", run.explain()
    assert run.outputs("drift").get("drifted-features") == "tenure", run.explain()
    [issue] = world.fake.issues_for(REPO)
    assert issue["state"] == "open" and "churn" in issue["title"]
    assert issue["html_url"] == run.outputs("drift")["issue-url"]
    assert "tenure" in issue["body"]
