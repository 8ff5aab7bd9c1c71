"""Talk to the GitHub REST API with PyGithub: the sticky comment, the check run, PR lookup.

PyGithub's own throttling and urllib3 retries are off; :meth:`GitHubApi.call` retries every
request (PATCH and POST included) on 5xx, rate limits and network errors with a bounded
backoff, and every request has a timeout, so a run never hangs. Error texts are scrubbed of
the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlgate.errors import ServiceError, UsageError

T = TypeVar("T")
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 comments: far past any real PR, but bounded


class Forbidden(Exception):
    """403 without a rate limit: a fork PR's read-only token, or missing permissions."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(f"{what}: {message}")
        self.what = what
        self.message = message


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 1.0  # first wait; doubles each time
    max_wait: float = 30.0  # a single wait longer than this (e.g. a primary rate limit
    # resetting in an hour) is not worth it: give up and exit 3
    timeout: float = 20.0  # per request, seconds


@dataclass
class CommentResult:
    action: str  # created | updated | unchanged
    url: str
    id: int
    deleted: list[int] = field(default_factory=list)


def scrub(text: str, token: object) -> str:
    value = token.value if isinstance(token, Secret) else token
    return text.replace(value, "***") if isinstance(value, str) and value else text


class Secret:
    """Holds the token so that no repr, vars() or log line shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret(***)"


class GitHubApi:
    def __init__(self, api_url: str, token: str, repository: str,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        from github import Auth, Github

        self.policy = policy or RetryPolicy()
        self._token = Secret(token)
        self._sleep = sleep
        self.repository = repository
        self._gh = Github(
            auth=Auth.Token(token), base_url=api_url, timeout=max(1, int(self.policy.timeout)),
            retry=None, seconds_between_requests=0, seconds_between_writes=0,
            per_page=PER_PAGE, lazy=True,
        )
        self._repo = self._gh.get_repo(repository)
        self._login: str | bool | None = False  # False: not asked yet; None: unknown

    def __repr__(self) -> str:
        return f"GitHubApi(repository={self.repository!r}, token=***)"

    # ----- retries -----------------------------------------------------------------------
    def call(self, what: str, fn: Callable[[], T]) -> T:
        from github import GithubException

        last = ""
        for attempt in range(self.policy.attempts):
            wait: float
            try:
                return fn()
            except GithubException as err:
                status = int(err.status or 0)
                headers = {k.lower(): v for k, v in (err.headers or {}).items()}
                last = f"HTTP {status}: {_message(err)}"
                maybe = self._wait_for(status, headers, err, attempt)
                if maybe is None:
                    self._raise_final(what, status, last)
                    raise  # pragma: no cover - _raise_final always raises
                wait = maybe
            except OSError as err:  # connection refused/reset, timeouts (requests wraps these)
                last = f"{type(err).__name__}: {err}"
                wait = self.policy.backoff * 2**attempt
            except Exception as err:
                if not _is_network_error(err):
                    raise
                last = f"{type(err).__name__}: {err}"
                wait = self.policy.backoff * 2**attempt
            if attempt + 1 >= self.policy.attempts:
                break
            if wait > self.policy.max_wait:
                last += f"; asked to wait {wait:.0f} s, more than {self.policy.max_wait:.0f} s"
                break
            self._sleep(wait)
        raise ServiceError(
            scrub(f"GitHub API: {what} failed after {attempt + 1} attempt(s) ({last})",
                  self._token),
            fix="check https://www.githubstatus.com and re-run the job",
        )

    def _wait_for(self, status: int, headers: dict[str, str], err: Exception,
                  attempt: int) -> float | None:
        from github import RateLimitExceededException

        backoff = self.policy.backoff * 2**attempt
        if "retry-after" in headers and (status in (403, 429) or status >= 500):
            return _float(headers["retry-after"], backoff)
        limited = headers.get("x-ratelimit-remaining") == "0" or isinstance(
            err, RateLimitExceededException)
        if status in (403, 429) and limited:
            reset = _float(headers.get("x-ratelimit-reset", ""), 0.0)
            return max(reset - time.time(), backoff) if reset else backoff
        if status == 429 or status >= 500:
            return backoff
        return None

    def _raise_final(self, what: str, status: int, detail: str) -> None:
        detail = scrub(detail, self._token)
        if status == 401:
            raise UsageError(f"GitHub rejected the token ({detail})", where="GITHUB_TOKEN",
                             fix="pass a valid token (the workflow's GITHUB_TOKEN)")
        if status == 403:
            raise Forbidden(what, detail)
        if status == 404:
            raise ServiceError(f"GitHub API: {what}: not found ({detail})",
                               where=f"repository {self.repository}",
                               fix="check GITHUB_REPOSITORY and the token's access to it")
        raise ServiceError(f"GitHub API: {what} failed ({detail})")

    # ----- the token's user ----------------------------------------------------------------
    def own_login(self) -> str | None:
        """Login of the token's user; None when GitHub won't say (installation tokens)."""
        if self._login is False and self._token.value.startswith("ghs_"):
            # An installation token (the workflow's GITHUB_TOKEN): GitHub answers 403 to
            # GET /user for these, so don't spend a request; its comments are a bot's.
            self._login = None
        if self._login is False:
            try:
                self._login = self.call("get the token's user", lambda: self._gh.get_user().login)
            except (Forbidden, UsageError):
                self._login = None
        return self._login if isinstance(self._login, str) else None

    def _is_own(self, comment: Any) -> bool:
        login = self.own_login()
        author = comment.user.login if comment.user else ""
        if login is not None:
            return bool(author == login)
        # GITHUB_TOKEN cannot read /user: then only bots' comments can be ours.
        return bool(author.endswith("[bot]"))

    # ----- the sticky comment --------------------------------------------------------------
    def find_comments(self, number: int, marker: str, *, stop_early: bool) -> list[Any]:
        issue = self._repo.get_issue(number)
        pages = issue.get_comments()
        found: list[Any] = []
        for page_no in range(MAX_PAGES):
            page = self.call(f"list comments of #{number}",
                             lambda p=page_no: pages.get_page(p))  # type: ignore[misc]
            found += [c for c in page if marker in (c.body or "") and self._is_own(c)]
            if len(page) < PER_PAGE or (stop_early and found):
                break
        return sorted(found, key=lambda c: c.id)

    def sync_comment(self, number: int, marker: str, body: str) -> CommentResult:
        """Create or update the one comment carrying ``marker``; remove duplicates."""
        existing = self.find_comments(number, marker, stop_early=True)
        if not existing:
            issue = self._repo.get_issue(number)
            created = self.call(f"comment on #{number}", lambda: issue.create_comment(body))
            if self._login is False and created.user:  # the author of what we just made
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
        from github import GithubException

        deleted = []
        for c in comments:
            try:
                self.call("delete a duplicate comment", c.delete)
            except ServiceError as err:
                if "not found" not in err.message:  # another run deleted it already
                    raise
            except GithubException:  # pragma: no cover - call() converts these
                raise
            deleted.append(c.id)
        return deleted

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
        run = self.call("create the check run", lambda: self._repo.create_check_run(**kwargs))
        return str(run.html_url)

    # ----- PR lookup for workflow_run ------------------------------------------------------
    def find_pr(self, head_sha: str, head_owner: str | None, head_branch: str | None
                ) -> int | None:
        commit = self._repo.get_commit(head_sha)
        try:
            pulls = self.call("find the PR of the head commit", lambda: list(commit.get_pulls()))
        except ServiceError:  # a fork's commit may be unknown here (404/422): try the branch
            pulls = []
        for pr in pulls:
            if pr.head.sha == head_sha:
                return int(pr.number)
        if head_owner and head_branch:
            listed = self.call("find the PR of the head branch", lambda: list(
                self._repo.get_pulls(state="open", head=f"{head_owner}:{head_branch}")))
            for pr in listed:
                if pr.head.sha == head_sha:
                    return int(pr.number)
        return None


def _message(err: Any) -> str:
    data = getattr(err, "data", None)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:300]
    return str(data)[:300] if data else ""


def _float(text: str, default: float) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


def _is_network_error(err: Exception) -> bool:
    try:
        import requests
        import urllib3
    except ImportError:  # pragma: no cover
        return False
    return isinstance(err, (requests.exceptions.RequestException, urllib3.exceptions.HTTPError))
