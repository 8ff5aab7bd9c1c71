"""Repeated k-fold cross-validation with the fits in parallel.

The folds come from ``fold-seed`` alone (never from ``seed``), so a PR that changes the model's
seed is scored on the baseline's folds. The fits run through joblib: local processes (``jobs``),
or an existing Dask cluster through joblib's Dask backend (``dask:`` or
``DASK_SCHEDULER_ADDRESS``). Each fit is a fresh clone with the same parameters and the
results come back in fold order, so the scores are the same whichever way they ran.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mlgate.errors import ServiceError, UsageError
from mlgate.train.config import CLASSIFICATION, DASK_ENV, TrainConfig
from mlgate.train.scoring import score

Split = tuple[Any, Any]  # (train row positions, test row positions)
CONNECT_TIMEOUT = 30  # seconds to reach the Dask scheduler


@dataclass(frozen=True)
class Plan:
    splits: list[Split]
    stratified: bool

    def text(self, cfg: TrainConfig) -> str:
        folds = f"{cfg.repeats} × {cfg.cv}-fold" if cfg.repeats > 1 else f"{cfg.cv}-fold"
        return f"{folds}{', stratified' if self.stratified else ''}, fold-seed {cfg.fold_seed}"


def make_splits(cfg: TrainConfig, task: str, x: Any, y: Any) -> Plan:
    """The folds: stratified for classification when every class fills every fold."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    k = cfg.cv or 5
    if k > len(y):
        raise UsageError(
            f"cv: {k} folds need at least {k} rows (the data has {len(y)})",
            where=cfg.key("cv"),
        )
    stratified = task == CLASSIFICATION and int(y.value_counts().min()) >= k
    kind = RepeatedStratifiedKFold if stratified else RepeatedKFold
    splitter = kind(n_splits=k, n_repeats=cfg.repeats, random_state=cfg.fold_seed)
    return Plan(list(splitter.split(x, y)), stratified)


@dataclass
class FitResult:
    """What one fit sends back from its worker (an exception might not survive the trip)."""

    scores: dict[str, float] | None = None  # a fold's scores on its test rows
    model: Any = None  # the final model, fitted on all rows
    fit_seconds: float = 0.0
    score_seconds: float = 0.0
    error: str | None = None


def fit_and_score(
    model: Any,
    x: Any,
    y: Any,
    split: Split | None,
    task: str,
    names: tuple[str, ...],
    nested_sequential: bool = False,
) -> FitResult:
    """One fit (runs in a worker): a fold (fit on its training rows, score its test rows), or,
    with ``split`` None, the final model on all rows. ``nested_sequential``: joblib calls
    inside the fit (scikit-learn's own) run in the worker instead of going back to Dask."""
    if nested_sequential:
        import joblib

        with joblib.parallel_config(backend="sequential"):
            return fit_and_score(model, x, y, split, task, names)
    start = time.perf_counter()
    rows = (x, y) if split is None else (x.iloc[split[0]], y.iloc[split[0]])
    try:
        model.fit(*rows)
    except (ValueError, TypeError) as err:
        return FitResult(error=f"fitting {type(model[-1]).__name__} failed: {err}")
    fitted = time.perf_counter()
    if split is None:
        return FitResult(model=model, fit_seconds=fitted - start)
    scores = score(task, names, model, x.iloc[split[1]], y.iloc[split[1]])
    return FitResult(scores, None, fitted - start, time.perf_counter() - fitted)


def fold_model(model: Any, cfg: TrainConfig, fold: int) -> Any:
    """Fold ``fold``'s model: seeded with its own seed drawn from ``seed`` (unless
    ``params`` fixes ``random_state``), so that the folds' luck is independent and averages
    out over the folds instead of being the same draw 15 times."""
    estimator = model[-1]
    if "random_state" in cfg.params or "random_state" not in estimator.get_params(deep=False):
        return model
    import numpy as np

    state = int(np.random.SeedSequence([cfg.seed, fold]).generate_state(1)[0])
    estimator.set_params(random_state=state)
    return model


def dask_address(cfg: TrainConfig) -> str | None:
    return cfg.dask or os.environ.get(DASK_ENV, "").strip() or None


@contextlib.contextmanager
def backend(cfg: TrainConfig) -> Iterator[str]:
    """Where the fits run (local processes, or the Dask cluster); yields a description."""
    address = dask_address(cfg)
    if address is None:
        workers = cfg.jobs if cfg.jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + cfg.jobs)
        yield f"{workers} local process{'es' if workers > 1 else ''}"
        return
    import joblib

    with _dask_client(cfg, address) as client, joblib.parallel_config(backend="dask"):
        workers = len(client.scheduler_info().get("workers", {}))
        yield f"the Dask cluster at {address} ({workers} workers)"


@contextlib.contextmanager
def _dask_client(cfg: TrainConfig, address: str) -> Iterator[Any]:
    where = cfg.key("dask") if cfg.dask else DASK_ENV
    try:
        from distributed import Client
    except ImportError as err:
        raise UsageError(
            "running the fits on Dask needs dask.distributed, which is not installed",
            where=where,
            fix="install mlgate with the dask extra: pip install 'mlgate[dask]'",
        ) from err
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as err:
        raise ServiceError(
            f"cannot reach the Dask scheduler at {address}: {err}",
            where=where,
            fix="check the address and that the scheduler is running (or unset it to fit "
            "locally)",
        ) from err
    try:
        yield client
    finally:
        client.close()


def run_fits(
    cfg: TrainConfig,
    task: str,
    pipeline: Any,
    x: Any,
    y: Any,
    names: tuple[str, ...],
    plan: Plan,
    log: Callable[[str], None],
) -> tuple[list[FitResult], Any]:
    """Every fold's fit and score, and the final fit on all rows, in parallel. Returns the
    folds' results in fold order and the final model."""
    import joblib
    from sklearn.base import clone

    splits: list[Split | None] = [*plan.splits, None]
    with backend(cfg) as where:
        log(f"train: fit: fitting {type(pipeline[-1]).__name__} on {len(plan.splits)} folds "
            f"({plan.text(cfg)}) and on all {len(y)} rows, on {where}...")
        on_dask = dask_address(cfg) is not None
        models = [fold_model(clone(pipeline), cfg, i) for i in range(len(plan.splits))]
        results = joblib.Parallel(n_jobs=-1 if on_dask else cfg.jobs)(
            joblib.delayed(fit_and_score)(model, x, y, split, task, names, on_dask)
            for model, split in zip([*models, clone(pipeline)], splits, strict=True)
        )
    for result in results:
        if result.error is not None:
            raise UsageError(result.error, where=f"{cfg.where}: train",
                             fix="check train.params, train.task and the data's columns")
    return results[:-1], results[-1].model


def fold_scores(results: list[dict[str, float]]) -> dict[str, tuple[float, ...]]:
    """Per metric, its score on every fold (in fold order)."""
    return {name: tuple(r[name] for r in results) for name in results[0]}


def scores_of(results: list[FitResult]) -> list[dict[str, float]]:
    return [r.scores for r in results if r.scores is not None]
