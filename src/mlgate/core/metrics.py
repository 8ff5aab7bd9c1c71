"""Metrics files: where they are, how they are read and flattened to ``dotted.keys``."""

from __future__ import annotations

import math
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.core.noise import MetricValue, check_scores
from mlgate.errors import UsageError
from mlgate.yamlio import MAX_FILE_BYTES, LimitError, OversizedInt, parse_text

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
        scores = tuple(_value(v, f"{file}: {prefix}.{i}") for i, v in enumerate(data))
        check_scores(scores, f"{file}: {prefix}")
        out[prefix] = scores
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


def parse_data(text: str, file: str) -> Any:
    """Parse a metrics or params file as DVC does: TOML by its extension (``.toml``), else
    JSON (``.json``) or YAML."""
    if not file.lower().endswith(".toml"):
        return parse_text(text, file)
    if len(text) > MAX_FILE_BYTES:
        raise LimitError(f"file is larger than {MAX_FILE_BYTES} bytes", where=file)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as err:
            raise UsageError("reading TOML on Python 3.10 needs the tomli package",
                             where=file, fix="pip install tomli (or use Python 3.11+)") from err
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as err:
        raise UsageError(f"invalid TOML: {err}", where=file,
                         fix="fix the syntax of the file") from err


def parse_metrics_text(text: str, file: str) -> dict[str, MetricValue]:
    data = parse_data(text, file)
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


# ----- dvc.yaml: the metrics and params files DVC reads --------------------------------------

DVC_YAML = "dvc.yaml"
_TEMPLATING = re.compile(r"\$\{|^\s*-?\s*[\"']?(vars|foreach|matrix)[\"']?\s*:", re.MULTILINE)

# Resolves a templated dvc.yaml with DVC's own resolver (adapters/dvc_pipeline.py):
# (document, the folder of the dvc.yaml relative to the working directory, its path) -> the
# document with ``vars``, ``${...}``, ``foreach`` and ``matrix`` expanded.
Resolve = Callable[[dict[str, Any], str, str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """What the dvc.yaml files of one commit list, paths relative to the working directory:
    metrics files (stage and top-level ``metrics:``) and params files (stage ``params:``, a
    plain key meaning the stage's ``params.yaml``, and top-level ``params:``)."""

    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    # Params files that every reference lists with keys (``- lr``, ``- hp.yaml: [depth]``):
    # file -> those keys; DVC diffs only them. A file also listed whole is not here.
    param_keys: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _merge_keys(into: dict[str, set[str] | None], file: str, keys: Any) -> None:
    """Record that ``file`` is referenced with ``keys`` (None or empty: the whole file)."""
    wanted = None if not keys else {str(k) for k in keys} if isinstance(keys, list) else None
    if (file in into and (into[file] is None or wanted is None)) or wanted is None:
        into[file] = None
    else:
        into[file] = (into.get(file) or set()) | wanted


def _key_pairs(keys: dict[str, set[str] | None]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((f, tuple(sorted(k))) for f, k in keys.items() if k is not None)


def needs_templating(text: str) -> bool:
    """True when a dvc.yaml uses ``${...}``, ``vars``, ``foreach`` or ``matrix`` (a plain one
    is read without DVC)."""
    return _TEMPLATING.search(text) is not None


def _entries(entries: Any) -> list[tuple[str, Any]]:
    """``- path`` and ``- path: {options}`` entries of a dvc.yaml list, as (path, options)."""
    out: list[tuple[str, Any]] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            out.append((entry, None))
        elif isinstance(entry, dict):
            out.extend((str(k), v) for k, v in entry.items())
    return out


def _joiner(prefix: str) -> Callable[..., str]:
    """Joins path parts relative to the working directory, ``prefix`` its path from the top
    of the repository: ``../training/m.json`` from ``training/`` is ``m.json``."""
    prefix = prefix.strip("/")

    def join(*parts: str) -> str:
        path = posixpath.normpath(posixpath.join(*[p for p in parts if p] or ["."]))
        if not prefix or not path.startswith("../"):
            return path
        return posixpath.relpath(posixpath.normpath(posixpath.join(prefix, path)), prefix)

    return join


def pipeline_of(data: Any, folder: str = "", prefix: str = "") -> Pipeline:
    """The metrics and params files of one parsed (and, if templated, resolved) dvc.yaml in
    ``folder``; paths in it are relative to its folder and to each stage's ``wdir``, and come
    out relative to the working directory (``prefix``: its path from the repository's top)."""
    if not isinstance(data, dict):
        return Pipeline()
    _join = _joiner(prefix)
    metrics = [_join(folder, path) for path, _ in _entries(data.get("metrics"))]
    params = [_join(folder, path) for path, _ in _entries(data.get("params"))]
    keys: dict[str, set[str] | None] = dict.fromkeys(params)
    stages = data.get("stages") or {}
    for stage in stages.values() if isinstance(stages, dict) else ():
        if not isinstance(stage, dict):
            continue
        wdir = stage.get("wdir")
        wdir = wdir if isinstance(wdir, str) else ""
        metrics += (_join(folder, wdir, path) for path, _ in _entries(stage.get("metrics")))
        stage_params = stage.get("params")
        for entry in stage_params if isinstance(stage_params, list) else []:
            if isinstance(entry, str):  # a key of the stage's params.yaml
                params.append(_join(folder, wdir, "params.yaml"))
                _merge_keys(keys, params[-1], [entry])
            elif isinstance(entry, dict):
                for file, selected in entry.items():
                    params.append(_join(folder, wdir, str(file)))
                    _merge_keys(keys, params[-1], selected)
    return Pipeline(tuple(dict.fromkeys(metrics)), tuple(dict.fromkeys(params)),
                    _key_pairs(keys))


def read_pipeline(
    read: Reader, dvc_files: Sequence[str] = (DVC_YAML,), resolve: Resolve | None = None,
    prefix: str = "",
) -> Pipeline:
    """The metrics and params files that every dvc.yaml in ``dvc_files`` (paths relative to
    the working directory, whose path from the repository's top is ``prefix``) lists, in that
    order. A dvc.yaml that needs templating goes through ``resolve``."""
    metrics: list[str] = []
    params: list[str] = []
    keys: dict[str, set[str] | None] = {}
    for path in dvc_files:
        text = read(path)
        if text is None:
            continue
        data = parse_text(text, path)
        if not isinstance(data, dict):
            continue
        folder = posixpath.dirname(path)
        if needs_templating(text):
            if resolve is None:
                raise UsageError(
                    "uses templating (vars, ${...}, foreach or matrix) that this command "
                    "does not resolve",
                    where=path,
                    fix="list the metrics files under `metrics:` in mlgate.yaml",
                )
            data = resolve(data, folder, path)
        found = pipeline_of(data, folder, prefix)
        metrics += found.metrics
        params += found.params
        selected = dict(found.param_keys)
        for file in found.params:
            _merge_keys(keys, file, list(selected[file]) if file in selected else None)
    return Pipeline(tuple(dict.fromkeys(metrics)), tuple(dict.fromkeys(params)),
                    _key_pairs(keys))


def metrics_files_from_dvc_yaml(text: str, where: str = DVC_YAML) -> list[str]:
    """Metrics files named in a plain ``dvc.yaml``: top-level ``metrics:`` and stage
    ``metrics:``."""
    return list(pipeline_of(parse_text(text, where) or {}).metrics)


def discover_metrics_files(
    read: Reader, config_metrics: list[str], cli_metrics: list[str] | None = None, *,
    pipeline: Pipeline | None = None,
) -> tuple[list[str], str]:
    """The metrics files to compare and where their list came from.

    Order: ``--metrics``; ``mlgate.yaml`` ``metrics:``; the ``metrics:`` of the dvc.yaml
    files (``pipeline``, by default the plain ``dvc.yaml`` of the working directory);
    ``metrics.json``.
    """
    if cli_metrics:
        return list(cli_metrics), "--metrics"
    if config_metrics:
        return list(config_metrics), "mlgate.yaml"
    if pipeline is None:
        pipeline = read_pipeline(read)
    if pipeline.metrics:
        return list(pipeline.metrics), "dvc.yaml"
    return [DEFAULT_METRICS_FILE], "default"


def number(value: MetricValue) -> float:
    """One number for a metric: a list of scores is its mean."""
    from mlgate.core.noise import mean

    return mean(value) if isinstance(value, tuple) else value


def is_finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
