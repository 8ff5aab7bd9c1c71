"""Metrics files: where they are, how they are read and flattened to ``dotted.keys``."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mlgate.core.noise import MetricValue
from mlgate.errors import UsageError
from mlgate.yamlio import OversizedInt, parse_text

DEFAULT_METRICS_FILE = "metrics.json"
_NON_FINITE = {
    "nan": math.nan,
    "+nan": math.nan,
    "-nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}

# Reads a repo-relative path; returns None when the file does not exist there.
Reader = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric value. ``name`` is the key, or ``FILE:KEY`` when the key is defined in more
    than one metrics file (see :func:`qualify`); ``key`` is always the key in its file."""

    name: str
    value: MetricValue  # a number, or per-fold / per-seed scores (see core/noise.py)
    file: str
    key: str = ""

    def qualified(self) -> Metric:
        return Metric(f"{self.file}:{self.key or self.name}", self.value, self.file,
                      self.key or self.name)


_FLOAT_MAX = int(sys.float_info.max)


def _value(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise UsageError(
            f"metric value must be a number, got {raw!r}",
            where=where,
            fix="write numbers only in metrics files (NaN and Infinity are allowed)",
        )
    if isinstance(raw, OversizedInt) or (isinstance(raw, int) and abs(raw) > _FLOAT_MAX):
        raise UsageError(
            "metric value is an integer beyond the range of a float (about 1.8e308)",
            where=where,
            fix="write the value as a float (e.g. 1e300), or Infinity",
        )
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str) and raw.strip().lower() in _NON_FINITE:
        return _NON_FINITE[raw.strip().lower()]
    raise UsageError(
        f"metric value must be a number, got {raw!r}",
        where=where,
        fix="write numbers only in metrics files (NaN and Infinity are allowed)",
    )


def _is_number_list(data: Any) -> bool:
    """A non-empty list of numbers (per-fold or per-seed scores): one list-valued metric."""
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in data)
    )


def flatten(data: Any, file: str, prefix: str = "") -> dict[str, MetricValue]:
    """Flatten nested mappings (and lists, by index) to ``a.b.c`` keys with float values.

    A list of numbers under a key stays one metric whose value is the tuple of numbers."""
    out: dict[str, MetricValue] = {}
    _flatten(data, file, prefix, out)
    return out


def _flatten(data: Any, file: str, prefix: str, out: dict[str, MetricValue]) -> None:
    """Add the metrics of ``data`` to ``out`` (a key seen twice keeps its first place and its
    last value, as merging each level's own mapping would)."""
    if prefix and _is_number_list(data):
        out[prefix] = tuple(_value(v, f"{file}: {prefix}.{i}") for i, v in enumerate(data))
        return
    if isinstance(data, dict):
        items: Iterable[tuple[Any, Any]] = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        if not prefix:
            raise UsageError(
                "a metrics file must hold a mapping of names to numbers",
                where=file,
                fix='write e.g. {"accuracy": 0.93}',
            )
        out[prefix] = _value(data, f"{file}: {prefix}")
        return
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        kind = type(value)
        # Plain numbers (nearly every leaf) skip the checks _value makes of anything else.
        if kind is float and name:
            out[name] = value
        elif kind is int and name and -_FLOAT_MAX <= value <= _FLOAT_MAX:
            out[name] = float(value)
        else:
            _flatten(value, file, name, out)


def parse_metrics_text(text: str, file: str) -> dict[str, MetricValue]:
    data = parse_text(text, file)
    if data is None:
        return {}
    return flatten(data, file)


def load_metrics(files: list[str], read: Reader, *, missing_ok: bool) -> list[Metric]:
    """Read and merge several metrics files. A key defined in two files is kept from both,
    named ``FILE:KEY`` (as DVC keys metrics on their file)."""
    metrics: list[Metric] = []
    for file in files:
        text = read(file)
        if text is None:
            if missing_ok:
                continue
            raise UsageError(
                "metrics file not found",
                where=file,
                fix="train first (`mlgate train`) or point `metrics:` in mlgate.yaml "
                "or --metrics at the right file",
            )
        values = parse_metrics_text(text, file)
        metrics += (Metric(key, value, file, key) for key, value in values.items())
    return qualify([metrics])[0]


def qualify(sides: list[list[Metric]]) -> list[list[Metric]]:
    """Name ``FILE:KEY`` every key that some side defines in more than one file, on every side
    (so that both sides of a comparison name it alike); other keys keep their plain name.
    Metrics without a file (the baseline store's) keep the names they were recorded with."""
    files_of: dict[str, set[str]] = {}
    for side in sides:
        if len({m.file for m in side if m.file}) < 2:
            continue  # one file: no key in two
        seen: dict[str, set[str]] = {}
        for m in side:
            if m.file:
                seen.setdefault(m.key or m.name, set()).add(m.file)
        for key, files in seen.items():
            if len(files) > 1:
                files_of.setdefault(key, set()).update(files)
    if not files_of:
        return [list(side) for side in sides]
    return [[m.qualified() if m.file and (m.key or m.name) in files_of else m for m in side]
            for side in sides]


def metrics_files_from_dvc_yaml(text: str, where: str = "dvc.yaml") -> list[str]:
    """Metrics files named in ``dvc.yaml``: top-level ``metrics:`` and stage ``metrics:``."""
    data = parse_text(text, where) or {}
    if not isinstance(data, dict):
        return []
    files: list[str] = []

    def add(entries: Any) -> None:
        for entry in entries or []:
            if isinstance(entry, str):
                files.append(entry)
            elif isinstance(entry, dict):
                files.extend(str(k) for k in entry)

    add(data.get("metrics"))
    stages = data.get("stages") or {}
    if isinstance(stages, dict):
        for stage in stages.values():
            if isinstance(stage, dict):
                add(stage.get("metrics"))
    return list(dict.fromkeys(files))


def discover_metrics_files(
    read: Reader, config_metrics: list[str], cli_metrics: list[str] | None = None
) -> tuple[list[str], str]:
    """The metrics files to compare and where their list came from.

    Order: ``--metrics``; ``dvc.yaml`` ``metrics:``; ``mlgate.yaml`` ``metrics:``;
    ``metrics.json``.
    """
    if cli_metrics:
        return list(cli_metrics), "--metrics"
    dvc_yaml = read("dvc.yaml")
    if dvc_yaml is not None:
        files = metrics_files_from_dvc_yaml(dvc_yaml)
        if files:
            return files, "dvc.yaml"
    if config_metrics:
        return list(config_metrics), "mlgate.yaml"
    return [DEFAULT_METRICS_FILE], "default"


def number(value: MetricValue) -> float:
    """One number for a metric: a list of scores is its mean."""
    from mlgate.core.noise import mean

    return mean(value) if isinstance(value, tuple) else value


def is_finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
