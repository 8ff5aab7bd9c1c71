"""Repeated k-fold cross-validation, the fits in parallel when that is faster.

The folds come from ``fold-seed`` alone (never from ``seed``), so a PR that changes the model's
seed is scored on the baseline's folds. The fits run in this process, on local processes
through joblib (up to ``jobs``, when the first fit's time says the workers' start pays off), or
on an existing Dask cluster through joblib's Dask backend (``dask:`` or
``DASK_SCHEDULER_ADDRESS``). Each fit is a fresh clone with its own fixed seed and the results
come back in fold order, so the scores are the same wherever they ran.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mlgate.errors import ServiceError, UsageError
from mlgate.train.config import CLASSIFICATION, DASK_ENV, TrainConfig, parse_dask_address
from mlgate.train.scoring import score

Split = tuple[Any, Any]  # (train row positions, test row positions)
CONNECT_TIMEOUT = 30  # seconds to reach the Dask scheduler
# Before Dask's client connects, mlgate checks that the address is a Dask scheduler: a TCP
# connect, then (tcp://) the scheduler's greeting, each within this many seconds. Dask's own
# client reads an HTTP server's answer as a frame of exabytes, and waits forever on a port
# that accepts and never answers.
DASK_PROBE_TIMEOUT = 10.0
DASK_DEFAULT_PORT = 8786
_MAX_GREETING = 64 * 1024 * 1024  # a scheduler's handshake frame is a few hundred bytes
# What starting local worker processes costs before their first fit: a new Python importing
# pandas and scikit-learn (to unpickle the pipeline), measured 3.5 s on an idle 2-core Xeon
# (the workers start side by side); more on a loaded machine, so the estimate errs towards workers.
WORKER_START_SECONDS = 3.5


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
    """The scheduler's address: ``train.dask`` (checked when mlgate.yaml was read), else
    ``DASK_SCHEDULER_ADDRESS`` (checked here: exit 2 naming it); None to fit locally."""
    if cfg.dask:
        return cfg.dask
    env = os.environ.get(DASK_ENV, "").strip()
    return parse_dask_address(env, DASK_ENV) if env else None


def probe_scheduler(address: str, timeout: float) -> str | None:
    """Why ``address`` is not a Dask scheduler that answers (refused, no answer, not Dask's
    protocol), or None. Bounded: the whole probe ends within about ``2 * timeout``."""
    import threading

    outcome: list[str | None] = []
    thread = threading.Thread(target=lambda: outcome.append(_probe(address, timeout)),
                              name="mlgate-dask-probe", daemon=True)
    thread.start()
    thread.join(2 * timeout + 1)
    if not outcome:
        return f"no answer within {2 * timeout + 1:g}s"
    return outcome[0]


def _probe(address: str, timeout: float) -> str | None:
    import socket
    import struct
    from urllib.parse import urlsplit

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    scheme = scheme.lower()
    if scheme in ("inproc", "ucx"):
        return None  # not a TCP socket mlgate can check
    parts = urlsplit(f"tcp://{rest}")
    host, port = parts.hostname or "", parts.port or DASK_DEFAULT_PORT
    where = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        return f"connection refused by {where}"
    except TimeoutError:
        return f"no connection to {where} within {timeout:g}s"
    except OSError as err:
        return f"cannot connect to {where}: {err.strerror or err}"
    with sock:
        if scheme != "tcp":
            return None  # TLS or websockets: Dask's client makes the handshake
        # A scheduler speaks first: its handshake, an 8-byte length and then the frames.
        try:
            head = b""
            while len(head) < 8:
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
        except TimeoutError:
            return (f"{where} accepted the connection but did not greet as a Dask scheduler "
                    f"within {timeout:g}s (a web server, such as the Dask dashboard, or "
                    "another service?)")
        except OSError as err:
            return f"{where} closed the connection: {err.strerror or err}"
    if len(head) < 8:
        return f"{where} closed the connection without a Dask handshake"
    if head.startswith(b"HTTP/"):
        return f"{where} answered as a web server (HTTP), not a Dask scheduler"
    (length,) = struct.unpack("<Q", head)
    if not 0 < length <= _MAX_GREETING:
        return f"{where} does not speak Dask's protocol (its first frame claims {length} bytes)"
    return None


def local_workers(jobs: int, cpus: int) -> int:
    """How many local processes ``jobs`` allows: ``jobs`` itself, or from -1 (all cores) down."""
    return jobs if jobs > 0 else max(1, cpus + 1 + jobs)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the fits after the first one run, with the estimates that decided it."""

    workers: int  # local processes for them; 1: this process
    remaining: int
    first_seconds: float  # the first fit's time, which each remaining fit is estimated at
    here: float  # estimated seconds for them in this process
    there: float  # estimated seconds on the workers, their start included (inf: no workers)

    def text(self) -> str:
        """Where the remaining fits run and why (for the log)."""
        took = f"the first fit took {_duration(self.first_seconds)}"
        if self.workers > 1:
            return (f"{took}: the other {self.remaining} on {self.workers} local processes "
                    f"(about {_duration(self.there)} with starting them; "
                    f"{_duration(self.here)} in this process)")
        if math.isinf(self.there):
            return f"{took}: the other {self.remaining} in this process too"
        return (f"{took}: the other {self.remaining} in this process too (about "
                f"{_duration(self.here)}; starting worker processes would cost more: about "
                f"{_duration(self.there)} in all)")


def place_rest(
    first_seconds: float, remaining: int, workers: int, start_seconds: float
) -> Placement:
    """Where the ``remaining`` fits run, given that the first took ``first_seconds`` and up to
    ``workers`` local processes are allowed: each is estimated to take as long as the first; in
    this process they take ``remaining`` fits' time, on n workers ``start_seconds`` and then
    ceil(remaining / n) fits' time. Workers only when that is shorter (a tie stays here)."""
    workers = min(workers, remaining)
    here = remaining * first_seconds
    if workers <= 1:
        return Placement(1, remaining, first_seconds, here, math.inf)
    there = start_seconds + math.ceil(remaining / workers) * first_seconds
    return Placement(workers if there < here else 1, remaining, first_seconds, here, there)


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


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
    fix = ("check the address (the scheduler's port, usually 8786, not the dashboard's) and "
           "that the scheduler is running (or unset it to fit locally)")
    cause = probe_scheduler(address, DASK_PROBE_TIMEOUT)
    if cause:
        raise ServiceError(f"cannot use the Dask scheduler at {address}: {cause}",
                           where=where, fix=fix)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, MemoryError, ValueError) as err:
        raise ServiceError(
            f"cannot reach the Dask scheduler at {address}: {type(err).__name__}: {err}",
            where=where, fix=fix,
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
    stop: Callable[[int, list[FitResult]], bool] | None = None,
) -> tuple[list[FitResult], Any]:
    """Every fold's fit and score, and the final fit on all rows: on the Dask cluster, or
    locally (see ``_fit_locally``). Returns the folds' results in fold order and the final
    model. ``stop`` (the sequential stop): the fits go repeat by repeat (the final fit with
    the first), and after repeat r ``stop(r, results so far)`` True ends them there."""
    from sklearn.base import clone

    models = [fold_model(clone(pipeline), cfg, i) for i in range(len(plan.splits))]
    fits = [
        Fit(model, x, y, split, task, names)
        for model, split in zip([*models, clone(pipeline)], [*plan.splits, None], strict=True)
    ]
    upto = "up to " if stop is not None and cfg.repeats > 1 else ""
    head = (f"train: fit: fitting {type(pipeline[-1]).__name__} on {upto}{len(plan.splits)} "
            f"folds ({plan.text(cfg)}) and on all {len(y)} rows")
    batches = [fits]
    if stop is not None and cfg.repeats > 1:
        k = len(plan.splits) // cfg.repeats
        folds, final = fits[:-1], fits[-1]
        batches = [[*folds[:k], final], *(folds[i:i + k] for i in range(k, len(folds), k))]
    address = dask_address(cfg)
    results: list[FitResult] = []
    model = None
    with contextlib.ExitStack() as stack:
        run = (_Local(cfg, head, log) if address is None
               else _Dask(cfg, address, head, log, stack))
        for look, batch in enumerate(batches, start=1):
            done = run(batch)
            for result in done:
                _check(cfg, result)
            if look == 1:
                model = done[-1].model
                done = done[:-1]
            results += done
            if stop is not None and look < len(batches) and stop(look, results):
                break
    return results, model


class _Local:
    """Fits in this process or on local workers: the first batch's first fit is timed and
    decides (``place_rest``), later batches go where it went."""

    def __init__(self, cfg: TrainConfig, head: str, log: Callable[[str], None]) -> None:
        self.cfg, self.head, self.log = cfg, head, log
        self.workers: int | None = None

    def __call__(self, fits: list[Fit]) -> list[FitResult]:
        if self.workers is None:
            results, self.workers = _fit_locally(self.cfg, fits, self.head, self.log)
            return results
        if self.workers <= 1:
            return [fit_and_score(*fit.args()) for fit in fits]
        import joblib

        return list(joblib.Parallel(n_jobs=self.workers)(
            joblib.delayed(fit_and_score)(*fit.args()) for fit in fits))


class _Dask:
    """Fits on the Dask cluster (one client for every batch)."""

    def __init__(self, cfg: TrainConfig, address: str, head: str, log: Callable[[str], None],
                 stack: contextlib.ExitStack) -> None:
        import joblib

        client = stack.enter_context(_dask_client(cfg, address))
        stack.enter_context(joblib.parallel_config(backend="dask"))
        workers = len(client.scheduler_info().get("workers", {}))
        log(f"{head}, on the Dask cluster at {address} ({workers} workers)...")

    def __call__(self, fits: list[Fit]) -> list[FitResult]:
        import joblib

        return list(joblib.Parallel(n_jobs=-1)(
            joblib.delayed(fit_and_score)(*fit.args(), nested_sequential=True) for fit in fits))


@dataclass(frozen=True, slots=True)
class Fit:
    """One fit's arguments for ``fit_and_score``."""

    model: Any
    x: Any
    y: Any
    split: Split | None
    task: str
    names: tuple[str, ...]

    def args(self) -> tuple[Any, Any, Any, Split | None, str, tuple[str, ...]]:
        return (self.model, self.x, self.y, self.split, self.task, self.names)


def _fit_locally(
    cfg: TrainConfig, fits: list[Fit], head: str, log: Callable[[str], None]
) -> tuple[list[FitResult], int]:
    """The fits in this process, or the first one here (timed) and the rest on local worker
    processes when ``place_rest`` says that is faster: starting a worker (a new Python
    that imports scikit-learn) costs seconds, more than small data's fits take. Returns the
    results and the processes used (1: this process)."""
    workers = local_workers(cfg.jobs, os.cpu_count() or 1)
    if workers <= 1:
        log(f"{head}, in this process (jobs: {cfg.jobs})...")
        return [fit_and_score(*fit.args()) for fit in fits], 1
    log(f"{head}, the first in this process (its time decides whether the others go to "
        f"{workers} local processes)...")
    start = time.perf_counter()
    first = fit_and_score(*fits[0].args())
    seconds = time.perf_counter() - start
    _check(cfg, first)
    rest = fits[1:]
    placement = place_rest(seconds, len(rest), workers, WORKER_START_SECONDS)
    log(f"train: fit: {placement.text()}")
    if placement.workers <= 1:
        return [first, *(fit_and_score(*fit.args()) for fit in rest)], 1
    import joblib

    return [first, *joblib.Parallel(n_jobs=placement.workers)(
        joblib.delayed(fit_and_score)(*fit.args()) for fit in rest)], placement.workers


def _check(cfg: TrainConfig, result: FitResult) -> None:
    if result.error is not None:
        raise UsageError(result.error, where=f"{cfg.where}: train",
                         fix="check train.params, train.task and the data's columns")


def fold_scores(results: list[dict[str, float]]) -> dict[str, tuple[float, ...]]:
    """Per metric, its score on every fold (in fold order)."""
    return {name: tuple(r[name] for r in results) for name in results[0]}


def scores_of(results: list[FitResult]) -> list[dict[str, float]]:
    return [r.scores for r in results if r.scores is not None]
