"""Training: the built-in scikit-learn trainer, a user command, or ``dvc repro``.

Importing this package is cheap; scikit-learn and pandas load only when training runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.train.config import TrainConfig, TrainMode, parse_train_config, select_mode

if TYPE_CHECKING:
    from mlgate.train.runner import Log, TrainResult

__all__ = [
    "TrainConfig",
    "TrainMode",
    "parse_train_config",
    "run_builtin",
    "select_mode",
]


def run_builtin(
    config: TrainConfig | dict[str, Any],
    root: Path,
    out: Path,
    *,
    name: str | None = None,
    metrics_file: str | None = None,
    log: Log | None = None,
    where: str = "mlgate.yaml",
) -> TrainResult:
    """Train with the built-in trainer in-process (see ``mlgate.train.runner.run_builtin``)."""
    from mlgate.train import runner

    kwargs: dict[str, Any] = {"name": name, "metrics_file": metrics_file, "where": where}
    if log is not None:
        kwargs["log"] = log
    return runner.run_builtin(config, root, out, **kwargs)
