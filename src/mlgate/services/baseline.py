"""``mlgate baseline``: the baseline store (git notes under refs/notes/mlgate): record HEAD's
metrics, show a commit's record, push or fetch the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.adapters.git import Git
from mlgate.adapters.notes import NOTES_REF, NotesStore
from mlgate.config import Config, out_dir
from mlgate.console import PRINTING, Console
from mlgate.core.compare import encode
from mlgate.core.folds import LIST_METHODS
from mlgate.core.metrics import MetricValue, discover_metrics_files, load_metrics
from mlgate.core.noise import encode_list
from mlgate.errors import UsageError
from mlgate.services.compare import working_tree_pipeline, working_tree_reader
from mlgate.services.noise import trainer_folds

ACTIONS = ("record", "show", "push", "fetch")


@dataclass(frozen=True)
class BaselineOptions:
    action: str  # one of ACTIONS
    root: Path
    config: Config
    commit: str = "HEAD"
    remote: str = "origin"
    metrics: tuple[str, ...] | None = None  # record: the metrics files (default: as compare)
    push: bool = False  # record: push the store afterwards
    out: Path | None = None  # mlgate's output directory (folds.json); default .mlgate


@dataclass(frozen=True)
class BaselineOutcome:
    sha: str | None  # the commit acted on (None for fetch)
    metrics: int = 0  # record: how many metrics were recorded


def run_baseline(
    options: BaselineOptions, console: Console = PRINTING, git: Git | None = None,
    store: NotesStore | None = None,
) -> BaselineOutcome:
    """``store``: the baseline store, by default the git notes of ``git`` and the remote."""
    git = git or Git(options.root)
    store = store or NotesStore(git, options.remote)
    git.require_repo()
    if options.action == "fetch":
        ok = store.fetch()
        console.out(f"mlgate baseline: {'fetched' if ok else 'no'} {NOTES_REF} from "
                    f"{options.remote}")
        return BaselineOutcome(sha=None)
    sha = git.rev(options.commit)
    if not sha:
        raise UsageError(f"unknown commit {options.commit!r}", where="--commit")
    if options.action == "show":
        _show(store, sha, console)
    elif options.action == "push":
        _push(store, sha, options, console)
    else:
        return record(store, sha, options, console, git)
    return BaselineOutcome(sha=sha)


def _show(store: NotesStore, sha: str, console: Console) -> None:
    note = store.read(sha)
    if not note:
        raise UsageError(
            f"no baseline recorded for {sha[:12]}",
            fix="record one with `mlgate baseline record` (on main, after training)",
        )
    console.out(json.dumps(note, indent=2, sort_keys=True))


def _push(store: NotesStore, sha: str, options: BaselineOptions, console: Console) -> None:
    name = options.config.model_name(options.root)
    entry = store.entry(sha, name)
    if not entry:
        raise UsageError(f"no baseline recorded for {sha[:12]} and model {name!r}")
    store.push(sha, name, entry["metrics"], entry.get("folds"))
    console.out(f"mlgate baseline: pushed {NOTES_REF} to {options.remote}")


def record(
    store: NotesStore, sha: str, options: BaselineOptions, console: Console = PRINTING,
    git: Git | None = None,
) -> BaselineOutcome:
    """Record the working tree's metrics, which must belong to the commit recorded. The
    metrics files are found as ``mlgate compare`` finds them (templated dvc.yaml resolved)."""
    name = options.config.model_name(options.root)
    read = working_tree_reader(options.root)
    cli_metrics = list(options.metrics) if options.metrics else None
    pipeline = None
    if not cli_metrics and not options.config.metrics:
        pipeline = working_tree_pipeline(options.root, read, git)
    files, _ = discover_metrics_files(read, options.config.metrics, cli_metrics,
                                      pipeline=pipeline)
    loaded = load_metrics(files, read, missing_ok=False)
    metrics = {m.name: _stored_value(m.value) for m in loaded}
    out = options.out or out_dir(None, options.root)
    folds = trainer_folds(out, loaded)
    if folds is not None and folds.extra.get("stopped"):
        raise UsageError(
            "the per-fold scores come from a training that stopped early (a PR's sequential "
            f"stop: {folds.extra['stopped']}); a baseline must hold every repeat",
            where=str(out / "folds.json"),
            fix="record the baseline after training on the base branch itself (a push to it), "
            "where the trainer always fits every repeat",
        )
    if options.push:
        # Start from the remote store so that the push is a fast-forward.
        store.fetch()
    listed = folds is not None and folds.method in LIST_METHODS
    record_folds = folds.to_json() if folds is not None and listed else None
    what = "per-run" if folds is not None and folds.method == "repeats" else "per-fold"
    with_folds = f" with the {what} scores ({folds.text()})" if (
        record_folds and folds) else ""
    store.write(sha, name, metrics, record_folds)
    console.out(
        f"mlgate baseline: recorded {len(metrics)} metrics of {name!r}{with_folds} for "
        f"{sha[:12]} in {NOTES_REF}"
    )
    if options.push:
        store.push(sha, name, metrics, record_folds)
        console.out(f"mlgate baseline: pushed {NOTES_REF} to {options.remote}")
    return BaselineOutcome(sha=sha, metrics=len(metrics))


def _stored_value(value: MetricValue) -> Any:
    """A number as result.json writes it; per-fold or per-seed scores as a list."""
    return encode_list(value) if isinstance(value, tuple) else encode(value)
