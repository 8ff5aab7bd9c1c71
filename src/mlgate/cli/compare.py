"""Compare metrics with the main-branch baseline and apply the thresholds (writes result.json)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlgate.adapters.actions import GitHubEnv, set_output
from mlgate.adapters.git import Git
from mlgate.config import Config, load_config, out_dir
from mlgate.core.baseline import Baseline, find_baseline
from mlgate.core.changes import data_diff, params_diff, params_files, read_params, tracked_data
from mlgate.core.compare import Comparison, diff
from mlgate.core.metrics import Metric, discover_metrics_files, load_metrics
from mlgate.core.result import build_result, result_path, write_json
from mlgate.core.thresholds import load_thresholds_arg, parse_rules
from mlgate.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base", metavar="REF", help="base branch (default: the PR's base, else main)"
    )
    parser.add_argument(
        "--metrics",
        nargs="+",
        metavar="FILE",
        help="metrics files (default: from dvc.yaml, mlgate.yaml or metrics.json)",
    )
    parser.add_argument(
        "--thresholds",
        metavar="YAML",
        help="thresholds as a YAML file or inline YAML (overrides mlgate.yaml)",
    )
    parser.add_argument(
        "--require-baseline",
        action="store_true",
        default=None,
        help="fail when no baseline is found",
    )
    parser.add_argument(
        "--baseline-file",
        metavar="FILE",
        help="read the baseline metrics from this file instead of git",
    )
    parser.add_argument(
        "--remote",
        metavar="NAME",
        default="origin",
        help="git remote to fetch the base branch and the baseline store from (default: origin)",
    )


def working_tree_reader(root: Path) -> Any:
    def read(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError):
            return None

    return read


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    config = load_config(args.config, root)
    result = compare(root, config, args, GitHubEnv.from_env())
    path = result_path(out_dir(args.out, root))
    write_json(path, result)
    set_output("result-path", str(path))
    set_output("passed", "true" if result["passed"] else "false")
    print_summary(result, path)
    return 0


def compare(root: Path, config: Config, args: argparse.Namespace, gh: GitHubEnv) -> dict[str, Any]:
    """Gather both sides of the comparison and return the result document."""
    git = Git(root)
    git.require_repo()
    read_head = working_tree_reader(root)
    files, _ = discover_metrics_files(read_head, config.metrics, args.metrics)
    current = load_metrics(files, read_head, missing_ok=False)
    rules = _rules(config, args.thresholds)
    require = bool(args.require_baseline) or config.require_baseline
    name = config.model_name(root)
    head = _head_info(git, gh)
    base = args.base or config.base or gh.pr_base_branch() or "main"

    if args.baseline_file:
        baseline = _baseline_from_file(args.baseline_file, base)
    else:
        git_head = git.rev("HEAD")
        if not git_head:
            raise UsageError("the repository has no commits yet", where=str(root))
        # With `baseline: retrain` this only finds the merge base; retraining gives the metrics.
        baseline = find_baseline(
            git,
            head=git_head,
            base=base,
            name=name,
            files=files,
            mode=config.baseline,
            remote=args.remote,
        )
        if config.baseline == "retrain" and baseline.merge_base:
            from mlgate.services.retrain import retrain_metrics

            metrics = retrain_metrics(git, baseline.merge_base, files, args.config)
            baseline = Baseline(
                True, baseline.merge_base, "retrain", base, baseline.merge_base, metrics=metrics
            )

    comparison = diff(
        Comparison(
            current=_values(current),
            baseline=_values(baseline.metrics) if baseline.found else None,
            rules=rules,
            require_baseline=require,
            files={m.name: m.file for m in current},
        )
    )
    params, data = _changes(git, baseline, config, read_head, files)
    return build_result(
        name=name,
        head=head,
        baseline=baseline.to_json(),
        comparison=comparison,
        require_baseline=require,
        metrics_files=files,
        params=params,
        data=data,
    )


def _baseline_from_file(file: str, base: str) -> Baseline:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read the baseline file ({err.strerror})", where=file) from err
    metrics = load_metrics([file], lambda _p: text, missing_ok=False)
    note = f"metrics read from {file}"
    return Baseline(True, None, "file", base, None, note=note, metrics=metrics)


def _values(metrics: list[Metric]) -> dict[str, float]:
    return {m.name: m.value for m in metrics}


def _rules(config: Config, thresholds_arg: str | None) -> list[Any]:
    if thresholds_arg:
        data, source = load_thresholds_arg(thresholds_arg)
        return parse_rules(data, source)
    source = f"{config.path.name if config.path else 'mlgate.yaml'}: thresholds"
    return parse_rules(config.thresholds, source)


def _head_info(git: Git, gh: GitHubEnv) -> dict[str, Any]:
    pr = gh.pull_request() or {}
    pr_head = pr.get("head") or {}
    local = git.rev("HEAD")
    sha = pr_head.get("sha") or local
    # On pull_request events HEAD is GitHub's test merge commit; its subject is not the PR's.
    subject_sha = sha if sha and git.rev(sha) else local
    subject = git.subject(subject_sha) if subject_sha else None
    if pr.get("title") and subject_sha != sha:
        subject = pr["title"]
    return {
        "sha": sha,
        "ref": pr_head.get("ref") or gh.head_ref or git.current_branch(),
        "subject": subject,
    }


def _changes(
    git: Git, baseline: Baseline, config: Config, read_head: Any, metrics_files: list[str]
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


def print_summary(result: dict[str, Any], path: Path) -> None:
    s = result["summary"]
    base = result["baseline"]
    if base["found"]:
        where = f"{base['source']} baseline {str(base['sha'] or '')[:12]}".rstrip()
    else:
        where = "no baseline (absolute rules only)"
    verdict = "PASS" if result["passed"] else "FAIL"
    print(
        f"mlgate compare: {verdict} — {s['metrics']} metrics vs {where}: "
        f"{s['improved']} improved, {s['regressed']} regressed, {s['unchanged']} unchanged, "
        f"{s['new']} new, {s['removed']} removed; rules: {s['rules_passed']} passed, "
        f"{s['rules_failed']} failed, {s['rules_skipped']} skipped"
    )
    if base.get("note"):
        print(f"  note: {base['note']}")
    for rule in result["failed_rules"]:
        print(f"  failed: {rule}")
    print(f"  wrote {path}")
