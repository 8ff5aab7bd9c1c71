"""When deploy refuses: the gate did not pass, or HEAD is not on the base branch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.git import Git


@dataclass(frozen=True)
class BranchCheck:
    ok: bool
    detail: str


def gate_refusals(result: dict[str, Any]) -> list[str]:
    """Why result.json does not allow a deploy (empty: it does)."""
    failed = [str(rule) for rule in result.get("failed_rules", [])]
    errors = [str(err) for err in result.get("errors", []) or []]
    if result.get("passed") is True and not failed and not errors:
        return []
    reasons = ["the gate did not pass (result.json: passed is false)"]
    reasons += [f"failed rule: {rule}" for rule in failed]
    reasons += [f"error: {err}" for err in errors if err not in failed]
    return reasons


def github_branch_check(gh: GitHubEnv, base: str) -> BranchCheck:
    """On GitHub Actions: only a push to ``refs/heads/<base>`` deploys."""
    want = f"refs/heads/{base}"
    if gh.event_name != "push":
        return BranchCheck(
            False,
            f"the workflow was triggered by {gh.event_name or 'an unknown event'!r}, not by a "
            f"push to {base!r} (deploy runs after merge, on push to the base branch)",
        )
    if gh.ref != want:
        return BranchCheck(False, f"the push is to {gh.ref or 'an unknown ref'}, not to {want}")
    return BranchCheck(True, f"push to {want}")


def local_branch_check(git: Git, head: str, base: str, remote: str = "origin") -> BranchCheck:
    """Outside Actions: HEAD is the tip of, or contained in, the local or remote base branch."""
    tips = {
        ref: sha
        for ref in (f"refs/heads/{base}", f"refs/remotes/{remote}/{base}")
        if (sha := git.rev(ref)) is not None
    }
    if not tips:
        return BranchCheck(
            False, f"the base branch {base!r} does not exist here (nor {remote}/{base})"
        )
    for ref, sha in tips.items():
        if sha == head:
            return BranchCheck(True, f"HEAD is the tip of {ref.removeprefix('refs/')}")
    for ref, sha in tips.items():
        if git.is_ancestor(head, sha):
            return BranchCheck(True, f"HEAD is contained in {ref.removeprefix('refs/')}")
    names = " or ".join(ref.removeprefix("refs/") for ref in tips)
    return BranchCheck(False, f"HEAD {head[:12]} is not on the base branch ({names})")


def on_github(gh: GitHubEnv, env: dict[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true" or gh.event_name is not None


def branch_check(
    gh: GitHubEnv, env: dict[str, str], git: Git, head: str, base: str, remote: str
) -> BranchCheck:
    if on_github(gh, env):
        return github_branch_check(gh, base)
    return local_branch_check(git, head, base, remote)
