"""The built-in scikit-learn trainer: load → split → fit → evaluate → save, each timed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.adapters.result_file import write_json
from mlgate.core.folds import FOLDS_FILE, Folds, FoldSpec
from mlgate.core.metrics import DEFAULT_METRICS_FILE
from mlgate.errors import UsageError
from mlgate.formatting import format_number
from mlgate.train import data as data_io
from mlgate.train.config import (
    CLASSIFICATION,
    DEFAULT_MODELS,
    TrainConfig,
    check_metrics_for_task,
    parse_train_config,
)
from mlgate.train.estimator import build_estimator, json_params, resolve_task, to_jsonable
from mlgate.train.pipeline import (
    Columns,
    build_pipeline,
    normalize_categoricals,
    split_columns,
)
from mlgate.train.save import MODEL_DIR, git_commit, model_metadata, save_model, write_metrics
from mlgate.train.scoring import default_metrics, mean_scores, score, unavailable_metrics

Log = Callable[[str], None]
# The sequential stop (services/train.py): given (look r, repeats R, k, the data's sha256, the
# per-fold scores of the first r repeats), why the verdict is already decided, or None to fit
# the next repeat.
EarlyStop = Callable[[int, int, int, str, dict[str, tuple[float, ...]]], "str | None"]


@dataclass
class TrainResult:
    metrics: dict[str, float]
    metrics_path: Path
    model_path: Path
    meta_path: Path
    task: str
    estimator: str
    params: dict[str, Any]  # the estimator's get_params(), JSON-safe
    train_config: dict[str, Any]  # the train: section as given
    rows: int
    timings: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # model.json
    folds: Folds | None = None  # what folds.json holds
    folds_path: Path | None = None


class _Phases:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.timings: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str, starting: str | None = None) -> Iterator[dict[str, str]]:
        """Time a phase; the body may set ``info["done"]`` to say what it did. ``starting`` is
        logged first, for the phases that can take long (so the log shows what is running)."""
        if starting:
            self.log(f"train: {name}: {starting}...")
        info: dict[str, str] = {}
        start = time.perf_counter()
        yield info
        elapsed = time.perf_counter() - start
        self.timings[name] = self.timings.get(name, 0.0) + elapsed
        self.log(f"train: {name}: {info.get('done', 'done')} ({elapsed:.2f}s)")


def _default_log(message: str) -> None:
    print(f"mlgate: {message}", flush=True)


def run_builtin(
    config: TrainConfig | dict[str, Any],
    root: Path,
    out: Path,
    *,
    name: str | None = None,
    metrics_file: str | None = None,
    log: Log = _default_log,
    where: str = "mlgate.yaml",
    early: EarlyStop | None = None,
) -> TrainResult:
    """Train the model described by ``train:`` in ``root``; write metrics and model files.

    ``out`` is mlgate's output directory (the model goes to ``out/model/``); ``metrics_file``
    is relative to ``root`` (default ``metrics.json``); ``name`` is the model's name.
    ``early``: stop fitting repeats once it says the verdict is decided (a PR's training).
    """
    cfg = config if isinstance(config, TrainConfig) else parse_train_config(config, where)
    root = root.resolve()
    _import_libraries()  # before the timed phases, so that they time the work alone
    phases = _Phases(log)
    table = _load(cfg, root, phases)
    plan = _plan(cfg, table, log)
    fitted = _evaluate(cfg, plan, table, phases, early)
    metrics_rel = metrics_file or DEFAULT_METRICS_FILE
    metrics_path = root / metrics_rel
    folds = _folds(cfg, table, fitted, metrics_rel)
    saved = _save(cfg, table, plan, fitted, phases, name=name or root.name, root=root,
                  metrics_path=metrics_path, model_dir=out / MODEL_DIR,
                  folds=(out / FOLDS_FILE, folds))
    log("train: " + ", ".join(f"{k}={_metric_text(v)}" for k, v in fitted.metrics.items()))
    return TrainResult(
        metrics=fitted.metrics,
        metrics_path=metrics_path,
        model_path=saved.model_path,
        meta_path=saved.meta_path,
        task=plan.task,
        estimator=plan.estimator_path,
        params=saved.params,
        train_config=dict(cfg.raw),
        rows=len(table.frame),
        timings=dict(phases.timings),
        meta=saved.meta,
        folds=folds,
        folds_path=out / FOLDS_FILE,
    )


def _folds(cfg: TrainConfig, table: _Table, fitted: _Fitted, metrics_rel: str) -> Folds:
    """What goes to folds.json: the per-fold scores and the folds they were scored on."""
    cv = fitted.evaluation["method"] == "cv"
    repeats = fitted.evaluation.get("repeats", cfg.repeats)
    spec = FoldSpec(cfg.cv or 0, repeats, cfg.fold_seed) if cv else None
    # Every fold's fit and the final model's (a hold-out: the one fit); fewer repeats than
    # configured when the sequential stop decided early (``max_repeats``, ``stopped``).
    fits = (len(next(iter(fitted.scores.values()), ())) if cv else 0) + 1
    extra: dict[str, Any] = {"data": cfg.data, "seed": cfg.seed, "fits": fits}
    if cv:
        extra["stratified"] = fitted.evaluation["stratified"]
        extra["max_repeats"] = cfg.repeats
        if fitted.evaluation.get("stopped"):
            extra["stopped"] = fitted.evaluation["stopped"]
    else:
        extra["test_size"] = cfg.test_size
    return Folds(method="cv" if cv else "holdout", metrics_file=metrics_rel,
                 data_sha256=table.sha256, spec=spec, scores=fitted.scores, extra=extra)


@dataclass
class _Table:
    """The training data, loaded: the frame as read, features and target ready to fit."""

    frame: Any
    sha256: str
    x: Any
    y: Any
    columns: Columns


@dataclass
class _Plan:
    """What will be trained and measured."""

    task: str
    estimator: Any
    estimator_path: str
    metric_names: tuple[str, ...]
    pipeline: Any


@dataclass
class _Fitted:
    metrics: dict[str, float]
    model: Any
    evaluation: dict[str, Any]  # how the metrics were measured (k-fold or hold-out)
    scores: dict[str, tuple[float, ...]]  # per fold (cv), or the one hold-out score


@dataclass
class _Saved:
    model_path: Path
    meta_path: Path
    params: dict[str, Any]
    meta: dict[str, Any]


def _load(cfg: TrainConfig, root: Path, phases: _Phases) -> _Table:
    with phases.phase("load") as info:
        data_path = data_io.resolve_data_path(root, cfg.data, cfg.key("data"))
        frame = data_io.load_table(data_path, cfg.key("data"), root=root)
        sha256 = data_io.file_sha256(data_path)
        x, y, dropped_target = _features_and_target(frame, cfg)
        columns = split_columns(x)
        x = normalize_categoricals(x, columns)
        info["done"] = (
            f"{cfg.data}: {len(frame)} rows x {len(frame.columns)} columns "
            f"({len(columns.numeric)} numeric, {len(columns.categorical)} categorical features)"
        )
        if dropped_target:
            phases.log(
                f"train: dropped {dropped_target} rows whose target {cfg.target!r} is missing"
            )
        if columns.dropped:
            phases.log(f"train: ignoring columns without a default encoding: {columns.dropped}")
    return _Table(frame, sha256, x, y, columns)


def _plan(cfg: TrainConfig, table: _Table, log: Log) -> _Plan:
    """The task, the estimator and the metrics it can produce; logged in one line."""
    task, task_source = resolve_task(cfg, table.y)
    metric_names = _metric_names(cfg, task)
    estimator = build_estimator(cfg, task)
    metric_names = _available(metric_names, estimator, cfg, log)
    estimator_path = cfg.model or DEFAULT_MODELS[task]
    log(
        f"train: {task} ({'from ' + task_source if task_source != 'config' else 'configured'})"
        f" with {estimator_path}; metrics: {', '.join(metric_names)}"
    )
    if task == CLASSIFICATION and table.y.nunique() < 2:
        raise UsageError(
            f"the target {cfg.target!r} has a single class ({table.y.iloc[0]!r}); a classifier "
            "needs at least two",
            where=cfg.key("target"),
            fix="check the data, or set `task: regression` if the target is a number",
        )
    pipeline = build_pipeline(estimator, table.columns)
    return _Plan(task, estimator, estimator_path, metric_names, pipeline)


def _evaluate(cfg: TrainConfig, plan: _Plan, table: _Table, phases: _Phases,
              early: EarlyStop | None = None) -> _Fitted:
    args = (cfg, plan.task, plan.pipeline, table.x, table.y, plan.metric_names, phases)
    if cfg.cv:
        stopped: list[str] = []
        metrics, model, scores, stratified = _cross_validate(
            *args, early=_stopper(early, cfg, table.sha256, stopped, phases.log))
        done = len(next(iter(scores.values()), ())) // cfg.cv
        evaluation: dict[str, Any] = {"method": "cv", "folds": cfg.cv, "repeats": done,
                                      "fold-seed": cfg.fold_seed, "stratified": stratified}
        if stopped:
            evaluation["max_repeats"] = cfg.repeats
            evaluation["stopped"] = stopped[0]
        return _Fitted(metrics, model, evaluation, scores)
    metrics, model = _holdout(*args)
    holdout: dict[str, tuple[float, ...]] = {name: (value,) for name, value in metrics.items()}
    return _Fitted(metrics, model, {"method": "holdout", "test-size": cfg.test_size}, holdout)


def _stopper(early: EarlyStop | None, cfg: TrainConfig, data_sha: str, stopped: list[str],
             log: Log) -> Callable[[int, list[Any]], bool] | None:
    """``run_fits``' stop: asks ``early`` after each repeat; logs and keeps why it stopped."""
    if early is None or not cfg.cv or cfg.repeats < 2:
        return None
    from mlgate.train import crossval

    k = cfg.cv

    def stop(look: int, results: list[Any]) -> bool:
        scores = crossval.fold_scores(crossval.scores_of(results))
        why = early(look, cfg.repeats, k, data_sha, scores)
        if why:
            stopped.append(f"stopped after {look} of {cfg.repeats} repeats: {why}")
            log(f"train: {stopped[-1]}")
        return why is not None

    return stop


def _save(
    cfg: TrainConfig,
    table: _Table,
    plan: _Plan,
    fitted: _Fitted,
    phases: _Phases,
    *,
    name: str,
    root: Path,
    metrics_path: Path,
    model_dir: Path,
    folds: tuple[Path, Folds],
) -> _Saved:
    """Write the metrics file and folds.json, then the model with its model.json."""
    with phases.phase("save") as info:
        write_metrics(metrics_path, fitted.metrics)
        write_json(folds[0], folds[1].to_json())
        params = json_params(plan.estimator)
        meta = model_metadata(
            name=name,
            estimator=plan.estimator_path,
            params=params,
            task=plan.task,
            target=cfg.target,
            data=_data_record(cfg, table),
            metrics=fitted.metrics,
            commit=git_commit(root),
            train_config=to_jsonable(cfg.raw),
            extra=_extra_record(cfg, table, plan, fitted),
        )
        model_path, meta_path = save_model(fitted.model, meta, model_dir)
        info["done"] = f"{_rel(metrics_path, root)}, {_rel(model_path, root)}"
    return _Saved(model_path, meta_path, params, meta)


def _data_record(cfg: TrainConfig, table: _Table) -> dict[str, Any]:
    return {
        "path": cfg.data,
        "sha256": table.sha256,
        "rows": len(table.frame),
        "columns": [str(c) for c in table.frame.columns],
    }


def _extra_record(
    cfg: TrainConfig, table: _Table, plan: _Plan, fitted: _Fitted
) -> dict[str, Any]:
    columns = table.columns
    classes = to_jsonable(list(fitted.model.classes_)) if plan.task == CLASSIFICATION else None
    return {
        "features": {
            "numeric": columns.numeric,
            "categorical": columns.categorical,
            "ignored": columns.dropped,
        },
        "classes": classes,
        "evaluation": {**fitted.evaluation, "seed": cfg.seed},
    }


def _import_libraries() -> None:
    import pandas  # noqa: F401
    import sklearn.compose
    import sklearn.ensemble
    import sklearn.metrics
    import sklearn.model_selection  # noqa: F401


def _metric_text(value: float) -> str:
    """A metric value in the log: 4 decimals."""
    return format_number(value, style="fixed", digits=4, infinity="inf")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _features_and_target(frame: Any, cfg: TrainConfig) -> tuple[Any, Any, int]:
    if cfg.target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:30]))
        more = f" and {len(frame.columns) - 30} more" if len(frame.columns) > 30 else ""
        raise UsageError(
            f"target column {cfg.target!r} is not in {cfg.data}",
            where=cfg.key("target"),
            fix=f"use one of the columns: {shown}{more}",
        )
    if len(frame) == 0:
        raise UsageError(
            f"{cfg.data} has no rows",
            where=cfg.key("data"),
            fix="check the file (and run `mlgate pull` if it is DVC-tracked)",
        )
    known = frame[cfg.target].notna()
    dropped = int((~known).sum())
    if dropped:
        frame = frame[known]
    if len(frame) == 0:
        raise UsageError(
            f"every value of the target column {cfg.target!r} is missing",
            where=cfg.key("target"),
        )
    x = frame.drop(columns=[cfg.target])
    if x.shape[1] == 0:
        raise UsageError(
            f"{cfg.data} has no feature columns besides the target",
            where=cfg.key("data"),
        )
    return x, frame[cfg.target], dropped


def _metric_names(cfg: TrainConfig, task: str) -> tuple[str, ...]:
    if cfg.metrics:
        check_metrics_for_task(cfg.metrics, task, cfg.where)
        return cfg.metrics
    return default_metrics(task)


def _available(
    names: tuple[str, ...], estimator: Any, cfg: TrainConfig, log: Log
) -> tuple[str, ...]:
    missing = unavailable_metrics(names, estimator)
    if not missing:
        return names
    if cfg.metrics:
        raise UsageError(
            f"{type(estimator).__name__} gives no probabilities, so it cannot produce "
            f"{', '.join(missing)}",
            where=f"{cfg.where}: train.metrics",
            fix="drop those metrics, or use an estimator with predict_proba",
        )
    log(f"train: skipping {', '.join(missing)}: {type(estimator).__name__} has no predict_proba")
    return tuple(n for n in names if n not in missing)


def _stratify(task: str, y: Any, folds_or_test: int) -> bool:
    if task != CLASSIFICATION:
        return False
    counts = y.value_counts()
    return bool(counts.min() >= 2 and len(counts) <= folds_or_test)


def _holdout(
    cfg: TrainConfig,
    task: str,
    pipeline: Any,
    x: Any,
    y: Any,
    names: tuple[str, ...],
    phases: _Phases,
) -> tuple[dict[str, float], Any]:
    from sklearn.model_selection import train_test_split

    test_size = cfg.test_size if cfg.test_size is not None else 0.2
    n_test = test_size if isinstance(test_size, int) else int(-(-len(y) * test_size // 1))
    if isinstance(test_size, int) and test_size >= len(y):
        raise UsageError(
            f"test-size {test_size} rows leaves no training rows (the data has {len(y)})",
            where=cfg.key("test-size"),
            fix="use a fraction such as 0.2, or fewer rows",
        )
    with phases.phase("split") as info:
        stratify = y if _stratify(task, y, n_test) else None
        try:
            x_train, x_test, y_train, y_test = train_test_split(
                x, y, test_size=test_size, random_state=cfg.seed, stratify=stratify
            )
        except ValueError as err:
            raise UsageError(
                f"cannot split the data: {err}",
                where=cfg.key("test-size"),
                fix="use a test-size that leaves rows on both sides",
            ) from err
        info["done"] = f"{len(y_train)} train / {len(y_test)} test rows" + (
            ", stratified" if stratify is not None else ""
        )
    what = f"{type(pipeline[-1]).__name__} on {len(y_train)} rows"
    with phases.phase("fit", starting=f"fitting {what}") as info:
        _fit(pipeline, x_train, y_train, cfg)
        info["done"] = what
    with phases.phase("evaluate") as info:
        metrics = score(task, names, pipeline, x_test, y_test)
        info["done"] = f"{len(metrics)} metrics on {len(y_test)} test rows"
    return metrics, pipeline


def _cross_validate(
    cfg: TrainConfig,
    task: str,
    pipeline: Any,
    x: Any,
    y: Any,
    names: tuple[str, ...],
    phases: _Phases,
    early: Callable[[int, list[Any]], bool] | None = None,
) -> tuple[dict[str, float], Any, dict[str, tuple[float, ...]], bool]:
    """Repeated k-fold: every fold fitted and scored, and the final model on all rows (in
    parallel when faster). Returns the mean scores, the model, the per-fold scores and whether
    stratified."""
    from mlgate.train import crossval

    with phases.phase("split") as info:
        plan = crossval.make_splits(cfg, task, x, y)
        info["done"] = plan.text(cfg)
    with phases.phase("fit") as info:
        stops: list[int] = []

        def stop(look: int, done: list[Any]) -> bool:
            decided = early is not None and early(look, done)
            if decided:
                stops.append(look)
            return decided

        results, model = crossval.run_fits(cfg, task, pipeline, x, y, names, plan, phases.log,
                                           stop=stop if early is not None else None)
        busy = sum(r.fit_seconds for r in results)
        info["done"] = f"{len(results)} folds and the final model ({busy:.2f}s of fitting)"
        if stops:
            info["done"] += f"; {len(results) + 1} of {len(plan.splits) + 1} fits"
    with phases.phase("evaluate") as info:
        folds = crossval.scores_of(results)
        scoring = sum(r.score_seconds for r in results)
        info["done"] = (f"{len(folds[0])} metrics: the mean of {len(folds)} folds' scores on "
                        f"their test rows (scored in {scoring:.2f}s)")
    return mean_scores(folds), model, crossval.fold_scores(folds), plan.stratified


def _fit(model: Any, x: Any, y: Any, cfg: TrainConfig) -> None:
    try:
        model.fit(x, y)
    except (ValueError, TypeError) as err:
        raise UsageError(
            f"fitting {type(model[-1]).__name__} failed: {err}",
            where=f"{cfg.where}: train",
            fix="check train.params, train.task and the data's columns",
        ) from err
