"""mlgate deploy --rollback and deploy.verify with real git: gto (bare origin) and command."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from mlgate.adapters.actions import GitHubEnv
from mlgate.cli import main
from mlgate.config import load_config, paths_for
from mlgate.deploy.gto_target import GtoTarget
from mlgate.deploy.rollback import plan_rollback
from mlgate.errors import ServiceError
from mlgate.services.deploy import DeployOptions, build_context
from tests.fakegithub import FakeGitHub
from tests.helpers.deployproj import Project, read_outputs

REPO = "octo/demo"


def deploy(*args: str) -> int:
    return main(["deploy", *args])


def in_stage(project: Project) -> str:
    """The version gto shows in stage prod, read with gto itself."""
    import gto.api

    found = gto.api.find_versions_in_stage(str(project.path), "churn", "prod")
    found = found[0] if isinstance(found, list) else found
    return str(found.version)


def executable(path: Path, text: str) -> str:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return f"./{path.name}"


# -- gto ----------------------------------------------------------------------------------------

@pytest.fixture
def gto_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    proj = Project(tmp_path, deploy={"target": "gto", "stage": "prod"})
    monkeypatch.chdir(proj.path)
    return proj


def test_gto_rollback_reassigns_the_stage_with_one_atomic_push(
    gto_project: Project, gh_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = gto_project
    first = project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    project.train({"accuracy": 0.955, "f1": 0.81})
    assert deploy() == 0
    monkeypatch.setenv("GITHUB_RUN_ID", "77")
    assert deploy("--rollback") == 0
    assert in_stage(project) == "v1.0.0"
    # GTO shows the highest active version: 1.0.1 is unassigned from the stage (one tag).
    assert project.origin_tags() == ["churn#prod!#3", "churn#prod#1", "churn#prod#2",
                                     "churn@v1.0.0", "churn@v1.0.1"]
    assert project.repo.git("rev-list", "-n1", "churn#prod#1") == first
    message = project.repo.git("tag", "-l", "--format=%(contents)", "churn#prod!#3")
    assert "mlgate-rollback" in message and '"from": "1.0.1"' in message
    assert read_outputs(gh_files["output"])["rolled-back"] == "true"
    assert read_outputs(gh_files["output"])["version"] == "1.0.0"

    # Idempotent: a re-run of the run, or --to the live version, pushes nothing.
    tags = project.origin_tags()
    capsys.readouterr()
    assert deploy("--rollback") == 0
    assert deploy("--rollback", "--to", "1.0.0") == 0
    assert "nothing changed" in capsys.readouterr().out
    assert project.origin_tags() == tags == project.local_tags()
    # Another run: 1.0.0 is the first version -> exit 2.
    monkeypatch.setenv("GITHUB_RUN_ID", "78")
    assert deploy("--rollback") == 2
    assert "nothing to roll back to" in capsys.readouterr().err
    # The rolled-back commit is not re-deployed by a re-run of its deploy.
    assert deploy() == 1
    assert project.origin_tags() == tags
    # --to makes 1.0.1 live again.
    assert deploy("--rollback", "--to", "1.0.1") == 0
    assert in_stage(project) == "v1.0.1"
    assert "churn#prod#4" in project.origin_tags()
    assert project.origin_tags() == project.local_tags()


def test_gto_nothing_deployed_is_exit_2(
    gto_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy("--rollback") == 2
    assert "no version of this model is deployed" in capsys.readouterr().err
    assert gto_project.origin_tags() == []


def test_gto_loser_of_two_rollbacks_at_once_gets_a_clear_message(
    gto_project: Project, tmp_path: Path
) -> None:
    project = gto_project
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    project.train({"accuracy": 0.955, "f1": 0.81})
    assert deploy() == 0
    # A second checkout that read the registry before the first one rolled back.
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(project.origin), str(other)], check=True)
    config = load_config(None, other)
    options = DeployOptions(config=config, paths=paths_for(None, other), rollback=True)
    slow = GtoTarget(build_context(options, config.deploy_settings(), GitHubEnv.from_env()))
    plan = plan_rollback(slow.registry(), None, None)
    assert deploy("--rollback") == 0  # the first one wins
    before = project.origin_tags()
    with pytest.raises(ServiceError, match="another deploy or rollback changed the live version"):
        slow.restore(plan)
    assert project.origin_tags() == before
    leftover = subprocess.run(["git", "tag", "-l", "churn#prod#*"], cwd=other, text=True,
                              capture_output=True, check=True).stdout.split()
    assert sorted(leftover) == ["churn#prod#1", "churn#prod#2"]  # the loser's tag is gone


def test_gto_failing_verify_reassigns_the_previous_version(
    gto_project: Project, capfd: pytest.CaptureFixture[str]
) -> None:
    project = gto_project
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    smoke = executable(project.path / "smoke.sh", 'echo "checking $MLGATE_MODEL_VERSION"\nexit 9\n')
    project.set_deploy({"target": "gto", "stage": "prod", "verify": smoke})
    project.train({"accuracy": 0.955, "f1": 0.81})
    assert deploy() == 3
    captured = capfd.readouterr()
    assert "checking 1.0.1" in captured.out
    assert "the verify command failed with exit status 9" in captured.err
    assert "rolled back automatically: 1.0.0 is live now" in captured.err
    assert in_stage(project) == "v1.0.0"
    assert project.origin_tags() == ["churn#prod!#3", "churn#prod#1", "churn#prod#2",
                                     "churn@v1.0.0", "churn@v1.0.1"]


# -- command ------------------------------------------------------------------------------------

RECEIPT = """\
{ echo "version=$MLGATE_MODEL_VERSION"; echo "rollback=${MLGATE_ROLLBACK:-0}"; \
echo "from=${MLGATE_ROLLBACK_FROM:-}"; echo "model=$(cat "$MLGATE_MODEL_PATH")"; \
echo "accuracy=${MLGATE_METRIC_ACCURACY:-}"; } >> "$RECEIPTS"; echo --- >> "$RECEIPTS"
"""


def receipts(path: Path) -> list[dict[str, str]]:
    blocks = path.read_text().split("---\n")
    return [dict(line.split("=", 1) for line in b.splitlines()) for b in blocks if b.strip()]


@pytest.fixture
def command_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    proj = Project(tmp_path, deploy={"target": "command", "command": "true"})
    script = executable(proj.path / "ship.sh", RECEIPT)
    proj.set_deploy({"target": "command", "command": script})
    proj.repo.commit("deploy script", {"ship.sh": (proj.path / "ship.sh").read_text()})
    proj.repo.git("push", "-q", "origin", "main")
    monkeypatch.setenv("RECEIPTS", str(tmp_path / "receipts.txt"))
    monkeypatch.chdir(proj.path)
    return proj


def test_command_without_registry_has_nothing_to_roll_back(
    command_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    command_project.train({"accuracy": 0.95, "f1": 0.8})
    command_project.write_model()
    assert deploy() == 0
    assert deploy("--rollback") == 2
    err = capsys.readouterr().err
    assert "keeps no record of the models it deployed" in err and "deploy.registry" in err



def test_command_rollback_runs_the_command_with_the_earlier_release_files(
    command_project: Project, fake: FakeGitHub, tmp_path: Path, gh_files: dict[str, Path],
) -> None:
    project = command_project
    project.set_deploy({"target": "command", "command": "./ship.sh",
                        "registry": "github-release"})
    project.train({"accuracy": 0.95, "f1": 0.8})
    project.write_model(content=b"model-one")
    assert deploy() == 0
    project.train({"accuracy": 0.96, "f1": 0.8})
    project.write_model(content=b"model-two")
    assert deploy() == 0
    assert sorted(r["tag_name"] for r in fake.releases_for(REPO)) == ["churn-v1.0.0",
                                                                      "churn-v1.0.1"]
    assert deploy("--rollback") == 0
    got = receipts(tmp_path / "receipts.txt")
    assert [(r["version"], r["rollback"], r["model"]) for r in got] == [
        ("1.0.0", "0", "model-one"), ("1.0.1", "0", "model-two"), ("1.0.0", "1", "model-one")]
    assert got[-1]["from"] == "1.0.1" and got[-1]["accuracy"] == "0.95"
    assert read_outputs(gh_files["output"])["version"] == "1.0.0"
    status = fake.handle("GET", f"/repos/{REPO}/releases/latest",
                         {"authorization": "token test-token"}, b"", fake.url)
    assert status.body["tag_name"] == "churn-v1.0.0"


def test_command_failing_verify_runs_the_rollback_command(
    command_project: Project, fake: FakeGitHub, tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    project = command_project
    project.set_deploy({"target": "command", "command": "./ship.sh",
                        "registry": "github-release"})
    project.train({"accuracy": 0.95, "f1": 0.8})
    project.write_model(content=b"model-one")
    assert deploy() == 0
    smoke = executable(project.path / "smoke.sh", "exit 5\n")
    project.set_deploy({"target": "command", "command": "./ship.sh",
                        "registry": "github-release", "verify": smoke})
    project.train({"accuracy": 0.96, "f1": 0.8})
    project.write_model(content=b"model-two")
    assert deploy() == 3
    err = capfd.readouterr().err
    assert "exit status 5" in err and "1.0.0 is live now" in err
    got = receipts(tmp_path / "receipts.txt")
    assert [(r["version"], r["rollback"], r["model"]) for r in got][-1] == ("1.0.0", "1",
                                                                           "model-one")
    assert json.loads(json.dumps(got))  # receipts are plain strings


def test_registry_is_only_for_the_command_target(
    gto_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    gto_project.set_deploy({"target": "gto", "registry": "github-release"})
    assert deploy("--rollback") == 2
    assert "registry is for the command target only" in capsys.readouterr().err
