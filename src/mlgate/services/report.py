"""``mlgate report``: render the report of one or more results; on GitHub post it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.git import Git, commit_reader
from mlgate.adapters.notes import find_merge_base, resolve_base
from mlgate.config import DEFAULT_CONFIG, DEFAULT_REPORT_NAME, Config, Paths
from mlgate.console import PRINTING, Console
from mlgate.core.result import Result
from mlgate.errors import MlgateError, UsageError
from mlgate.report.publish import PublishOutcome, Request, publish
from mlgate.services.results import load_result
from mlgate.yamlio import parse_text

if TYPE_CHECKING:
    from mlgate.adapters.github import Connect


@dataclass(frozen=True)
class ReportOptions:
    config: Config
    paths: Paths
    result_file: str | None = None  # --result
    merge: tuple[str, ...] | None = None  # --merge: several result files
    from_bundle: str | None = None  # --from-bundle DIR
    name: str | None = None  # --name
    template: str | None = None  # --template
    dry_run: bool = False


@dataclass(frozen=True)
class ReportOutcome:
    published: PublishOutcome
    results: tuple[Result, ...]

    def describe(self, root: Path) -> str:
        """One line for the summary of ``mlgate run``."""
        path = self.published.report_path
        try:
            where = str(path.relative_to(root))
        except ValueError:
            where = str(path)
        return f"wrote {where}"


def run_report(
    options: ReportOptions, gh: GitHubEnv, console: Console = PRINTING,
    connect: Connect | None = None,
) -> ReportOutcome:
    """``connect``: builds the GitHub client for the comment and check run (the command's
    main makes it; None: nothing can be posted, as with ``--dry-run``)."""
    if options.from_bundle and (options.merge or options.result_file):
        raise UsageError("--from-bundle cannot be combined with --merge or --result",
                         where="--from-bundle")
    if options.merge and options.result_file:
        raise UsageError("--merge and --result cannot be combined", where="--merge")
    request = _request(options, gh, console)
    published = publish(request, gh, console, connect)
    return ReportOutcome(published=published, results=tuple(request.results))


def _request(options: ReportOptions, gh: GitHubEnv, console: Console) -> Request:
    config = options.config
    name = _report_name(options, gh, console)
    failed = _failed_step(options, gh)
    if failed is not None:
        results = [failed]
    elif options.from_bundle:
        from mlgate.report.bundle import read_bundle

        # The bundle's own name is ignored: an untrusted bundle must not pick the check run's
        # name (it could impersonate another required check) or another report's marker.
        _bundle_name, claimed = read_bundle(Path(options.from_bundle))
        _require_thresholds(config)
        results = _rejudged(claimed, config)
    elif options.merge:
        results = [load_result(Path(p)) for p in options.merge]
    else:
        results = [load_result(options.paths.result_file(options.result_file))]
    return Request(results=results, name=name, out=options.paths.out,
                   template=config.report_template(options.template),
                   dry_run=options.dry_run, from_bundle=bool(options.from_bundle),
                   root=options.paths.root)


def _require_thresholds(config: Config) -> None:
    """A fork's figures are judged only by the base repository's rules: with none here (the
    posting job did not check out the base repository, or its mlgate.yaml has no rules) there
    is nothing to judge by, and posting would turn a regression into a success check."""
    if config.rules:
        return
    where = (f"{config.where}: thresholds" if config.path
             else "--from-bundle (no mlgate.yaml in the working directory)")
    raise UsageError(
        "no thresholds to judge the fork's results by: nothing was posted (a report judged by "
        "no rules would be a success check for any figures)",
        where=where,
        fix="check out the base repository before the report step (`- uses: actions/checkout` "
            "of the default branch, never the pull request's head) so that its mlgate.yaml "
            "applies, and set `thresholds:` in that mlgate.yaml on the base branch",
    )


def _report_name(options: ReportOptions, gh: GitHubEnv, console: Console) -> str:
    """``--name``, else ``report.name`` of mlgate.yaml, else ``mlgate``. On a pull request
    event the working tree is the pull request's: its mlgate.yaml could name the check run
    after another required check, so ``report.name`` is read at the merge base instead."""
    if options.name or gh.event_name not in PR_EVENTS or options.from_bundle:
        return options.config.report_name(options.name)
    return Config().report_name(_merge_base_name(options, gh, console))


PR_EVENTS = ("pull_request", "pull_request_target")


def _merge_base_name(options: ReportOptions, gh: GitHubEnv, console: Console) -> str | None:
    """``report.name`` of the config file at the merge base of HEAD and the event's base
    branch (None: none there, or no merge base to read it at: the default name applies)."""
    config = options.config
    own = config.report.name
    try:
        name, where = _name_at_merge_base(options, gh)
    except MlgateError as err:
        if own:
            console.err(f"mlgate: warning: report.name {own!r} of the pull request's "
                        f"{config.where} is not used: on a pull request the name comes from the "
                        f"base branch's config, which could not be read ({err.message}); pass "
                        "--name (input `name`) to choose it")
        return None
    if own and own != name:
        console.err(f"mlgate: warning: report.name {own!r} of the pull request's "
                    f"{config.where} applies after merge; this run uses "
                    f"{name or DEFAULT_REPORT_NAME!r} ({where})")
    return name


def _name_at_merge_base(options: ReportOptions, gh: GitHubEnv) -> tuple[str | None, str]:
    root = options.paths.root
    path = options.config.path
    base = gh.pr_base_branch()
    try:  # the path as named, not a symlink's target (as compare reads the base's thresholds)
        rel = ((path.parent.resolve() / path.name).relative_to(root.resolve()).as_posix()
               if path else DEFAULT_CONFIG)
    except ValueError as err:
        raise UsageError("the config file is outside the working directory",
                         where=str(path)) from err
    if not base:
        raise UsageError("the event names no base branch")
    git = Git(root)
    head = git.rev("HEAD")
    if not head:
        raise UsageError("no HEAD commit", where=str(root))
    sha = find_merge_base(git, head, resolve_base(git, base))
    where = f"{rel} at {sha[:12]}"
    text = commit_reader(git, sha)(rel)
    if text is None:
        return None, where
    data = parse_text(text, where)
    section = data.get("report") if isinstance(data, dict) else None
    name = section.get("name") if isinstance(section, dict) else None
    return (name.strip() if isinstance(name, str) and name.strip() else None), where


def _rejudged(claimed: list[Result], config: Config) -> list[Result]:
    """A fork's results judged again with this checkout's thresholds (the base branch's: the
    workflow_run job runs on it), whatever the fork's run decided."""
    from mlgate.core.compare import rejudge

    return [rejudge(r, config.rules, config.requires_baseline(None)) for r in claimed]


def _failed_step(options: ReportOptions, gh: GitHubEnv) -> Result | None:
    """The failure report, when a step before compare failed in this run: no result.json, and
    the failing step's ``failed-step.json`` (only for the default result file)."""
    if options.from_bundle or options.merge or options.result_file:
        return None
    if options.paths.result.exists():
        return None
    from mlgate import failure

    failed = failure.load(options.paths.out)
    if failed is None:
        return None
    if gh.token:  # the comment is not masked as the job log is
        failed = replace(failed, log_tail=tuple(line.replace(gh.token, "***")
                                                for line in failed.log_tail))
    head = (gh.pull_request() or {}).get("head") or {}
    return failure.failure_result(
        failed, name=options.config.model_name(options.paths.root),
        head_sha=head.get("sha") or gh.sha, head_ref=head.get("ref") or gh.head_ref)
