"""What judges and names a report cannot come from the pull request (issue 21, items 3 and 8).

- A fork's bundle posted with no thresholds to judge it by (an empty workspace: the posting
  workflow did not check out the base repository) fails with exit 2 and posts nothing.
- On a ``pull_request`` event the check run's name (and the comment's marker) comes from
  ``--name``, else the merge base's ``report.name``, else ``mlgate``: never the PR's own config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlgate import markdown as esc
from mlgate.cli import main
from tests.fakegithub import FakeGitHub
from tests.helpers import report_fixtures as fx
from tests.helpers.gitrepo import GitRepo
from tests.integration.test_report_bundle import fork_run
from tests.integration.test_report_post import HEAD, PR, REPO, Env

pytest_plugins = ["tests.fakegithub.fixtures"]


@pytest.fixture
def gh(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(fake_github, tmp_path, monkeypatch)


# ----- item 3: a fork's report with no thresholds to judge by ---------------------------------


def fork_bundle(gh: Env, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fork's pull_request run (read-only token) leaves a bundle; then the workspace is
    emptied, as the workflow_run job's is before any checkout."""
    gh.write_result(fx.passing_result())
    bundle = fork_run(gh, monkeypatch)
    gh.set_event({"action": "completed", "workflow_run": {
        "head_sha": HEAD, "head_branch": "feature/tune", "pull_requests": [],
        "head_repository": {"full_name": "forker/demo", "owner": {"login": "forker"}}}})
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_run")
    return bundle


@pytest.mark.parametrize("config", [None, "name: churn\n", "thresholds: {}\n"],
                         ids=["no-checkout", "no-thresholds-key", "empty-thresholds"])
def test_from_bundle_without_thresholds_fails_and_posts_nothing(
        gh: Env, monkeypatch: pytest.MonkeyPatch, capsys: Any, config: str | None) -> None:
    bundle = fork_bundle(gh, monkeypatch)
    if config is not None:
        (gh.tmp / "mlgate.yaml").write_text(config)
    capsys.readouterr()
    assert gh.run("--from-bundle", str(bundle)) == 2
    err = capsys.readouterr().err
    assert "no thresholds" in err
    assert "actions/checkout" in err and "thresholds:" in err
    assert gh.fake.check_runs_for(REPO) == []
    assert gh.fake.issue_comments(REPO, PR) == []


def test_from_bundle_with_the_base_thresholds_still_posts(
        gh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fork_bundle(gh, monkeypatch)
    (gh.tmp / "mlgate.yaml").write_text("thresholds:\n  accuracy: {min: 0.9}\n")
    assert gh.run("--from-bundle", str(bundle)) == 0
    assert [c["conclusion"] for c in gh.fake.check_runs_for(REPO)] == ["success"]


# ----- item 8: the check run's name on a pull_request event -----------------------------------


@pytest.fixture
def pr_repo(gh: Env, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A git repository in the report's working directory: main, and branch pr from it."""
    repo = GitRepo(gh.tmp / "repo")
    monkeypatch.chdir(repo.path)
    gh.tmp = repo.path
    return repo


def pr_event(gh: Env, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    gh.set_event({"number": PR, "pull_request": {
        "number": PR, "head": {"sha": repo.head(), "ref": "pr"},
        "base": {"ref": "main", "sha": repo.git("rev-parse", "main")}}})
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    gh.write_result(fx.passing_result())


def names(fake: FakeGitHub) -> list[str]:
    return [c["name"] for c in fake.check_runs_for(REPO)]


IMPERSONATE = "report:\n  name: build / unit-tests\n"


@pytest.mark.parametrize(("base_config", "expected"), [
    (None, "mlgate"),
    ("thresholds:\n  accuracy: {min: 0.9}\n", "mlgate"),
    ("report:\n  name: churn-report\n", "churn-report"),
])
def test_pr_config_cannot_name_the_check_run(
        gh: Env, pr_repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
        base_config: str | None, expected: str) -> None:
    repo = pr_repo
    repo.commit("main", {"mlgate.yaml": base_config} if base_config else {"README": "x"})
    repo.checkout("pr", new=True)
    repo.commit("impersonate", {"mlgate.yaml": IMPERSONATE})
    pr_event(gh, repo, monkeypatch)
    assert main(["report"]) == 0
    assert names(gh.fake) == [expected]
    [comment] = gh.fake.issue_comments(REPO, PR)
    assert comment["body"].startswith(esc.marker(expected))


def test_the_name_flag_still_wins_on_a_pull_request(
        gh: Env, pr_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = pr_repo
    repo.commit("main", {"mlgate.yaml": "report:\n  name: churn-report\n"})
    repo.checkout("pr", new=True)
    repo.commit("impersonate", {"mlgate.yaml": IMPERSONATE})
    pr_event(gh, repo, monkeypatch)
    assert main(["report", "--name", "nightly"]) == 0
    assert names(gh.fake) == ["nightly"]


def test_on_a_push_the_checked_out_config_names_the_check_run(
        gh: Env, pr_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = pr_repo
    repo.commit("main", {"mlgate.yaml": "report:\n  name: churn-report\n"})
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    gh.set_event({"ref": "refs/heads/main", "after": repo.head()})
    gh.write_result(fx.passing_result())
    assert main(["report"]) == 0
    assert names(gh.fake) == ["churn-report"]


def test_pr_name_outside_a_git_checkout_falls_back_to_the_default(
        gh: Env, capsys: Any) -> None:
    """No merge base to read (no git repository): the default name, not the PR's."""
    (gh.tmp / "mlgate.yaml").write_text(IMPERSONATE)
    assert gh.run() == 0
    assert names(gh.fake) == ["mlgate"]
    assert json.dumps(gh.fake.check_runs_for(REPO)).count("unit-tests") == 0
