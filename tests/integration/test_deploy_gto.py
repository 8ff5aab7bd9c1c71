"""mlgate deploy --target gto: GTO tags in a real repo, pushed to a bare origin."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.deployproj import Project, read_outputs


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    proj = Project(tmp_path, deploy={"target": "gto", "stage": "prod"})
    monkeypatch.chdir(proj.path)
    return proj


def deploy(*args: str) -> int:
    return main(["deploy", *args])


def test_registers_assigns_and_pushes_then_is_idempotent(
    project: Project, gh_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/demo")
    sha = project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    tags = ["churn#prod#1", "churn@v1.0.0"]
    assert project.local_tags() == tags
    assert project.origin_tags() == tags
    assert project.repo.git("rev-list", "-n1", "churn@v1.0.0") == sha
    assert "mlgate-metrics" in project.repo.git("tag", "-l", "--format=%(contents)", "churn@v1.0.0")
    url = "https://github.com/octo/demo/releases/tag/churn%40v1.0.0"
    assert read_outputs(gh_files["output"]) == {"deployed": "true", "version": "1.0.0", "url": url}

    # Re-running for the same commit changes nothing and reports the same version.
    gh_files["output"].unlink()
    assert deploy() == 0
    assert project.local_tags() == tags and project.origin_tags() == tags
    assert read_outputs(gh_files["output"]) == {"deployed": "true", "version": "1.0.0", "url": url}
    assert "already deployed" in gh_files["summary"].read_text()


def test_next_version_moves_the_stage(project: Project, gh_files: dict[str, Path]) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    sha = project.train({"accuracy": 0.955, "f1": 0.81})
    assert deploy() == 0
    assert project.origin_tags() == ["churn#prod#1", "churn#prod#2", "churn@v1.0.0",
                                     "churn@v1.0.1"]
    assert project.repo.git("rev-list", "-n1", "churn#prod#2") == sha
    summary = gh_files["summary"].read_text()
    assert "Champion/challenger: passed" in summary and "v1.0.0 (stage prod)" in summary
    assert read_outputs(gh_files["output"])["version"] == "1.0.1"


def test_challenger_worse_than_deployed_model_is_refused(
    project: Project, gh_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    # Two merges, each within tolerance of its merge base, 0.045 below the deployed model.
    project.train({"accuracy": 0.945, "f1": 0.8})
    project.train({"accuracy": 0.94, "f1": 0.8})
    project.train({"accuracy": 0.932, "f1": 0.8})
    out_before = project.origin_tags()
    assert deploy() == 1
    captured = capsys.readouterr()
    assert "the new model does not beat the deployed model" in captured.err
    assert "accuracy: tolerance -0.01 (dropped 0.018, allowed 0.01)" in captured.err
    assert "champion/challenger: FAILED" in captured.out
    summary = gh_files["summary"].read_text()
    assert "| accuracy | 0.95 | 0.932 | -0.018 | regressed |" in summary
    assert project.origin_tags() == out_before == project.local_tags()
    assert read_outputs(gh_files["output"])["deployed"] == "false"
    # --force overrides, and the card would say so.
    assert deploy("--force") == 0
    assert "churn@v1.0.1" in project.origin_tags()
    message = project.repo.git("tag", "-l", "--format=%(contents)", "churn@v1.0.1")
    assert "Forced deploy (--force) although:" in message
    assert "does not beat the deployed model" in message
    card = (project.path / ".mlgate" / "model_card.md").read_text()
    assert "**Forced deploy**" in card and "failed (overridden by --force)" in card


REJECT_ALL = "#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n"
# The update hook runs per ref: only the stage tag is refused, so only an atomic push keeps the
# version tag out as well.
REJECT_STAGE = """#!/bin/sh
case "$1" in
  *'#prod#'*) echo 'tags are frozen' >&2; exit 1;;
esac
exit 0
"""


@pytest.mark.parametrize(("hook_name", "script"),
                         [("pre-receive", REJECT_ALL), ("update", REJECT_STAGE)],
                         ids=["pre-receive-rejects-all", "update-rejects-stage-tag"])
def test_rejected_push_leaves_no_tags(
    project: Project, capsys: pytest.CaptureFixture[str], gh_files: dict[str, Path],
    hook_name: str, script: str,
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy() == 0
    before = project.origin_tags()
    hook = project.origin / "hooks" / hook_name
    hook.write_text(script)
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    project.train({"accuracy": 0.96, "f1": 0.8}, push=False)
    assert deploy() == 3
    err = capsys.readouterr().err
    assert "pushing the tags churn@v1.0.1, churn#prod#2 to 'origin' failed" in err
    assert "tags are frozen" in err
    assert project.origin_tags() == before
    assert project.local_tags() == before
    assert read_outputs(gh_files["output"])["deployed"] == "false"


@pytest.mark.parametrize("locked", ["churn@v1.0.0", "churn#prod#1"],
                         ids=["version-tag", "stage-tag"])
def test_failed_tag_creation_is_a_clean_error_and_leaves_no_tags(
    project: Project, capsys: pytest.CaptureFixture[str], gh_files: dict[str, Path], locked: str,
) -> None:
    """Git cannot write a tag: exit 3 with git's reason, not "internal error"; no tag is kept
    (with the stage tag locked, the version tag was created first and is deleted again)."""
    project.train({"accuracy": 0.95, "f1": 0.8})
    lock = project.lock_tag(locked)
    assert deploy() == 3
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "git tag: creating the git tags for version 1.0.0 failed" in err
    assert f"{locked}.lock" in err
    assert "no other git process holds a lock" in err
    assert project.local_tags() == [] == project.origin_tags()
    assert read_outputs(gh_files["output"])["deployed"] == "false"
    lock.unlink()
    assert deploy() == 0
    assert project.origin_tags() == ["churn#prod#1", "churn@v1.0.0"]


def test_champion_from_committed_metrics_and_remote_tags(project: Project) -> None:
    """A version registered by hand (plain gto, no metrics in the tag, only on the remote)."""
    import gto.api

    deployed = project.train({"accuracy": 0.95, "f1": 0.8})
    gto.api.register(str(project.path), "churn", ref=deployed, version="v3.0.0",
                     author="a", author_email="a@b.c")
    gto.api.assign(str(project.path), "churn", "prod", version="v3.0.0",
                   author="a", author_email="a@b.c")
    project.repo.git("push", "-q", "origin", "--tags")
    project.repo.git("tag", "-d", "churn@v3.0.0", "churn#prod#1")
    project.train({"accuracy": 0.945, "f1": 0.8})
    project.train({"accuracy": 0.936, "f1": 0.8})
    assert deploy() == 1  # 0.014 below the deployed 0.95 (from its committed metrics.json)
    project.train({"accuracy": 0.946, "f1": 0.8})
    assert deploy() == 0
    assert "churn@v3.0.1" in project.origin_tags()


def test_explicit_version_and_conflicts(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy("--version", "2.0.0", "--stage", "staging") == 0
    assert project.origin_tags() == ["churn#staging#1", "churn@v2.0.0"]
    project.train({"accuracy": 0.95, "f1": 0.8})
    assert deploy("--version", "2.0.0") == 2
    assert "version 2.0.0 is already registered" in capsys.readouterr().err
    assert deploy("--stage", "bad stage") == 2
    assert "not a valid GTO name" in capsys.readouterr().err


def test_missing_remote_is_exit_2(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.train({"accuracy": 0.95, "f1": 0.8})
    project.repo.git("remote", "remove", "origin")
    assert deploy() == 2
    assert "git remote 'origin' does not exist" in capsys.readouterr().err
