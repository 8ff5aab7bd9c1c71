"""Check the current data for drift from the training data (exit 0 none, 1 drift found)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--current", metavar="FILE", required=True, help="current data (CSV or Parquet)")
    add("--reference", metavar="FILE",
        help="reference data (default: the training data of the deployed model, from its "
             "model JSON; fetched with DVC when not in the workspace)")
    add("--model", metavar="FILE",
        help="the deployed model's JSON (default: .mlgate/model/model.json)")
    add("--name", metavar="NAME",
        help="model name for the report and the drift issue (default: mlgate.yaml's `name`, "
             "else the model JSON's, else the repository directory's)")
    add("--dry-run", action="store_true",
        help="only write drift.json and drift.md and print the report (no job summary, no issue)")


def _config_where(path: Path | None, root: Path) -> str:
    if path is None:
        return "mlgate.yaml"
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _run_url(env: Any) -> str | None:
    safe = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
    if env.repository and env.run_id and safe.fullmatch(env.repository) and env.run_id.isdigit():
        return f"{env.server_url}/{env.repository}/actions/runs/{env.run_id}"
    return None


def _options(args: argparse.Namespace, env: Any) -> Any:
    from mlgate.config import load_config, out_dir
    from mlgate.services.drift import DriftOptions

    root = Path.cwd()
    config = load_config(args.config, root)
    where = _config_where(config.path, root)
    thresholds = config.drift
    trainer = config.train.config if config.train is not None else None
    target = trainer.target if trainer is not None else None
    return DriftOptions(
        root=root, out=out_dir(args.out, root), current=args.current,
        reference=args.reference, model=args.model, thresholds=thresholds,
        exclude=(target,) if isinstance(target, str) else (),
        name=args.name or config.name, config_where=where, run_url=_run_url(env))


def _sync_issue(outcome: Any, env: Any, run_url: str | None) -> str | None:
    """Open, update or close the model's drift issue; its URL (None when there is none)."""
    from mlgate.adapters.github import connector
    from mlgate.services.drift_issue import GitHubIssues, publish_drift_issue

    def tracker() -> GitHubIssues:
        return GitHubIssues.from_api(connector(env.api_url, env.token, env.repository)())

    result = publish_drift_issue(tracker, outcome, run_url)
    if result.number is not None:
        print(f"mlgate drift: issue #{result.number} {result.action} ({result.url})")
    return result.url if result.action != "closed" else None


def _outputs(outcome: Any, env: Any) -> None:
    from mlgate.adapters.actions import set_output

    set_output("drifted", "true" if outcome.drifted else "false", env)
    set_output("drifted-features",
               "\n".join(f.stats.name for f in outcome.result.drifting), env)
    set_output("drift-path", str(outcome.json_path.resolve()), env)
    set_output("report-path", str(outcome.report_path.resolve()), env)


def run(args: argparse.Namespace) -> int:
    from mlgate.adapters.actions import GitHubEnv, append_summary, set_output
    from mlgate.adapters.github import connector
    from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK
    from mlgate.services.drift import run_drift

    env = GitHubEnv.from_env()
    options = _options(args, env)
    outcome = run_drift(options, log=lambda line: print(f"mlgate {line}", file=sys.stderr),
                        gh=env, connect=connector(env.api_url, env.token, env.repository))
    _outputs(outcome, env)
    drifting = [f.stats.name for f in outcome.result.drifting]
    total = len(outcome.result.features)
    head = (f"{len(drifting)} of {total} features drift: {', '.join(drifting[:10])}"
            if drifting else f"no drift in {total} features")
    print(f"mlgate drift: {outcome.name}: {head} ({outcome.json_path})")
    if args.dry_run or not append_summary(outcome.report, env):
        print(outcome.report)
    if not args.dry_run and env.on_github:
        if env.token:
            set_output("issue-url", _sync_issue(outcome, env, options.run_url) or "", env)
        else:
            print("::warning title=mlgate drift::no GITHUB_TOKEN: the drift issue was not "
                  "updated", file=sys.stderr)
    return EXIT_GATE_FAILED if drifting else EXIT_OK
