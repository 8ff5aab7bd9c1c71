"""Evaluation metrics for the built-in trainer (binary, multiclass and regression)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from mlgate.train.config import CLASSIFICATION, TASK_METRICS

NEEDS_PROBA = ("log_loss",)
NEEDS_SCORES = ("roc_auc",)  # probabilities, or decision_function when there are none


def default_metrics(task: str) -> tuple[str, ...]:
    return TASK_METRICS[task]


def score_regression(names: tuple[str, ...], y_true: Any, y_pred: Any) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    funcs: dict[str, Callable[[], float]] = {
        "rmse": lambda: math.sqrt(mean_squared_error(y_true, y_pred)),
        "mae": lambda: float(mean_absolute_error(y_true, y_pred)),
        "r2": lambda: float(r2_score(y_true, y_pred)),
    }
    return {name: _safe(funcs[name]) for name in names}


def score_classification(
    names: tuple[str, ...],
    y_true: Any,
    y_pred: Any,
    classes: list[Any],
    proba: Any | None,
    decision: Any | None,
) -> dict[str, float]:
    """Binary: precision/recall/f1 of the second class (``classes[1]``, the positive label in
    scikit-learn's sorted order). Multiclass: macro averages, one-vs-rest macro ROC AUC."""
    from sklearn import metrics as m

    binary = len(classes) == 2
    averaging: dict[str, Any] = (
        {"average": "binary", "pos_label": classes[1]} if binary else {"average": "macro"}
    )
    scores = _binary_scores(proba, decision) if binary else proba

    def roc_auc() -> float:
        if scores is None:
            return math.nan
        if binary:
            return float(m.roc_auc_score(y_true, scores))
        return float(
            m.roc_auc_score(y_true, scores, multi_class="ovr", average="macro", labels=classes)
        )

    def log_loss() -> float:
        if proba is None:
            return math.nan
        return float(m.log_loss(y_true, proba, labels=classes))

    funcs: dict[str, Callable[[], float]] = {
        "accuracy": lambda: float(m.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": lambda: float(m.balanced_accuracy_score(y_true, y_pred)),
        "precision": lambda: float(m.precision_score(y_true, y_pred, zero_division=0, **averaging)),
        "recall": lambda: float(m.recall_score(y_true, y_pred, zero_division=0, **averaging)),
        "f1": lambda: float(m.f1_score(y_true, y_pred, zero_division=0, **averaging)),
        "roc_auc": roc_auc,
        "log_loss": log_loss,
    }
    return {name: _safe(funcs[name]) for name in names}


def _binary_scores(proba: Any | None, decision: Any | None) -> Any | None:
    if proba is not None:
        return proba[:, 1]
    return decision


def _safe(func: Callable[[], float]) -> float:
    """A metric that is undefined on this split (e.g. one class only) is NaN, not a crash."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(func())
        except ValueError:
            return math.nan


def score(
    task: str,
    names: tuple[str, ...],
    model: Any,
    x: Any,
    y_true: Any,
) -> dict[str, float]:
    """Predict with a fitted model and compute ``names``."""
    estimator, features = _preprocessed(model, x)
    y_pred = estimator.predict(features)
    if task != CLASSIFICATION:
        return score_regression(names, y_true, y_pred)
    classes = list(estimator.classes_)
    want_proba = any(n in names for n in NEEDS_PROBA + NEEDS_SCORES)
    has_proba = hasattr(estimator, "predict_proba")
    proba = estimator.predict_proba(features) if want_proba and has_proba else None
    decision = None
    if proba is None and "roc_auc" in names and hasattr(estimator, "decision_function"):
        decision = estimator.decision_function(features)
    # Integer class indices instead of the labels: scikit-learn's metrics sort and compare
    # the labels many times, which on text labels costs seconds per million rows.
    return score_classification(
        names,
        label_codes(y_true, classes),
        label_codes(y_pred, classes),
        list(range(len(classes))),
        proba,
        decision,
    )


def _preprocessed(model: Any, x: Any) -> tuple[Any, Any]:
    """The final estimator and ``x`` through the pipeline's other steps: transformed once,
    though the estimator is asked for both predictions and probabilities."""
    steps = getattr(model, "steps", None)
    if not steps or len(steps) < 2:
        return model, x
    return model[-1], model[:-1].transform(x)


def label_codes(labels: Any, classes: list[Any]) -> Any:
    """Each label's index in ``classes``; -1 for a label the model never saw."""
    import pandas as pd

    return pd.Index(classes).get_indexer(pd.Index(labels))


def unavailable_metrics(names: tuple[str, ...], estimator: Any) -> list[str]:
    """Metrics the (unfitted) estimator cannot produce: no probabilities / scores."""
    has_proba = hasattr(estimator, "predict_proba")
    has_decision = hasattr(estimator, "decision_function")
    out = [n for n in names if n in NEEDS_PROBA and not has_proba]
    out += [n for n in names if n in NEEDS_SCORES and not (has_proba or has_decision)]
    return out


def mean_scores(folds: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over the folds; NaN when it was undefined on any fold (a NaN
    metric fails its rules: it is not judged on the folds that remain)."""
    from mlgate.core.noise import mean

    # The same mean that compare takes of the per-fold scores (folds.json), to the last bit.
    return {name: mean([f[name] for f in folds]) for name in folds[0]}


def encode_value(value: float) -> float | str:
    """JSON has no NaN/Infinity: write them as the strings mlgate's metrics reader accepts."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
