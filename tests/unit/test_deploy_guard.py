"""When deploy refuses (deploy/guard.py): a gate that did not pass (fail closed), the GitHub
event check, GITHUB_ACTIONS=true without an event name, and the local branch check on real git
repositories."""

from __future__ import annotations

import copy

import pytest

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.git import Git
from mlgate.core.result import parse_result
from mlgate.deploy.guard import (
    BranchCheck,
    branch_check,
    gate_refusals,
    github_branch_check,
    local_branch_check,
    on_github,
)
from tests.helpers.deployproj import make_result
from tests.helpers.gitrepo import GitRepo

REFUSED_UNKNOWN = BranchCheck(
    ok=False,
    detail="the workflow was triggered by 'an unknown event', not by a push to 'main' "
    "(deploy runs after merge, on push to the base branch)",
)


def test_github_actions_true_without_an_event_name_is_on_github_and_refused(repo: GitRepo
                                                                            ) -> None:
    head = repo.commit("first")
    gh = GitHubEnv(event_name=None, ref="refs/heads/main")
    assert on_github(gh, {"GITHUB_ACTIONS": "true"}) is True
    # the local check would pass (HEAD is the tip of main): the GitHub one must decide
    assert local_branch_check(Git(repo.path), head, "main").ok is True
    assert branch_check(gh, {"GITHUB_ACTIONS": "true"}, Git(repo.path), head, "main",
                        "origin") == REFUSED_UNKNOWN


def test_on_github() -> None:
    assert on_github(GitHubEnv(), {}) is False
    assert on_github(GitHubEnv(), {"GITHUB_ACTIONS": "false"}) is False
    assert on_github(GitHubEnv(), {"GITHUB_ACTIONS": "True"}) is False
    assert on_github(GitHubEnv(event_name="push"), {}) is True


def test_github_branch_check() -> None:
    push = GitHubEnv(event_name="push", ref="refs/heads/main")
    assert github_branch_check(push, "main") == BranchCheck(True, "push to refs/heads/main")
    assert github_branch_check(GitHubEnv(event_name="pull_request", ref="refs/heads/main"),
                               "main") == BranchCheck(
        False, "the workflow was triggered by 'pull_request', not by a push to 'main' "
        "(deploy runs after merge, on push to the base branch)")
    assert github_branch_check(GitHubEnv(event_name="push", ref="refs/heads/dev"),
                               "main") == BranchCheck(
        False, "the push is to refs/heads/dev, not to refs/heads/main")
    assert github_branch_check(GitHubEnv(event_name="push"), "main") == BranchCheck(
        False, "the push is to an unknown ref, not to refs/heads/main")
    assert github_branch_check(GitHubEnv(event_name="push", ref="refs/tags/main"),
                               "main").ok is False


def test_local_branch_check(repo: GitRepo) -> None:
    git = Git(repo.path)
    old = repo.commit("one")
    tip = repo.commit("two")
    assert local_branch_check(git, tip, "main") == BranchCheck(
        True, "HEAD is the tip of heads/main")
    assert local_branch_check(git, old, "main") == BranchCheck(
        True, "HEAD is contained in heads/main")
    repo.checkout("feature", new=True)
    side = repo.commit("side")
    assert local_branch_check(git, side, "main") == BranchCheck(
        False, f"HEAD {side[:12]} is not on the base branch (heads/main)")
    assert local_branch_check(git, side, "release") == BranchCheck(
        False, "the base branch 'release' does not exist here (nor origin/release)")
    assert local_branch_check(git, side, "release", "up") == BranchCheck(
        False, "the base branch 'release' does not exist here (nor up/release)")


def test_local_branch_check_uses_the_remote_tracking_branch(repo: GitRepo) -> None:
    git = Git(repo.path)
    old = repo.commit("one")
    tip = repo.commit("two")
    repo.git("update-ref", "refs/remotes/up/prod", tip)
    assert local_branch_check(git, tip, "prod", "up") == BranchCheck(
        True, "HEAD is the tip of remotes/up/prod")
    assert local_branch_check(git, old, "prod", "up") == BranchCheck(
        True, "HEAD is contained in remotes/up/prod")
    repo.git("update-ref", "refs/heads/prod", old)
    # the local branch is behind: HEAD is the remote tip, not in the local branch
    assert local_branch_check(git, tip, "prod", "up") == BranchCheck(
        True, "HEAD is the tip of remotes/up/prod")
    repo.git("update-ref", "refs/remotes/up/prod", old)
    assert local_branch_check(git, tip, "prod", "up") == BranchCheck(
        False, f"HEAD {tip[:12]} is not on the base branch (heads/prod or remotes/up/prod)")
    assert branch_check(GitHubEnv(), {}, git, old, "prod", "up") == BranchCheck(
        True, "HEAD is the tip of heads/prod")


def test_branch_check_uses_the_given_remote(repo: GitRepo) -> None:
    git = Git(repo.path)
    tip = repo.commit("one")
    repo.git("update-ref", "refs/remotes/up/prod", tip)
    assert branch_check(GitHubEnv(), {}, git, tip, "prod", "up") == BranchCheck(
        True, "HEAD is the tip of remotes/up/prod")


def test_gate_refusals() -> None:
    passing = make_result({"accuracy": 0.9, "f1": 0.8}, {"accuracy": 0.9, "f1": 0.8})
    assert gate_refusals(parse_result(passing)) == []
    failing = make_result({"accuracy": 0.7, "f1": 0.8}, {"accuracy": 0.9, "f1": 0.8})
    reasons = gate_refusals(parse_result(failing))
    assert reasons[0].startswith("the gate did not pass")
    assert any("accuracy: min 0.8" in r for r in reasons)
    # Fail closed: "passed" with an error recorded is not a pass.
    odd = copy.deepcopy(passing)
    odd["errors"] = ["baseline store unreadable"]
    odd_reasons = gate_refusals(parse_result(odd))
    assert odd_reasons and "error: baseline store unreadable" in odd_reasons


@pytest.mark.parametrize(
    ("event", "ref", "ok"),
    [
        ("push", "refs/heads/main", True),
        ("push", "refs/heads/feature", False),
        ("pull_request", "refs/pull/7/merge", False),
        ("workflow_dispatch", "refs/heads/main", False),
        (None, None, False),
    ],
)
def test_github_branch_check_by_event(event: str | None, ref: str | None, ok: bool) -> None:
    check = github_branch_check(GitHubEnv(event_name=event, ref=ref), "main")
    assert check.ok is ok, check.detail
