"""The estimator: import it by path, check its params, and work out the task."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlgate.errors import UsageError
from mlgate.train.config import (
    CLASSIFICATION,
    DEFAULT_MODELS,
    REGRESSION,
    TrainConfig,
)

if TYPE_CHECKING:
    import pandas as pd

# An integer target with at most this many distinct values is taken to be class labels.
MAX_INFERRED_CLASSES = 20


def import_estimator_class(path: str, where: str) -> type:
    module_name, _, attr = path.rpartition(".")
    fix = (
        "give the full import path of a scikit-learn-compatible estimator class, e.g. "
        "sklearn.ensemble.RandomForestClassifier (and install the package that provides it)"
    )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise UsageError(
            f"cannot import module {module_name!r}: {err}", where=where, fix=fix
        ) from err
    except Exception as err:  # a broken user module is still bad input
        raise UsageError(
            f"importing {module_name!r} failed: {type(err).__name__}: {err}", where=where, fix=fix
        ) from err
    cls = getattr(module, attr, None)
    if cls is None:
        raise UsageError(f"module {module_name!r} has no {attr!r}", where=where, fix=fix)
    if not isinstance(cls, type) or not all(
        callable(getattr(cls, m, None)) for m in ("fit", "predict", "get_params", "set_params")
    ):
        raise UsageError(
            f"{path} is not a scikit-learn-compatible estimator class (it needs fit, predict, "
            "get_params and set_params)",
            where=where,
            fix=fix,
        )
    return cls


def estimator_kind(estimator: Any) -> str | None:
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(estimator):
        return CLASSIFICATION
    if is_regressor(estimator):
        return REGRESSION
    return None


def infer_task_from_target(y: pd.Series) -> str:
    """Classification for labels (text, booleans, categories, a few integers), else regression."""
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return CLASSIFICATION
    values = y.dropna()
    if values.empty:
        return REGRESSION
    integral = pd.api.types.is_integer_dtype(values) or bool(
        (values.astype("float64") % 1 == 0).all()
    )
    if integral and values.nunique() <= MAX_INFERRED_CLASSES:
        return CLASSIFICATION
    return REGRESSION


def resolve_task(config: TrainConfig, y: pd.Series) -> tuple[str, str]:
    """The task and where it came from: ``config``, ``model`` or ``target``."""
    if config.task:
        return config.task, "config"
    if config.model:
        cls = import_estimator_class(config.model, config.key("model"))
        try:
            kind = estimator_kind(cls())
        except Exception:  # an estimator needing args: decide by the target
            kind = None
        if kind:
            return kind, "model"
    return infer_task_from_target(y), "target"


def build_estimator(config: TrainConfig, task: str) -> Any:
    """Instantiate the estimator with ``params`` (checked against ``get_params()``) and seed."""
    path = config.model or DEFAULT_MODELS[task]
    where = config.key("model")
    cls = import_estimator_class(path, where)
    try:
        estimator = cls()
    except Exception as err:
        raise UsageError(
            f"cannot create {path}() with default arguments: {type(err).__name__}: {err}",
            where=where,
            fix="use an estimator whose parameters all have defaults",
        ) from err
    kind = estimator_kind(estimator)
    if kind and kind != task:
        raise UsageError(
            f"{path} is a {kind} estimator but the task is {task}",
            where=where,
            fix=f"use a {task} estimator, or set `task: {kind}`",
        )
    valid = estimator.get_params(deep=True)
    for key in config.params:
        if key not in valid:
            raise UsageError(
                f"{path} has no parameter {key!r}",
                where=f"{config.key('params')}.{key}",
                fix=f"valid parameters: {', '.join(sorted(k for k in valid if '__' not in k))}",
            )
    params = dict(config.params)
    if "random_state" in valid and "random_state" not in params:
        params["random_state"] = config.seed
    try:
        estimator.set_params(**params)
    except Exception as err:
        raise UsageError(f"invalid params for {path}: {err}", where=config.key("params")) from err
    _validate_param_values(estimator, config)
    return estimator


def _validate_param_values(estimator: Any, config: TrainConfig) -> None:
    """scikit-learn's own type/range checks, run before the (possibly long) fit."""
    validate = getattr(estimator, "_validate_params", None)
    if not callable(validate):
        return
    try:
        validate()
    except (ValueError, TypeError) as err:
        bad = next((k for k in config.params if repr(k) in str(err)), None)
        where = f"{config.key('params')}.{bad}" if bad else config.key("params")
        raise UsageError(str(err), where=where, fix="fix the parameter's value") from err


def json_params(estimator: Any) -> dict[str, Any]:
    """``get_params(deep=False)`` with values made JSON-safe (estimators etc. as repr)."""
    out: dict[str, Any] = {}
    for key, value in sorted(estimator.get_params(deep=False).items()):
        out[key] = to_jsonable(value)
    return out


def to_jsonable(value: Any) -> Any:
    import math

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return to_jsonable(item())
        except (TypeError, ValueError):
            pass
    return repr(value)
