"""``mlgate compare``: gather both sides (metrics of the working tree, the baseline from git or
a file), compare them with the thresholds, write result.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.adapters.actions import GitHubEnv, set_output
from mlgate.adapters.git import Git
from mlgate.config import Config, Paths
from mlgate.console import PRINTING, Console
from mlgate.core.baseline import Baseline, find_baseline
from mlgate.core.changes import data_diff, params_diff, params_files, read_params, tracked_data
from mlgate.core.compare import Comparison, diff
from mlgate.core.folds import Folds
from mlgate.core.metrics import Metric, MetricValue, Reader, discover_metrics_files, load_metrics
from mlgate.core.result import HeadInfo, Result, build_result, save_result
from mlgate.core.thresholds import Rule, load_thresholds_arg, parse_rules
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from mlgate.services import noise


@dataclass(frozen=True)
class CompareOptions:
    config: Config
    paths: Paths
    base: str | None = None  # --base
    metrics: tuple[str, ...] | None = None  # --metrics
    thresholds: str | None = None  # --thresholds (file or inline YAML)
    require_baseline: bool | None = None
    baseline_file: str | None = None
    remote: str = "origin"
    config_file: str | None = None  # --config, for the retrained baseline's own run


@dataclass(frozen=True)
class CompareOutcome:
    result: Result
    path: Path

    def lines(self) -> list[str]:
        """What ``mlgate compare`` prints."""
        result, s, base = self.result, self.result.summary, self.result.baseline
        if base.found:
            where = f"{base.source} baseline {(base.sha or '')[:12]}".rstrip()
        else:
            where = "no baseline (absolute rules only)"
        lines = [
            f"mlgate compare: {'PASS' if result.passed else 'FAIL'} — {s.metrics} metrics vs "
            f"{where}: {s.improved} improved, {s.regressed} regressed, {s.unchanged} unchanged, "
            f"{s.new} new, {s.removed} removed; rules: {s.rules_passed} passed, "
            f"{s.rules_failed} failed, {s.rules_skipped} skipped"
        ]
        if base.note:
            lines.append(f"  note: {base.note}")
        lines += [f"  failed: {rule}" for rule in result.failed_rules]
        lines.append(f"  wrote {self.path}")
        return lines

    def describe(self) -> str:
        """One line for the summary of ``mlgate run``."""
        result, s, base = self.result, self.result.summary, self.result.baseline
        if base.found:
            against = f"{base.source} baseline {(base.sha or '')[:12]}".rstrip()
        else:
            against = "no baseline"
        rules = "rules pass" if verdict(result).passed else "rules FAIL"
        return (
            f"{s.metrics} metrics vs {against}: {s.improved} improved, {s.regressed} regressed, "
            f"{s.unchanged} unchanged; {rules} ({s.rules_failed} failed)"
        )


def run_compare(
    options: CompareOptions, gh: GitHubEnv, console: Console = PRINTING, git: Git | None = None
) -> CompareOutcome:
    """Compare, write result.json, set the ``result-path`` and ``passed`` outputs."""
    result = compare(options, gh, console, git)
    path = options.paths.result
    save_result(path, result)
    set_output("result-path", str(path))
    set_output("passed", "true" if verdict(result).passed else "false")
    outcome = CompareOutcome(result=result, path=path)
    for line in outcome.lines():
        console.out(line)
    return outcome


def working_tree_reader(root: Path) -> Reader:
    def read(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError):
            return None

    return read


def compare(
    options: CompareOptions, gh: GitHubEnv, console: Console = PRINTING, git: Git | None = None
) -> Result:
    """Gather both sides of the comparison and return the result (``git``: of the root)."""
    config, root = options.config, options.paths.root
    git = git or Git(root)
    git.require_repo()
    read_head = working_tree_reader(root)
    files, _ = discover_metrics_files(
        read_head, config.metrics, list(options.metrics) if options.metrics else None
    )
    current = load_metrics(files, read_head, missing_ok=False)
    folds = noise.trainer_folds(options.paths.out, current)
    current, evaluation = noise.with_folds(current, folds)
    require = config.requires_baseline(options.require_baseline)
    base = config.base_branch(options.base, gh.pr_base_branch())
    baseline = _baseline(options, git, base, files, console, folds)
    baseline = _paired(baseline, folds, options, git, files, console)
    comparison = diff(
        Comparison(
            current=_values(current),
            baseline=_values(baseline.metrics) if baseline.found else None,
            rules=_rules(config, options.thresholds),
            require_baseline=require,
            files={m.name: m.file for m in current},
            evaluation=evaluation,
        )
    )
    params, data = _changes(git, baseline, config, read_head, files)
    return build_result(
        name=config.model_name(root),
        head=_head_info(git, gh),
        baseline=baseline.info(),
        comparison=comparison,
        require_baseline=require,
        metrics_files=files,
        params=params,
        data=data,
    )


def _baseline(
    options: CompareOptions, git: Git, base: str, files: list[str], console: Console,
    folds: Folds | None = None,
) -> Baseline:
    config = options.config
    if options.baseline_file:
        return _baseline_from_file(options.baseline_file, base)
    git_head = git.rev("HEAD")
    if not git_head:
        raise UsageError("the repository has no commits yet", where=str(options.paths.root))
    # With `baseline: retrain` this only finds the merge base; retraining gives the metrics.
    baseline = find_baseline(
        git,
        head=git_head,
        base=base,
        name=config.model_name(options.paths.root),
        files=files,
        mode=config.baseline,
        remote=options.remote,
    )
    if config.baseline == "retrain" and baseline.merge_base:
        from mlgate.services.retrain import retrain_metrics

        merge_base = baseline.merge_base
        metrics = retrain_metrics(git, merge_base, files, options.config_file, console,
                                  folds=folds.spec if folds else None)
        baseline = Baseline(found=True, sha=merge_base, source="retrain", base_ref=base,
                            merge_base=merge_base, metrics=metrics)
    return baseline


def _paired(
    baseline: Baseline, folds: Folds | None, options: CompareOptions, git: Git,
    files: list[str], console: Console,
) -> Baseline:
    """Per-fold scores for the baseline on the PR's folds (services/noise.py)."""
    from mlgate.services.retrain import retrain_metrics

    def retrain(sha: str) -> list[Metric]:
        spec = folds.spec if folds else None
        return retrain_metrics(git, sha, files, options.config_file, console, folds=spec)

    name = options.config.model_name(options.paths.root)
    ctx = noise.Pairing(git, name, options.config.baseline, retrain, console)
    return noise.pair_baseline(baseline, folds, ctx)


def _baseline_from_file(file: str, base: str) -> Baseline:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read the baseline file ({err.strerror})", where=file) from err
    metrics = load_metrics([file], lambda _p: text, missing_ok=False)
    return Baseline(found=True, sha=None, source="file", base_ref=base, merge_base=None,
                    note=f"metrics read from {file}", metrics=metrics)


def _values(metrics: list[Metric]) -> dict[str, MetricValue]:
    return {m.name: m.value for m in metrics}


def _rules(config: Config, thresholds_arg: str | None) -> list[Rule]:
    if thresholds_arg:
        data, source = load_thresholds_arg(thresholds_arg)
        return parse_rules(data, source)
    source = f"{config.path.name if config.path else 'mlgate.yaml'}: thresholds"
    return parse_rules(config.thresholds, source)


def _head_info(git: Git, gh: GitHubEnv) -> HeadInfo:
    pr = gh.pull_request() or {}
    pr_head = pr.get("head") or {}
    local = git.rev("HEAD")
    sha = pr_head.get("sha") or local
    # On pull_request events HEAD is GitHub's test merge commit; its subject is not the PR's.
    subject_sha = sha if sha and git.rev(sha) else local
    subject = git.subject(subject_sha) if subject_sha else None
    if pr.get("title") and subject_sha != sha:
        subject = pr["title"]
    return HeadInfo(
        sha=sha, ref=pr_head.get("ref") or gh.head_ref or git.current_branch(), subject=subject
    )


def _changes(
    git: Git, baseline: Baseline, config: Config, read_head: Reader, metrics_files: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not baseline.sha:
        return [], []
    sha = baseline.sha

    def read_base(path: str) -> str | None:
        return git.show(sha, path)

    files = params_files(read_head, config.params)
    params = params_diff(read_params(read_base, files), read_params(read_head, files))
    exclude = set(metrics_files)
    head_files = git.out("ls-files").splitlines()
    data = data_diff(
        tracked_data(read_base, git.ls_files(sha), exclude),
        tracked_data(read_head, head_files, exclude),
    )
    return params, data
