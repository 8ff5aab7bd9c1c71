"""Loading the training table (CSV or Parquet) and fingerprinting it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.bz2", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def data_format(path: str) -> str:
    lower = path.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(CSV_SUFFIXES):
        return "csv"
    raise UsageError(
        f"unsupported data format: {path}",
        where="train.data",
        fix="use a CSV (.csv, .tsv, optionally compressed) or Parquet (.parquet) file",
    )


def dvc_tracked(root: Path, rel: str) -> bool:
    """Whether ``rel`` looks DVC-tracked: a ``.dvc`` file for it or a parent, or dvc.lock."""
    path = Path(rel)
    candidates = [path, *path.parents]
    for candidate in candidates:
        if candidate == Path("."):
            break
        if (root / f"{candidate}.dvc").exists():
            return True
    lock = root / "dvc.lock"
    if lock.exists():
        try:
            return rel in lock.read_text(encoding="utf-8")
        except OSError:
            return False
    return False


def _missing_fix(root: Path, rel: str) -> str:
    if dvc_tracked(root, rel):
        return (
            f"{rel} is tracked by DVC but not in the workspace: run `mlgate pull` (or "
            "`dvc pull`) first"
        )
    if (root / ".dvc").is_dir():
        return (
            "check the path (relative to the repository root); if the file is DVC data, "
            "track it with `dvc add` and run `mlgate pull` in CI"
        )
    return "check the path (relative to the repository root)"


def resolve_data_path(root: Path, rel: str, where: str) -> Path:
    path = Path(rel)
    full = path if path.is_absolute() else root / path
    if not full.exists():
        raise UsageError(f"data file not found: {rel}", where=where, fix=_missing_fix(root, rel))
    if full.is_dir():
        raise UsageError(
            f"is a directory, expected a CSV or Parquet file: {rel}",
            where=where,
            fix="point train.data at one file",
        )
    return full


def load_table(path: Path, where: str, *, root: Path | None = None) -> pd.DataFrame:
    """Read CSV (pandas' C parser) or Parquet into a DataFrame."""
    import pandas as pd

    fmt = data_format(path.name)
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep="\t" if ".tsv" in path.name.lower() else ",")
    except Exception as err:  # anything unreadable is a data problem
        fix = f"check that the file is valid {fmt.upper()}"
        if (
            root is not None
            and path.is_relative_to(root)
            and dvc_tracked(root, path.relative_to(root).as_posix())
        ):
            fix += " (if it is a DVC pointer or a partial download, run `mlgate pull`)"
        raise UsageError(
            f"cannot read {fmt.upper()} data {path.name}: {type(err).__name__}: {err}",
            where=where,
            fix=fix,
        ) from err


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
