"""mlgate deploy --rollback and deploy.verify, github-release target, against the fake GitHub."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.github import connector
from mlgate.cli import main
from mlgate.config import load_config, paths_for
from mlgate.deploy.github_release import GitHubReleaseTarget
from mlgate.deploy.rollback import markers, plan_rollback
from mlgate.errors import ServiceError
from mlgate.services.deploy import DeployOptions, build_context
from tests.fakegithub import FakeGitHub
from tests.helpers.deployproj import Project, read_outputs

REPO = "octo/demo"



@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub) -> Project:
    proj = Project(tmp_path, deploy={"target": "github-release"})
    proj.write_model()
    monkeypatch.chdir(proj.path)
    return proj


def deploy(*args: str) -> int:
    return main(["deploy", *args])


def latest(fake: FakeGitHub) -> str:
    status, body = _get(fake, f"/repos/{REPO}/releases/latest")
    assert status == 200, body
    return str(body["tag_name"])


def _get(fake: FakeGitHub, path: str) -> tuple[int, Any]:
    resp = fake.handle("GET", path, {"authorization": "token test-token"}, b"", fake.url)
    return resp.status, resp.body


def by_tag(fake: FakeGitHub) -> dict[str, dict[str, Any]]:
    return {r["tag_name"]: r for r in fake.releases_for(REPO)}


def two_releases(project: Project) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    project.write_model(content=b"model-one")
    assert deploy() == 0
    project.train({"accuracy": 0.96, "f1": 0.8})
    project.write_model(content=b"model-two")
    assert deploy() == 0


def test_rollback_makes_the_previous_release_latest_and_records_it(
    project: Project, fake: FakeGitHub, gh_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    two_releases(project)
    assert latest(fake) == "churn-v1.0.1"
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    gh_files["output"].unlink()
    assert deploy("--rollback") == 0
    assert latest(fake) == "churn-v1.0.0"
    rels = by_tag(fake)
    assert "was made live again" in rels["churn-v1.0.0"]["body"]
    assert "/actions/runs/4242" in rels["churn-v1.0.0"]["body"]
    assert [m.kind for m in markers(rels["churn-v1.0.1"]["body"])] == ["mlgate-rolled-back"]
    url = rels["churn-v1.0.0"]["html_url"]
    assert read_outputs(gh_files["output"]) == {"rolled-back": "true", "version": "1.0.0",
                                                "url": url}
    assert "rolled back from 1.0.1 to 1.0.0" in gh_files["summary"].read_text()

    # A re-run of the same workflow run changes nothing (same GITHUB_RUN_ID).
    edits = len(fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*"))
    capsys.readouterr()
    assert deploy("--rollback") == 0
    assert "rolled back to 1.0.0 already; nothing changed" in capsys.readouterr().out
    assert len(fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*")) == edits
    assert read_outputs(gh_files["output"])["rolled-back"] == "false"
    # Rolling back to what is live changes nothing and says so.
    assert deploy("--rollback", "--to", "1.0.0") == 0
    assert "1.0.0 is live already; nothing changed" in capsys.readouterr().out
    assert len(fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*")) == edits
    # Another run: no version before 1.0.0 -> exit 2, nothing changed.
    monkeypatch.setenv("GITHUB_RUN_ID", "4243")
    assert deploy("--rollback") == 2
    err = capsys.readouterr().err
    assert "nothing to roll back to: 1.0.0 is live" in err and "--to" in err
    assert latest(fake) == "churn-v1.0.0"
    assert read_outputs(gh_files["output"]) == {"rolled-back": "false", "version": "",
                                                "url": ""}
    # --to puts the rolled-back release back, and it counts as live again.
    assert deploy("--rollback", "--to", "v1.0.1") == 0
    assert latest(fake) == "churn-v1.0.1"
    assert markers(by_tag(fake)["churn-v1.0.1"]["body"])[-1].kind == "mlgate-rollback"


def test_next_deploy_is_challenged_by_the_live_release(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    two_releases(project)
    assert deploy("--rollback") == 0
    project.train({"accuracy": 0.955, "f1": 0.8})
    capsys.readouterr()
    assert deploy() == 0
    assert "release churn-v1.0.0" in capsys.readouterr().out  # the champion is the live one
    assert latest(fake) == "churn-v1.0.2"


def test_nothing_deployed_or_unknown_version_is_exit_2(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--rollback") == 2
    assert "nothing to roll back: no version of this model is deployed" in capsys.readouterr().err
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    assert deploy("--rollback", "--to", "0.9.0") == 2
    assert "version 0.9.0 is not a deployed version of this model (deployed: 1.0.0)" in (
        capsys.readouterr().err)
    assert deploy("--rollback", "--to", "latest") == 2
    assert deploy("--to", "1.0.0") == 2  # --to without --rollback
    assert latest(fake) == "churn-v1.0.0"


def test_the_loser_of_two_rollbacks_at_once_changes_nothing(
    project: Project, fake: FakeGitHub
) -> None:
    two_releases(project)
    config = load_config(None, project.path)
    options = DeployOptions(config=config, paths=paths_for(None, project.path), rollback=True)
    env = GitHubEnv.from_env()
    ctx = build_context(options, config.deploy_settings(), env,
                        connector(env.api_url, env.token, env.repository))
    slow = GitHubReleaseTarget(ctx)
    plan = plan_rollback(slow.registry(), None, None)
    assert deploy("--rollback") == 0  # the other run wins
    edits = len(fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*"))
    with pytest.raises(ServiceError, match=r"another deploy or rollback changed the live "
                       r"version while this rollback ran: 1\.0\.0 is live now, not 1\.0\.1"):
        slow.restore(plan)
    assert len(fake.requests_matching("PATCH", f"/repos/{REPO}/releases/*")) == edits


def smoke(project: Project, code: int) -> str:
    script = project.path / "smoke.sh"
    script.write_text("#!/bin/sh\necho \"smoke $MLGATE_MODEL_VERSION $MLGATE_DEPLOY_URL\"\n"
                      f"exit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return "./smoke.sh"


def test_failing_verify_rolls_back_and_exits_3(
    project: Project, fake: FakeGitHub, gh_files: dict[str, Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    capsys = capfd  # the verify script writes to the process's own stdout
    project.set_deploy({"target": "github-release", "verify": smoke(project, 0)})
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    assert "verify `./smoke.sh` passed for churn 1.0.0" in capsys.readouterr().out
    project.set_deploy({"target": "github-release", "verify": smoke(project, 4)})
    project.train({"accuracy": 0.96, "f1": 0.8})
    gh_files["output"].unlink()
    assert deploy() == 3
    captured = capsys.readouterr()
    assert "smoke 1.0.1 https://github.com/octo/demo/releases/tag/churn-v1.0.1" in captured.out
    err = captured.err
    assert "deploy.verify: ./smoke.sh: the verify command failed with exit status 4" in err
    assert "rolled back automatically: 1.0.0 is live now" in err
    assert latest(fake) == "churn-v1.0.0"
    outputs = read_outputs(gh_files["output"])
    assert outputs["deployed"] == "false" and outputs["version"] == "1.0.0"
    assert outputs["rolled-back"] == "true"
    # Re-running the deploy of the rolled-back commit refuses (exit 1) instead of re-shipping.
    assert deploy() == 1
    assert "1.0.1 of this commit was deployed, then rolled back" in capsys.readouterr().err
    assert latest(fake) == "churn-v1.0.0"


def test_failing_verify_of_the_first_deploy_says_nothing_could_be_rolled_back(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    project.set_deploy({"target": "github-release", "verify": smoke(project, 1)})
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 3
    err = capsys.readouterr().err
    assert "no earlier version to roll back to: 1.0.0 stays live" in err


def test_drift_finds_the_model_json_of_the_live_release(
    project: Project, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib
    import json

    from tests.helpers.deployproj import MODEL_META

    rows = "\n".join(f"{i % 50},{'ab'[i % 2]},{i % 3}" for i in range(400))
    data = f"age,plan,churned\n{rows}\n".encode()
    (project.path / "data").mkdir()
    (project.path / "data" / "train.csv").write_bytes(data)
    meta = {**MODEL_META, "data": {**MODEL_META["data"],
                                   "sha256": hashlib.sha256(data).hexdigest()}}
    project.train({"accuracy": 0.95, "f1": 0.8})
    project.write_model(meta=meta)
    assert deploy() == 0
    (project.path / ".mlgate" / "model" / "model.json").unlink()  # a scheduled job's checkout
    capsys.readouterr()
    assert main(["drift", "--current", "data/train.csv", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "the model JSON is release churn-v1.0.0's model.json" in captured.out + captured.err
    assert "no drift in 2 features" in captured.out  # the target column is left out
    doc = json.loads((project.path / ".mlgate" / "drift.json").read_text())
    assert doc["reference"]["path"] == "data/train.csv"
