"""Writing what training produced: the metrics file and the model files.

Model files contract (read by ``mlgate deploy``): ``<out>/model/model.joblib`` (the fitted
pipeline, loadable with joblib and scikit-learn alone) and ``<out>/model/model.json``.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.adapters.git import Git
from mlgate.adapters.result_file import write_json
from mlgate.errors import UsageError
from mlgate.train.scoring import encode_value

MODEL_DIR = "model"
MODEL_FILE = "model.joblib"
MODEL_META = "model.json"


def metrics_document(metrics: dict[str, float]) -> dict[str, float | str]:
    return {name: encode_value(value) for name, value in metrics.items()}


def write_metrics(path: Path, metrics: dict[str, float]) -> None:
    """JSON, or YAML when the file name says so (both are read back by ``mlgate compare``)."""
    doc = metrics_document(metrics)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, yaml.safe_dump(doc, sort_keys=False).encode("utf-8"))
    else:
        write_json(path, doc)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def git_commit(root: Path) -> str | None:
    """The checked-out commit, None outside a git repository or without git."""
    try:
        return Git(root).rev("HEAD")
    except (UsageError, OSError):  # git is not installed, or root is no directory
        return None


def save_model(model: Any, meta: dict[str, Any], model_dir: Path) -> tuple[Path, Path]:
    """Dump the fitted model (atomically) and its ``model.json``; returns both paths."""
    import joblib

    model_dir.mkdir(parents=True, exist_ok=True)
    model_path = model_dir / MODEL_FILE
    fd, tmp = tempfile.mkstemp(dir=model_dir, prefix=f".{MODEL_FILE}.", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(model, tmp)
        os.replace(tmp, model_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta_path = model_dir / MODEL_META
    write_json(meta_path, meta)
    return model_path, meta_path


def model_metadata(
    *,
    name: str,
    estimator: str,
    params: dict[str, Any],
    task: str,
    target: str,
    data: dict[str, Any],
    metrics: dict[str, float],
    commit: str | None,
    train_config: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "estimator": estimator,
        "params": params,
        "task": task,
        "target": target,
        "data": data,
        "metrics": metrics_document(metrics),
        "commit": commit,
        "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "mlgate_version": __version__,
        "train_config": train_config,
        **(extra or {}),
    }
