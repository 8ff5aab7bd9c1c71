"""`mlgate baseline record` on a bare runner: no git identity configured anywhere."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.helpers.gitrepo import GitRepo


def test_record_without_a_git_identity_commits_as_github_actions_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("init", {"metrics.json": {"accuracy": 0.9}})
    # A runner's git: no user.name/user.email in any config, no GIT_* identity variables, and
    # no usable hostname-derived address (git refuses: "Author identity unknown").
    bare = tmp_path / "bare.gitconfig"
    bare.write_text('[user]\n\tuseConfigOnly = true\n[init]\n\tdefaultBranch = main\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(bare))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    assert socket.gethostname()  # (git would otherwise guess an address from it)
    monkeypatch.chdir(repo.path)

    assert main(["baseline", "record"]) == 0

    notes_commit = repo.git("rev-parse", "refs/notes/mlgate")
    author = repo.git("log", "-1", "--format=%an <%ae>|%cn", notes_commit)
    assert author == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
        "|github-actions[bot]"
    )


def test_record_keeps_a_configured_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("init", {"metrics.json": {"accuracy": 0.9}})
    monkeypatch.chdir(repo.path)
    assert main(["baseline", "record"]) == 0
    notes_commit = repo.git("rev-parse", "refs/notes/mlgate")
    assert repo.git("log", "-1", "--format=%an", notes_commit) == "mlgate tests"
