"""The one GitHub REST API client: the only module that builds a PyGithub ``Github``.

Both users go through :class:`GitHubApi`: the report (sticky comment, check run, PR lookup)
and the ``github-release`` deploy target (its repository handle, tags, assets).

One retry policy for every request (:class:`RetryPolicy`, tuned by ``MLGATE_GITHUB_*``):
PyGithub's own throttling and urllib3 retries are off; :meth:`GitHubApi.call` retries every
request (PATCH and POST included) on 5xx, rate limits and network errors with a bounded
backoff, within an overall deadline per call that also cuts an attempt in flight (a body
that trickles in never trips a read timeout), and every request has a timeout, so a run never
hangs. Secondary rate limits (and GitHub's older "abuse detection" answers) are waited out,
never taken for a token that may not write. Failures reach the user as
:class:`~mlgate.errors.UsageError` (the token was rejected or unusable) or
:class:`~mlgate.errors.ServiceError` (GitHub failed or refused), their texts scrubbed of the
token.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from mlgate.errors import MlgateError, ServiceError, UsageError

T = TypeVar("T")
DEADLINE_TIMEOUTS = 6  # the default deadline of a call, in request timeouts
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 comments: far past any real PR, but bounded
OUTAGE_FIX = "GitHub may be having an outage (https://www.githubstatus.com); re-run the job later"


class Forbidden(ServiceError):
    """403 without a rate limit: a fork PR's read-only token, or missing permissions.

    Exit 3 like any GitHub failure, unless the caller handles it (the report falls back to the
    job summary and the bundle for fork pull requests)."""

    def __init__(self, what: str, detail: str, fix: str | None = None) -> None:
        super().__init__(f"GitHub refused to {what}: {detail}", where="GITHUB_TOKEN",
                         fix=fix or "give the token the permissions this step needs "
                                    "(`permissions:` in the workflow)")
        self.what = what
        self.detail = detail


class Refused(ServiceError):
    """GitHub answered the request with a refusal another attempt would not change (4xx other
    than 401/403/404); ``status`` is the HTTP status (422: validation failed, e.g. a release or
    ref that already exists)."""

    def __init__(self, message: str, *, where: str, status: int) -> None:
        super().__init__(message, where=where)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 1.0  # first wait; doubles each time
    max_wait: float = 30.0  # a single wait longer than this (e.g. a primary rate limit
    # resetting in an hour) is not worth it: give up and exit 3
    timeout: float = 20.0  # per socket operation (connect, each read), seconds
    deadline: float = 120.0  # per call, attempts, waits and slow bodies included (6 timeouts
    # unless set): an attempt still running at the deadline is abandoned
    secondary_wait: float = 60.0  # a secondary rate limit without Retry-After: GitHub asks
    # for at least a minute; allowed past max_wait, not past the deadline


def policy_from_env(env: Mapping[str, str] | None = None) -> RetryPolicy:
    """The policy, with MLGATE_GITHUB_ATTEMPTS/BACKOFF/TIMEOUT/DEADLINE/SECONDARY_WAIT when set
    (tests use 0 backoff). Without a DEADLINE it is six timeouts."""
    env = os.environ if env is None else env
    default = RetryPolicy()

    def num(name: str, value: float) -> float:
        try:
            number = float(env.get(name, value))
        except ValueError as err:
            raise UsageError(f"{name} must be a number", where=name) from err
        if not math.isfinite(number) or number < 0:
            raise UsageError(f"{name} must be a finite number of at least 0", where=name)
        return number

    timeout = num("MLGATE_GITHUB_TIMEOUT", default.timeout)
    return RetryPolicy(attempts=max(1, int(num("MLGATE_GITHUB_ATTEMPTS", default.attempts))),
                       backoff=num("MLGATE_GITHUB_BACKOFF", default.backoff),
                       timeout=timeout,
                       deadline=num("MLGATE_GITHUB_DEADLINE", DEADLINE_TIMEOUTS * timeout),
                       secondary_wait=num("MLGATE_GITHUB_SECONDARY_WAIT",
                                          default.secondary_wait))


@dataclass
class CommentResult:
    action: str  # created | updated | unchanged
    url: str
    id: int
    deleted: list[int] = field(default_factory=list)


def scrub(text: str, token: object) -> str:
    """``text`` without the token, in any form an error message may quote it: as is, as a
    repr or JSON string (escaped), and each of its lines or words on its own."""
    import json

    value = token.value if isinstance(token, Secret) else token
    if not isinstance(value, str) or not value:
        return text
    forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1],
             value.encode("unicode_escape").decode("ascii")}
    forms.update(part for part in value.split() if len(part) >= 4)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def check_token(token: str) -> None:
    """A token is printable ASCII without spaces: anything else (a line break pasted with it,
    a non-Latin-1 character) cannot go in an HTTP header. Exit 2, never showing the token."""
    if not token or not all("!" <= ch <= "~" for ch in token):
        raise UsageError(
            "the token is empty or contains characters no GitHub token has (whitespace, a "
            "line break or a non-ASCII character); it is not shown here",
            where="GITHUB_TOKEN",
            fix="set the secret again with only the token (no quotes, spaces or newline)")


class Secret:
    """Holds the token so that no repr, vars() or log line shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret(***)"


# ----- what a failed attempt means ------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """One failed attempt: what GitHub (or the network) said and how long to wait before the
    next attempt; ``wait`` None means another attempt would not help."""

    detail: str
    wait: float | None
    status: int = 0  # HTTP status; 0 for network errors
    rate_limited: bool = False
    secondary: bool = False  # a secondary limit: waited out even past max_wait


def classify(err: Exception, attempt: int, policy: RetryPolicy, now: float) -> Failure | None:
    """What ``err`` from attempt number ``attempt`` (1-based) means; None when it is neither an
    HTTP answer nor a network error (a bug: let it through). ``now`` is epoch seconds."""
    from github import GithubException

    backoff = policy.backoff * 2 ** (attempt - 1)
    if isinstance(err, GithubException):
        return _http_failure(err, backoff, now, policy)
    network = _network_error_kinds()
    if isinstance(err, network[0]):
        return Failure(f"{type(err).__name__}: {err}", backoff)
    if isinstance(err, network[1]):  # a bad URL, a bad header: the same next time
        return Failure(f"{type(err).__name__}: {err}", None)
    return None


def _http_failure(err: Exception, backoff: float, now: float, policy: RetryPolicy
                  ) -> Failure:
    from github import RateLimitExceededException

    status = _status(err)
    headers = {str(k).lower(): str(v) for k, v in (getattr(err, "headers", None) or {}).items()}
    detail = f"HTTP {status}: {_message(err)}"
    if "retry-after" in headers and (status in (403, 429) or status >= 500):
        wait = _float(headers["retry-after"], backoff)
        return Failure(detail, wait, status, rate_limited=status in (403, 429))
    primary = headers.get("x-ratelimit-remaining") == "0"
    if status in (403, 429) and primary:
        reset = _float(headers.get("x-ratelimit-reset", ""), 0.0)
        return Failure(detail, max(reset - now, backoff) if reset else backoff, status, True)
    text = _message(err).lower()
    if status in (403, 429) and (isinstance(err, RateLimitExceededException)
                                 or "secondary rate limit" in text or "abuse" in text):
        # Not the primary limit (its reset is an hour away and says nothing about this one).
        return Failure(detail, max(backoff, policy.secondary_wait), status, True, True)
    if status == 429 or status >= 500 or status == 0:
        return Failure(detail, backoff, status)
    return Failure(detail, None, status)


def _network_error_kinds() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(worth a retry, not worth one): connection and timeout errors vs other request errors."""
    import requests
    import urllib3

    transient = (requests.ConnectionError, requests.Timeout,
                 requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError,
                 ConnectionError, TimeoutError)
    return transient, (requests.RequestException,)


def _status(err: Exception) -> int:
    status = getattr(err, "status", None)
    return status if isinstance(status, int) else 0


def _message(err: Any) -> str:
    data = getattr(err, "data", None)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:300]
    return str(data)[:300] if data else ""


def _float(text: str, default: float) -> float:
    """A header's number; ``default`` for what is not a finite number of at least 0."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) and value >= 0 else default


def is_own(item: Any, login: str | None, marker: str) -> bool:
    """Whether a comment or issue (PyGithub's, with ``user`` and ``body``) is mlgate's: only
    when the token's identity ``login`` wrote it AND its body starts with ``marker``. Another
    app's bot (dependabot[bot]) quoting the marker is never edited, closed or deleted. While the
    identity is unknown (``login`` None) nothing is ours: what mlgate creates then tells it who
    it is. The one rule for the sticky comment and the drift issue."""
    author = item.user.login if item.user else None
    return login is not None and author == login and (item.body or "").startswith(marker)


class GitHubApi:
    """One repository on one GitHub (or GitHub Enterprise) API, under one retry policy.

    ``lazy``: PyGithub's lazy objects (the report's default: a handle makes no request until
    used); the release target reads objects when it gets them. ``permissions`` names what the
    caller needs, for the fix of a 403."""

    def __init__(self, api_url: str, token: str, repository: str,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, *,
                 lazy: bool = True, permissions: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from github import Auth, Github

        check_token(token)
        self.policy = policy or RetryPolicy()
        self._token = Secret(token)
        self._sleep = sleep
        self._clock = clock
        self.api_url = api_url
        self.repository = repository
        self.permissions = permissions
        self._gh = Github(
            auth=Auth.Token(token), base_url=api_url, timeout=max(1, int(self.policy.timeout)),
            retry=None, seconds_between_requests=0, seconds_between_writes=0,
            per_page=PER_PAGE, lazy=lazy,
        )
        self._repo: Any = None
        self._login: str | bool | None = False  # False: not asked yet; None: unknown

    def __repr__(self) -> str:
        return f"GitHubApi(repository={self.repository!r}, token=***)"

    def repo(self) -> Any:
        """The PyGithub ``Repository`` (read on first use unless lazy)."""
        if self._repo is None:
            self._repo = self.call("read the repository",
                                   lambda: self._gh.get_repo(self.repository))
        return self._repo

    # ----- the retry policy ----------------------------------------------------------------
    def call(self, what: str, fn: Callable[[], T],
             before_retry: Callable[[], object] | None = None) -> T:
        """``fn()`` under the retry policy; ``what`` completes "GitHub failed to ...".

        ``before_retry`` runs before each new attempt, to undo what a failed write may have
        half done on GitHub's side. Raises UsageError (token rejected), Forbidden, or
        ServiceError (refused, not found, or still failing when the policy runs out)."""
        started = self._clock()
        attempts = self.policy.attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(what, fn, started)
            except MlgateError:
                raise
            except Exception as err:
                failure = classify(err, attempt, self.policy, time.time())
                if failure is None:
                    raise
                if failure.wait is None:
                    raise self._refused(what, failure) from err
                cause, last, wait = err, failure, failure.wait
            if attempt == attempts:
                break
            self._check_wait(what, last, wait, started)
            self._sleep(wait)
            if before_retry is not None:
                before_retry()
        plural = "s" if attempts != 1 else ""
        raise self._failed(f"GitHub failed to {what} after {attempts} attempt{plural} "
                           f"({last.detail})", OUTAGE_FIX) from cause

    def _attempt(self, what: str, fn: Callable[[], T], started: float) -> T:
        """``fn()`` in a worker thread, abandoned when the call's deadline passes while it
        runs: a socket timeout bounds each read, not a body trickling in byte by byte."""
        box: list[Any] = []

        def run() -> None:
            try:
                box.append((True, fn()))
            except BaseException as err:  # handed to the caller below
                box.append((False, err))

        worker = threading.Thread(target=run, name="mlgate-github-call", daemon=True)
        worker.start()
        worker.join(max(self.policy.deadline - (self._clock() - started), 0.0))
        if not box:
            raise self._failed(f"GitHub did not answer to {what} within the deadline of "
                               f"{self.policy.deadline:g} s (a stalled or very slow answer)",
                               OUTAGE_FIX + "; MLGATE_GITHUB_DEADLINE sets the deadline")
        ok, value = box[0]
        if ok:
            return value
        raise value

    def _check_wait(self, what: str, failure: Failure, wait: float, started: float) -> None:
        if wait > self.policy.max_wait and failure.rate_limited and not failure.secondary:
            raise self._failed(f"GitHub's rate limit stops us from trying to {what} again for "
                               f"{wait:.0f} s ({failure.detail})",
                               "re-run the job once the rate limit has reset")
        if wait > self.policy.max_wait and not failure.secondary:
            raise self._failed(f"GitHub asked to wait {wait:.0f} s before trying to {what} "
                               f"again, more than {self.policy.max_wait:.0f} s "
                               f"({failure.detail})", OUTAGE_FIX)
        if self._clock() - started + wait > self.policy.deadline:
            raise self._failed(f"GitHub failed to {what} within {self.policy.deadline:g} s "
                               f"({failure.detail})", OUTAGE_FIX)

    def _failed(self, message: str, fix: str | None) -> ServiceError:
        return ServiceError(scrub(message, self._token),
                            where=f"{self.api_url} ({self.repository})", fix=fix)

    def _refused(self, what: str, failure: Failure) -> MlgateError:
        """The error for an answer that another attempt would not change."""
        detail = scrub(failure.detail, self._token)
        if failure.status == 401:
            return UsageError(f"GitHub rejected the token ({detail})", where="GITHUB_TOKEN",
                              fix="pass a valid token (the workflow's GITHUB_TOKEN)")
        if failure.status == 403:
            fix = f"give the workflow `permissions: {self.permissions}`" \
                if self.permissions else None
            return Forbidden(what, detail, fix)
        if failure.status == 404:
            return ServiceError(f"GitHub failed to {what}: not found ({detail})",
                                where=f"repository {self.repository}",
                                fix="check GITHUB_REPOSITORY and the token's access to it")
        if failure.status == 0:
            return self._failed(f"GitHub failed to {what} ({detail})",
                                "check GITHUB_API_URL")
        return Refused(scrub(f"GitHub refused to {what} ({detail})", self._token),
                       where=f"{self.api_url} ({self.repository})", status=failure.status)

    def delete_if_present(self, what: str, delete: Callable[[], object]) -> bool:
        """``delete()`` under the policy; False when it was gone already (404)."""
        from github import GithubException

        def attempt() -> bool:
            try:
                delete()
            except GithubException as err:
                if _status(err) == 404:
                    return False
                raise
            return True

        return self.call(what, attempt)

    # ----- tags and release assets (the github-release target) -----------------------------
    def tag_commit(self, tag: str) -> str | None:
        """The commit ``tag`` points at (through an annotated tag); None when there is none."""
        from github import GithubException

        def probe() -> str | None:
            repo = self.repo()
            try:
                target = repo.get_git_ref(f"tags/{tag}").object
            except GithubException as err:
                if _status(err) == 404:
                    return None
                raise
            if target.type == "tag":
                target = repo.get_git_tag(target.sha).object
            return str(target.sha)

        return self.call(f"read tag {tag}", probe)

    def delete_tag(self, tag: str) -> bool:
        """Delete the tag ``tag``; False when there was none."""
        return self.delete_if_present(
            f"delete tag {tag}", lambda: self.repo().get_git_ref(f"tags/{tag}").delete())

    @staticmethod
    def asset_content(asset: Any) -> Any:
        """A release asset's content as PyGithub gives it: parsed JSON, or {"data": text}.
        One request; run it inside :meth:`call`."""
        _, data = asset.requester.requestBlobAndCheck(
            "GET", asset.url, headers={"Accept": "application/octet-stream"})
        return data

    # ----- the token's user ----------------------------------------------------------------
    def own_login(self) -> str | None:
        """Login of the token's own identity; None when GitHub won't say.

        GET /user answers personal tokens; installation tokens (the workflow's GITHUB_TOKEN,
        ``ghs_…``, whose identity is ``github-actions[bot]``, or another app's) get a 403
        there, so for them, and after such a 403, GraphQL's ``viewer`` is asked instead."""
        if self._login is False:
            self._login = self._ask_login()
        return self._login if isinstance(self._login, str) else None

    def _ask_login(self) -> str | None:
        if not self._token.value.startswith("ghs_"):
            try:
                return str(self.call("get the token's user", lambda: self._gh.get_user().login))
            except (Forbidden, UsageError):
                pass

        def viewer() -> Any:
            _, data = self._gh.requester.graphql_query("query { viewer { login } }", {})
            return data

        try:
            data = self.call("get the token's identity", viewer)
        except (ServiceError, UsageError):
            return None
        login = ((data or {}).get("data") or {}).get("viewer", {}).get("login") \
            if isinstance(data, dict) else None
        return login if isinstance(login, str) and login else None

    def _is_own(self, comment: Any, marker: str) -> bool:
        return is_own(comment, self.own_login(), marker)

    # ----- the sticky comment --------------------------------------------------------------
    def find_comments(self, number: int, marker: str, *, stop_early: bool) -> list[Any]:
        issue = self.repo().get_issue(number)
        pages = issue.get_comments()
        found: list[Any] = []
        for page_no in range(MAX_PAGES):
            page = self.call(f"list comments of #{number}",
                             lambda p=page_no: pages.get_page(p))  # type: ignore[misc]
            found += [c for c in page if self._is_own(c, marker)]
            if len(page) < PER_PAGE or (stop_early and found):
                break
        return sorted(found, key=lambda c: c.id)

    def sync_comment(self, number: int, marker: str, body: str) -> CommentResult:
        """Create or update the one comment carrying ``marker``; remove duplicates."""
        existing = self.find_comments(number, marker, stop_early=True)
        if not existing:
            issue = self.repo().get_issue(number)
            created = self.call(f"comment on #{number}", lambda: issue.create_comment(body))
            if not isinstance(self._login, str) and created.user:  # who we are, at last
                self._login = created.user.login
            # Two runs may have raced (or a retried POST may have landed twice): keep the
            # oldest, delete the rest, and make sure the kept one has our body.
            existing = self.find_comments(number, marker, stop_early=False) or [created]
            keep = existing[0]
            deleted = self._delete(existing[1:])
            if keep.id != created.id and keep.body != body:
                self.call("update the comment", lambda: keep.edit(body))
            return CommentResult("created", keep.html_url, keep.id, deleted)
        keep = existing[0]
        deleted = self._delete(existing[1:])
        if keep.body == body:
            return CommentResult("unchanged", keep.html_url, keep.id, deleted)
        self.call("update the comment", lambda: keep.edit(body))
        return CommentResult("updated", keep.html_url, keep.id, deleted)

    def _delete(self, comments: list[Any]) -> list[int]:
        for c in comments:  # one already gone was deleted by another run: fine
            self.delete_if_present("delete a duplicate comment", c.delete)
        return [c.id for c in comments]

    # ----- check run -----------------------------------------------------------------------
    def create_check_run(self, name: str, head_sha: str, passed: bool, title: str,
                         summary: str, details_url: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "name": name, "head_sha": head_sha, "status": "completed",
            "conclusion": "success" if passed else "failure",
            "output": {"title": title, "summary": summary},
        }
        if details_url:
            kwargs["details_url"] = details_url
        run = self.call("create the check run", lambda: self.repo().create_check_run(**kwargs))
        return str(run.html_url)

    # ----- PR lookup for workflow_run ------------------------------------------------------
    def find_pr(self, head_sha: str, head_owner: str | None, head_branch: str | None
                ) -> int | None:
        commit = self.repo().get_commit(head_sha)
        try:
            pulls = self.call("find the PR of the head commit", lambda: list(commit.get_pulls()))
        except Forbidden:
            raise
        except ServiceError:  # a fork's commit may be unknown here (404/422): try the branch
            pulls = []
        for pr in pulls:
            if pr.head.sha == head_sha:
                return int(pr.number)
        if head_owner and head_branch:
            listed = self.call("find the PR of the head branch", lambda: list(
                self.repo().get_pulls(state="open", head=f"{head_owner}:{head_branch}")))
            for pr in listed:
                if pr.head.sha == head_sha:
                    return int(pr.number)
        return None


# ----- building the client -------------------------------------------------------------------


class Connect(Protocol):
    """Builds the client of the repository a command works on. The command's main (``cli/``)
    is the only code that makes one (``connector``); services, the report, deploy targets and
    the drift reference get it as a parameter and call it when, and only if, they talk to
    GitHub (PyGithub is imported then, not before)."""

    def __call__(self, *, lazy: bool = True, permissions: str | None = None) -> GitHubApi: ...


def connector(
    api_url: str, token: str | None, repository: str | None, policy: RetryPolicy | None = None
) -> Connect:
    """A ``Connect`` for ``repository`` on ``api_url`` with ``token`` (the retry policy: the
    environment's, read when the client is built, unless given)."""

    def connect(*, lazy: bool = True, permissions: str | None = None) -> GitHubApi:
        if not token or not repository:
            raise UsageError(
                "no GitHub token or repository to call the GitHub API with",
                where="GITHUB_TOKEN" if not token else "GITHUB_REPOSITORY",
                fix="pass `github-token: ${{ github.token }}` (or set GITHUB_TOKEN), and run on "
                "GitHub Actions (or set GITHUB_REPOSITORY=owner/name)",
            )
        return GitHubApi(api_url, token, repository, policy or policy_from_env(), lazy=lazy,
                         permissions=permissions)

    return connect
