"""mlgate deploy with real git repositories: refusals, the command and gto targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.deployproj import Project, make_result, read_outputs


def env_command(out: Path) -> str:
    return f"env | grep '^MLGATE_' | sort > '{out}'"


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    proj = Project(tmp_path, deploy={"target": "command",
                                     "command": env_command(tmp_path / "deployed.env")})
    proj.repo.commit("deploy config")
    proj.repo.git("push", "-q", "origin", "main")
    monkeypatch.chdir(proj.path)
    return proj


def deploy(*args: str) -> int:
    return main(["deploy", *args])


# -- the command target -------------------------------------------------------------------------

def test_command_target_gets_model_version_and_metrics(
    project: Project, tmp_path: Path, gh_files: dict[str, Path]
) -> None:
    sha = project.train({"accuracy": 0.91, "f1": 0.8, "test.roc-auc": 0.7})
    model = project.write_model()
    assert deploy() == 0
    env = read_env(tmp_path / "deployed.env")
    assert env["MLGATE_MODEL_NAME"] == "churn"
    assert env["MLGATE_MODEL_VERSION"] == sha[:12]
    assert env["MLGATE_COMMIT"] == sha
    assert Path(env["MLGATE_MODEL_PATH"]) == model
    assert Path(env["MLGATE_RESULT_PATH"]) == project.path / ".mlgate" / "result.json"
    assert env["MLGATE_METRIC_ACCURACY"] == "0.91"
    assert env["MLGATE_METRIC_TEST_ROC_AUC"] == "0.7"
    assert json.loads(env["MLGATE_METRICS_JSON"]) == {
        "accuracy": 0.91, "f1": 0.8, "test.roc-auc": 0.7
    }
    card = Path(env["MLGATE_MODEL_CARD_PATH"]).read_text()
    assert "# Model card: churn" in card and "Forced" not in card
    outputs = read_outputs(gh_files["output"])
    assert outputs == {"deployed": "true", "version": sha[:12], "url": ""}
    assert "mlgate deploy: churn" in gh_files["summary"].read_text()


def test_command_version_from_option(project: Project, tmp_path: Path) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    assert deploy("--version", "v2.3.4") == 0
    assert read_env(tmp_path / "deployed.env")["MLGATE_MODEL_VERSION"] == "2.3.4"


def test_failing_command_exits_3_with_deployed_false(
    project: Project, gh_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    assert deploy("--command", "echo shipping; exit 7") == 3
    err = capsys.readouterr().err
    assert "the deploy command failed with exit status 7" in err
    assert read_outputs(gh_files["output"])["deployed"] == "false"
    assert "failed" in gh_files["summary"].read_text()


# -- refusals -----------------------------------------------------------------------------------

def test_refuses_when_the_gate_failed(
    project: Project, tmp_path: Path, gh_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    project.write_result(make_result({"accuracy": 0.7, "f1": 0.8}, {"accuracy": 0.9, "f1": 0.8}))
    assert deploy() == 1
    err = capsys.readouterr().err
    assert "deploy refused" in err and "accuracy: min 0.8" in err and "--force" in err
    assert not (tmp_path / "deployed.env").exists()
    assert read_outputs(gh_files["output"]) == {"deployed": "false", "version": "", "url": ""}
    assert "refused" in gh_files["summary"].read_text()


def test_force_deploys_and_says_so_everywhere(
    project: Project, tmp_path: Path, gh_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    project.write_result(make_result({"accuracy": 0.7, "f1": 0.8}, {"accuracy": 0.9, "f1": 0.8}))
    assert deploy("--force") == 0
    assert "--force: deploying although the gate did not pass" in capsys.readouterr().err
    summary = gh_files["summary"].read_text()
    assert "Forced deploy" in summary and "the gate did not pass" in summary
    card = (project.path / ".mlgate" / "model_card.md").read_text()
    assert "**Forced deploy**" in card and "the gate did not pass" in card


def test_missing_result_is_exit_2(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy() == 2
    assert "result file not found" in capsys.readouterr().err


def test_failed_git_command_is_exit_2_with_the_command_and_gits_message(project: Project) -> None:
    """Deploy's git reads go through the one git adapter; a failure is in the error tree."""
    from mlgate.adapters.git import Git
    from mlgate.errors import EXIT_USAGE, GitError, UsageError

    with pytest.raises(GitError) as info:
        Git(project.path).tags_at("no-such-commit")
    err = info.value
    assert isinstance(err, UsageError) and err.exit_code == EXIT_USAGE
    assert err.command == "git tag --points-at no-such-commit"
    assert "no-such-commit" in err.stderr
    assert err.render().startswith(
        f"{project.path}: `git tag --points-at no-such-commit` failed: {err.stderr.strip()}"
    )


def test_unknown_deploy_key_is_exit_2(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    project.set_deploy({"target": "command", "command": "true", "stagee": "prod"})
    assert deploy() == 2
    assert "unknown key(s) stagee" in capsys.readouterr().err


def test_refuses_off_the_base_branch(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project.repo.checkout("feature", new=True)
    project.train({"accuracy": 0.91, "f1": 0.8}, push=False)
    assert deploy() == 1
    assert "not on the base branch 'main'" in capsys.readouterr().err
    assert not (tmp_path / "deployed.env").exists()
    # --base names another branch: this one is it.
    assert deploy("--base", "feature") == 0


def test_base_branch_from_config(project: Project, tmp_path: Path) -> None:
    project.config["base"] = "release"
    project.set_deploy(project.config["deploy"])
    project.repo.commit("base: release")
    project.train({"accuracy": 0.91, "f1": 0.8}, push=False)
    assert deploy() == 1  # no branch "release" at all
    project.repo.git("branch", "release")
    assert deploy() == 0


def test_head_contained_in_origin_base_is_on_the_base_branch(
    project: Project, tmp_path: Path
) -> None:
    # A detached checkout of an older main commit (e.g. a re-run): contained in main.
    older = project.repo.head()
    project.train({"accuracy": 0.91, "f1": 0.8})
    project.repo.git("checkout", "-q", older)
    project.write_result(make_result({"accuracy": 0.91, "f1": 0.8}, None, sha=older))
    assert deploy() == 0
    # Only origin/main has the commit (the local main is behind).
    project.repo.checkout("main")
    project.repo.checkout("topic", new=True)
    project.repo.commit("merged elsewhere")
    project.repo.git("push", "-q", "origin", "topic:main")
    project.repo.git("fetch", "-q", "origin")
    assert project.repo.git("rev-parse", "main") != project.repo.head()
    assert deploy() == 0


def test_on_github_only_a_push_to_the_base_branch_deploys(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_REF", "refs/pull/3/merge")
    assert deploy() == 1
    err = capsys.readouterr().err
    assert err.startswith("::error title=mlgate::deploy refused")
    assert "'pull_request', not by a push to 'main'" in err
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/dev")
    assert deploy() == 1
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    assert deploy() == 0
    assert (tmp_path / "deployed.env").exists()


def test_force_on_github_is_a_warning_annotation(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project.train({"accuracy": 0.91, "f1": 0.8})
    project.write_result(make_result({"accuracy": 0.7, "f1": 0.8}, {"accuracy": 0.9, "f1": 0.8}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    assert deploy("--force") == 0
    err = capsys.readouterr().err
    warning = "::warning title=mlgate deploy::--force: deploying although"
    assert f"{warning} the gate did not pass" in err
    assert f"{warning} not on the base branch" in err
