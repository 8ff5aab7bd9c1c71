from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.gitrepo import GitRepo


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every test runs with a known git identity, no user/global config, no GitHub env."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = mlgate tests\n\temail = tests@mlgate.invalid\n"
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site"))
    for name in (
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_PATH",
        "GITHUB_EVENT_NAME",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "GITHUB_TOKEN",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_BASE_REF",
        "GITHUB_HEAD_REF",
        "GITHUB_RUN_ID",
        "INPUT_GITHUB_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


class _CurrentStream:
    """Writes to whatever ``sys.stdout``/``sys.stderr`` is when it is written to."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(getattr(sys, self._name), attr)


@pytest.fixture(autouse=True, scope="session")
def _dvc_logs_follow_the_current_streams() -> None:
    """`import dvc` binds DVC's log handlers to sys.stdout/stderr as they are at that moment:
    in a test, pytest's capture files of that test, closed when it ends, after which every DVC
    log call in the same worker fails ("I/O operation on closed file"). Import it once here
    and make its handlers write to the current streams instead."""
    try:
        import dvc.logger  # noqa: F401
    except ImportError:
        return
    for name in ("dvc", "dvc_objects", "dvc_data"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                err = handler.level >= logging.WARNING
                # Not setStream(): it flushes the old stream, which may be closed.
                handler.stream = _CurrentStream("stderr" if err else "stdout")


@pytest.fixture
def gh_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """$GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY as files of this test, as on Actions."""
    files = {"output": tmp_path / "gh_output", "summary": tmp_path / "gh_summary.md"}
    monkeypatch.setenv("GITHUB_OUTPUT", str(files["output"]))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files["summary"]))
    return files


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")
