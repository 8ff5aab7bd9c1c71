"""Finding the baseline of a PR: which commit, and which source of its metrics wins.

The baseline commit is the merge base of HEAD and the base branch; on the base branch itself
(a push: the merge base is HEAD) it is HEAD's first parent, never HEAD. ``baseline: auto`` takes,
in order: the baseline store's record for that commit (git notes under ``refs/notes/mlgate``,
written by ``mlgate baseline record`` on pushes to main: what main's CI measured), else the
metrics files committed there (those listed by that commit's own dvc.yaml / mlgate.yaml), else
the record of the nearest recorded first-parent ancestor. docs/guarantees.md explains why.

Pure: git and the store come in as a ``History`` and a ``Store`` (adapters/notes.py has both,
``GitHistory`` and ``NotesStore``); this module runs nothing itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlgate.core.metrics import Metric, MetricValue, Reader, load_metrics
from mlgate.core.noise import as_number
from mlgate.core.result import BaselineInfo
from mlgate.errors import UsageError

# How far back along first parents the store lookup goes.
STORE_WALK_LIMIT = 1000


class History(Protocol):
    """What the lookup asks git (adapters/notes.GitHistory)."""

    def resolve_base(self, base: str) -> str:
        """The commit of the base branch (a usage error when there is none)."""
        ...

    def merge_base(self, head: str, base_sha: str) -> str:
        """The merge base of the two (a usage error when there is none)."""
        ...

    def first_parent(self, sha: str) -> str | None:
        """The first parent of ``sha``; None for a root commit."""
        ...

    def first_parents(self, sha: str, limit: int) -> Sequence[str]:
        """``sha`` and its first-parent ancestors, nearest first, at most ``limit``."""
        ...

    def reader(self, sha: str) -> Reader:
        """Reads a path (relative to the working directory) as committed at ``sha``."""
        ...


class Store(Protocol):
    """The baseline store (adapters/notes.NotesStore)."""

    @property
    def ref(self) -> str:
        """Where it is kept, for messages (``refs/notes/mlgate``)."""
        ...

    def available(self) -> bool:
        """Whether there is a store to ask (a local one, or the remote's once fetched)."""
        ...

    def noted(self) -> Collection[str]:
        """The commits with a record."""
        ...

    def recorded(self, sha: str, name: str) -> dict[str, Any] | None:
        """The metrics recorded for model ``name`` at commit ``sha``, if any."""
        ...


@dataclass(frozen=True, slots=True)
class Baseline:
    """The baseline found (or not) and its metrics."""

    found: bool
    sha: str | None
    source: str | None
    base_ref: str | None
    merge_base: str | None
    note: str | None = None
    metrics: list[Metric] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # the baseline commit's metrics files (committed source)
    on_base: bool = False  # HEAD is on the base branch (a push): merge_base is its first parent

    def info(self) -> BaselineInfo:
        """What result.json says about it."""
        return BaselineInfo(found=self.found, sha=self.sha, source=self.source,
                            base_ref=self.base_ref, merge_base=self.merge_base, note=self.note)


# ----- lookup -----------------------------------------------------------------------------


# Lists the metrics files of a commit, given a reader of it and its sha: (files, where from).
FilesAt = Callable[[Reader, str], "tuple[list[str], str]"]


def baseline_commit(history: History, head: str, merge_base: str) -> str | None:
    """The commit to compare with: the merge base, or HEAD's first parent when HEAD is on the
    base branch (a push); None for the first commit of the branch."""
    if merge_base != head:
        return merge_base
    return history.first_parent(head)


def lookup_store(
    history: History, store: Store, merge_base: str, name: str
) -> tuple[str, dict[str, Any]] | None:
    """The nearest first-parent ancestor (merge base included) with a record for ``name``."""
    noted = store.noted()
    if not noted:
        return None
    for sha in history.first_parents(merge_base, STORE_WALK_LIMIT):
        if sha in noted:
            metrics = store.recorded(sha, name)
            if metrics is not None:
                return sha, metrics
    return None


def find_baseline(
    history: History,
    store: Store,
    *,
    head: str,
    base: str,
    name: str,
    files_at: FilesAt,
    mode: str = "auto",
) -> Baseline:
    """Find the baseline metrics of ``head`` against branch ``base`` (see module doc)."""
    base_sha = history.resolve_base(base)
    merge_base = history.merge_base(head, base_sha)
    if merge_base == head and base_sha != head:
        raise UsageError(
            f"{base} ({base_sha[:12]}) is ahead of HEAD ({head[:12]}): HEAD has no commits of "
            f"its own on top of {base}, so there is no change to compare with it",
            where="--base / the PR's base branch",
            fix=f"check out the PR's head commit (not an older commit of {base}), or pass "
            "--base with the branch this commit was branched from",
        )
    target = baseline_commit(history, head, merge_base)
    if target is None:
        return Baseline(found=False, sha=None, source=None, base_ref=base, merge_base=head,
                        note=f"{head[:12]} is the first commit of {base}: there is nothing "
                        "before it to compare with", on_base=True)
    read = history.reader(target)
    files, listed_in = files_at(read, target)
    lookup = _Lookup(store.ref, target, base, name, mode, on_base=merge_base == head)
    committed: list[Metric] = []
    if mode in ("auto", "committed"):
        committed = load_metrics(files, read, missing_ok=True)
    # No store (a fresh CI checkout whose remote has none): nothing to ask it.
    asked = mode in ("auto", "store") and store.available()
    if asked:
        recorded = store.recorded(target, name)
        if recorded is not None:
            return lookup.from_store(target, recorded, committed)
    if committed:
        return lookup.found("committed", target, committed, files=tuple(files))
    if asked:
        hit = lookup_store(history, store, target, name)
        if hit:
            return lookup.from_store(hit[0], hit[1], [])
    return lookup.not_found(files, listed_in)


@dataclass(frozen=True, slots=True)
class _Lookup:
    ref: str  # where the store is kept, for messages
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
        where = f"baseline store ({self.ref}) at {sha[:12]}"
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
            looked.append(f"a record of model {self.name!r} in the baseline store ({self.ref}) "
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
