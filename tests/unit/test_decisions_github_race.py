"""After two runs race on the sticky comment, the comment that survives carries OUR body
(issue 16). The fake GitHub server (in-process, 127.0.0.1) lets the other run's POST land
between our lookup and our POST."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mlgate.adapters.github import GitHubApi, RetryPolicy
from tests.fakegithub import FakeGitHub

REPO, PR, MARKER = "octo/demo", 7, "<!-- mlgate-report: mlgate -->"
BOT = "github-actions[bot]"


class RacingGitHub(FakeGitHub):
    """The next comment POST first lets another run's comment (``racer_body``) land."""

    racer_body: str | None = None

    def _create_comment(self, m: re.Match[str], payload: Any, base: str, token: str,
                        login: str, **kw: Any) -> Any:
        if self.racer_body is not None:
            self.add_comment(REPO, PR, self.racer_body, login=BOT, dump=False)
            self.racer_body = None
        return super()._create_comment(m, payload, base, token, login, **kw)


@pytest.fixture
def fake() -> Iterator[RacingGitHub]:
    with RacingGitHub() as server:
        server.add_pull(REPO, PR)
        yield server


def api(fake: FakeGitHub) -> GitHubApi:
    return GitHubApi(fake.url, "test-token", REPO, RetryPolicy(attempts=1, backoff=0.0),
                     lambda _s: None)


def comments(fake: FakeGitHub) -> list[tuple[int, str]]:
    return [(c["id"], c["body"]) for c in fake.issue_comments(REPO, PR)]


def test_after_a_race_the_oldest_comment_survives_with_our_body(fake: RacingGitHub) -> None:
    fake.racer_body = f"{MARKER}\nthe other run's report"
    ours = f"{MARKER}\nour report"
    result = api(fake).sync_comment(PR, MARKER, ours)
    (survivor_id, survivor_body), = comments(fake)
    assert survivor_body == ours
    assert result.action == "created" and result.id == survivor_id
    assert result.deleted == [survivor_id + 1]  # ours, created after the racer's
    assert len(fake.requests_matching("PATCH", "/repos/*/issues/comments/*")) == 1


def test_after_a_race_with_the_same_body_nothing_is_edited(fake: RacingGitHub) -> None:
    body = f"{MARKER}\nsame report"
    fake.racer_body = body
    result = api(fake).sync_comment(PR, MARKER, body)
    assert [b for _, b in comments(fake)] == [body]
    assert result.action == "created" and len(result.deleted) == 1
    assert fake.requests_matching("PATCH", "/repos/*/issues/comments/*") == []


def test_without_a_race_one_comment_then_updated_then_unchanged(fake: RacingGitHub) -> None:
    client = api(fake)
    first = client.sync_comment(PR, MARKER, f"{MARKER}\nv1")
    assert first.action == "created" and first.deleted == []
    assert client.sync_comment(PR, MARKER, f"{MARKER}\nv2").action == "updated"
    assert client.sync_comment(PR, MARKER, f"{MARKER}\nv2").action == "unchanged"
    assert comments(fake) == [(first.id, f"{MARKER}\nv2")]
