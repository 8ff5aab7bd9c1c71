"""Finding the baseline of a PR: the merge base with the base branch, and its metrics.

Sources, in order: the metrics files committed at the merge base; the baseline store (git notes
under ``refs/notes/mlgate``, written by ``mlgate baseline record`` on pushes to main), walking
first-parent ancestors of the merge base to the nearest recorded commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mlgate import __version__
from mlgate.adapters.git import SHALLOW_FIX, Git, push_failed
from mlgate.core.metrics import Metric, MetricValue, load_metrics
from mlgate.core.result import BaselineInfo
from mlgate.errors import UsageError

NOTES_REF = "refs/notes/mlgate"
NOTES_SHORT = "mlgate"
# How far back along first parents the store lookup goes.
STORE_WALK_LIMIT = 1000
NOTE_SCHEMA = 1


@dataclass(frozen=True)
class Baseline:
    """The baseline found (or not) and its metrics."""

    found: bool
    sha: str | None
    source: str | None
    base_ref: str | None
    merge_base: str | None
    note: str | None = None
    metrics: list[Metric] = field(default_factory=list)

    def info(self) -> BaselineInfo:
        """What result.json says about it."""
        return BaselineInfo(found=self.found, sha=self.sha, source=self.source,
                            base_ref=self.base_ref, merge_base=self.merge_base, note=self.note)


def resolve_base(git: Git, base: str, remote: str = "origin") -> str:
    """The commit of the base branch: local branch, else remote-tracking, else fetched."""
    for ref in (f"refs/heads/{base}", f"refs/remotes/{remote}/{base}"):
        sha = git.rev(ref)
        if sha:
            return sha
    if git.has_remote(remote) and git.fetch(
        remote, f"+refs/heads/{base}:refs/remotes/{remote}/{base}"
    ):
        sha = git.rev(f"refs/remotes/{remote}/{base}")
        if sha:
            return sha
    sha = git.rev(base)
    if sha:
        return sha
    raise UsageError(
        f"unknown base ref {base!r}: no local branch, no {remote}/{base}, and it could not be "
        "fetched",
        where="--base" if base else "base",
        fix="pass the base branch with --base (or `base:` in mlgate.yaml), and make sure it is "
        "fetched (`fetch-depth: 0` on actions/checkout)",
    )


def find_merge_base(git: Git, head: str, base_sha: str, remote: str = "origin") -> str:
    found = git.merge_base(head, base_sha)
    if found:
        return found
    if git.is_shallow():
        if not git.has_remote(remote):
            raise UsageError(
                "this is a shallow clone and the merge base is not in it", fix=SHALLOW_FIX
            )
        # Deepen: the whole history of HEAD and the base branch.
        if git.fetch(remote, extra=("--unshallow",)):
            found = git.merge_base(head, base_sha)
        if found:
            return found
        raise UsageError(
            "this is a shallow clone and fetching the missing history failed", fix=SHALLOW_FIX
        )
    raise UsageError(
        "HEAD and the base branch have no common ancestor",
        where=f"{head[:12]} vs {base_sha[:12]}",
        fix="check --base; a PR branch must have been created from the base branch",
    )


# ----- the store --------------------------------------------------------------------------


def note_payload(
    name: str, metrics: dict[str, Any], commit: str, folds: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A record; ``folds``: the trainer's per-fold scores with their data sha256 and folds
    (a folds.json document, core/folds.py), so that a PR scored on the same folds is paired."""
    entry = {
        "metrics": metrics,
        "commit": commit,
        "recorded_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "mlgate_version": __version__,
    }
    if folds is not None:
        entry["folds"] = folds
    return {"schema": NOTE_SCHEMA, "models": {name: entry}}


def read_note(git: Git, sha: str) -> dict[str, Any] | None:
    proc = git.run("notes", f"--ref={NOTES_SHORT}", "show", sha, check=False)
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None  # someone else's note: not ours to use
    return data if isinstance(data, dict) and isinstance(data.get("models"), dict) else None


def write_note(
    git: Git, sha: str, name: str, metrics: dict[str, Any], folds: dict[str, Any] | None = None
) -> None:
    """Add or replace this model's entry in the commit's note, keeping other models."""
    existing = read_note(git, sha) or {"schema": NOTE_SCHEMA, "models": {}}
    existing["models"].update(note_payload(name, metrics, sha, folds)["models"])
    git.run(
        "notes",
        f"--ref={NOTES_SHORT}",
        "add",
        "-f",
        "-F",
        "-",
        sha,
        input=json.dumps(existing, sort_keys=True, indent=1),
    )


def noted_commits(git: Git) -> set[str]:
    proc = git.run("notes", f"--ref={NOTES_SHORT}", "list", check=False)
    if proc.returncode != 0:
        return set()
    return {line.split()[1] for line in proc.stdout.splitlines() if len(line.split()) == 2}


def fetch_notes(git: Git, remote: str = "origin") -> bool:
    """Fetch the remote store, replacing the local ref. False when the remote has none."""
    if not git.has_remote(remote):
        return False
    return git.fetch(remote, f"+{NOTES_REF}:{NOTES_REF}")


def push_notes(
    git: Git, remote: str, sha: str, name: str, metrics: dict[str, Any],
    folds: dict[str, Any] | None = None,
) -> None:
    """Push the store; when someone else pushed first, re-apply our record on theirs."""
    last = ""
    for _ in range(5):
        proc = git.run("push", "--quiet", remote, f"{NOTES_REF}:{NOTES_REF}", check=False)
        if proc.returncode == 0:
            return
        last = proc.stderr
        if "rejected" not in last and "fetch first" not in last and "non-fast-forward" not in last:
            break
        fetch_notes(git, remote)
        write_note(git, sha, name, metrics, folds)
    raise push_failed(remote, NOTES_REF, last)


def lookup_store(git: Git, merge_base: str, name: str) -> tuple[str, dict[str, Any]] | None:
    """The nearest first-parent ancestor (merge base included) with a record for ``name``."""
    noted = noted_commits(git)
    if not noted:
        return None
    for sha in git.first_parents(merge_base, STORE_WALK_LIMIT):
        if sha in noted:
            note = read_note(git, sha)
            entry = (note or {}).get("models", {}).get(name)
            if isinstance(entry, dict) and isinstance(entry.get("metrics"), dict):
                return sha, entry["metrics"]
    return None


# ----- lookup -----------------------------------------------------------------------------


def find_baseline(
    git: Git,
    *,
    head: str,
    base: str,
    name: str,
    files: list[str],
    mode: str = "auto",
    remote: str = "origin",
) -> Baseline:
    """Find the baseline metrics of ``head`` against branch ``base`` (see module doc)."""
    base_sha = resolve_base(git, base, remote)
    mb = find_merge_base(git, head, base_sha, remote)
    empty = Baseline(found=False, sha=None, source=None, base_ref=base, merge_base=mb)
    if mode in ("auto", "committed"):
        metrics = load_metrics(files, lambda p: git.show(mb, p), missing_ok=True)
        if metrics:
            return Baseline(found=True, sha=mb, source="committed", base_ref=base, merge_base=mb,
                            metrics=metrics)
    if mode in ("auto", "store"):
        # A fresh CI checkout has no store yet; a local one keeps its unpushed records
        # (`mlgate baseline fetch` refreshes it on purpose).
        if not git.rev(NOTES_REF):
            fetch_notes(git, remote)
        hit = lookup_store(git, mb, name)
        if hit:
            sha, raw = hit
            where = f"baseline store ({NOTES_REF}) at {sha[:12]}"
            metrics = [Metric(k, v, where) for k, v in _decode_store_metrics(raw, where).items()]
            note = (
                None
                if sha == mb
                else (
                    f"the merge base {mb[:12]} has no recorded metrics; used the nearest recorded "
                    f"ancestor {sha[:12]}"
                )
            )
            return Baseline(found=True, sha=sha, source="store", base_ref=base, merge_base=mb,
                            note=note, metrics=metrics)
    return empty


def _decode_store_metrics(raw: dict[str, Any], where: str) -> dict[str, MetricValue]:
    from mlgate.core.metrics import flatten

    return flatten(raw, where)
