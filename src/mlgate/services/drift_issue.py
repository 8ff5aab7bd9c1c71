"""One sticky GitHub issue per model for data drift: opened on drift, updated while it lasts,
closed with a comment when the data is back in line.

The lifecycle (:func:`sync_drift_issue`) works against the small :class:`IssueTracker`
protocol, so it is tested with an in-memory fake as well as through :class:`GitHubIssues`
(PyGithub) against the fake GitHub server. An issue is mlgate's when it carries the label, was
opened by the token's own identity (the job token: ``github-actions[bot]``) and its body starts
with the hidden marker of the model's name: the sticky comment's rule
(:func:`mlgate.adapters.github.is_own`). Others' issues are never edited, commented on or
closed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mlgate import markdown as esc

LABEL = "mlgate-drift"
PER_PAGE = 100
MAX_PAGES = 20


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str  # open | closed
    url: str


class IssueTracker(Protocol):
    def list(self, label: str, state: str, marker: str) -> list[Issue]:
        """The issues with ``label`` in ``state`` (open, closed, all) that are mlgate's for
        ``marker``: opened by the token's own identity, the body starting with ``marker``."""

    def create(self, title: str, body: str, labels: Sequence[str]) -> Issue: ...

    def update(self, number: int, body: str) -> Issue: ...

    def close(self, number: int) -> Issue: ...

    def comment(self, number: int, body: str) -> None: ...


@dataclass(frozen=True)
class IssueOutcome:
    action: str  # opened | updated | unchanged | closed | none
    number: int | None = None
    url: str | None = None
    closed_duplicates: tuple[int, ...] = ()


def issue_marker(name: str) -> str:
    return f"<!-- mlgate-drift: {esc.marker_name(name)} -->"


def issue_title(name: str) -> str:
    return f"Data drift: {esc.clean(name, 200)}"


def _ours(tracker: IssueTracker, marker: str) -> list[Issue]:
    return sorted(tracker.list(LABEL, "open", marker), key=lambda i: i.number)


def _close_duplicates(tracker: IssueTracker, keep: Issue, extra: list[Issue]) -> tuple[int, ...]:
    for issue in extra:
        tracker.comment(issue.number, f"Duplicate of #{keep.number} (two drift checks ran at "
                                      "once); closing this one.")
        tracker.close(issue.number)
    return tuple(i.number for i in extra)


def sync_drift_issue(tracker: IssueTracker, name: str, drifted: bool, body: str,
                     closing_comment: str) -> IssueOutcome:
    """Bring the model's drift issue in line with this check.

    ``body`` (the report) must start with :func:`issue_marker`; ``closing_comment`` is posted
    when the issue is closed because nothing drifts any more.
    """
    marker = issue_marker(name)
    if not body.startswith(marker):
        raise ValueError("the issue body must start with the model's marker")
    existing = _ours(tracker, marker)
    if not drifted:
        for issue in existing:
            tracker.comment(issue.number, closing_comment)
            tracker.close(issue.number)
        if not existing:
            return IssueOutcome("none")
        first = existing[0]
        return IssueOutcome("closed", first.number, first.url,
                            tuple(i.number for i in existing[1:]))
    if not existing:
        created = tracker.create(issue_title(name), body, [LABEL])
        # Two checks may have raced (or a retried POST landed twice): keep the oldest.
        existing = _ours(tracker, marker) or [created]
        keep = existing[0]
        dupes = _close_duplicates(tracker, keep, existing[1:])
        if keep.number != created.number and keep.body != body:
            keep = tracker.update(keep.number, body)
        return IssueOutcome("opened", keep.number, keep.url, dupes)
    keep = existing[0]
    dupes = _close_duplicates(tracker, keep, existing[1:])
    if keep.body == body:
        return IssueOutcome("unchanged", keep.number, keep.url, dupes)
    keep = tracker.update(keep.number, body)
    return IssueOutcome("updated", keep.number, keep.url, dupes)


def publish_drift_issue(make_tracker: Callable[[], IssueTracker], outcome: Any,
                        run_url: str | None) -> IssueOutcome:
    """Bring the model's drift issue in line with ``outcome`` (a ``DriftOutcome``): the
    report is its body; when nothing drifts any more it is closed with a comment saying so.
    ``make_tracker`` builds the tracker (the caller's GitHub client); a token that may not
    write issues is a usage error naming the permission the workflow needs."""
    from mlgate.adapters.github import Forbidden
    from mlgate.errors import UsageError
    from mlgate.report.drift_view import ISSUE_LIMIT, fit_drift

    marker = issue_marker(outcome.name)
    body = fit_drift(outcome.document, ISSUE_LIMIT, prefix=marker + "\n", run_url=run_url)
    where = f" in [this run]({run_url})" if run_url else ""
    closing = f"✅ The data is back in line{where}: no feature drifts. Closing.\n\n" + fit_drift(
        outcome.document, ISSUE_LIMIT - 200, run_url=run_url)
    try:
        return sync_drift_issue(make_tracker(), outcome.name, outcome.drifted, body, closing)
    except Forbidden as err:
        raise UsageError(f"the token may not write issues ({err.what}: {err.message})",
                         where="GITHUB_TOKEN",
                         fix="give the workflow `permissions: {issues: write}`") from err


class GitHubIssues:
    """:class:`IssueTracker` over PyGithub, every request through the client's retry policy.

    ``repo`` is a ``github.Repository.Repository``; ``call(what, fn)`` runs ``fn`` with
    retries (``GitHubApi.call``); ``own_login`` is the token's login, None when GitHub does
    not say, in which case no issue is ours until the one it creates tells who it is.
    """

    def __init__(self, repo: Any, call: Callable[[str, Callable[[], Any]], Any],
                 own_login: str | None) -> None:
        self._repo = repo
        self._call = call
        self._login = own_login

    @classmethod
    def from_api(cls, api: Any) -> GitHubIssues:
        # GitHubApi has no public accessor for its repository object yet (issue 10 unifies
        # the client); until then this reads the attribute it keeps.
        return cls(api.repo(), api.call, api.own_login())

    @staticmethod
    def _issue(raw: Any) -> Issue:
        return Issue(int(raw.number), str(raw.title or ""), str(raw.body or ""),
                     str(raw.state), str(raw.html_url))

    def list(self, label: str, state: str, marker: str) -> list[Issue]:
        from mlgate.adapters.github import is_own

        pages = self._repo.get_issues(state=state, labels=[label])
        found: list[Issue] = []
        for page_no in range(MAX_PAGES):
            page = self._call(f"list the issues labelled {label}",
                              functools.partial(pages.get_page, page_no))
            found += [self._issue(i) for i in page
                      if i.pull_request is None and is_own(i, self._login, marker)]
            if len(page) < PER_PAGE:
                break
        return found

    def create(self, title: str, body: str, labels: Sequence[str]) -> Issue:
        raw = self._call("open the drift issue", lambda: self._repo.create_issue(
            title=title, body=body, labels=list(labels)))
        if self._login is None and raw.user:  # who we are, at last
            self._login = str(raw.user.login)
        return self._issue(raw)

    def update(self, number: int, body: str) -> Issue:
        raw = self._repo.get_issue(number)
        self._call(f"update issue #{number}", lambda: raw.edit(body=body))
        return self._issue(raw)

    def close(self, number: int) -> Issue:
        raw = self._repo.get_issue(number)
        self._call(f"close issue #{number}",
                   lambda: raw.edit(state="closed", state_reason="completed"))
        return self._issue(raw)

    def comment(self, number: int, body: str) -> None:
        raw = self._repo.get_issue(number)
        self._call(f"comment on issue #{number}", lambda: raw.create_comment(body))
