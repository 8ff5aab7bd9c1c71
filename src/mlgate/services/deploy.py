"""``mlgate deploy``: ship the model when the gate passed, to github-release, gto or a command;
``mlgate deploy --rollback``: put the previous (or a given) version back."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlgate.adapters.actions import GitHubEnv
from mlgate.config import Config, Paths
from mlgate.deploy.base import DeployContext
from mlgate.deploy.config import DeployConfig, make_target
from mlgate.deploy.postdeploy import RollbackOutcome, rollback
from mlgate.deploy.runner import DeployOutcome, deploy, read_model_meta
from mlgate.services.results import load_result

if TYPE_CHECKING:
    from mlgate.adapters.github import Connect


@dataclass(frozen=True)
class DeployOptions:
    config: Config
    paths: Paths
    result_file: str | None = None  # --result
    force: bool = False
    base: str | None = None  # --base: the branch deploys run on
    target: str | None = None
    version: str | None = None
    stage: str | None = None
    command: str | None = None
    rollback: bool = False  # --rollback
    to: str | None = None  # --to: the version to roll back to (default: the previous one)


def run_deploy(
    options: DeployOptions, gh: GitHubEnv, connect: Connect | None = None
) -> DeployOutcome:
    """``connect``: builds the GitHub client of the github-release target (the command's
    main makes it)."""
    config = options.config
    settings = config.deploy_settings(target=options.target, version=options.version,
                                      stage=options.stage, command=options.command)
    ctx = build_context(options, settings, gh, connect)
    return deploy(ctx, config.rules, config.deploy_base_branch(options.base), options.force)


def run_rollback(
    options: DeployOptions, gh: GitHubEnv, connect: Connect | None = None
) -> RollbackOutcome:
    settings = options.config.deploy_settings(
        target=options.target, stage=options.stage, command=options.command
    )
    ctx = build_context(options, settings, gh, connect)
    return rollback(ctx, make_target(ctx), options.to)


def build_context(
    options: DeployOptions, settings: DeployConfig, gh: GitHubEnv,
    connect: Connect | None = None,
) -> DeployContext:
    from mlgate.adapters.git import Git

    paths, root = options.paths, options.paths.root
    result_path = paths.result_file(options.result_file)
    if not result_path.is_absolute():
        result_path = root / result_path
    # A rollback needs no result.json (it runs from a workflow_dispatch, say).
    parsed = None if options.rollback else load_result(result_path)
    model_path = paths.deploy_model(settings)
    git = Git(root)
    return DeployContext(
        root=root, out=paths.out, name=options.config.model_name(root), commit=git.head(),
        config=settings, parsed=parsed, result_path=result_path.resolve(),
        model_path=model_path,
        model_meta=None if options.rollback else read_model_meta(model_path), gh=gh, git=git,
        metrics_files=options.config.metrics, env=dict(os.environ), github=connect,
    )


