"""The ``command`` target: run the user's command with the model in its environment.

The command's exit status decides: non-zero is a failed outside deploy (exit 3). mlgate keeps no
record of what a command deployed, so a re-run runs the command again and the
champion/challenger check has no deployed model to compare with.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from mlgate.core.compare import encode
from mlgate.deploy.base import DeployContext, Deployed
from mlgate.deploy.champion import Champion, challenger_metrics
from mlgate.errors import ServiceError


def metric_env_name(metric: str) -> str:
    return "MLGATE_METRIC_" + re.sub(r"[^A-Za-z0-9]", "_", metric).upper()


def command_env(ctx: DeployContext, version: str, card_path: str) -> dict[str, str]:
    """The variables the command gets (besides the inherited environment)."""
    metrics = challenger_metrics(ctx.result)
    env = {
        "MLGATE_MODEL_NAME": ctx.name,
        "MLGATE_MODEL_VERSION": version,
        "MLGATE_MODEL_PATH": str(ctx.model_path),
        "MLGATE_RESULT_PATH": str(ctx.result_path),
        "MLGATE_MODEL_CARD_PATH": card_path,
        "MLGATE_COMMIT": ctx.commit,
        "MLGATE_METRICS_JSON": json.dumps(
            {k: encode(v) for k, v in metrics.items()}, sort_keys=True
        ),
    }
    for name, value in metrics.items():
        env[metric_env_name(name)] = str(encode(value))
    return env


class CommandTarget:
    def __init__(self, ctx: DeployContext) -> None:
        self.ctx = ctx

    def existing(self) -> Deployed | None:
        return None

    def champion(self) -> Champion | None:
        return None

    def next_version(self) -> str:
        return self.ctx.commit[:12]

    def deploy(self, version: str, card: str) -> Deployed:
        ctx = self.ctx
        env = {**(ctx.env or os.environ), **command_env(ctx, version, str(ctx.card_path))}
        command = ctx.config.command or ""
        print(f"mlgate deploy: running `{command}`", flush=True)
        sys.stderr.flush()
        proc = subprocess.run(command, shell=True, cwd=ctx.root, env=env, check=False)
        if proc.returncode != 0:
            raise ServiceError(
                f"the deploy command failed with exit status {proc.returncode}",
                where=f"deploy.command: {command}",
                fix="see the command's output above; nothing else was deployed",
            )
        return Deployed(version=version, url="", detail=f"ran `{command}`")
