"""What changed besides metrics: params (``dvc params diff`` semantics) and DVC-tracked data.

Pure functions over a ``Reader`` (repo path -> text or None) for each side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlgate.core.metrics import Pipeline, Reader, parse_data, read_pipeline
from mlgate.errors import MlgateError
from mlgate.yamlio import LimitError

DEFAULT_PARAMS_FILE = "params.yaml"


def _flatten_any(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten_any(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: json_safe(data)} if prefix else {}


def json_safe(value: Any) -> Any:
    """A param value as result.json can hold it: NaN/Infinity spelled as metrics are, YAML's
    dates, binary and sets as text (json.dumps would fail on them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def _parse_or_empty(text: str | None, where: str) -> Any:
    if text is None:
        return None
    try:
        return parse_data(text, where)
    except LimitError:
        raise  # a hostile file (alias bomb, too deep, too large) is an error on either side
    except MlgateError:
        return None  # a broken file on one side must not break the report


def params_files(
    read: Reader, configured: list[str], pipeline: Pipeline | None = None
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """``params.yaml``, the ``params:`` of mlgate.yaml, and every params file the dvc.yaml
    files list (``pipeline``; by default the plain ``dvc.yaml`` of the working directory), and
    the files of which only some keys are tracked (as ``dvc params diff`` diffs them)."""
    if pipeline is None:
        try:
            pipeline = read_pipeline(read)
        except LimitError:
            raise
        except MlgateError:
            pipeline = Pipeline()  # a broken dvc.yaml must not break the report
    # DVC diffs a params.yaml whole, whatever keys the stages select; other files by key.
    selected = {f: k for f, k in pipeline.param_keys
                if f not in configured and f.rsplit("/", 1)[-1] != DEFAULT_PARAMS_FILE}
    files = list(dict.fromkeys([DEFAULT_PARAMS_FILE, *configured, *pipeline.params]))
    return files, selected


# A param is keyed by its file and its flattened key, as DVC keys them: the same key in
# params.yaml and dvclive/params.yaml are two params.
ParamKey = tuple[str, str]


def read_params(
    read: Reader, files: list[str], selected: Mapping[str, tuple[str, ...]] | None = None
) -> dict[ParamKey, Any]:
    """Flattened params of every file (of a ``selected`` file only its keys and what is
    under them), plus the ``train:`` section of mlgate.yaml."""
    out: dict[ParamKey, Any] = {}
    for file in files:
        data = _parse_or_empty(read(file), file)
        keys = (selected or {}).get(file)
        for key, value in _flatten_any(data).items():
            if keys is None or any(key == k or key.startswith(k + ".") for k in keys):
                out[file, key] = value
    config = _parse_or_empty(read("mlgate.yaml"), "mlgate.yaml")
    if isinstance(config, dict) and isinstance(config.get("train"), dict):
        for key, value in _flatten_any(config["train"], "train").items():
            out["mlgate.yaml", key] = value
    return out


def params_diff(base: dict[ParamKey, Any], head: dict[ParamKey, Any]) -> list[dict[str, Any]]:
    rows = []
    missing = object()
    for file, name in sorted(set(base) | set(head), key=lambda k: (k[1], k[0])):
        old, new = base.get((file, name), missing), head.get((file, name), missing)
        if old is not missing and new is not missing and old == new:
            continue
        if old is not missing and new is not missing:
            status = "modified"
        else:
            status = "added" if new is not missing else "deleted"
        rows.append(
            {
                "name": name,
                "file": file,
                "baseline": None if old is missing else old,
                "current": None if new is missing else new,
                "status": status,
            }
        )
    return rows


def _outs(entries: Any) -> dict[str, tuple[str | None, int | None]]:
    out: dict[str, tuple[str | None, int | None]] = {}
    for entry in entries or []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            md5 = entry.get("md5")
            size = entry.get("size")
            out[entry["path"]] = (
                str(md5) if md5 is not None else None,
                size if isinstance(size, int) else None,
            )
    return out


def tracked_data(
    read: Reader, files: list[str], exclude: set[str]
) -> dict[str, tuple[str | None, int | None]]:
    """Path -> (md5, size) of the data: outputs of ``*.dvc`` files, and the inputs of
    ``dvc.lock`` stages that git does not track (code is not data). Outputs of the stages are
    not data: the pipeline makes them (a model, metrics, an intermediate table)."""
    data: dict[str, tuple[str | None, int | None]] = {}
    for file in files:
        if not file.endswith(".dvc"):
            continue
        doc = _parse_or_empty(read(file), file)
        if isinstance(doc, dict):
            folder = file.rsplit("/", 1)[0] + "/" if "/" in file else ""
            for path, value in _outs(doc.get("outs")).items():
                data[folder + path] = value
    deps, stage_outs = _lock_deps_and_outs(read)
    in_git = set(files)
    folders = {f.rsplit("/", i)[0] for f in files for i in range(1, f.count("/") + 1)}
    for path, value in deps.items():
        if path not in in_git and path not in folders:
            data.setdefault(path, value)
    return {k: v for k, v in data.items() if k not in exclude and k not in stage_outs}


def _lock_deps_and_outs(
    read: Reader,
) -> tuple[dict[str, tuple[str | None, int | None]], set[str]]:
    """The deps (with their hashes) and the output paths of every stage in ``dvc.lock``."""
    deps: dict[str, tuple[str | None, int | None]] = {}
    outs: set[str] = set()
    lock = _parse_or_empty(read("dvc.lock"), "dvc.lock")
    stages = (lock.get("stages") or {}) if isinstance(lock, dict) else {}
    for stage in stages.values() if isinstance(stages, dict) else ():
        if isinstance(stage, dict):
            deps.update(_outs(stage.get("deps")))
            outs.update(_outs(stage.get("outs")))
    return deps, outs


def data_diff(
    base: dict[str, tuple[str | None, int | None]],
    head: dict[str, tuple[str | None, int | None]],
) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(set(base) | set(head)):
        old, new = base.get(path), head.get(path)
        if old and new and old[0] == new[0]:
            continue
        rows.append(
            {
                "path": path,
                "status": "modified" if old and new else ("added" if new else "deleted"),
                "baseline_md5": old[0] if old else None,
                "current_md5": new[0] if new else None,
                "baseline_size": old[1] if old else None,
                "current_size": new[1] if new else None,
            }
        )
    return rows
