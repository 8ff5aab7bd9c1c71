"""When deploy refuses: the gate did not pass, or HEAD is not on the base branch."""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.git import Git
from mlgate.core.result import Result
from mlgate.core.verdict import verdict


@dataclass(frozen=True)
class BranchCheck:
    ok: bool
    detail: str


def gate_refusals(result: Result) -> list[str]:
    """Why result.json does not allow a deploy (empty: it does)."""
    return verdict(result).reasons()


def github_branch_check(gh: GitHubEnv, base: str) -> BranchCheck:
    """On GitHub Actions: only a push to ``refs/heads/<base>`` deploys."""
    want = f"refs/heads/{base}"
    if gh.event_name != "push":
        return BranchCheck(
            ok=False,
            detail=f"the workflow was triggered by {gh.event_name or 'an unknown event'!r}, not "
            f"by a push to {base!r} (deploy runs after merge, on push to the base branch)",
        )
    if gh.ref != want:
        return BranchCheck(
            ok=False, detail=f"the push is to {gh.ref or 'an unknown ref'}, not to {want}"
        )
    return BranchCheck(ok=True, detail=f"push to {want}")


def local_branch_check(git: Git, head: str, base: str, remote: str = "origin") -> BranchCheck:
    """Outside Actions: HEAD is the tip of, or contained in, the local or remote base branch."""
    tips = {
        ref: sha
        for ref in (f"refs/heads/{base}", f"refs/remotes/{remote}/{base}")
        if (sha := git.rev(ref)) is not None
    }
    if not tips:
        return BranchCheck(
            ok=False, detail=f"the base branch {base!r} does not exist here (nor {remote}/{base})"
        )
    for ref, sha in tips.items():
        if sha == head:
            return BranchCheck(ok=True, detail=f"HEAD is the tip of {ref.removeprefix('refs/')}")
    for ref, sha in tips.items():
        if git.is_ancestor(head, sha):
            return BranchCheck(ok=True, detail=f"HEAD is contained in {ref.removeprefix('refs/')}")
    names = " or ".join(ref.removeprefix("refs/") for ref in tips)
    return BranchCheck(ok=False, detail=f"HEAD {head[:12]} is not on the base branch ({names})")


def on_github(gh: GitHubEnv, env: dict[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true" or gh.event_name is not None


def branch_check(
    gh: GitHubEnv, env: dict[str, str], git: Git, head: str, base: str, remote: str
) -> BranchCheck:
    if on_github(gh, env):
        return github_branch_check(gh, base)
    return local_branch_check(git, head, base, remote)
