"""The user's DVC pipeline as DVC reads it: every ``dvc.yaml`` of the repository (listed through
``adapters/git``), and DVC's own resolver (``dvc.parsing.DataResolver``) for the templated ones
(``vars``, ``${...}``, ``foreach``, ``matrix``).

DVC is imported only inside :func:`resolve_dvc_yaml`, which the caller uses only for a dvc.yaml
that needs it: a plain pipeline never loads DVC. The resolver reads ``params.yaml`` and the
``vars`` files through a small filesystem over the caller's reader (a path relative to the
working directory -> its text, or None), so a commit's files are read as git has them.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from mlgate.adapters.git import Git
from mlgate.errors import UsageError
from mlgate.yamlio import LimitError, parse_text, repo_top

DVC_YAML = "dvc.yaml"
# Every dvc.yaml of the working tree (tracked or not ignored), relative to the working
# directory (``../dvc.yaml`` from a subdirectory): `mlgate compare` prefetches this command.
LIST_DVC_YAML = ("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
                 ":(top,glob)**/dvc.yaml")
INSTALL_FIX = "install the dvc extra: pip install 'mlgate[dvc]'"
# The most stages one `matrix:` may generate: its lists multiply, and a few lines of a PR's
# dvc.yaml must not make compare resolve millions of stages.
MAX_MATRIX_STAGES = 10_000

Reader = Callable[[str], "str | None"]


def working_tree_dvc_files(git: Git) -> list[str]:
    """The dvc.yaml files of the working tree, relative to the working directory."""
    listed = git.out(*LIST_DVC_YAML).split("\0")
    return _ordered([path for path in listed if path])


def commit_dvc_files(git: Git, sha: str) -> list[str]:
    """The dvc.yaml files committed at ``sha``, relative to the working directory."""
    top_paths = [p for p in git.ls_files(sha) if posixpath.basename(p) == DVC_YAML]
    if not top_paths:
        return []
    return _ordered([posixpath.relpath(p, work_prefix(git)) for p in top_paths])


def work_prefix(git: Git) -> str:
    """The working directory's path from the repository's top (``.`` at the top), found
    without one more git process."""
    return git.root.resolve().relative_to(repo_top(git.root)).as_posix()


def _ordered(paths: list[str]) -> list[str]:
    """The working directory's own dvc.yaml first, then the others by path."""
    return sorted(dict.fromkeys(paths), key=lambda p: (p != DVC_YAML, p))


class ReaderFs:
    """The few filesystem calls of ``dvc.parsing`` (join, normpath, exists, isdir, suffix,
    open), answered by a reader of paths relative to the working directory."""

    sep = "/"

    def __init__(self, read: Reader) -> None:
        self._read = read
        self._texts: dict[str, str | None] = {}

    def _text(self, path: str) -> str | None:
        path = posixpath.normpath(path)
        if path not in self._texts:
            self._texts[path] = self._read(path)
        return self._texts[path]

    def join(self, *parts: str) -> str:
        return posixpath.join(*[p for p in parts if p] or [""])

    def normpath(self, path: str) -> str:
        return posixpath.normpath(path)

    def relpath(self, path: str, start: str | None = None) -> str:
        return posixpath.relpath(path, start or ".")

    def suffix(self, path: str) -> str:
        return posixpath.splitext(path)[1]

    def exists(self, path: str) -> bool:
        return self._text(path) is not None

    def isdir(self, path: str) -> bool:
        return False

    def open(self, path: str, mode: str = "r", **_: Any) -> io.StringIO:
        text = self._text(path)
        if text is None:
            raise FileNotFoundError(path)
        if not path.lower().endswith(".toml"):
            # DVC's own YAML parser has no bounds: mlgate's bounded one reads it first (an
            # alias bomb or a too-deep file is a LimitError, as for every file mlgate reads).
            parse_text(text, path)
        return io.StringIO(text)


def resolver(read: Reader) -> Callable[[dict[str, Any], str, str], dict[str, Any]]:
    """A ``Resolve`` (core/metrics.py) over ``read``."""
    fs = ReaderFs(read)

    def resolve(data: dict[str, Any], folder: str, where: str) -> dict[str, Any]:
        return resolve_dvc_yaml(data, folder, where, fs)

    return resolve


def resolve_dvc_yaml(data: dict[str, Any], folder: str, where: str, fs: ReaderFs) -> dict[str, Any]:
    """``data`` (a parsed dvc.yaml in ``folder``) with ``vars`` loaded (``params.yaml`` by
    default), ``${...}`` interpolated and ``foreach`` / ``matrix`` stages expanded, by DVC's
    ``DataResolver``: top-level ``metrics``, ``params``, ``plots`` and ``stages``."""
    try:
        from dvc.exceptions import DvcException
        from dvc.parsing import DataResolver
        from dvc.schema import COMPILED_MULTI_STAGE_SCHEMA
        from voluptuous import MultipleInvalid
    except ImportError as err:
        raise UsageError(
            "uses DVC templating (vars, ${...}, foreach or matrix), which mlgate resolves "
            "with DVC, and DVC is not installed",
            where=where,
            fix=INSTALL_FIX,
        ) from err
    _check_matrix_sizes(data, where)
    repo = SimpleNamespace(fs=fs, config={})
    try:
        COMPILED_MULTI_STAGE_SCHEMA(data)  # DVC checks the schema before it resolves
    except MultipleInvalid as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.path) or 'top level'}: {e.msg}" for e in err.errors[:5]
        )
        raise UsageError(f"is not a valid DVC pipeline: {problems}", where=where,
                         fix="fix it as `dvc status` reports it") from err
    try:
        found = DataResolver(repo, folder, data)
        return {
            "metrics": found.resolve_metrics(),
            "params": found.resolve_params(),
            "plots": found.resolve_plots(),
            "stages": found.resolve()["stages"],
        }
    except DvcException as err:
        raise UsageError(
            f"DVC cannot resolve it: {err}",
            where=where,
            fix="define the variable under `vars:` (or in params.yaml next to the dvc.yaml) "
            "or fix the expression; `dvc status` shows the same error",
        ) from err


def _check_matrix_sizes(data: dict[str, Any], where: str) -> None:
    """A LimitError when a ``matrix:`` of literal lists would generate too many stages."""
    stages = data.get("stages")
    for name, stage in stages.items() if isinstance(stages, dict) else ():
        matrix = stage.get("matrix") if isinstance(stage, dict) else None
        count = 1
        for values in matrix.values() if isinstance(matrix, dict) else ():
            count *= len(values) if isinstance(values, (list, dict)) and values else 1
        if count > MAX_MATRIX_STAGES:
            raise LimitError(
                f"stage {name!r}: matrix would generate {count} stages, more than "
                f"{MAX_MATRIX_STAGES}",
                where=where,
                fix="split the matrix into smaller stages",
            )
