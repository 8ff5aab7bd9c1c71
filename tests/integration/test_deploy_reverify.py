"""Issue 21 item 4: a re-run of a deploy whose ``deploy.verify`` failed is never reported
deployed: the verification runs again (pass: deployed; fail: exit 3 again)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.fakegithub import FakeGitHub
from tests.helpers.deployproj import Project, read_outputs

pytest_plugins = ["tests.fakegithub.fixtures"]


def deploy(*args: str) -> int:
    return main(["deploy", *args])


def smoke(project: Project, code: int) -> str:
    script = project.path / "smoke.sh"
    script.write_text("#!/bin/sh\necho \"smoke $MLGATE_MODEL_VERSION\"\n" f"exit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return "./smoke.sh"


@pytest.fixture
def fake(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    for key, value in fake_github.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLGATE_GITHUB_BACKOFF", "0")
    return fake_github


def test_github_release_rerun_after_a_failed_verify_verifies_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub,
    gh_files: dict[str, Path], capfd: pytest.CaptureFixture[str],
) -> None:
    project = Project(tmp_path, deploy={"target": "github-release"})
    project.write_model()
    monkeypatch.chdir(project.path)
    project.set_deploy({"target": "github-release", "verify": smoke(project, 1)})
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 3  # nothing to roll back to: 1.0.0 stays live
    capfd.readouterr()

    # The same job re-run: the verification fails again, never "already deployed".
    gh_files["output"].unlink()
    assert deploy() == 3
    captured = capfd.readouterr()
    assert "smoke 1.0.0" in captured.out, "verify ran again"
    assert "nothing to do" not in captured.out
    assert read_outputs(gh_files["output"])["deployed"] == "false"

    # Fixed service: the re-run verifies again, and only then reports the version deployed.
    smoke(project, 0)
    gh_files["output"].unlink()
    assert deploy() == 0
    captured = capfd.readouterr()
    assert "verify `./smoke.sh` passed for churn 1.0.0" in captured.out
    outputs = read_outputs(gh_files["output"])
    assert outputs["deployed"] == "true" and outputs["version"] == "1.0.0"
    assert len(fake.releases_for("octo/demo")) == 1, "no second release"


def test_gto_rerun_after_a_failed_verify_verifies_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gh_files: dict[str, Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    project = Project(tmp_path, deploy={"target": "gto", "stage": "prod"})
    monkeypatch.chdir(project.path)
    project.set_deploy({"target": "gto", "stage": "prod", "verify": smoke(project, 5)})
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 3
    tags = project.origin_tags()
    capfd.readouterr()
    gh_files["output"].unlink()
    assert deploy() == 3
    captured = capfd.readouterr()
    assert "smoke 1.0.0" in captured.out and "nothing to do" not in captured.out
    assert read_outputs(gh_files["output"])["deployed"] == "false"
    assert project.origin_tags() == tags, "nothing new was registered"
