"""``mlgate report``: render the report of one or more results; on GitHub post it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.adapters.actions import GitHubEnv
from mlgate.config import Config, Paths
from mlgate.console import PRINTING, Console
from mlgate.core.result import Result
from mlgate.errors import UsageError
from mlgate.report.publish import PublishOutcome, Request, publish
from mlgate.services.results import load_result

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
    request = _request(options, gh)
    published = publish(request, gh, console, connect)
    return ReportOutcome(published=published, results=tuple(request.results))


def _request(options: ReportOptions, gh: GitHubEnv) -> Request:
    config = options.config
    name = config.report_name(options.name)
    failed = _failed_step(options, gh)
    if failed is not None:
        results = [failed]
    elif options.from_bundle:
        from mlgate.report.bundle import read_bundle

        # The bundle's own name is ignored: an untrusted bundle must not pick the check run's
        # name (it could impersonate another required check) or another report's marker.
        _bundle_name, claimed = read_bundle(Path(options.from_bundle))
        results = _rejudged(claimed, config)
    elif options.merge:
        results = [load_result(Path(p)) for p in options.merge]
    else:
        results = [load_result(options.paths.result_file(options.result_file))]
    return Request(results=results, name=name, out=options.paths.out,
                   template=config.report_template(options.template),
                   dry_run=options.dry_run, from_bundle=bool(options.from_bundle),
                   root=options.paths.root)


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
