"""The ``command`` target: run the user's command with the model in its environment.

The command's exit status decides: non-zero is a failed outside deploy (exit 3). Without
``deploy.registry`` mlgate keeps no record of what a command deployed: a re-run runs the
command again, the champion/challenger check has no deployed model to compare with, and there
is nothing to roll back to. With ``registry: github-release`` (or ``gto``) every model the
command deployed is also recorded there, after the command succeeded; the registry then says
what is live, and a rollback fetches the earlier model's files from it and runs the command
with ``MLGATE_ROLLBACK=1``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlgate.core.compare import encode
from mlgate.deploy.base import DeployContext, Deployed, Target
from mlgate.deploy.champion import Champion, challenger_metrics
from mlgate.deploy.rollback import Plan, Registry
from mlgate.errors import ServiceError, UsageError

ROLLBACK_DIR = "rollback"


def metric_env_name(metric: str) -> str:
    return "MLGATE_METRIC_" + re.sub(r"[^A-Za-z0-9]", "_", metric).upper()


def model_env(name: str, version: str, model: Path, result: Path | None, card: Path | None,
              commit: str, result_doc: dict[str, Any]) -> dict[str, str]:
    """The MLGATE_* variables a deploy command (and a verify script) gets."""
    metrics = challenger_metrics(result_doc) if result_doc else {}
    env = {
        "MLGATE_MODEL_NAME": name,
        "MLGATE_MODEL_VERSION": version,
        "MLGATE_MODEL_PATH": str(model),
        "MLGATE_RESULT_PATH": str(result or ""),
        "MLGATE_MODEL_CARD_PATH": str(card or ""),
        "MLGATE_COMMIT": commit,
        "MLGATE_METRICS_JSON": json.dumps(
            {k: encode(v) for k, v in metrics.items()}, sort_keys=True
        ),
    }
    for metric, value in metrics.items():
        env[metric_env_name(metric)] = str(encode(value))
    return env


def command_env(ctx: DeployContext, version: str, card_path: str) -> dict[str, str]:
    """The variables the command gets (besides the inherited environment)."""
    return model_env(ctx.name, version, ctx.model_path, ctx.result_path, Path(card_path),
                     ctx.commit, ctx.result)


def run_user_command(ctx: DeployContext, command: str, extra: dict[str, str], what: str,
                     where: str, fix: str = "see the command's output above") -> None:
    """Run ``command`` in the repository with ``extra`` in its environment; exit 3 on failure,
    naming the command and its exit status."""
    env = {**(ctx.env or os.environ), **extra}
    print(f"mlgate deploy: running `{command}` ({what})", flush=True)
    sys.stderr.flush()
    proc = subprocess.run(command, shell=True, cwd=ctx.root, env=env, check=False)
    if proc.returncode != 0:
        raise ServiceError(
            f"the {what} command failed with exit status {proc.returncode}",
            where=where, fix=fix,
        )


class CommandTarget:
    def __init__(self, ctx: DeployContext) -> None:
        self.ctx = ctx
        self._registry: Target | None = None

    def record(self) -> Target | None:
        """The target that records the command's models (``deploy.registry``), if any."""
        kind = self.ctx.config.registry
        if kind is None or self._registry is not None:
            return self._registry
        from mlgate.deploy.config import make_target

        self._registry = make_target(self.ctx, "registry")
        return self._registry

    def existing(self) -> Deployed | None:
        record = self.record()
        return record.existing() if record else None

    def champion(self) -> Champion | None:
        record = self.record()
        return record.champion() if record else None

    def next_version(self) -> str:
        record = self.record()
        return record.next_version() if record else self.ctx.commit[:12]

    def deploy(self, version: str, card: str) -> Deployed:
        ctx = self.ctx
        command = ctx.config.command or ""
        run_user_command(ctx, command, command_env(ctx, version, str(ctx.card_path)), "deploy",
                         f"deploy.command: {command}",
                         "see the command's output above; nothing else was deployed")
        record = self.record()
        if record is None:
            return Deployed(version=version, url="", detail=f"ran `{command}`")
        try:
            done = record.deploy(version, card)
        except ServiceError as err:
            raise ServiceError(
                f"`{command}` deployed {version}, but recording it in the registry "
                f"({ctx.config.registry}) failed: {err.message}",
                where=err.where, fix=f"{err.fix or 're-run the deploy'}; until then a rollback "
                "does not know about this version",
            ) from err
        return Deployed(version=version, url=done.url,
                        detail=f"ran `{command}`; {done.detail}")

    # -- rollback -----------------------------------------------------------------------------

    def _require_record(self) -> Target:
        record = self.record()
        if record is None:
            raise UsageError(
                "the command target keeps no record of the models it deployed, so there is "
                "nothing to roll back to",
                where="mlgate.yaml: deploy.registry",
                fix="set `deploy: {registry: github-release}` (or gto): every model the command "
                "deploys is then recorded there, and a rollback fetches the earlier one from it",
            )
        return record

    def registry(self) -> Registry:
        return self._require_record().registry()

    def restore(self, plan: Plan) -> Deployed:
        record = self._require_record()
        files = self.fetch(plan.to)
        ctx, command = self.ctx, self.ctx.config.command or ""
        extra = {**files, "MLGATE_ROLLBACK": "1", "MLGATE_ROLLBACK_FROM": plan.source}
        run_user_command(ctx, command, extra, "rollback", f"deploy.command: {command}",
                         f"see the command's output above; {plan.source} is still recorded as "
                         "live")
        done = record.restore(plan)
        return Deployed(version=plan.to, url=done.url,
                        detail=f"ran `{command}` with MLGATE_ROLLBACK=1; {done.detail}")

    def fetch(self, version: str) -> dict[str, str]:
        """The earlier model's files, fetched from its registry entry: the MLGATE_* variables."""
        dest = self.ctx.out / ROLLBACK_DIR / version
        record = self._require_record()
        if self.ctx.config.registry == "gto":
            from mlgate.deploy.fetch import fetch_at_commit

            commit = record.commit_of(version)  # type: ignore[attr-defined]
            model = fetch_at_commit(self.ctx.root, self.ctx.config.model_path, commit or "",
                                    dest)
            return model_env(self.ctx.name, version, model, None, None, commit or "", {})
        saved = record.download(version, dest)  # type: ignore[attr-defined]
        return release_env(self.ctx, version, saved)


def release_env(ctx: DeployContext, version: str, saved: dict[str, Path]) -> dict[str, str]:
    """The MLGATE_* variables for a model downloaded from its release."""
    from mlgate.deploy.github_release import CARD_ASSET, MODEL_JSON_ASSET, RESULT_ASSET

    others = sorted(n for n in saved if n not in (CARD_ASSET, RESULT_ASSET, MODEL_JSON_ASSET))
    name = ctx.model_path.name if ctx.model_path.name in saved else next(iter(others), "")
    if not name:
        raise UsageError(f"the release of {version} has no model file",
                         where=f"release {version}", fix="roll back to another version (--to)")
    result = saved.get(RESULT_ASSET)
    doc: dict[str, Any] = {}
    if result is not None:
        try:
            loaded = json.loads(result.read_text(encoding="utf-8"))
            doc = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            doc = {}
    commit = str((doc.get("head") or {}).get("sha") or "")
    return model_env(ctx.name, version, saved[name], result, saved.get(CARD_ASSET), commit, doc)
