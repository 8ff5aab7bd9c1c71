"""The baseline's git side: the baseline store (git notes under ``refs/notes/mlgate``) and the
commits a baseline lookup starts from (the base branch, the merge base, deepening a shallow
clone).

``core/baseline.py`` decides which source wins; it gets the two objects here, ``GitHistory``
and ``NotesStore``, through its ``History`` and ``Store`` protocols and runs nothing itself.
Every git command goes through ``adapters/git.Git``, which also gives note writes an author
(the user's identity, else ``github-actions[bot]``, as on a bare runner).

A record (one note per commit, JSON, schema 1)::

    {"schema": 1, "models": {NAME: {"metrics": {...}, "commit": SHA, "recorded_at": ISO,
                                    "mlgate_version": V, "folds": {...}?}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from mlgate import __version__
from mlgate.adapters.git import SHALLOW_FIX, Git, commit_reader, push_failed
from mlgate.errors import UsageError

NOTES_REF = "refs/notes/mlgate"
NOTES_SHORT = "mlgate"
NOTE_SCHEMA = 1
# Compare-and-swap attempts of one note write before giving up (each one retries a race).
NOTE_WRITE_ATTEMPTS = 20
# Attempts of one push of the store (each one after a rejection re-applies our record).
PUSH_ATTEMPTS = 5


# ----- the base branch and the merge base --------------------------------------------------


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
    """The merge base of ``head`` and ``base_sha``; a shallow clone is deepened first."""
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


class GitHistory:
    """``core.baseline.History`` over a checkout: what a baseline lookup asks git."""

    def __init__(self, git: Git, remote: str = "origin") -> None:
        self.git = git
        self.remote = remote

    def resolve_base(self, base: str) -> str:
        return resolve_base(self.git, base, self.remote)

    def merge_base(self, head: str, base_sha: str) -> str:
        return find_merge_base(self.git, head, base_sha, self.remote)

    def first_parent(self, sha: str) -> str | None:
        return self.git.rev(f"{sha}^1")

    def first_parents(self, sha: str, limit: int) -> list[str]:
        return self.git.first_parents(sha, limit)

    def reader(self, sha: str) -> Callable[[str], str | None]:
        return commit_reader(self.git, sha)


# ----- the store ---------------------------------------------------------------------------


def note_payload(
    name: str, metrics: dict[str, Any], commit: str, folds: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A record; ``folds``: the trainer's per-fold scores with their data sha256 and folds
    (a folds.json document, core/folds.py), so that a PR scored on the same folds is paired."""
    from datetime import datetime, timezone  # recording only, as below

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
    """Add or replace this model's entry in the commit's note, keeping other models.

    Atomic against other writers in the same clone (two ``baseline record`` runs for two
    models): the note is rewritten on a private ref and the store moves to it only if it has
    not moved meanwhile (``git update-ref`` compare-and-swap); else it starts again."""
    import random  # recording only: `mlgate compare` does not pay for these imports
    import time

    for attempt in range(NOTE_WRITE_ATTEMPTS):
        if _try_write_note(git, sha, name, metrics, folds):
            return
        time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise UsageError(
        f"could not update {NOTES_REF}: other processes kept changing it "
        f"({NOTE_WRITE_ATTEMPTS} attempts)",
        where=str(git.root),
        fix="run one `mlgate baseline record` at a time per clone, then retry",
    )


def _try_write_note(
    git: Git, sha: str, name: str, metrics: dict[str, Any], folds: dict[str, Any] | None
) -> bool:
    """One compare-and-swap attempt; False when another writer moved the store first."""
    import secrets

    old = git.rev(NOTES_REF)
    private = f"{NOTES_REF}-write-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        if old:
            git.run("update-ref", private, old)
        proc = git.run("notes", f"--ref={private}", "show", sha, check=False)
        existing = _note_models(proc.stdout) if proc.returncode == 0 else {}
        existing.update(note_payload(name, metrics, sha, folds)["models"])
        note = {"schema": NOTE_SCHEMA, "models": existing}
        git.run("notes", f"--ref={private}", "add", "-f", "-F", "-", sha,
                input=json.dumps(note, sort_keys=True, indent=1))
        new = git.out("rev-parse", "--verify", private)
        # An empty old value means "must not exist yet".
        swap = git.run("update-ref", NOTES_REF, new, old or "", check=False)
        return swap.returncode == 0
    finally:
        git.run("update-ref", "-d", private, check=False)


def _note_models(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}  # someone else's note: replaced by ours, as before
    models = data.get("models") if isinstance(data, dict) else None
    return dict(models) if isinstance(models, dict) else {}


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
    for _ in range(PUSH_ATTEMPTS):
        proc = git.run("push", "--quiet", remote, f"{NOTES_REF}:{NOTES_REF}", check=False)
        if proc.returncode == 0:
            return
        last = proc.stderr
        if "rejected" not in last and "fetch first" not in last and "non-fast-forward" not in last:
            break
        fetch_notes(git, remote)
        write_note(git, sha, name, metrics, folds)
    raise push_failed(remote, NOTES_REF, last)


def model_entry(note: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """Model ``name``'s entry of a record, if it is a mapping."""
    entry = ((note or {}).get("models") or {}).get(name)
    return entry if isinstance(entry, dict) else None


class NotesStore:
    """``core.baseline.Store`` over a checkout's git notes, and the writes of
    ``mlgate baseline``."""

    ref = NOTES_REF

    def __init__(self, git: Git, remote: str = "origin") -> None:
        self.git = git
        self.remote = remote

    def available(self) -> bool:
        """Whether there is a store to ask: a local one (kept with its unpushed records;
        ``mlgate baseline fetch`` refreshes it on purpose), else the remote's, fetched."""
        return self.git.rev(NOTES_REF) is not None or self.fetch()

    def fetch(self) -> bool:
        return fetch_notes(self.git, self.remote)

    def read(self, sha: str) -> dict[str, Any] | None:
        """The record of commit ``sha`` (None: none, or a note that is not ours)."""
        return read_note(self.git, sha)

    def entry(self, sha: str, name: str) -> dict[str, Any] | None:
        """Model ``name``'s entry of the record of ``sha`` (metrics, folds, ...)."""
        return model_entry(self.read(sha), name)

    def recorded(self, sha: str, name: str) -> dict[str, Any] | None:
        """The metrics recorded for model ``name`` at commit ``sha``, if any."""
        entry = self.entry(sha, name)
        metrics = entry.get("metrics") if entry else None
        return metrics if isinstance(metrics, dict) else None

    def noted(self) -> set[str]:
        """The commits with a note."""
        return noted_commits(self.git)

    def write(
        self, sha: str, name: str, metrics: dict[str, Any], folds: dict[str, Any] | None = None
    ) -> None:
        write_note(self.git, sha, name, metrics, folds)

    def push(
        self, sha: str, name: str, metrics: dict[str, Any], folds: dict[str, Any] | None = None
    ) -> None:
        push_notes(self.git, self.remote, sha, name, metrics, folds)
