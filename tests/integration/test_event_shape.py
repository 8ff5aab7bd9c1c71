"""Issue 21 item 15: a malformed event file (``pull_request.head`` a string) is exit 2 naming
the field for `report` too (as for compare), and nothing is posted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlgate.adapters.actions import GitHubEnv
from mlgate.cli import main
from mlgate.errors import UsageError
from tests.fakegithub.server import FakeGitHub
from tests.helpers.gitrepo import GitRepo

REPO = "octo/shape"
PR = 7
TOKEN = "ghs_shapeTestToken0123456789abcdefghijklmnop"


@pytest.fixture
def fake() -> Any:
    with FakeGitHub(token=TOKEN, repo=REPO) as server:
        yield server


def _event(tmp: Path, pull_request: Any) -> Path:
    path = tmp / "event.json"
    path.write_text(json.dumps({"number": PR, "pull_request": pull_request}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("pull_request", "field"), [
    ({"number": PR, "head": "deadbeef", "base": {"ref": "main"}}, "pull_request.head"),
    ({"number": PR, "head": {"sha": 5}, "base": {"ref": "main"}}, "pull_request.head.sha"),
    ({"number": PR, "head": {"sha": "a" * 40}, "base": ["main"]}, "pull_request.base"),
    ({"number": "7", "head": {"sha": "a" * 40}, "base": {"ref": "main"}},
     "pull_request.number"),
    ("a string", "pull_request"),
], ids=["head-string", "head-sha-int", "base-list", "number-string", "pr-string"])
def test_event_checks_the_pull_request_shape(tmp_path: Path, pull_request: Any,
                                             field: str) -> None:
    env = GitHubEnv.from_env({"GITHUB_EVENT_PATH": str(_event(tmp_path, pull_request)),
                              "GITHUB_REPOSITORY": REPO})
    with pytest.raises(UsageError) as err:
        env.event()
    assert field in err.value.message
    assert "GITHUB_EVENT_PATH" in (err.value.where or "")


def test_report_with_a_malformed_event_is_exit_2_and_posts_nothing(
    repo: GitRepo, tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo.commit("main", {"metrics.json": {"accuracy": 0.9}})
    repo.checkout("feature", new=True)
    repo.commit("pr", {"metrics.json": {"accuracy": 0.91}})
    monkeypatch.chdir(repo.path)
    assert main(["compare"]) == 0
    head = repo.head()
    fake.add_pull(REPO, PR, head_sha=head, head_ref="feature")
    event = _event(tmp_path, {"number": PR, "head": head, "base": {"ref": "main"}})
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_SHA", head)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("MLGATE_GITHUB_BACKOFF", "0")
    capsys.readouterr()
    code = main(["report"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "pull_request.head" in err
    assert fake.issue_comments(REPO, PR) == []
    assert fake.check_runs_for(REPO) == []
