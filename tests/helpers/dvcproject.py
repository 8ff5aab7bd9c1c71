"""Real git + DVC projects in temp dirs, for tests (and for anyone who needs one).

``make_dvc_project`` builds a repository the way a user would: ``git init``, ``dvc init``, a
local-directory default remote, a data file tracked by DVC (``dvc add``), an optional
``mlgate.yaml``, one commit, and ``dvc push``. Everything runs in-process through DVC's Python
API (no ``dvc`` subprocesses), so it takes well under a second.

Typical use::

    root = make_dvc_project(tmp_path / "proj", remote_dir=tmp_path / "remote",
                            data=breast_cancer_frame(200), config_yaml=TRAIN_YAML)
    drop_local_data(root)          # as a fresh CI checkout: no data, no cache
    pull(root, ...)                # then bring it back from the remote

The caller's environment should have ``DVC_NO_ANALYTICS=1`` and ``DVC_SITE_CACHE_DIR`` set
(tests/conftest.py does it for every test) and a git identity.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_DATA_PATH = "data/train.csv"
REMOTE_NAME = "storage"


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def write_data(path: Path, data: pd.DataFrame | str | bytes) -> None:
    """Write a DataFrame (CSV or Parquet by the file's extension), CSV text, or raw bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif path.suffix in (".parquet", ".pq"):
        data.to_parquet(path, index=False)
    else:
        data.to_csv(path, index=False)


def make_dvc_project(
    path: Path,
    *,
    remote_dir: Path,
    data_frame_or_csv_text: pd.DataFrame | str | bytes,
    config_yaml: str | None = None,
    data_path: str = DEFAULT_DATA_PATH,
    extra_files: dict[str, str] | None = None,
    push: bool = True,
) -> Path:
    """Build a committed git+DVC project at ``path`` and return its root.

    - ``remote_dir``: a directory used as the default DVC remote (named ``storage``);
      created when missing.
    - ``data_frame_or_csv_text``: the tracked data: a DataFrame (written as CSV, or as Parquet
      when ``data_path`` ends in ``.parquet``), CSV text, or raw bytes.
    - ``config_yaml``: the text of ``mlgate.yaml``; none is written when ``None``.
    - ``data_path``: where the data goes, relative to the root (``data/train.csv``); it is
      tracked with ``dvc add`` (so ``data/train.csv.dvc`` is committed, the data is not).
    - ``extra_files``: more files to write and commit (e.g. ``dvc.yaml``, ``train.py``).
    - ``push``: ``dvc push`` to the remote after the commit (default true).

    The branch is ``main``; the working tree is clean afterwards.
    """
    from dvc.repo import Repo

    path.mkdir(parents=True, exist_ok=True)
    remote_dir.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    Repo.init(str(path)).close()
    with Repo(str(path)) as repo:
        with repo.config.edit() as conf:
            conf["remote"][REMOTE_NAME] = {"url": str(remote_dir)}
            conf["core"]["remote"] = REMOTE_NAME
        write_data(path / data_path, data_frame_or_csv_text)
        repo.add(str(path / data_path))
        if config_yaml is not None:
            (path / "mlgate.yaml").write_text(config_yaml, encoding="utf-8")
        for rel, text in (extra_files or {}).items():
            target = path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "Project with DVC-tracked data")
        if push:
            repo.push()
    return path


def track_data(
    root: Path,
    rel: str,
    data: pd.DataFrame | str | bytes,
    *,
    message: str | None = None,
    push: bool = True,
) -> str:
    """Write ``rel``, ``dvc add`` it, commit (the ``.dvc`` file) and push; returns the commit.

    Also how to change tracked data on a branch: write new contents and call it again.
    """
    from dvc.repo import Repo

    write_data(root / rel, data)
    with Repo(str(root)) as repo:
        repo.add(str(root / rel))
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", message or f"Track {rel}")
        if push:
            repo.push()
    return git(root, "rev-parse", "HEAD")


def add_dvc_remote(
    root: Path, name: str, url: str, *, default: bool = False, **options: Any
) -> None:
    """Add (or replace) a DVC remote in ``.dvc/config``; ``options`` e.g. ``endpointurl``."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo, repo.config.edit() as conf:
        conf["remote"][name] = {"url": url, **options}
        if default:
            conf["core"]["remote"] = name


def push(root: Path, remote: str | None = None) -> int:
    """``dvc push`` (to ``remote`` or the default); returns the number of files pushed."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return int(repo.push(remote=remote))


def drop_local_data(root: Path, data_paths: tuple[str, ...] = (DEFAULT_DATA_PATH,)) -> None:
    """Remove the data files and the DVC cache, as in a fresh clone (``.dvc/tmp`` too)."""
    for rel in data_paths:
        (root / rel).unlink(missing_ok=True)
    shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)
    shutil.rmtree(root / ".dvc" / "tmp", ignore_errors=True)


def breast_cancer_frame(rows: int | None = None) -> pd.DataFrame:
    """scikit-learn's breast cancer table (offline) with a ``target`` column; first ``rows``."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    # Spaces in the column names are legal but make test configs harder to read.
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame if rows is None else frame.head(rows).reset_index(drop=True)
