"""``mlgate report``: render, write report.md and the job summary, post comment and check run."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.adapters.actions import GitHubEnv, append_summary, set_output
from mlgate.errors import UsageError
from mlgate.report import escape as esc
from mlgate.report.bundle import fail_closed, read_bundle, write_bundle
from mlgate.report.render import (
    CHECK_SUMMARY_LIMIT,
    COMMENT_LIMIT,
    JOB_SUMMARY_LIMIT,
    LEVELS,
    Links,
    Renderer,
    report_view,
)

REPORT_FILE = "report.md"
BUNDLE_DIR = "bundle"


@dataclass
class Request:
    """What to report and where (built from the CLI arguments)."""

    results: list[dict[str, Any]]
    name: str
    out: Path
    template: Path | None = None
    dry_run: bool = False
    from_bundle: bool = False


@dataclass
class Outcome:
    report_path: Path
    comment_url: str | None = None
    comment_action: str | None = None
    check_run_url: str | None = None
    forbidden: list[str] = field(default_factory=list)


def load_request(args: Any, config: Any, out: Path) -> Request:
    from mlgate.core.result import read_result, result_path

    report_cfg = config.report or {}
    name = args.name or report_cfg.get("name") or "mlgate"
    template = args.template or report_cfg.get("template")
    from_bundle = bool(args.from_bundle)
    if from_bundle:
        # The bundle's own name is ignored: an untrusted bundle must not pick the check run's
        # name (it could impersonate another required check) or another report's marker.
        _bundle_name, results = read_bundle(Path(args.from_bundle))
    elif args.merge:
        results = [read_result(Path(p)) for p in args.merge]
    else:
        results = [read_result(result_path(out, args.result))]
    results = [fail_closed(r) for r in results]
    if not isinstance(name, str) or not name.strip():
        raise UsageError("the report name must be a non-empty string", where="--name")
    return Request(results, name.strip(), out, Path(template) if template else None,
                   bool(args.dry_run), from_bundle)


def run_url(env: GitHubEnv) -> str | None:
    if env.repository and env.run_id and env.run_id.isdigit():
        return f"{env.server_url}/{env.repository}/actions/runs/{env.run_id}"
    return None


def check_title(results: list[dict[str, Any]]) -> str:
    if len(results) > 1:
        failed = sum(1 for r in results if r.get("passed") is not True)
        return f"{len(results)} models: {failed} failed" if failed else \
            f"{len(results)} models: all passed"
    r = results[0]
    n = len(r.get("failed_rules") or [])
    text = f"{n} rule{'s' if n != 1 else ''} failed" if r.get("passed") is not True else \
        "all rules passed"
    return esc.clean(f"{r.get('name', 'model')}: {text}", 120)


def comment_body(
    renderer: Renderer, results: list[dict[str, Any]], name: str, links: Links, note: str
) -> str:
    """What the sticky comment holds: the hidden marker it is found by, then the report fitted
    to GitHub's comment limit."""
    prefix = esc.marker(name) + "\n"
    return renderer.fit(results, name, links, COMMENT_LIMIT - 1, note, prefix=prefix)


def publish(req: Request, env: GitHubEnv, stdout: Any = None) -> Outcome:
    stdout = stdout or sys.stdout
    renderer = Renderer(req.template)
    links = Links(env.server_url, env.repository)
    full = renderer.render(report_view(req.results, req.name, links, LEVELS[0]))
    report_path = req.out / REPORT_FILE
    req.out.mkdir(parents=True, exist_ok=True)
    report_path.write_text(full, encoding="utf-8")
    set_output("report-path", str(report_path), env)
    outcome = Outcome(report_path)
    if req.dry_run or not env.on_github:
        stdout.write(full)
        return outcome

    if env.token and os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::add-mask::{env.token}", file=stdout)
    url = run_url(env)
    note = _note(req, env, url)
    summary = full if len(full.encode()) <= JOB_SUMMARY_LIMIT - 4096 else renderer.fit(
        req.results, req.name, links, (JOB_SUMMARY_LIMIT - 4096) // 3, note)
    append_summary(summary, env)
    if not req.from_bundle:
        write_bundle(req.out / BUNDLE_DIR, req.name, req.results, full)

    print(f"mlgate: {check_title(req.results)}", file=stdout)
    target = _target(req, env)
    if not env.token:
        raise UsageError("no GitHub token: cannot post the comment and check run",
                         where="GITHUB_TOKEN",
                         fix="pass `github-token: ${{ github.token }}` (or set GITHUB_TOKEN) "
                             "with permissions pull-requests: write and checks: write")
    assert env.repository
    from mlgate.adapters.github import Forbidden, GitHubApi

    api = GitHubApi(env.api_url, env.token, env.repository, policy_from_env())
    number, head_sha = target
    if req.from_bundle and number is None:
        number = _lookup_pr(api, env)
    marker = esc.marker(req.name)
    if number is not None:
        body = comment_body(renderer, req.results, req.name, links, note)
        try:
            res = api.sync_comment(number, marker, body)
            outcome.comment_url, outcome.comment_action = res.url, res.action
            set_output("comment-url", res.url, env)
            print(f"mlgate: comment {res.action}: {res.url}", file=stdout)
        except Forbidden as err:
            outcome.forbidden.append(err.what)
    if head_sha:
        check_summary = renderer.fit(req.results, req.name, links, CHECK_SUMMARY_LIMIT, note)
        passed = bool(req.results) and all(r.get("passed") is True for r in req.results)
        try:
            outcome.check_run_url = api.create_check_run(
                req.name, head_sha, passed, check_title(req.results), check_summary, url)
            set_output("check-run-url", outcome.check_run_url, env)
            print(f"mlgate: check run {req.name!r}: {outcome.check_run_url}", file=stdout)
        except Forbidden as err:
            outcome.forbidden.append(err.what)
    if outcome.forbidden and req.from_bundle:
        raise UsageError(
            f"the token may not write ({'; '.join(outcome.forbidden)})",
            where="GITHUB_TOKEN",
            fix="give the workflow_run workflow `permissions: {pull-requests: write, "
                "checks: write, actions: read}`")
    if outcome.forbidden:
        where = f" and saved the bundle in {req.out / BUNDLE_DIR}" if not req.from_bundle else ""
        print(f"::warning title=mlgate::the token may not write ({', '.join(outcome.forbidden)}"
              f"; a fork pull request?). Wrote the job summary{where}; post it from a "
              "workflow_run workflow with `mlgate report --from-bundle` (see docs/report.md).",
              file=stdout)
    return outcome


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


def policy_from_env() -> Any:
    """Retry settings; MLGATE_GITHUB_BACKOFF/ATTEMPTS/TIMEOUT tune them (tests use 0 backoff)."""
    from mlgate.adapters.github import RetryPolicy

    def num(name: str, default: float) -> float:
        try:
            return float(os.environ.get(name, default))
        except ValueError as err:
            raise UsageError(f"{name} must be a number", where=name) from err

    return RetryPolicy(attempts=max(1, int(num("MLGATE_GITHUB_ATTEMPTS", 4))),
                       backoff=num("MLGATE_GITHUB_BACKOFF", 1.0),
                       timeout=num("MLGATE_GITHUB_TIMEOUT", 20.0))
