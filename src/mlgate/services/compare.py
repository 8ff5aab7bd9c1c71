"""``mlgate compare``: gather both sides (metrics of the working tree, the baseline from git or
a file), compare them with the thresholds, write result.json."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlgate.adapters.actions import GitHubEnv, set_output
from mlgate.adapters.dvc_pipeline import (
    LIST_DVC_YAML,
    commit_dvc_files,
    resolver,
    work_prefix,
    working_tree_dvc_files,
)
from mlgate.adapters.git import CURRENT_BRANCH, Git, commit_reader
from mlgate.adapters.notes import GitHistory, NotesStore
from mlgate.config import DEFAULT_CONFIG, Config, Paths, thresholds_from
from mlgate.console import PRINTING, Console
from mlgate.core.baseline import Baseline, find_baseline
from mlgate.core.changes import data_diff, params_diff, params_files, read_params, tracked_data
from mlgate.core.compare import Comparison, diff
from mlgate.core.folds import Folds
from mlgate.core.metrics import (
    Metric,
    MetricValue,
    Pipeline,
    Reader,
    discover_metrics_files,
    load_metrics,
    qualify,
    read_pipeline,
)
from mlgate.core.result import (
    DataChange,
    HeadInfo,
    ParamChange,
    Result,
    ThresholdsInfo,
    build_result,
    data_change,
    param_change,
)
from mlgate.core.thresholds import (
    Rule,
    default_rules,
    load_thresholds_arg,
    parse_rules,
    thresholds_changes,
)
from mlgate.core.verdict import verdict
from mlgate.errors import GitError, MlgateError, UsageError
from mlgate.services import noise
from mlgate.services.results import save_result
from mlgate.yamlio import LimitError, inside_repo, parse_text, read_text, repo_top


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
        lines += [f"  warning: {warning}" for warning in result.warnings]
        changed = result.thresholds.changed if result.thresholds else ()
        if changed:
            lines.append(f"  thresholds: this PR changes {len(changed)} rule(s); the baseline "
                         "commit's apply until it is merged")
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
    options: CompareOptions, gh: GitHubEnv, console: Console = PRINTING, git: Git | None = None,
    store: NotesStore | None = None,
) -> CompareOutcome:
    """Compare, write result.json, set the ``result-path`` and ``passed`` outputs."""
    path = options.paths.result
    # A compare that fails must not leave the previous run's result for gate and deploy.
    path.unlink(missing_ok=True)
    result = compare(options, gh, console, git, store)
    save_result(path, result)
    set_output("result-path", str(path))
    set_output("passed", "true" if verdict(result).passed else "false")
    outcome = CompareOutcome(result=result, path=path)
    for line in outcome.lines():
        console.out(line)
    return outcome


def working_tree_reader(root: Path) -> Reader:
    top = repo_top(root)

    def read(rel: str) -> str | None:
        path = inside_repo(root / rel, top, rel)
        return read_text(path, rel) if path.is_file() else None

    return read


def working_tree_pipeline(root: Path, read: Reader, git: Git | None = None) -> Pipeline | None:
    """What the working tree's dvc.yaml files list, read as compare reads them (templated
    ones through DVC's resolver); None outside a git repository (the plain dvc.yaml then)."""
    git = git or Git(root)
    try:
        dvc_files = working_tree_dvc_files(git)
    except GitError:
        return None
    return read_pipeline(read, dvc_files, resolver(read), work_prefix(git))


def compare(
    options: CompareOptions, gh: GitHubEnv, console: Console = PRINTING, git: Git | None = None,
    store: NotesStore | None = None,
) -> Result:
    """Gather both sides of the comparison and return the result (``git``: of the working
    directory, which may be a subdirectory of the repository; ``store``: the baseline store,
    by default the git notes of ``git`` and ``options.remote``)."""
    git = git or Git(options.paths.root)
    store = store or NotesStore(git, options.remote)
    # One `git cat-file --batch` serves the reads of both commits; the commands compare
    # will run anyway start now and run in parallel.
    with git.batched(prefetch=_prefetch(options, gh)):
        return _compare(options, gh, console, git, store)


def _prefetch(options: CompareOptions, gh: GitHubEnv) -> list[tuple[str, ...]]:
    if options.baseline_file:
        return []
    commands: list[tuple[str, ...]] = [("remote",), ("ls-files",)]  # store lookup, data diff
    commands.append(LIST_DVC_YAML)  # every dvc.yaml: metrics and params files
    if not gh.head_ref:  # GitHub sets it on pull requests; elsewhere the ref is the branch's
        commands.append(CURRENT_BRANCH)
    return commands


def _compare(
    options: CompareOptions, gh: GitHubEnv, console: Console, git: Git, store: NotesStore
) -> Result:
    config, root = options.config, options.paths.root
    git.require_repo()
    read_head = working_tree_reader(root)
    pipeline = read_pipeline(read_head, working_tree_dvc_files(git), resolver(read_head),
                             work_prefix(git))
    files, _ = discover_metrics_files(
        read_head, config.metrics, list(options.metrics) if options.metrics else None,
        pipeline=pipeline,
    )
    current = load_metrics(files, read_head, missing_ok=False)
    if not current:
        raise UsageError(
            "the metrics files hold no metrics at all: there is nothing to gate",
            where=", ".join(files),
            fix="check that training wrote its metrics (an empty file is never a pass)",
        )
    require = config.requires_baseline(options.require_baseline)
    base = config.base_branch(options.base, gh.pr_base_branch())
    folds = noise.trainer_folds(options.paths.out, current)
    current, evaluation = noise.with_folds(current, folds)
    baseline = _baseline(options, git, store, base, console, folds)
    baseline = _paired(baseline, folds, options, git, store, files, console)
    current, base_metrics = qualify([current, baseline.metrics])
    names = [m.name for m in current] + [m.name for m in base_metrics]
    policy = _thresholds(options, git, baseline, list(dict.fromkeys(names)))
    comparison = diff(
        Comparison(
            current=_values(current),
            baseline=_values(base_metrics) if baseline.found else None,
            rules=policy.rules,
            require_baseline=require,
            files=_files(base_metrics, current),
            evaluation=evaluation,
            informational=policy.informational,
            groups=_fold_groups(folds, evaluation),
            fits=_fits(folds, evaluation),
        )
    )
    params, data = _changes(git, baseline, config, read_head, files, pipeline)
    return build_result(
        name=config.model_name(root),
        head=_head_info(git, gh),
        baseline=baseline.info(),
        comparison=comparison,
        require_baseline=require,
        metrics_files=files,
        params=params,
        data=data,
        warnings=[*baseline.warnings, *policy.warnings],
        thresholds=policy.info,
    )


def _files(baseline: list[Metric], current: list[Metric]) -> dict[str, str]:
    """metric -> its file; a removed metric keeps the baseline's file (the store has none)."""
    files = {m.name: m.file for m in baseline if m.file}
    files.update({m.name: m.file for m in current})
    return files


def _config_rel(options: CompareOptions) -> str | None:
    """The config file's path relative to the working directory (None: outside it)."""
    path = options.config.path
    if path is None:
        return options.config_file or DEFAULT_CONFIG
    try:  # the path as named, not a symlink's target: the merge base's file at this path governs
        named = path.parent.resolve() / path.name
        return named.relative_to(options.paths.root.resolve()).as_posix()
    except ValueError:
        return None


def _config_at(options: CompareOptions, read: Reader, sha: str) -> dict[str, Any] | None:
    """The mapping of mlgate.yaml as committed at ``sha`` (None: no such file there)."""
    rel = _config_rel(options)
    text = read(rel) if rel else None
    if text is None:
        return None
    where = f"{rel} at {sha[:12]}"
    data = parse_text(text, where)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError("the top level must be a mapping of keys", where=where)
    return data


def _files_at(
    options: CompareOptions, sha: str, read: Reader, git: Git | None = None
) -> tuple[list[str], str]:
    """The metrics files of commit ``sha``: its own dvc.yaml / mlgate.yaml ``metrics:`` (so a
    PR that renames its metrics file still finds the baseline's), or ``--metrics``."""
    if options.metrics:
        return list(options.metrics), "--metrics"
    data = _config_at(options, read, sha) or {}
    listed = data.get("metrics")
    if isinstance(listed, str):
        listed = [listed]
    if not (isinstance(listed, list) and all(isinstance(f, str) for f in listed)):
        listed = []
    if listed or git is None:
        return discover_metrics_files(read, listed)
    return discover_metrics_files(read, listed, pipeline=_pipeline_at(git, sha, read))


@dataclass(frozen=True, slots=True)
class Policy:
    """What gates this comparison: the rules, whose they are, the informational globs of the
    same config, and a warning when a config asked for no rules at all."""

    rules: list[Rule]
    info: ThresholdsInfo
    informational: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _thresholds(
    options: CompareOptions, git: Git, baseline: Baseline, names: list[str]
) -> Policy:
    """The rules that apply: the baseline commit's mlgate.yaml governs, unless it says
    ``thresholds-from: head`` or there is none (a first PR); ``--thresholds`` wins over both. On
    the base branch itself (a push) HEAD is merged, reviewed work: its own config governs. A
    governing config without ``thresholds:`` gets the default rules (a PR adding its own
    thresholds to a base without any uses them); ``thresholds: {}`` means no rules, warned."""
    config = options.config
    own = _rules(config, options.thresholds)  # validated even when the baseline's apply
    if options.thresholds:
        return Policy(own, ThresholdsInfo(source="input"), config.informational)
    sha = None if baseline.on_base else baseline.merge_base
    data = _config_at(options, commit_reader(git, sha), sha) if sha else None
    if data is None or thresholds_from(data, None) == "head":
        return _policy(own, config.thresholds_set, config.informational, names,
                       ThresholdsInfo(source="head"), _config_rel(options) or DEFAULT_CONFIG)
    where = f"{_config_rel(options)} at {sha[:12]}"  # type: ignore[index]
    theirs = data.get("thresholds")
    informational = tuple(_str_list(data.get("informational"), f"{where}: informational"))
    changed = tuple(thresholds_changes(theirs or {}, config.thresholds))
    info = ThresholdsInfo(source="baseline", commit=sha, changed=changed)
    if theirs is None and config.thresholds:  # adopting thresholds: the PR's own apply
        return Policy(own, ThresholdsInfo(source="head"), informational)
    rules = parse_rules(theirs or {}, f"{where}: thresholds")
    return _policy(rules, "thresholds" in data, informational, names, info, where)


def _policy(rules: list[Rule], written: bool, informational: tuple[str, ...],
            names: list[str], info: ThresholdsInfo, where: str) -> Policy:
    if not written:
        return Policy(default_rules(names, informational), replace(info, default_rules=True),
                      informational)
    warnings: tuple[str, ...] = ()
    if not rules:
        warnings = (f"`thresholds: {{}}` in {where}: no rule gates these metrics (remove the "
                    "key to get the default rules, or write rules)",)
    return Policy(rules, info, informational, warnings)


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise UsageError("must be a list of glob patterns", where=where)
    return value


def _baseline(
    options: CompareOptions, git: Git, store: NotesStore, base: str, console: Console,
    folds: Folds | None = None,
) -> Baseline:
    config = options.config
    if options.baseline_file:
        return _baseline_from_file(options.baseline_file, base)
    git_head = git.rev("HEAD")
    if not git_head:
        raise UsageError("the repository has no commits yet", where=str(options.paths.root))

    def files_at(read: Reader, sha: str) -> tuple[list[str], str]:
        return _files_at(options, sha, read, git)

    # With `baseline: retrain` this only finds the baseline commit; retraining gives the metrics.
    baseline = find_baseline(
        GitHistory(git, options.remote),
        store,
        head=git_head,
        base=base,
        name=config.model_name(options.paths.root),
        files_at=files_at,
        mode=config.baseline,
    )
    if config.baseline == "retrain" and baseline.merge_base and baseline.merge_base != git_head:
        from mlgate.services.retrain import retrain_metrics

        merge_base = baseline.merge_base
        files, _ = files_at(commit_reader(git, merge_base), merge_base)
        metrics = retrain_metrics(git, merge_base, files, options.config_file, console,
                                  folds=folds)
        baseline = Baseline(found=True, sha=merge_base, source="retrain", base_ref=base,
                            merge_base=merge_base, metrics=metrics, files=tuple(files))
    return baseline


def _paired(
    baseline: Baseline, folds: Folds | None, options: CompareOptions, git: Git,
    store: NotesStore, files: list[str], console: Console,
) -> Baseline:
    """Per-fold scores for the baseline on the PR's folds (services/noise.py)."""

    def retrain(sha: str) -> list[Metric]:
        from mlgate.services.retrain import retrain_metrics  # tempfile, shutil: only if used

        return retrain_metrics(git, sha, files, options.config_file, console, folds=folds)

    name = options.config.model_name(options.paths.root)
    ctx = noise.Pairing(store, name, options.config.baseline, retrain, console)
    return noise.pair_baseline(baseline, folds, ctx)


def _baseline_from_file(file: str, base: str) -> Baseline:
    text = read_text(Path(file), file)
    metrics = load_metrics([file], lambda _p: text, missing_ok=False)
    return Baseline(found=True, sha=None, source="file", base_ref=base, merge_base=None,
                    note=f"metrics read from {file}", metrics=metrics)


def _values(metrics: list[Metric]) -> dict[str, MetricValue]:
    return {m.name: m.value for m in metrics}


def _rules(config: Config, thresholds_arg: str | None) -> list[Rule]:
    if thresholds_arg:
        data, source = load_thresholds_arg(thresholds_arg)
        return parse_rules(data, source)
    return config.rules


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
    git: Git, baseline: Baseline, config: Config, read_head: Reader, metrics_files: list[str],
    pipeline: Pipeline | None = None,
) -> tuple[list[ParamChange], list[DataChange]]:
    # Params and data are diffed against the baseline commit, or the merge base when that
    # has no metrics (a PR that adds the first metrics file still shows its params and data).
    sha = baseline.sha or baseline.merge_base
    if not sha:
        return [], []
    read_base = commit_reader(git, sha)
    files, selected = params_files(read_head, config.params, pipeline)
    try:
        base_files, base_selected = params_files(read_base, config.params,
                                                 _pipeline_at(git, sha, read_base))
    except LimitError:
        raise
    except MlgateError:  # a broken dvc.yaml at the baseline must not break the report
        base_files, base_selected = files, selected
    params = params_diff(read_params(read_base, base_files, base_selected),
                         read_params(read_head, files, selected))
    exclude = set(metrics_files)
    head_files = git.out("ls-files").splitlines()
    data = data_diff(
        tracked_data(read_base, git.ls_files(sha), exclude),
        tracked_data(read_head, head_files, exclude),
    )
    return [param_change(p) for p in params], [data_change(d) for d in data]


def _pipeline_at(git: Git, sha: str, read: Reader) -> Pipeline:
    """What the dvc.yaml files committed at ``sha`` list (templated ones through DVC)."""
    return read_pipeline(read, commit_dvc_files(git, sha), resolver(read), work_prefix(git))


def _fold_groups(folds: Folds | None, evaluation: dict[str, str]) -> dict[str, int]:
    """metric -> scores per repeat (k of k-fold): the spread is taken over repeats."""
    if folds is None or folds.method != "cv" or folds.spec is None:
        return {}
    return dict.fromkeys(evaluation, folds.spec.k)


def _fits(folds: Folds | None, evaluation: dict[str, str]) -> dict[str, int]:
    """metric -> fits the training used (folds.json's ``fits``), shown in the report."""
    fits = folds.extra.get("fits") if folds is not None else None
    if not isinstance(fits, int) or isinstance(fits, bool):
        return {}
    return dict.fromkeys(evaluation, fits)
