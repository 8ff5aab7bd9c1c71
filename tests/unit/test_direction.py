"""Direction inference from metric names, scikit-learn's scorer and metric names included."""

from __future__ import annotations

import pytest

from mlgate.core.thresholds import infer_direction

HIGHER = [
    "accuracy", "f1", "roc_auc", "r2", "precision", "recall", "balanced_accuracy",
    # scikit-learn scorers negate costs: higher is better
    "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_log_loss",
    "neg_mean_absolute_error", "neg_median_absolute_error", "neg_brier_score",
    # *_score functions are higher-is-better, even when the name contains "error"
    "d2_absolute_error_score", "r2_score", "explained_variance_score", "f1_score",
    "test.neg_mean_squared_error", "metrics.json:d2_absolute_error_score",
]
LOWER = [
    "loss", "val_loss", "log_loss", "rmse", "mae", "mse", "median_ae", "max_error",
    "mean_absolute_error", "mean_squared_error", "median_absolute_error",
    "mean_absolute_percentage_error", "mean_poisson_deviance", "hamming_loss",
    "zero_one_loss", "brier_score_loss", "brier_score", "latency_ms", "fit_time",
    "score_time", "training.logloss", "eval/metrics.json:rmse",
]


@pytest.mark.parametrize("name", HIGHER)
def test_higher_is_better(name: str) -> None:
    assert infer_direction(name) == "higher"


@pytest.mark.parametrize("name", LOWER)
def test_lower_is_better(name: str) -> None:
    assert infer_direction(name) == "lower"
