"""Finding the baseline of a PR: the merge base with the base branch, and its metrics.

The baseline commit is the merge base of HEAD and the base branch; on the base branch itself
(a push: the merge base is HEAD) it is HEAD's first parent, never HEAD. ``baseline: auto`` takes,
in order: the baseline store's record for that commit (git notes under ``refs/notes/mlgate``,
written by ``mlgate baseline record`` on pushes to main: what main's CI measured), else the
metrics files committed there (those listed by that commit's own dvc.yaml / mlgate.yaml), else
the record of the nearest recorded first-parent ancestor. docs/guarantees.md explains why.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from mlgate import __version__
from mlgate.adapters.git import SHALLOW_FIX, Git, push_failed
from mlgate.core.metrics import Metric, MetricValue, Reader, load_metrics
from mlgate.core.noise import as_number
from mlgate.core.result import BaselineInfo
from mlgate.errors import UsageError

NOTES_REF = "refs/notes/mlgate"
NOTES_SHORT = "mlgate"
# How far back along first parents the store lookup goes.
STORE_WALK_LIMIT = 1000
NOTE_SCHEMA = 1
# Compare-and-swap attempts of one note write before giving up (each one retries a race).
NOTE_WRITE_ATTEMPTS = 20


class Baseline(NamedTuple):
    """The baseline found (or not) and its metrics."""

    found: bool
    sha: str | None
    source: str | None
    base_ref: str | None
    merge_base: str | None
    note: str | None = None
    metrics: list[Metric] = []  # noqa: RUF012 (never mutated: a NamedTuple default)
    warnings: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # the baseline commit's metrics files (committed source)
    on_base: bool = False  # HEAD is on the base branch (a push): merge_base is its first parent

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


def recorded_metrics(git: Git, sha: str, name: str) -> dict[str, Any] | None:
    """The store's record of model ``name`` for commit ``sha``, if any."""
    entry = (read_note(git, sha) or {}).get("models", {}).get(name)
    if isinstance(entry, dict) and isinstance(entry.get("metrics"), dict):
        return entry["metrics"]
    return None


def lookup_store(git: Git, merge_base: str, name: str) -> tuple[str, dict[str, Any]] | None:
    """The nearest first-parent ancestor (merge base included) with a record for ``name``."""
    noted = noted_commits(git)
    if not noted:
        return None
    for sha in git.first_parents(merge_base, STORE_WALK_LIMIT):
        if sha in noted:
            metrics = recorded_metrics(git, sha, name)
            if metrics is not None:
                return sha, metrics
    return None


# ----- lookup -----------------------------------------------------------------------------


# Lists the metrics files of a commit, given a reader of it and its sha: (files, where from).
FilesAt = Callable[[Reader, str], "tuple[list[str], str]"]


def commit_reader(git: Git, sha: str) -> Reader:
    """Reads a path relative to the working directory (``git.root``) at commit ``sha``: git
    resolves ``<sha>:<path>`` from the repository root, ``<sha>:./<path>`` from the working
    directory, which is what a project in a subdirectory needs."""

    def read(path: str) -> str | None:
        rel = path if path.startswith(("./", "../")) else f"./{path}"
        return git.show(sha, rel)

    return read


def baseline_commit(git: Git, head: str, merge_base: str) -> str | None:
    """The commit to compare with: the merge base, or HEAD's first parent when HEAD is on the
    base branch (a push); None for the first commit of the branch."""
    if merge_base != head:
        return merge_base
    return git.rev(f"{head}^1")


def find_baseline(
    git: Git,
    *,
    head: str,
    base: str,
    name: str,
    files_at: FilesAt,
    mode: str = "auto",
    remote: str = "origin",
) -> Baseline:
    """Find the baseline metrics of ``head`` against branch ``base`` (see module doc)."""
    base_sha = resolve_base(git, base, remote)
    merge_base = find_merge_base(git, head, base_sha, remote)
    target = baseline_commit(git, head, merge_base)
    if target is None:
        return Baseline(found=False, sha=None, source=None, base_ref=base, merge_base=head,
                        note=f"{head[:12]} is the first commit of {base}: there is nothing "
                        "before it to compare with", on_base=True)
    files, listed_in = files_at(commit_reader(git, target), target)
    lookup = _Lookup(git, target, base, name, mode, on_base=merge_base == head)
    committed: list[Metric] = []
    if mode in ("auto", "committed"):
        committed = load_metrics(files, commit_reader(git, target), missing_ok=True)
    # A fresh CI checkout has no store yet; a local one keeps its unpushed records
    # (`mlgate baseline fetch` refreshes it on purpose). No store: nothing to ask git about.
    store = mode in ("auto", "store") and (
        git.rev(NOTES_REF) is not None or fetch_notes(git, remote)
    )
    if store:
        recorded = recorded_metrics(git, target, name)
        if recorded is not None:
            return lookup.from_store(target, recorded, committed)
    if committed:
        return lookup.found("committed", target, committed, files=tuple(files))
    if store:
        hit = lookup_store(git, target, name)
        if hit:
            return lookup.from_store(hit[0], hit[1], [])
    return lookup.not_found(files, listed_in)


class _Lookup(NamedTuple):
    git: Git
    target: str  # the baseline commit (merge base, or HEAD's first parent on a push)
    base: str
    name: str
    mode: str
    on_base: bool = False

    def found(self, source: str, sha: str, metrics: list[Metric], note: str | None = None,
              warnings: tuple[str, ...] = (), files: tuple[str, ...] = ()) -> Baseline:
        return Baseline(found=True, sha=sha, source=source, base_ref=self.base,
                        merge_base=self.target, note=note, metrics=metrics, warnings=warnings,
                        files=files, on_base=self.on_base)

    def from_store(self, sha: str, raw: dict[str, Any], committed: list[Metric]) -> Baseline:
        where = f"baseline store ({NOTES_REF}) at {sha[:12]}"
        metrics = [Metric(k, v, "") for k, v in _decode_store_metrics(raw, where).items()]
        note = None
        if sha != self.target:
            note = (f"the merge base {self.target[:12]} has no recorded metrics; used the "
                    f"nearest recorded ancestor {sha[:12]}")
        warnings = _disagreement(self.target, committed, metrics)
        return self.found("store", sha, metrics, note, warnings)

    def not_found(self, files: list[str], listed_in: str) -> Baseline:
        at = self.target[:12]
        looked = []
        if self.mode in ("auto", "committed"):
            looked.append(f"the metrics files committed at {at} ({', '.join(files)}, as "
                          f"listed by {listed_in} there): not found or empty")
        if self.mode in ("auto", "store"):
            looked.append(f"a record of model {self.name!r} in the baseline store ({NOTES_REF}) "
                          f"for {at} or its first-parent ancestors (up to {STORE_WALK_LIMIT}): "
                          "none")
        what = "first parent" if self.on_base else "merge base"
        note = (f"no baseline for the {what} {at} of {self.base}. Looked for "
                + "; and ".join(looked)
                + ". Record one on pushes to the base branch with `mlgate baseline record "
                "--push` (after training), or set `baseline: retrain` in mlgate.yaml to train "
                "the merge base in this job.")
        return Baseline(found=False, sha=None, source=None, base_ref=self.base,
                        merge_base=self.target, note=note, on_base=self.on_base)


def _disagreement(sha: str, committed: list[Metric], recorded: list[Metric]) -> tuple[str, ...]:
    """A warning when the metrics committed at ``sha`` differ from those recorded for it."""
    if not committed:
        return ()
    mine = {m.name: as_number(m.value) for m in recorded}
    differ = [
        f"{m.name} {as_number(m.value):.6g} committed vs {mine[m.name]:.6g} recorded"
        for m in committed
        if m.name in mine and not _same(as_number(m.value), mine[m.name])
    ]
    if not differ:
        return ()
    shown = "; ".join(differ[:5]) + (f"; and {len(differ) - 5} more" if len(differ) > 5 else "")
    return (f"the metrics committed at {sha[:12]} differ from those the baseline store "
            f"recorded for it ({shown}); the recorded ones (what the base branch's CI "
            "measured) were used: the committed file is probably stale",)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _decode_store_metrics(raw: dict[str, Any], where: str) -> dict[str, MetricValue]:
    from mlgate.core.metrics import flatten

    return flatten(raw, where)
