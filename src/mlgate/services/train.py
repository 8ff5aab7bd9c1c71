"""``mlgate train``: ``dvc repro``, the user's command, or the built-in scikit-learn trainer."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from mlgate.config import Config, Paths
from mlgate.console import PRINTING, Console
from mlgate.core.folds import FOLDS_FILE, FoldSpec
from mlgate.train.config import TrainConfig


@dataclass(frozen=True)
class TrainOptions:
    config: Config
    paths: Paths
    command: str | None = None  # --command: run this instead of the configured trainer
    folds: FoldSpec | None = None  # --cv/--repeats/--fold-seed: the built-in trainer's folds


@dataclass(frozen=True)
class TrainOutcome:
    kind: str  # builtin | command | dvc-repro
    command: str | None  # the command run (command, dvc-repro)
    seconds: float
    model: dict[str, Any] | None = None  # model.json, when the training wrote one

    def describe(self) -> str:
        """One line for the summary of ``mlgate run``."""
        ran = f"`{self.command}` finished in {self.seconds:.1f}s" if self.command else "trained"
        return describe_model(self.model) or ran


def run_train(options: TrainOptions, console: Console = PRINTING) -> TrainOutcome:
    from mlgate.train.external import run_command, run_dvc_repro

    config, paths = options.config, options.paths
    root, out = paths.root, paths.out
    mode = config.train_mode(options.command, has_dvc_yaml=(root / "dvc.yaml").exists())
    # folds.json belongs to the run that wrote it: never leave an earlier run's behind.
    (out / FOLDS_FILE).unlink(missing_ok=True)
    if options.folds is not None and mode.kind != "builtin":
        console.log(f"train: --cv/--repeats/--fold-seed apply to the built-in trainer only; "
                    f"ignored for {mode.kind}")
    if mode.kind == "command" and mode.command:
        seconds = run_command(mode.command, root, out, log=console.log)
        return TrainOutcome(kind="command", command=mode.command, seconds=seconds,
                            model=read_model_meta(paths))
    if mode.kind == "dvc-repro":
        seconds = run_dvc_repro(root, out, log=console.log)
        return TrainOutcome(kind="dvc-repro", command="dvc repro", seconds=seconds,
                            model=read_model_meta(paths))
    assert mode.config is not None
    from mlgate.train.runner import run_builtin

    trained = run_builtin(
        with_folds(mode.config, options.folds),
        root,
        out,
        name=config.model_name(root),
        metrics_file=config.metrics[0] if config.metrics else None,
        log=console.log,
        where=config.where,
    )
    return TrainOutcome(kind="builtin", command=None, seconds=sum(trained.timings.values()),
                        model=trained.meta or None)


def with_folds(cfg: TrainConfig, folds: FoldSpec | None) -> TrainConfig:
    """The built-in trainer's config, cross-validating on ``folds`` when given."""
    if folds is None:
        return cfg
    return replace(cfg, cv=folds.k, repeats=folds.repeats, fold_seed=folds.fold_seed,
                        test_size=None)


def read_model_meta(paths: Paths) -> dict[str, Any] | None:
    """model.json when the training wrote one (a user's command may, into MLGATE_MODEL_DIR)."""
    try:
        data = json.loads(paths.model_meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _short_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def describe_model(model: dict[str, Any] | None) -> str | None:
    """``fitted <Estimator> on <rows> rows of <data>: <metric> <value>, ...``."""
    if not model:
        return None
    estimator = str(model.get("estimator") or "model").rsplit(".", 1)[-1]
    data = model.get("data") or {}
    rows = (
        f" on {data['rows']} rows of {data['path']}"
        if data.get("rows") and data.get("path")
        else ""
    )
    metrics = model.get("metrics") or {}
    shown = ", ".join(f"{k} {_short_number(v)}" for k, v in list(metrics.items())[:4])
    return f"fitted {estimator}{rows}" + (f": {shown}" if shown else "")
