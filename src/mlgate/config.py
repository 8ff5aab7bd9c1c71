"""The project configuration, ``mlgate.yaml``.

Only the top level is validated here; the ``train:`` and ``deploy:`` sections are validated by
the modules that use them, so that each error names the key it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.errors import UsageError
from mlgate.yamlio import load_file

DEFAULT_CONFIG = "mlgate.yaml"
DEFAULT_OUT = ".mlgate"
BASELINE_MODES = ("auto", "committed", "store", "retrain")

KNOWN_KEYS = {
    "name",
    "metrics",
    "params",
    "thresholds",
    "require-baseline",
    "baseline",
    "base",
    "train",
    "deploy",
    "pull",
    "report",
    "drift",
}


@dataclass
class Config:
    path: Path | None = None
    name: str | None = None
    metrics: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    thresholds: dict[str, Any] = field(default_factory=dict)
    require_baseline: bool = False
    baseline: str = "auto"
    base: str | None = None
    train: dict[str, Any] | None = None
    deploy: dict[str, Any] | None = None
    pull: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def model_name(self, root: Path) -> str:
        return self.name or root.resolve().name


def _where(path: Path | None, key: str) -> str:
    return f"{path or DEFAULT_CONFIG}: {key}"


def _str_list(value: Any, path: Path | None, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(
        "must be a file path or a list of file paths",
        where=_where(path, key),
        fix=f"write e.g. `{key}: [metrics.json]`",
    )


def _mapping(value: Any, path: Path | None, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError("must be a mapping", where=_where(path, key))
    return value


def parse_config(data: Any, path: Path | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError("the top level must be a mapping of keys", where=str(path or "config"))
    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        raise UsageError(
            f"unknown key(s): {', '.join(unknown)}",
            where=str(path or DEFAULT_CONFIG),
            fix=f"use only: {', '.join(sorted(KNOWN_KEYS))}",
        )
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise UsageError("must be a string", where=_where(path, "name"))
    require = data.get("require-baseline", False)
    if not isinstance(require, bool):
        raise UsageError("must be true or false", where=_where(path, "require-baseline"))
    baseline = data.get("baseline", "auto")
    if baseline not in BASELINE_MODES:
        raise UsageError(
            f"unknown baseline mode {baseline!r}",
            where=_where(path, "baseline"),
            fix=f"use one of: {', '.join(BASELINE_MODES)}",
        )
    base = data.get("base")
    if base is not None and not isinstance(base, str):
        raise UsageError("must be a branch name", where=_where(path, "base"))
    train = data.get("train")
    if train is not None and not isinstance(train, dict):
        raise UsageError("must be a mapping", where=_where(path, "train"))
    deploy = data.get("deploy")
    if deploy is not None and not isinstance(deploy, dict):
        raise UsageError("must be a mapping", where=_where(path, "deploy"))
    return Config(
        path=path,
        name=name,
        metrics=_str_list(data.get("metrics"), path, "metrics"),
        params=_str_list(data.get("params"), path, "params"),
        thresholds=_mapping(data.get("thresholds"), path, "thresholds"),
        require_baseline=require,
        baseline=baseline,
        base=base,
        train=train,
        deploy=deploy,
        pull=_mapping(data.get("pull"), path, "pull"),
        report=_mapping(data.get("report"), path, "report"),
        raw=data,
    )


def load_config(config_path: str | None = None, root: Path | None = None) -> Config:
    """Load ``--config PATH``, else ``mlgate.yaml`` in ``root`` when present, else defaults."""
    root = root or Path.cwd()
    if config_path:
        path = Path(config_path)
        if not path.is_absolute():
            path = root / path
        if not path.exists():
            raise UsageError(
                "config file not found", where=config_path, fix="check the --config path"
            )
    else:
        path = root / DEFAULT_CONFIG
        if not path.exists():
            return Config()
    return parse_config(
        load_file(path, str(path.relative_to(root)) if path.is_relative_to(root) else str(path)),
        path,
    )


def out_dir(args_out: str | None, root: Path | None = None) -> Path:
    """The directory mlgate writes into (``--out``, default ``.mlgate``)."""
    root = root or Path.cwd()
    path = Path(args_out) if args_out else Path(DEFAULT_OUT)
    return path if path.is_absolute() else root / path
