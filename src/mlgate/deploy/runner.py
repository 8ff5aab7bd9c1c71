"""The deploy flow: refuse or ship, in this order.

1. result.json passed and HEAD is on the base branch (else refuse; ``--force`` overrides);
2. this commit was deployed before: report it, change nothing;
3. champion/challenger against the deployed model (same thresholds);
4. version, model card, the target's deploy.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.adapters.actions import GitHubEnv, append_summary, set_output
from mlgate.core.thresholds import Rule
from mlgate.deploy.base import DeployContext, Deployed, Target
from mlgate.deploy.champion import (
    Decision,
    challenger_metrics,
    decide,
    decision_markdown,
    decision_text,
)
from mlgate.deploy.config import make_target
from mlgate.deploy.guard import branch_check, gate_refusals
from mlgate.deploy.model_card import CardInput, render_model_card
from mlgate.deploy.postdeploy import live_before, rollback_target, verify
from mlgate.errors import GateFailed, MlgateError, UsageError
from mlgate.markdown import md


@dataclass
class DeployOutcome:
    deployed: Deployed | None
    forced: list[str] = field(default_factory=list)
    decision: Decision | None = None


def read_model_meta(model_path: Path) -> dict[str, Any] | None:
    """``model.json`` beside the model file (the built-in trainer's contract), when present."""
    meta = model_path.parent / "model.json"
    if not meta.is_file():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot read the model metadata: {err}", where=str(meta)) from err
    return data if isinstance(data, dict) else None


def _warn(text: str) -> None:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning title=mlgate deploy::{text}", file=sys.stderr)
    else:
        print(f"mlgate: warning: {text}", file=sys.stderr)


def _failed_outputs(ctx: DeployContext, err: MlgateError) -> None:
    from mlgate.deploy.postdeploy import VerifyFailed

    failed = err if isinstance(err, VerifyFailed) else None
    set_output("deployed", "false", ctx.gh)
    set_output("version", failed.live if failed else "", ctx.gh)
    set_output("url", failed.url if failed else "", ctx.gh)
    if failed:
        set_output("rolled-back", "true" if failed.rolled_back else "false", ctx.gh)


_FORCE = (
    "or pass --force to deploy anyway (recorded in the logs, the job summary and the model card)"
)


def _refuse(
    ctx: DeployContext, reasons: list[str], headline: str, fix: str, extra_md: str = ""
) -> None:
    bullets = "\n".join(f"- {md(r, 1000, keep_word_underscores=True)}" for r in reasons)
    append_summary(
        f"## mlgate deploy: refused ({ctx.name})\n\n{headline}\n\n{bullets}\n\n{extra_md}", ctx.gh
    )
    raise GateFailed(
        f"deploy refused: {headline}\n" + "\n".join(f"  - {r}" for r in reasons),
        fix=f"{fix}, {_FORCE}",
    )


def check_refusals(ctx: DeployContext, base: str, force: bool) -> list[str]:
    """The reasons to refuse; raises unless ``force`` (then they are returned, to be shown)."""
    if ctx.parsed is None:
        raise UsageError("deploy needs result.json", where=str(ctx.result_path),
                         fix="run `mlgate compare` first")
    reasons = gate_refusals(ctx.parsed)
    result_sha = ctx.parsed.head.sha
    if result_sha and result_sha != ctx.commit:
        _warn(f"result.json was made for commit {str(result_sha)[:12]}, not for HEAD "
              f"{ctx.commit[:12]}: make sure it is this commit's result")
    branch = branch_check(ctx.gh, ctx.env, ctx.git, ctx.commit, base, ctx.config.remote)
    if not branch.ok:
        reasons.append(f"not on the base branch {base!r}: {branch.detail}")
    if reasons and not force:
        _refuse(
            ctx, reasons, "the model ships only when the gate passed, from the base branch",
            "deploy a commit whose gate passed (`mlgate compare` on it), on a push to "
            f"{base!r} (set the base branch with --base or `base:` in mlgate.yaml)",
        )
    for reason in reasons:
        _warn(f"--force: deploying although {reason}")
    return reasons


def challenge(
    ctx: DeployContext, target: Target, rules: list[Rule], force: bool
) -> Decision | None:
    if not ctx.config.champion:
        print("mlgate deploy: champion/challenger check disabled (deploy.champion: false)")
        return None
    decision = decide(challenger_metrics(ctx.result), target.champion(), rules)
    print(decision_text(decision))
    if not decision.passed:
        if not force:
            _refuse(
                ctx, decision.failed_rules, "the new model does not beat the deployed model",
                "improve the model until it passes the thresholds against the deployed one "
                "(shown above)",
                decision_markdown(decision),
            )
        _warn("--force: deploying although the new model does not beat the deployed one")
    append_summary("\n" + decision_markdown(decision, forced=force), ctx.gh)
    return decision


def deploy(ctx: DeployContext, rules: list[Rule], base: str, force: bool) -> DeployOutcome:
    """Refuse (GateFailed) or deploy; on any error the outputs say ``deployed=false``."""
    try:
        return _deploy(ctx, rules, base, force)
    except MlgateError as err:
        _failed_outputs(ctx, err)
        if not isinstance(err, GateFailed):
            append_summary(
                f"## mlgate deploy: failed ({ctx.name})\n\n"
                f"{md(err.render(), 4000, keep_word_underscores=True)}\n",
                ctx.gh,
            )
        raise


def _deploy(ctx: DeployContext, rules: list[Rule], base: str, force: bool) -> DeployOutcome:
    forced = check_refusals(ctx, base, force)
    target = make_target(ctx)
    before = target.existing()
    if before is not None and before.rolled_back:
        append_summary(f"## mlgate deploy: refused ({ctx.name})\n\n{before.version} of this "
                       "commit was deployed, then rolled back\n", ctx.gh)
        raise GateFailed(
            f"deploy refused: {ctx.name} {before.version} of this commit was deployed, then "
            f"rolled back ({before.detail})",
            fix="deploy a new commit, or make this version live again with "
            f"`mlgate deploy --rollback --to {before.version}`",
        )
    if before is not None:
        if ctx.config.verify:
            # Whether an earlier run's verification passed is not taken on trust (that run may
            # have failed it, or stopped before it ran): a re-run verifies again, and a failure
            # is exit 3 again, never "already deployed".
            print(f"mlgate deploy: {ctx.name} {before.version} is already deployed from this "
                  f"commit ({before.detail}); verifying it again (deploy.verify)", flush=True)
            verify(ctx, target, before, rollback_target(ctx, target, before.version))
        else:
            print(f"mlgate deploy: {ctx.name} {before.version} is already deployed from this "
                  f"commit ({before.detail}); nothing to do")
        _report(ctx, before, forced)
        return DeployOutcome(deployed=before, forced=forced)
    decision = challenge(ctx, target, rules, force)
    if decision is not None and not decision.passed:
        forced.append("the new model does not beat the deployed model (champion/challenger)")
    version = ctx.config.version or target.next_version()
    card = render_model_card(
        CardInput(
            name=ctx.name, version=version, commit=ctx.commit, target=ctx.config.target_name,
            result=ctx.result, model=ctx.model_meta, decision=decision, forced=forced,
            commit_url=_commit_url(ctx.gh, ctx.commit), mlgate_version=__version__,
        )
    )
    ctx.forced = list(forced)
    ctx.card_path.parent.mkdir(parents=True, exist_ok=True)
    ctx.card_path.write_text(card, encoding="utf-8")
    print(f"mlgate deploy: model card written to {ctx.card_path}")
    live = live_before(ctx, target)
    done = target.deploy(version, card)
    if ctx.config.verify:
        verify(ctx, target, done, live)
    _report(ctx, done, forced)
    return DeployOutcome(deployed=done, forced=forced, decision=decision)


def _commit_url(gh: GitHubEnv, sha: str) -> str | None:
    return f"{gh.server_url}/{gh.repository}/commit/{sha}" if gh.repository else None


def _report(ctx: DeployContext, done: Deployed, forced: list[str]) -> None:
    set_output("deployed", "true", ctx.gh)
    set_output("version", done.version, ctx.gh)
    set_output("url", done.url, ctx.gh)
    state = "already deployed" if done.already else "deployed"
    where = f" — {done.url}" if done.url else ""
    print(f"mlgate deploy: {ctx.name} {done.version} {state} to {ctx.config.target}{where}")
    lines = [
        "",
        f"## mlgate deploy: {ctx.name} {done.version} {state}",
        "",
        f"- Target: {ctx.config.target}",
        f"- Commit: `{ctx.commit}`",
    ]
    if done.url:
        lines.append(f"- URL: {done.url}")
    if done.detail:
        lines.append(f"- {done.detail}")
    if forced:
        lines += ["", "**Forced deploy** (`--force`) although:"]
        lines += [f"- {md(r, 1000, keep_word_underscores=True)}" for r in forced]
    append_summary("\n".join(lines) + "\n", ctx.gh)
