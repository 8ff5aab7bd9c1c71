"""The one GitHub client (adapters/github.py): its retry policy, error mapping and token scrubbing
(no server needed: the calls are plain functions that raise what PyGithub and requests raise),
and the sticky comment after two runs race on it: the comment that survives carries OUR body
(the fake GitHub server, in-process on 127.0.0.1, lets the other run's POST land between our
lookup and our POST)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from github import GithubException

from mlgate.adapters.github import (
    Forbidden,
    GitHubApi,
    RetryPolicy,
    classify,
    policy_from_env,
)
from mlgate.errors import ServiceError, UsageError
from tests.fakegithub import FakeGitHub

TOKEN = "ghp_SECRETTOKEN"
POLICY = RetryPolicy(attempts=4, backoff=1.0, max_wait=30.0, timeout=5.0, deadline=120.0)


class Clock:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_api(policy: RetryPolicy = POLICY, **kwargs: Any) -> tuple[GitHubApi, Clock]:
    clock = Clock()
    api = GitHubApi("http://127.0.0.1:9", TOKEN, "octo/demo", policy, clock.sleep,
                    clock=clock, **kwargs)
    return api, clock


def http_error(status: int, message: str = "boom", headers: dict[str, str] | None = None
               ) -> GithubException:
    return GithubException(status, {"message": message}, headers or {})


def failing(*errors: Exception) -> Any:
    """A call that raises ``errors`` in turn, then returns "ok"; ``.calls`` counts attempts."""
    queue = list(errors)

    def fn() -> str:
        fn.calls += 1  # type: ignore[attr-defined]
        if queue:
            raise queue.pop(0)
        return "ok"

    fn.calls = 0  # type: ignore[attr-defined]
    return fn


def test_policy_from_env_defaults_and_overrides() -> None:
    assert policy_from_env({}) == RetryPolicy()
    policy = policy_from_env({"MLGATE_GITHUB_ATTEMPTS": "0", "MLGATE_GITHUB_BACKOFF": "0",
                              "MLGATE_GITHUB_TIMEOUT": "3", "MLGATE_GITHUB_DEADLINE": "9"})
    assert policy == RetryPolicy(attempts=1, backoff=0.0, timeout=3.0, deadline=9.0)
    with pytest.raises(UsageError, match="MLGATE_GITHUB_TIMEOUT must be a number"):
        policy_from_env({"MLGATE_GITHUB_TIMEOUT": "soon"})


@pytest.mark.parametrize(("err", "wait", "rate_limited"), [
    (http_error(502), 2.0, False),
    (http_error(429), 2.0, False),
    (http_error(403, headers={"Retry-After": "7"}), 7.0, True),
    (http_error(503, headers={"retry-after": "5"}), 5.0, False),
    (http_error(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"}),
     10.0, True),
    (http_error(403), None, False),
    (http_error(404), None, False),
    (http_error(422), None, False),
    (requests.ConnectionError("refused"), 2.0, False),
    (requests.ReadTimeout("slow"), 2.0, False),
    (requests.exceptions.InvalidURL("no host"), None, False),
])
def test_classify(err: Exception, wait: float | None, rate_limited: bool) -> None:
    failure = classify(err, 2, POLICY, now=1000.0)
    assert failure is not None
    assert (failure.wait, failure.rate_limited) == (wait, rate_limited)


def test_other_exceptions_are_bugs_and_pass_through_unretried() -> None:
    assert classify(ValueError("x"), 1, POLICY, now=0.0) is None
    assert classify(FileNotFoundError("model.joblib"), 1, POLICY, now=0.0) is None
    api, clock = make_api()
    fn = failing(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        api.call("do it", fn)
    assert fn.calls == 1 and clock.sleeps == []


def test_transient_failures_are_retried_with_backoff_and_before_retry() -> None:
    api, clock = make_api()
    undone: list[float] = []
    fn = failing(http_error(500), requests.ConnectionError("reset"), http_error(502))
    assert api.call("do it", fn, before_retry=lambda: undone.append(clock.now)) == "ok"
    assert fn.calls == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert undone == [1.0, 3.0, 7.0]  # after each wait, before each new attempt


def test_attempts_run_out_with_a_service_error() -> None:
    api, clock = make_api()
    fn = failing(*[http_error(502, f"bad gateway for {TOKEN}")] * 4)
    with pytest.raises(ServiceError) as info:
        api.call("do it", fn)
    assert "GitHub failed to do it after 4 attempts (HTTP 502: bad gateway for ***)" in (
        info.value.render())
    assert TOKEN not in info.value.render()
    assert fn.calls == 4 and clock.sleeps == [1.0, 2.0, 4.0]


def test_the_deadline_stops_retries() -> None:
    api, clock = make_api(RetryPolicy(attempts=10, backoff=4.0, max_wait=30.0,
                                      deadline=20.0))
    fn = failing(*[http_error(502)] * 10)
    with pytest.raises(ServiceError, match="within 20 s"):
        api.call("do it", fn)
    assert clock.sleeps == [4.0, 8.0]  # the next wait (16 s) would pass 20 s
    assert fn.calls == 3


def test_a_long_rate_limit_is_not_waited_for() -> None:
    api, clock = make_api()
    fn = failing(http_error(429, "slow down", {"retry-after": "3600"}))
    with pytest.raises(ServiceError, match="rate limit stops us from trying to do it again "
                                           "for 3600 s"):
        api.call("do it", fn)
    assert fn.calls == 1 and clock.sleeps == []


def test_refusals_are_not_retried_and_are_scrubbed() -> None:
    api, _ = make_api(permissions="contents: write")
    fn = failing(http_error(403, f"no access for {TOKEN}"))
    with pytest.raises(Forbidden) as forbidden:
        api.call("write it", fn)
    assert fn.calls == 1
    assert forbidden.value.what == "write it"
    assert forbidden.value.exit_code == 3
    text = forbidden.value.render()
    assert "GitHub refused to write it: HTTP 403: no access for ***" in text
    assert "contents: write" in text and TOKEN not in text

    with pytest.raises(UsageError, match="rejected the token") as rejected:
        api.call("read it", failing(http_error(401, f"bad credentials {TOKEN}")))
    assert TOKEN not in rejected.value.render()
    with pytest.raises(ServiceError, match="not found"):
        api.call("read it", failing(http_error(404)))
    with pytest.raises(ServiceError, match=r"GitHub refused to make it \(HTTP 422"):
        api.call("make it", failing(http_error(422)))


def test_delete_if_present_treats_404_as_gone() -> None:
    api, _ = make_api()
    assert api.delete_if_present("delete it", failing()) is True
    assert api.delete_if_present("delete it", failing(http_error(404))) is False
    fn = failing(http_error(502), http_error(404))  # a retried delete that had landed
    assert api.delete_if_present("delete it", fn) is False and fn.calls == 2


def test_the_client_never_shows_the_token() -> None:
    api, _ = make_api()
    assert TOKEN not in repr(api) and TOKEN not in str(vars(api))


def strict_sleep(seconds: float) -> None:
    """What time.sleep refuses (negative or NaN), without sleeping."""
    import math

    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"sleep length must be finite and non-negative: {seconds}")


@pytest.mark.parametrize("value", ["-5", "nan", "NaN", "inf", "-inf", "1e400", "soon", ""])
def test_odd_retry_after_values_are_bounded(value: str) -> None:
    failure = classify(http_error(503, headers={"Retry-After": value}), 1, POLICY, now=0.0)
    assert failure is not None and failure.wait is not None
    assert 0.0 <= failure.wait <= POLICY.max_wait
    api, _ = make_api()
    api._sleep = strict_sleep  # type: ignore[attr-defined]
    fn = failing(http_error(503, headers={"Retry-After": value}))
    assert api.call("do it", fn) == "ok" and fn.calls == 2


def secondary_limit(message: str) -> GithubException:
    """A 403 secondary limit as GitHub sends it without Retry-After: the primary limit is
    untouched and resets in an hour. PyGithub raises RateLimitExceededException for it."""
    from github import RateLimitExceededException

    return RateLimitExceededException(
        403, {"message": message}, {"x-ratelimit-remaining": "4321",
                                    "x-ratelimit-reset": str(1000 + 3599)})


@pytest.mark.parametrize("err", [
    secondary_limit("You have exceeded a secondary rate limit. Please wait a few minutes "
                    "before you try again."),
    http_error(403, "You have triggered an abuse detection mechanism.",
               {"x-ratelimit-remaining": "4321", "x-ratelimit-reset": str(1000 + 3599)}),
    http_error(403, "You have triggered an abuse detection mechanism and have been "
                    "temporarily blocked from content creation."),
])
def test_secondary_limits_are_waited_out_not_read_as_the_primary_reset(err: Exception) -> None:
    failure = classify(err, 1, POLICY, now=1000.0)
    assert failure is not None and failure.rate_limited
    assert failure.wait == POLICY.secondary_wait  # a minute, as GitHub asks; not 3599 s
    api, clock = make_api()
    fn = failing(err)
    assert api.call("comment", fn) == "ok"
    assert clock.sleeps == [POLICY.secondary_wait]


def test_abuse_detection_is_not_a_read_only_token() -> None:
    api, _ = make_api()
    err = http_error(403, "You have triggered an abuse detection mechanism.")
    with pytest.raises(ServiceError) as info:
        api.call("comment", failing(*[err] * 4))
    assert not isinstance(info.value, Forbidden)
    assert "rate limit" in info.value.message or "abuse" in info.value.message


def test_a_primary_limit_still_reads_its_reset() -> None:
    err = http_error(403, "API rate limit exceeded for installation.",
                     {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"})
    failure = classify(err, 1, POLICY, now=1000.0)
    assert failure is not None and failure.wait == 10.0


def test_secondary_wait_from_env() -> None:
    assert policy_from_env({"MLGATE_GITHUB_SECONDARY_WAIT": "0"}).secondary_wait == 0.0
    assert RetryPolicy().secondary_wait == 60.0


def test_the_deadline_defaults_to_six_timeouts() -> None:
    assert policy_from_env({"MLGATE_GITHUB_TIMEOUT": "2"}).deadline == 12.0
    assert policy_from_env({}).deadline == 120.0
    assert policy_from_env({"MLGATE_GITHUB_TIMEOUT": "2",
                            "MLGATE_GITHUB_DEADLINE": "30"}).deadline == 30.0


def test_the_deadline_cuts_an_attempt_that_does_not_end() -> None:
    import time

    api, _ = make_api(RetryPolicy(attempts=3, backoff=0.0, timeout=0.2, deadline=0.5))

    def stalls() -> str:
        time.sleep(5)  # a body that trickles in: no single read times out
        return "late"

    t0 = time.monotonic()
    with pytest.raises(ServiceError, match=r"within the deadline of 0\.5 s") as info:
        api.call("list comments", stalls)
    assert time.monotonic() - t0 < 2
    assert info.value.exit_code == 3


@pytest.mark.parametrize("token", ["ghp_ABC\u2603DEF123", "ghp_ABCDEF\nX-Injected: 1",
                                   "ghp_ABC DEF", "ghp_ABC\rDEF", ""])
def test_a_token_with_characters_no_token_has_is_a_usage_error(token: str) -> None:
    with pytest.raises(UsageError) as info:
        GitHubApi("http://127.0.0.1:9", token, "octo/demo", POLICY)
    text = info.value.render()
    assert info.value.where == "GITHUB_TOKEN"
    for part in ("ABC", "DEF", repr(token)[1:-1]):
        assert not token or part not in text


def test_scrub_covers_the_repr_and_the_lines_of_a_token() -> None:
    from mlgate.adapters.github import scrub

    token = "ghp_FIRSTHALF\nSECONDHALF"
    for text in (f"bad header {token!r}", f"value: {token}", f"json: {json.dumps(token)}",
                 f"lines: {token.splitlines()!r}"):
        out = scrub(text, token)
        assert "FIRSTHALF" not in out and "SECONDHALF" not in out, out


# ----- two runs race on the sticky comment (the fake GitHub server, in-process on 127.0.0.1)

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
def racing_github() -> Iterator[RacingGitHub]:
    """A fake GitHub whose next comment POST lets another run's comment land first."""
    with RacingGitHub() as server:
        server.add_pull(REPO, PR)
        yield server


def api(server: FakeGitHub) -> GitHubApi:
    return GitHubApi(server.url, "test-token", REPO, RetryPolicy(attempts=1, backoff=0.0),
                     lambda _s: None)


def comments(server: FakeGitHub) -> list[tuple[int, str]]:
    return [(c["id"], c["body"]) for c in server.issue_comments(REPO, PR)]


def test_after_a_race_the_oldest_comment_survives_with_our_body(
        racing_github: RacingGitHub) -> None:
    racing_github.racer_body = f"{MARKER}\nthe other run's report"
    ours = f"{MARKER}\nour report"
    result = api(racing_github).sync_comment(PR, MARKER, ours)
    (survivor_id, survivor_body), = comments(racing_github)
    assert survivor_body == ours
    assert result.action == "created" and result.id == survivor_id
    assert result.deleted == [survivor_id + 1]  # ours, created after the racer's
    assert len(racing_github.requests_matching("PATCH", "/repos/*/issues/comments/*")) == 1


def test_after_a_race_with_the_same_body_nothing_is_edited(
        racing_github: RacingGitHub) -> None:
    body = f"{MARKER}\nsame report"
    racing_github.racer_body = body
    result = api(racing_github).sync_comment(PR, MARKER, body)
    assert [b for _, b in comments(racing_github)] == [body]
    assert result.action == "created" and len(result.deleted) == 1
    assert racing_github.requests_matching("PATCH", "/repos/*/issues/comments/*") == []


def test_without_a_race_one_comment_then_updated_then_unchanged(
        racing_github: RacingGitHub) -> None:
    client = api(racing_github)
    first = client.sync_comment(PR, MARKER, f"{MARKER}\nv1")
    assert first.action == "created" and first.deleted == []
    assert client.sync_comment(PR, MARKER, f"{MARKER}\nv2").action == "updated"
    assert client.sync_comment(PR, MARKER, f"{MARKER}\nv2").action == "unchanged"
    assert comments(racing_github) == [(first.id, f"{MARKER}\nv2")]
