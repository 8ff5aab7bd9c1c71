"""Ship the model when the gate passed: github-release, gto or command."""

from __future__ import annotations

import argparse

from mlgate.deploy.config import TARGETS


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
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.cli.args import project
    from mlgate.services.deploy import DeployOptions, run_deploy

    config, paths = project(args)
    options = DeployOptions(
        config=config,
        paths=paths,
        result_file=args.result,
        force=args.force,
        base=args.base,
        target=args.target,
        version=args.model_version,
        stage=args.stage,
        command=args.command,
    )
    run_deploy(options, GitHubEnv.from_env())
    return 0
