"""Noise-aware comparison, the I/O side: the trainer's folds.json on the PR's side, the baseline
store's per-fold scores on the baseline's side, and retraining the merge base on the PR's folds
when the record cannot be paired (SPEC "A gate that does not flap"). The statistics are in
core/noise.py, the folds document in core/folds.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mlgate.adapters.notes import NotesStore
from mlgate.console import Console
from mlgate.core.baseline import Baseline
from mlgate.core.folds import (
    FOLDS_FILE,
    LIST_METHODS,
    Folds,
    attach,
    first_scores,
    parse_folds,
    record_matches,
)
from mlgate.core.metrics import Metric
from mlgate.errors import MlgateError, UsageError
from mlgate.yamlio import load_file

# Retrains a commit on the PR's folds; returns its metrics (per-fold scores attached).
Retrain = Callable[[str], "list[Metric]"]
NO_FOLDS = (
    "the baseline's metrics have no per-fold scores (nothing recorded for {sha} in the "
    "baseline store): compared by the mean, unpaired, noise not measured; record baselines on "
    "main with `mlgate baseline record` to pair them"
)


def read_folds(out: Path) -> Folds | None:
    """``<out>/folds.json`` when the built-in trainer wrote one."""
    path = out / FOLDS_FILE
    if not path.is_file():
        return None
    return parse_folds(load_file(path), str(path))


def trainer_folds(out: Path, metrics: list[Metric]) -> Folds | None:
    """The trainer's folds.json when it belongs to these metrics (a stale one does not)."""
    folds = read_folds(out)
    if folds is None:
        return None
    _, owned = attach(metrics, folds)
    return folds if owned else None


def with_folds(metrics: list[Metric], folds: Folds | None) -> tuple[list[Metric], dict[str, str]]:
    """The PR's metrics with their per-fold scores, and how each trainer metric was measured."""
    if folds is None:
        return metrics, {}
    attached, owned = attach(metrics, folds)
    return attached, {name: folds.method for name in owned}


@dataclass(frozen=True, slots=True)
class Pairing:
    """What pairing the baseline needs: the store, the model's name, the mode, a retrainer."""

    store: NotesStore
    name: str
    mode: str  # baseline: auto | committed | store | retrain
    retrain: Retrain
    console: Console


def pair_baseline(baseline: Baseline, folds: Folds | None, ctx: Pairing) -> Baseline:
    """The baseline with per-fold scores on the PR's folds (or per-run scores with the PR's
    seeds: ``train: {repeats: K}``), when they can be had. (A hold-out has none: its rows say
    so, ``evaluation: holdout``, and the report calls it noise-blind.)"""
    if (folds is None or folds.method not in LIST_METHODS or not baseline.found
            or baseline.sha is None):
        return baseline
    if baseline.source == "retrain":  # retrained on the PR's folds already
        return baseline
    recorded, stored = stored_folds(ctx.store, baseline.sha, ctx.name)
    if not recorded:
        return _noted(baseline, NO_FOLDS.format(sha=baseline.sha[:12]))
    reason = (
        "it has no per-fold scores"
        if stored is None
        else record_matches(stored, folds, baseline.sha, baseline.merge_base)
    )
    if reason is None and stored is not None:
        metrics, owned = attach(baseline.metrics, stored, any_file=True)
        count = None if stored.same_folds(folds) else stored.prefix_of(folds)
        if owned and count is not None:  # the PR stopped early: its repeats are a prefix
            note = (f"the PR's training stopped after {_repeats(folds)} repeats: paired with "
                    f"the first of the baseline's {_repeats(stored)}")
            return _noted(replace(baseline, metrics=first_scores(metrics, count)), note)
        if owned:
            return replace(baseline, metrics=metrics)
        reason = "its per-fold scores are not those of these metrics"
    what = f"the baseline recorded for {baseline.sha[:12]} cannot be paired with the PR: {reason}"
    if ctx.mode not in ("auto", "store") or not baseline.merge_base:
        return _noted(baseline, f"{what}; compared by the mean, unpaired")
    how = "with the PR's seeds" if folds.method == "repeats" else "on the PR's folds"
    return _retrained(baseline, baseline.merge_base, what, ctx, how)


def _retrained(baseline: Baseline, mb: str, what: str, ctx: Pairing, how: str) -> Baseline:
    try:
        metrics = ctx.retrain(mb)
    except MlgateError as err:
        ctx.console.log(f"compare: retraining the merge base failed: {err.message}")
        return _noted(baseline, f"{what}; retraining the merge base {mb[:12]} {how} "
                                f"failed ({err.message}): compared by the mean, unpaired")
    return Baseline(
        found=True, sha=mb, source="retrain", base_ref=baseline.base_ref, merge_base=mb,
        note=f"{what}, so the merge base {mb[:12]} was retrained {how} in this job",
        metrics=metrics,
    )


def stored_folds(store: NotesStore, sha: str, name: str) -> tuple[bool, Folds | None]:
    """Whether the store has a record of ``name`` for ``sha``, and its per-fold scores."""
    entry = store.entry(sha, name)
    if entry is None:
        return False, None
    raw = entry.get("folds")
    if raw is None:
        return True, None
    try:
        return True, parse_folds(raw, f"baseline store record of {sha[:12]}: folds")
    except UsageError:
        return True, None  # a record we cannot read is one we cannot pair with


def _repeats(folds: Folds) -> int | str:
    """How many repeats (cv) or runs (a user pipeline's ``repeats``) the folds hold."""
    if folds.method == "repeats":
        return len(folds.seeds)
    return folds.spec.repeats if folds.spec else "?"


def _noted(baseline: Baseline, text: str) -> Baseline:
    return replace(baseline, note=f"{baseline.note}; {text}" if baseline.note else text)
