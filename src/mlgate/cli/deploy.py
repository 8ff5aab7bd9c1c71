"""Ship the model when the gate passed: github-release, gto or command."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate.adapters.actions import GitHubEnv
from mlgate.config import load_config, out_dir
from mlgate.core.result import read_result, result_path
from mlgate.core.thresholds import parse_rules
from mlgate.deploy.config import TARGETS, parse_deploy_config


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--target", choices=list(TARGETS),
        help="deploy target (default: deploy.target in mlgate.yaml)")
    add("--result", metavar="FILE", help="result file (default: .mlgate/result.json)")
    add("--force", action="store_true",
        help="deploy even when the gate did not pass, HEAD is not on the base branch or the "
        "deployed model is better (shown in the logs, the job summary and the model card)")
    add("--version", dest="model_version", metavar="X.Y.Z",
        help="version to deploy (default: deploy.version, else the next after the last one)")
    add("--base", metavar="BRANCH",
        help="the branch deploys run on (default: base in mlgate.yaml, else main)")
    add("--stage", metavar="STAGE",
        help="gto: the stage to assign (default: deploy.stage, else prod)")
    add("--command", metavar="CMD",
        help="command target: the command to run (default: deploy.command)")


def run(args: argparse.Namespace) -> int:
    from mlgate.deploy.runner import build_context, deploy

    root = Path.cwd()
    config = load_config(args.config, root)
    where = str(config.path.name if config.path else "mlgate.yaml")
    deploy_config = parse_deploy_config(
        config.deploy,
        where,
        {
            "target": args.target,
            "version": args.model_version,
            "stage": args.stage,
            "command": args.command,
        },
    )
    rules = parse_rules(config.thresholds, f"{where}: thresholds")
    out = out_dir(args.out, root)
    path = result_path(out, args.result)
    if not path.is_absolute():
        path = root / path
    result = read_result(path)
    gh = GitHubEnv.from_env()
    ctx = build_context(
        root, out, config.model_name(root), deploy_config, result, path, config.metrics, gh
    )
    deploy(ctx, rules, args.base or config.base or "main", args.force)
    return 0
