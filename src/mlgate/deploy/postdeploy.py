"""After a deploy: ``deploy.verify`` and, when it fails, the automatic rollback; and
``mlgate deploy --rollback [--to VERSION]``.

Both roll back through the target's :meth:`~mlgate.deploy.base.Target.restore`, which records
the rollback where the target keeps its models (release notes, stage tag message).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.adapters.actions import append_summary, set_output
from mlgate.deploy.base import DeployContext, Deployed, Target
from mlgate.deploy.command_target import command_env, run_user_command
from mlgate.deploy.rollback import Plan, plan_rollback
from mlgate.errors import MlgateError, ServiceError
from mlgate.markdown import md


class VerifyFailed(ServiceError):
    """``deploy.verify`` failed (exit 3); ``live`` is the version live after the rollback."""

    def __init__(self, message: str, *, where: str, fix: str, live: str, url: str,
                 rolled_back: bool) -> None:
        super().__init__(message, where=where, fix=fix)
        self.live = live
        self.url = url
        self.rolled_back = rolled_back


@dataclass(frozen=True)
class RollbackOutcome:
    rolled_back: bool
    version: str  # live now
    url: str
    source: str  # live before


def live_before(ctx: DeployContext, target: Target) -> str | None:
    """The version live before a deploy, for the automatic rollback (only when verifying)."""
    if not ctx.config.verify or (ctx.config.target == "command" and not ctx.config.registry):
        return None
    return target.registry().live


def rollback_target(ctx: DeployContext, target: Target, version: str) -> str | None:
    """For a re-run that verifies ``version`` again: the version a failed verification rolls
    back to (the one before it, when ``version`` is live), else None (nothing is rolled back)."""
    before = live_before(ctx, target)
    if before != version:
        return None
    try:
        plan = plan_rollback(target.registry(), None, None)
    except MlgateError:
        return None
    return plan.to if plan.changes else None


def verify(ctx: DeployContext, target: Target, done: Deployed, before: str | None) -> None:
    """Run ``deploy.verify`` with the new model's environment; on failure roll back to
    ``before`` and raise VerifyFailed saying what failed and what is live now."""
    script = ctx.config.verify or ""
    env = {**command_env(ctx, done.version, str(ctx.card_path)), "MLGATE_DEPLOY_URL": done.url}
    try:
        run_user_command(ctx, script, env, "verify", f"deploy.verify: {script}")
    except ServiceError as failed:
        live, url, rolled, note = _auto_rollback(ctx, target, done, before)
        raise VerifyFailed(
            f"{failed.message} after {ctx.name} {done.version} was deployed; {note}",
            where=failed.where or "deploy.verify",
            fix="see the verify output above; fix the model or the service and deploy again",
            live=live, url=url, rolled_back=rolled,
        ) from failed
    print(f"mlgate deploy: verify `{script}` passed for {ctx.name} {done.version}")


def _auto_rollback(ctx: DeployContext, target: Target, done: Deployed,
                   before: str | None) -> tuple[str, str, bool, str]:
    """(live now, its URL, whether it was rolled back, what to tell the user)."""
    if ctx.config.target == "command" and not ctx.config.registry:
        return (done.version, done.url, False,
                f"nothing was rolled back (the command target has no deploy.registry to find "
                f"the earlier model in): {done.version} stays live")
    if before is None or before == done.version:
        return (done.version, done.url, False,
                f"there is no earlier version to roll back to: {done.version} stays live")
    print(f"mlgate deploy: verify failed; rolling back {ctx.name} to {before}", flush=True)
    try:
        back = target.restore(Plan(to=before, source=done.version))
    except MlgateError as err:
        return (done.version, done.url, False,
                f"the automatic rollback to {before} failed too ({err.message}): "
                f"{done.version} may still be live; roll back with "
                f"`mlgate deploy --rollback --to {before}`")
    return back.version, back.url, True, f"rolled back automatically: {before} is live now"


def rollback(ctx: DeployContext, target: Target, to: str | None) -> RollbackOutcome:
    """``mlgate deploy --rollback``; on any error the outputs say ``rolled-back=false``."""
    try:
        outcome = _rollback(ctx, target, to)
    except MlgateError as err:
        _outputs(ctx, RollbackOutcome(False, "", "", ""))
        append_summary(f"## mlgate rollback: failed ({ctx.name})\n\n"
                       f"{md(err.render(), 4000, keep_word_underscores=True)}\n", ctx.gh)
        raise
    _outputs(ctx, outcome)
    return outcome


def _rollback(ctx: DeployContext, target: Target, to: str | None) -> RollbackOutcome:
    registry = target.registry()
    plan = plan_rollback(registry, to, ctx.run_id)
    if not plan.changes:
        print(f"mlgate deploy --rollback: {plan.why}; nothing changed")
        outcome = RollbackOutcome(False, plan.to, registry.live_url, plan.source)
        _summary(ctx, outcome, f"nothing changed: {plan.why}")
        return outcome
    print(f"mlgate deploy --rollback: {ctx.name} {plan.source} -> {plan.to} "
          f"({ctx.config.target})", flush=True)
    done = target.restore(plan)
    where = f" — {done.url}" if done.url else ""
    print(f"mlgate deploy --rollback: {ctx.name} {done.version} is live again{where}")
    outcome = RollbackOutcome(True, done.version, done.url, plan.source)
    _summary(ctx, outcome, done.detail)
    return outcome


def _outputs(ctx: DeployContext, outcome: RollbackOutcome) -> None:
    set_output("rolled-back", "true" if outcome.rolled_back else "false", ctx.gh)
    set_output("version", outcome.version, ctx.gh)
    set_output("url", outcome.url, ctx.gh)


def _summary(ctx: DeployContext, outcome: RollbackOutcome, detail: str) -> None:
    head = (f"rolled back from {outcome.source} to {outcome.version}" if outcome.rolled_back
            else f"{outcome.version} is live")
    lines = [f"## mlgate rollback: {ctx.name} {head}", "", f"- Target: {ctx.config.target}"]
    if outcome.url:
        lines.append(f"- URL: {outcome.url}")
    if detail:
        lines.append(f"- {md(detail, 1000, keep_word_underscores=True)}")
    append_summary("\n".join(lines) + "\n", ctx.gh)
