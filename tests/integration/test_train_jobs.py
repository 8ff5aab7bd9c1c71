"""Where the built-in trainer's fits run: with the default ``jobs: -1``, fits that take
milliseconds stay in this process (starting worker processes, each importing scikit-learn, would
cost seconds); the decision is logged."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sklearn.dummy import DummyClassifier

from mlgate.train import crossval
from mlgate.train.config import CLASSIFICATION, TrainConfig


class PidClassifier(DummyClassifier):
    """A classifier that remembers which process fitted it (a fit of about a millisecond)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> PidClassifier:
        super().fit(X, y, sample_weight)
        self.fitted_in_ = os.getpid()
        return self


def _data() -> tuple[Any, Any]:
    import pandas as pd

    x = pd.DataFrame({"a": range(60), "b": [i % 7 for i in range(60)]})
    return x, pd.Series([i % 2 for i in range(60)])


def _fit(jobs: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    from sklearn.pipeline import Pipeline

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    cfg = TrainConfig(data="d", target="y", jobs=jobs)
    x, y = _data()
    plan = crossval.make_splits(cfg, CLASSIFICATION, x, y)
    logs: list[str] = []
    pipeline = Pipeline([("model", PidClassifier())])
    results, model = crossval.run_fits(cfg, CLASSIFICATION, pipeline, x, y, ("accuracy",), plan,
                                       logs.append)
    assert len(results) == 15
    return model, logs


def test_the_default_fits_millisecond_fits_in_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, logs = _fit(-1, monkeypatch)
    assert model[-1].fitted_in_ == os.getpid()
    reason = "would cost more" if (os.cpu_count() or 1) > 1 else "(jobs: -1)"  # 1 core: no timing
    assert any("in this process" in line and reason in line for line in logs), logs


def test_jobs_2_follows_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    model, logs = _fit(2, monkeypatch)
    assert model[-1].fitted_in_ == os.getpid()
    assert any("in this process" in line for line in logs), logs


def test_jobs_1_fits_in_this_process_without_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    model, logs = _fit(1, monkeypatch)
    assert model[-1].fitted_in_ == os.getpid()
    assert any("in this process (jobs: 1)" in line for line in logs), logs


def test_slow_fits_go_to_the_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parallel branch: with workers that cost nothing to start, any fit is worth them."""
    monkeypatch.setattr(crossval, "WORKER_START_SECONDS", 0.0)
    model, logs = _fit(2, monkeypatch)
    assert model[-1].fitted_in_ != os.getpid()
    assert any("the other 15 on 2 local processes" in line for line in logs), logs
