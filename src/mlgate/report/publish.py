"""``mlgate report``: render, write report.md and the job summary, post comment and check run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate import markdown as esc
from mlgate.adapters.actions import GitHubEnv, append_summary, set_output
from mlgate.console import PRINTING, Console
from mlgate.core.result import Result
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from mlgate.report.bundle import write_bundle
from mlgate.report.render import (
    CHECK_SUMMARY_LIMIT,
    COMMENT_LIMIT,
    JOB_SUMMARY_LIMIT,
    LEVELS,
    Links,
    Renderer,
    report_view,
)

if TYPE_CHECKING:
    from mlgate.adapters.github import Connect

REPORT_FILE = "report.md"
BUNDLE_DIR = "bundle"


@dataclass(frozen=True)
class Request:
    """What to report and where."""

    results: list[Result]
    name: str
    out: Path
    template: Path | None = None
    dry_run: bool = False
    from_bundle: bool = False
    root: Path | None = None  # the repository: a user template must be inside it


@dataclass
class PublishOutcome:
    """What publishing did: the files written and what was posted where."""

    report_path: Path
    comment_url: str | None = None
    comment_action: str | None = None
    check_run_url: str | None = None
    forbidden: list[str] = field(default_factory=list)
    posted: bool = False  # False: only written (and printed), as with --dry-run or off GitHub


def run_url(env: GitHubEnv) -> str | None:
    if env.repository and env.run_id and env.run_id.isdigit():
        return f"{env.server_url}/{env.repository}/actions/runs/{env.run_id}"
    return None


def all_passed(results: list[Result]) -> bool:
    return bool(results) and all(verdict(r).passed for r in results)


def check_title(results: list[Result]) -> str:
    if len(results) > 1:
        failed = sum(1 for r in results if not verdict(r).passed)
        return f"{len(results)} models: {failed} failed" if failed else \
            f"{len(results)} models: all passed"
    r = results[0]
    failed_step = r.raw.get("failed_step")
    if isinstance(failed_step, dict):
        step, code = failed_step.get("step"), failed_step.get("exit_code")
        return esc.clean(f"{r.name}: the {step} step failed (exit {code})", 120)
    n = len(r.failed_rules)
    text = f"{n} rule{'s' if n != 1 else ''} failed" if not verdict(r).passed else \
        "all rules passed"
    return esc.clean(f"{r.name}: {text}", 120)


def comment_body(
    renderer: Renderer, results: list[Result], name: str, links: Links, note: str
) -> str:
    """What the sticky comment holds: the hidden marker it is found by, then the report fitted
    to GitHub's comment limit."""
    prefix = esc.marker(name) + "\n"
    return renderer.fit(results, name, links, COMMENT_LIMIT - 1, note, prefix=prefix)


@dataclass(frozen=True)
class _Posting:
    """One run of posting: what every step of it needs."""

    req: Request
    env: GitHubEnv
    renderer: Renderer
    links: Links
    note: str
    console: Console
    connect: Connect | None = None


def publish(
    req: Request, env: GitHubEnv, console: Console = PRINTING, connect: Connect | None = None
) -> PublishOutcome:
    """Write report.md; on GitHub also the job summary, the comment and the check run
    (through the client ``connect`` builds: the command's main makes it)."""
    renderer = Renderer(req.template, req.root)
    links = Links(server_url=env.server_url, repository=env.repository)
    full = renderer.render(report_view(req.results, req.name, links, LEVELS[0]))
    report_path = req.out / REPORT_FILE
    req.out.mkdir(parents=True, exist_ok=True)
    report_path.write_text(full, encoding="utf-8")
    set_output("report-path", str(report_path), env)
    outcome = PublishOutcome(report_path=report_path)
    if req.dry_run or not env.on_github:
        console.out(full.rstrip("\n"))
        return outcome

    if env.token:
        from mlgate.adapters.github import check_token

        check_token(env.token)  # before it is printed anywhere, even to mask it
        if os.environ.get("GITHUB_ACTIONS") == "true":
            console.out(f"::add-mask::{env.token}")
    url = run_url(env)
    posting = _Posting(req=req, env=env, renderer=renderer, links=links,
                       note=_note(req, env, url), console=console, connect=connect)
    _job_summary(posting, full)
    if not req.from_bundle:
        write_bundle(req.out / BUNDLE_DIR, req.name, req.results, full)
    console.out(f"mlgate: {check_title(req.results)}")
    _post(posting, outcome, url)
    outcome.posted = True
    _forbidden(posting, outcome)
    return outcome


def _job_summary(posting: _Posting, full: str) -> None:
    req = posting.req
    budget = JOB_SUMMARY_LIMIT - 4096
    summary = full if len(full.encode()) <= budget else posting.renderer.fit(
        req.results, req.name, posting.links, budget // 3, posting.note)
    append_summary(summary, posting.env)


def _post(posting: _Posting, outcome: PublishOutcome, url: str | None) -> None:
    """The sticky comment and the check run (each skipped when the token may not write it)."""
    req, env = posting.req, posting.env
    number, head_sha = _target(req, env)
    if not env.token:
        raise UsageError("no GitHub token: cannot post the comment and check run",
                         where="GITHUB_TOKEN",
                         fix="pass `github-token: ${{ github.token }}` (or set GITHUB_TOKEN) "
                             "with permissions pull-requests: write and checks: write")
    assert env.repository
    from mlgate.adapters.github import Forbidden

    if posting.connect is None:
        raise UsageError("no GitHub client to post the comment and check run with",
                         fix="post with `mlgate report` (its main builds the client)")
    api = posting.connect()
    if req.from_bundle and number is None:
        number = _lookup_pr(api, env)
    if number is not None:
        body = comment_body(posting.renderer, req.results, req.name, posting.links, posting.note)
        try:
            res = api.sync_comment(number, esc.marker(req.name), body)
            outcome.comment_url, outcome.comment_action = res.url, res.action
            set_output("comment-url", res.url, env)
            posting.console.out(f"mlgate: comment {res.action}: {res.url}")
        except Forbidden as err:
            outcome.forbidden.append(err.what)
    if head_sha:
        summary = posting.renderer.fit(req.results, req.name, posting.links,
                                       CHECK_SUMMARY_LIMIT, posting.note)
        try:
            outcome.check_run_url = api.create_check_run(
                req.name, head_sha, all_passed(req.results), check_title(req.results), summary,
                url)
            set_output("check-run-url", outcome.check_run_url, env)
            posting.console.out(f"mlgate: check run {req.name!r}: {outcome.check_run_url}")
        except Forbidden as err:
            outcome.forbidden.append(err.what)


def _forbidden(posting: _Posting, outcome: PublishOutcome) -> None:
    """A token that may not write: fatal when posting a bundle, else a warning."""
    req = posting.req
    if outcome.forbidden and req.from_bundle:
        raise UsageError(
            f"the token may not write ({'; '.join(outcome.forbidden)})",
            where="GITHUB_TOKEN",
            fix="give the workflow_run workflow `permissions: {pull-requests: write, "
                "checks: write, actions: read}`")
    if outcome.forbidden:
        where = f" and saved the bundle in {req.out / BUNDLE_DIR}" if not req.from_bundle else ""
        posting.console.out(
            f"::warning title=mlgate::the token may not write ({', '.join(outcome.forbidden)}"
            f"; a fork pull request?). Wrote the job summary{where}; post it from a "
            "workflow_run workflow with `mlgate report --from-bundle` (see docs/report.md).")


def _note(req: Request, env: GitHubEnv, url: str | None) -> str:
    """Where a reader finds the full report when the comment had to be shortened."""
    if req.from_bundle:
        producer = (env.event().get("workflow_run") or {}).get("html_url")
        prefix = f"{env.server_url}/{env.repository}/actions/runs/"
        if isinstance(producer, str) and producer.startswith(prefix) and \
                producer[len(prefix):].isdigit():
            return (f"The full report is in the job summary of [the pull request's workflow "
                    f"run]({producer}) and in its report bundle.")
        return "The full report is in the job summary of the pull request's workflow run."
    try:
        path = req.out.resolve().relative_to(Path.cwd().resolve()) / REPORT_FILE
    except ValueError:
        path = req.out / REPORT_FILE
    where = f"[the workflow run]({url})" if url else "the workflow run"
    return f"The full report is in the job summary of {where} and in `{esc.clean(path)}`."


def _target(req: Request, env: GitHubEnv) -> tuple[int | None, str | None]:
    """The PR number and head commit, from the event only (never from a bundle)."""
    event = env.event()
    if req.from_bundle:
        run = event.get("workflow_run")
        if not isinstance(run, dict):
            raise UsageError("--from-bundle runs in a workflow_run workflow",
                             where=f"GITHUB_EVENT_NAME={env.event_name}",
                             fix="trigger the posting workflow with `on: workflow_run`")
        sha = esc.safe_sha(run.get("head_sha"))
        prs = run.get("pull_requests")
        number = None
        if isinstance(prs, list) and prs and isinstance(prs[0], dict):
            n = prs[0].get("number")
            number = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None
        return number, sha
    number = None
    pr = event.get("pull_request")
    if isinstance(pr, dict):
        n = pr.get("number", event.get("number"))
        number = n if isinstance(n, int) and not isinstance(n, bool) else None
        head = pr.get("head")
        sha = esc.safe_sha(head.get("sha") if isinstance(head, dict) else None) or \
            esc.safe_sha(env.sha)
        return number, sha
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request") and isinstance(
            issue.get("number"), int):
        number = issue["number"]
    return number, esc.safe_sha(env.sha)


def _lookup_pr(api: Any, env: GitHubEnv) -> int | None:
    run = env.event().get("workflow_run") or {}
    sha = esc.safe_sha(run.get("head_sha"))
    if not sha:
        return None
    head_repo = run.get("head_repository")
    owner_obj = head_repo.get("owner") if isinstance(head_repo, dict) else None
    owner = owner_obj.get("login") if isinstance(owner_obj, dict) else None
    branch = run.get("head_branch")
    return api.find_pr(sha, owner if isinstance(owner, str) else None,
                       branch if isinstance(branch, str) else None)
