"""The ``train:`` section of ``mlgate.yaml``: parsing, validation and the choice of trainer.

Pure: no scikit-learn or pandas here, so bad config fails fast and the CLI stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlgate.errors import UsageError

if TYPE_CHECKING:
    from mlgate.core.folds import FoldSpec

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)

BUILTIN_KEYS = (
    "data",
    "target",
    "model",
    "params",
    "task",
    "test-size",
    "cv",
    "repeats",
    "fold-seed",
    "jobs",
    "dask",
    "seed",
    "metrics",
)
ALL_KEYS = (*BUILTIN_KEYS, "command")
# The keys of a user pipeline's train: section (command, or `dvc repro` without it): the
# pipeline runs `repeats` times, run i with MLGATE_SEED = seed + i and MLGATE_REPEAT = i.
EXTERNAL_KEYS = ("command", "repeats", "seed")

# The out-of-the-box evaluation, chosen with bench/bench_soundness.py: 3 x 5-fold, paired with
# the baseline, blocks no seed-only PR and catches clear regressions (docs/training.md).
DEFAULT_CV = 5
DEFAULT_REPEATS = 3
DEFAULT_FOLD_SEED = 0
DEFAULT_JOBS = -1
DASK_ENV = "DASK_SCHEDULER_ADDRESS"
DEFAULT_SEED = 42
# Baseline retraining (services/retrain.py) sets these in the child `mlgate train` so that the
# merge base's command or dvc.yaml runs as often, with the same seeds, as the PR's did: they
# override `train: {repeats, seed}` for the command and dvc trainers.
REPEATS_ENV = "MLGATE_TRAIN_REPEATS"
SEED_ENV = "MLGATE_TRAIN_SEED"
# Bounds of the train: keys (docs/limits.md): numpy's and scikit-learn's random_state is below
# 2**32; cv × repeats fits are made and kept in memory, so both are bounded.
MAX_SEED = 2**32 - 1
MAX_CV = 100
MAX_REPEATS = 100
# The Dask scheduler's protocols (distributed's comm backends); http(s) is its dashboard.
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
DASK_FIX = "write the scheduler's address, e.g. `dask: tcp://scheduler:8786` (not the dashboard)"
DEFAULT_MODELS = {
    CLASSIFICATION: "sklearn.ensemble.HistGradientBoostingClassifier",
    REGRESSION: "sklearn.ensemble.HistGradientBoostingRegressor",
}
CLASSIFICATION_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
)
REGRESSION_METRICS = ("rmse", "mae", "r2")
TASK_METRICS = {CLASSIFICATION: CLASSIFICATION_METRICS, REGRESSION: REGRESSION_METRICS}


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """The built-in trainer's settings, validated (keys as in ``mlgate.yaml``)."""

    data: str
    target: str
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    task: str | None = None
    test_size: float | int | None = None  # a hold-out split instead of cross-validation
    cv: int | None = DEFAULT_CV  # None with a test-size
    repeats: int = DEFAULT_REPEATS
    fold_seed: int = DEFAULT_FOLD_SEED
    jobs: int = DEFAULT_JOBS
    dask: str | None = None  # scheduler address; DASK_SCHEDULER_ADDRESS when absent
    seed: int = DEFAULT_SEED
    metrics: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    where: str = "mlgate.yaml"

    def key(self, name: str) -> str:
        """``mlgate.yaml: train.<name>``, for error messages."""
        return f"{self.where}: train.{name}"


@dataclass(frozen=True, slots=True)
class TrainMode:
    """How ``mlgate train`` trains: ``builtin``, ``command`` or ``dvc-repro``.

    ``repeats`` (command, dvc-repro): how many times the pipeline runs, run i with
    ``MLGATE_SEED`` = ``seed`` + i; None when ``train.repeats`` is not given (one run)."""

    kind: str
    command: str | None = None
    config: TrainConfig | None = None
    repeats: int | None = None
    seed: int = DEFAULT_SEED

    @property
    def seeds(self) -> tuple[int, ...]:
        """``MLGATE_SEED`` of each run."""
        return tuple(self.seed + i for i in range(self.repeats or 1))

    def with_overrides(
        self, folds: FoldSpec | None = None, env: Mapping[str, str] | None = None
    ) -> TrainMode:
        """This mode with the run's overrides merged in (here and nowhere else): for the built-in
        trainer ``--cv/--repeats/--fold-seed`` (``folds``: cross-validation on those folds); for
        the command and dvc trainers ``MLGATE_TRAIN_REPEATS`` / ``MLGATE_TRAIN_SEED`` in ``env``
        (set by baseline retraining) in place of ``train: {repeats, seed}``. The others ignore
        what does not apply to them (the caller says so)."""
        if self.kind == "builtin":
            if folds is None or self.config is None:
                return self
            config = replace(self.config, cv=folds.k, repeats=folds.repeats,
                             fold_seed=folds.fold_seed, test_size=None)
            return replace(self, config=config)
        repeats, seed = (env or {}).get(REPEATS_ENV), (env or {}).get(SEED_ENV)
        if repeats is None and seed is None:
            return self
        try:
            k = int(repeats) if repeats is not None else self.repeats
            s = int(seed) if seed is not None else self.seed
        except ValueError:
            raise UsageError(f"must be whole numbers, got {repeats!r} and {seed!r}",
                             where=f"{REPEATS_ENV}, {SEED_ENV}") from None
        if (k is not None and not 1 <= k <= MAX_REPEATS) or not 0 <= s <= MAX_SEED:
            raise UsageError(f"out of bounds: {k!r} repeats, seed {s!r}",
                             where=f"{REPEATS_ENV}, {SEED_ENV}")
        return replace(self, repeats=k, seed=s)


def _suggest(key: str, choices: tuple[str, ...]) -> str:
    import difflib  # an error message only

    close = difflib.get_close_matches(key, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _required_str(raw: dict[str, Any], key: str, where: str, example: str) -> str:
    value = raw.get(key)
    if value is None:
        raise UsageError(
            f"missing required key {key!r}",
            where=f"{where}: train",
            fix=f"add e.g. `{key}: {example}` under train:",
        )
    if not isinstance(value, str) or not value.strip():
        raise UsageError(
            f"must be a non-empty string, got {value!r}", where=f"{where}: train.{key}"
        )
    return value.strip()


def check_keys(raw: dict[str, Any], where: str) -> None:
    unknown = [str(k) for k in raw if str(k) not in ALL_KEYS]
    if unknown:
        key = unknown[0]
        raise UsageError(
            f"unknown key {key!r} in train:{_suggest(key, ALL_KEYS)}",
            where=f"{where}: train.{key}",
            fix=f"use only: {', '.join(ALL_KEYS)}",
        )


def parse_train_config(raw: dict[str, Any], where: str = "mlgate.yaml") -> TrainConfig:
    """Validate the built-in trainer's ``train:`` section; errors name the key."""
    if not isinstance(raw, dict):
        raise UsageError("must be a mapping", where=f"{where}: train")
    check_keys(raw, where)
    _reject_command(raw, where)
    data = _required_str(raw, "data", where, "data/train.csv")
    target = _required_str(raw, "target", where, "label")
    model = _model(raw.get("model"), where)
    params = _params(raw.get("params") or {}, where)
    task = _task(raw.get("task"), where)
    cv = _cv(raw.get("cv"), where)
    test_size = _test_size(raw, where, cv)
    folds = _folds(raw, where, holdout=test_size is not None)
    seed = _seed(raw.get("seed", DEFAULT_SEED), where)
    metrics = _metric_names(raw.get("metrics"), task, where)
    return TrainConfig(
        data=data,
        target=target,
        model=model,
        params=params,
        task=task,
        test_size=test_size,
        cv=None if test_size is not None else (cv or DEFAULT_CV),
        seed=seed,
        metrics=metrics,
        raw=dict(raw),
        where=where,
        **folds,
    )


def _folds(raw: dict[str, Any], where: str, holdout: bool) -> dict[str, Any]:
    """``repeats``, ``fold-seed``, ``jobs`` and ``dask``, checked."""
    if holdout:
        for key in ("repeats", "fold-seed"):
            if key in raw:
                raise UsageError(
                    f"`{key}` applies to cross-validation, but `test-size` asks for a hold-out",
                    where=f"{where}: train.{key}",
                    fix="drop `test-size` (cross-validation is the default) or drop this key",
                )
    repeats = raw.get("repeats", DEFAULT_REPEATS)
    if not _is_int(repeats) or not 1 <= repeats <= MAX_REPEATS:
        raise UsageError(f"must be a whole number >= 1 and <= {MAX_REPEATS}, got {repeats!r}",
                         where=f"{where}: train.repeats",
                         fix=f"use e.g. `repeats: {DEFAULT_REPEATS}` (each repeat is cv more fits)")
    fold_seed = raw.get("fold-seed", DEFAULT_FOLD_SEED)
    if not _is_int(fold_seed) or not 0 <= fold_seed <= MAX_SEED:
        raise UsageError(f"must be a whole number >= 0 and < 2**32, got {fold_seed!r}",
                         where=f"{where}: train.fold-seed",
                         fix=f"use e.g. `fold-seed: {DEFAULT_FOLD_SEED}`")
    jobs = raw.get("jobs", DEFAULT_JOBS)
    if not _is_int(jobs) or jobs == 0:
        raise UsageError(f"must be a whole number of parallel fits (-1: all cores), got {jobs!r}",
                         where=f"{where}: train.jobs")
    dask = raw.get("dask")
    if dask is not None:
        dask = parse_dask_address(dask, f"{where}: train.dask")
    return {"repeats": repeats, "fold_seed": fold_seed, "jobs": jobs, "dask": dask}


def parse_dask_address(value: Any, where: str) -> str:
    """A Dask scheduler address (``tcp://host:8786``, ``host:8786``, ``tls://…``), stripped;
    anything else (the dashboard's ``http://`` URL, words, a path) is exit 2 naming ``where``."""
    from urllib.parse import urlsplit

    text = value.strip() if isinstance(value, str) else None
    if not text:
        raise UsageError(f"must be a Dask scheduler address, got {value!r}", where=where,
                         fix=DASK_FIX)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme.lower() not in DASK_SCHEMES:
        hint = " (that is the dashboard's web address)" if scheme.lower() in ("http", "https") \
            else ""
        raise UsageError(
            f"{text!r} is not a Dask scheduler address: unknown protocol {scheme!r}{hint}; "
            f"use one of {', '.join(s + '://' for s in DASK_SCHEMES)}",
            where=where, fix=DASK_FIX)
    if scheme.lower() == "inproc":
        return text
    try:
        parts = urlsplit(f"tcp://{rest}")
        port = parts.port
    except ValueError:
        parts, port = None, None
    bad = (parts is None or not parts.hostname or parts.path or parts.query or parts.fragment
           or parts.username or any(c.isspace() for c in rest))
    if bad or (parts is not None and parts.netloc.rsplit("]", 1)[-1].count(":") and port is None):
        raise UsageError(f"{text!r} is not a Dask scheduler address (HOST:PORT)", where=where,
                         fix=DASK_FIX)
    return text


def _runs(raw: dict[str, Any], where: str) -> tuple[int | None, int]:
    """``repeats`` and ``seed`` of a user pipeline's train: section, checked."""
    repeats = raw.get("repeats")
    if repeats is not None and (not _is_int(repeats) or not 1 <= repeats <= MAX_REPEATS):
        raise UsageError(
            f"must be a whole number >= 1 and <= {MAX_REPEATS}, got {repeats!r}",
            where=f"{where}: train.repeats",
            fix="use e.g. `repeats: 5` (each repeat is one more run of the whole training)",
        )
    seed = _seed(raw.get("seed", DEFAULT_SEED), where)
    if repeats is not None and seed + repeats - 1 > MAX_SEED:
        raise UsageError(
            f"seed + repeats - 1 must stay below 2**32, got {seed} + {repeats} - 1",
            where=f"{where}: train.seed", fix=f"use e.g. `seed: {DEFAULT_SEED}`",
        )
    return repeats, seed


def _reject_command(raw: dict[str, Any], where: str) -> None:
    if "command" in raw:
        raise UsageError(
            "`command` runs your own trainer and cannot be combined with the built-in "
            f"trainer's keys ({', '.join(k for k in raw if k not in EXTERNAL_KEYS) or 'none'})",
            where=f"{where}: train.command",
            fix="keep either `command:` (with `repeats:` and `seed:` if you like), or the "
            "built-in keys (data, target, ...)",
        )


def _model(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "." not in value.strip() or " " in value.strip():
        raise UsageError(
            f"must be the import path of an estimator class, got {value!r}",
            where=f"{where}: train.model",
            fix="write e.g. `model: sklearn.ensemble.RandomForestClassifier`",
        )
    return value.strip()


def _params(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise UsageError(
            "must be a mapping of estimator parameters",
            where=f"{where}: train.params",
            fix="write e.g. `params: {max_iter: 200, learning_rate: 0.1}`",
        )
    return dict(value)


def _task(value: Any, where: str) -> str | None:
    if value is not None and value not in TASKS:
        raise UsageError(
            f"unknown task {value!r}",
            where=f"{where}: train.task",
            fix=f"use one of: {', '.join(TASKS)} (or leave it out to infer it from the target)",
        )
    return value


def _cv(value: Any, where: str) -> int | None:
    if value is not None and (not _is_int(value) or not 2 <= value <= MAX_CV):
        raise UsageError(
            f"must be a whole number of folds of at least 2 and at most {MAX_CV}, got {value!r}",
            where=f"{where}: train.cv",
            fix=f"use e.g. `cv: {DEFAULT_CV}`",
        )
    return value


def _seed(value: Any, where: str) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_SEED:
        raise UsageError(
            f"must be a whole number >= 0 and < 2**32, got {value!r}",
            where=f"{where}: train.seed", fix=f"use e.g. `seed: {DEFAULT_SEED}`",
        )
    return value


def _test_size(raw: dict[str, Any], where: str, cv: int | None) -> float | int | None:
    """The hold-out size when ``test-size`` asks for one; None means cross-validation."""
    if "test-size" not in raw:
        return None
    value = raw["test-size"]
    if cv is not None:
        raise UsageError(
            "give either `test-size` (a hold-out split) or `cv` (k-fold), not both",
            where=f"{where}: train.test-size",
        )
    fix = "use a fraction between 0 and 1 (e.g. 0.2) or a number of rows (e.g. 500)"
    if not _is_number(value):
        raise UsageError(
            f"must be a number, got {value!r}", where=f"{where}: train.test-size", fix=fix
        )
    # A float is a fraction of the rows (1.0 is not "one row"); a whole number counts rows.
    if isinstance(value, float):
        if not 0 < value < 1:
            raise UsageError(
                f"a fraction must be between 0 and 1 (both excluded), got {value}",
                where=f"{where}: train.test-size", fix=fix,
            )
        return value
    if value < 1:
        raise UsageError(
            f"must be positive (a number of rows, at least 1), got {value}",
            where=f"{where}: train.test-size", fix=fix,
        )
    return int(value)


def _metric_names(value: Any, task: str | None, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise UsageError(
            "must be a list of metric names",
            where=f"{where}: train.metrics",
            fix="write e.g. `metrics: [accuracy, f1, roc_auc]`",
        )
    known = CLASSIFICATION_METRICS + REGRESSION_METRICS
    for name in value:
        if name not in known:
            raise UsageError(
                f"unknown metric {name!r}{_suggest(name, known)}",
                where=f"{where}: train.metrics",
                fix=f"classification: {', '.join(CLASSIFICATION_METRICS)}; "
                f"regression: {', '.join(REGRESSION_METRICS)}",
            )
    if task is not None:
        check_metrics_for_task(tuple(value), task, where)
    return tuple(dict.fromkeys(value))


def check_metrics_for_task(names: tuple[str, ...], task: str, where: str) -> None:
    wrong = [n for n in names if n not in TASK_METRICS[task]]
    if wrong:
        raise UsageError(
            f"metric(s) {', '.join(wrong)} do not apply to {task}",
            where=f"{where}: train.metrics",
            fix=f"for {task} use: {', '.join(TASK_METRICS[task])}",
        )


def parse_train_section(train: Any, where: str = "mlgate.yaml") -> TrainMode:
    """The ``train:`` section, parsed once when mlgate.yaml is loaded (``Config.train``):
    ``command`` (with ``repeats``/``seed``), ``dvc-repro`` (``repeats``/``seed`` alone: the
    pipeline is dvc.yaml's, services/train.py checks that it is there when training) or
    ``builtin``; errors name the key."""
    if not isinstance(train, dict):
        raise UsageError("must be a mapping", where=f"{where}: train")
    check_keys(train, where)
    if train and set(train) <= set(EXTERNAL_KEYS):
        repeats, seed = _runs(train, where)
        if "command" in train:
            command = train["command"]
            if not isinstance(command, str) or not command.strip():
                raise UsageError(
                    f"must be a non-empty shell command, got {command!r}",
                    where=f"{where}: train.command",
                )
            return TrainMode("command", command=command, repeats=repeats, seed=seed)
        return TrainMode("dvc-repro", command="dvc repro", repeats=repeats, seed=seed)
    return TrainMode("builtin", config=parse_train_config(train, where))


def select_mode(
    train: TrainMode | dict[str, Any] | None,
    *,
    cli_command: str | None,
    has_dvc_yaml: bool,
    where: str = "mlgate.yaml",
) -> TrainMode:
    """Pick the trainer: ``--command``; ``train: {command}``; ``train:`` (built-in); dvc.yaml.
    ``train`` is the parsed section (``Config.train``), or a raw one (parsed here)."""
    if cli_command is not None:
        if not cli_command.strip():
            raise UsageError("is empty", where="--command", fix="give the command to run")
        return TrainMode("command", command=cli_command)
    if train is not None:
        return train if isinstance(train, TrainMode) else parse_train_section(train, where)
    if has_dvc_yaml:
        return TrainMode("dvc-repro", command="dvc repro")
    raise UsageError(
        "nothing to train: no `train:` section and no dvc.yaml",
        where=where,
        fix="add a `train:` section to mlgate.yaml (built-in trainer: data, target; or "
        "`command: python train.py`), add DVC stages in dvc.yaml, or pass --command",
    )
