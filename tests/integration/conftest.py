"""Fixtures shared by the integration tests: the fake GitHub server.

``fake_github`` is a started FakeGitHub (tests/fakegithub), closed after the test; ``fake`` is
the same server with this process's environment pointed at it (``GITHUB_API_URL``,
``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``, ``GITHUB_SERVER_URL``) and the one retry policy
without waits.
"""

from __future__ import annotations

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import fake_github  # noqa: F401  (a fixture, used by name)


@pytest.fixture
def fake(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:  # noqa: F811
    for key, value in fake_github.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLGATE_GITHUB_BACKOFF", "0")  # the one retry policy, without waits
    return fake_github
