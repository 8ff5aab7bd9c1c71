"""Ship the model when the gate passed: github-release, gto or command; or roll back."""

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
    add("--rollback", action="store_true",
        help="put the previous version back (github-release: it becomes the latest release "
        "again; gto: the stage is assigned to it; command: the command runs with "
        "MLGATE_ROLLBACK=1 and its files); needs no result.json")
    add("--to", metavar="X.Y.Z",
        help="with --rollback: the version to put back (default: the one before the live one)")


def run(args: argparse.Namespace) -> int:
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.adapters.github import connector
    from mlgate.cli.args import project
    from mlgate.errors import UsageError
    from mlgate.services.deploy import DeployOptions, run_deploy, run_rollback

    if args.to is not None and not args.rollback:
        raise UsageError("--to is for --rollback", fix="add --rollback, or drop --to")
    if args.rollback and (args.force or args.model_version or args.result):
        raise UsageError("--rollback does not take --force, --version or --result",
                         fix="use --to VERSION to choose the version to put back")
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
        rollback=args.rollback,
        to=_version(args.to),
    )
    env = GitHubEnv.from_env()
    connect = connector(env.api_url, env.token, env.repository)
    if args.rollback:
        run_rollback(options, env, connect)
    else:
        run_deploy(options, env, connect)
    return 0


def _version(text: str | None) -> str | None:
    from mlgate.deploy.version import normalize_version

    return None if text is None else normalize_version(text, "--to")
