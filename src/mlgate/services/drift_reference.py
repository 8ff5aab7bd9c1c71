"""Finding and reading the data ``mlgate drift`` compares: the reference and the current table.

The reference is ``--reference FILE`` when given, else the training data of the deployed
model: the path and SHA-256 that the trainer recorded in ``<out>/model/model.json`` (or in
``--model FILE``). Without either file, on GitHub, the ``model.json`` asset of the model's
live release (the repository's latest release, when it is this model's; ``github-release``
deploys ship it) is downloaded to ``<out>/drift/model.json``. When the workspace file is
missing or has other contents, that version is fetched with DVC (``dvc.api.open`` at the
commit recorded in the model JSON) into ``<out>/drift/``, and its hash is checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import UsageError
from mlgate.train import data as data_io

if TYPE_CHECKING:
    from mlgate.adapters.actions import GitHubEnv
    from mlgate.adapters.github import Connect

MODEL_JSON = Path("model") / "model.json"
FETCH_DIR = "drift"
Log = Callable[[str], None]


@dataclass(frozen=True)
class DataFile:
    """A table mlgate read: where from, its hash, and (for the reference) its model."""

    path: Path  # the file actually read
    shown: str  # how messages and reports name it
    sha256: str
    source: str  # "file" (given on the command line) | "workspace" | "dvc"
    commit: str | None = None  # the training commit, for a model's data
    model: dict[str, Any] | None = None  # the model JSON, when the reference came from it


def read_table(file: DataFile, where: str) -> Any:
    """The file as a pandas DataFrame (CSV or Parquet)."""
    try:
        data_io.data_format(file.path.name)
    except UsageError as err:
        raise UsageError(err.message, where=where, fix=err.fix) from err
    return data_io.load_table(file.path, where)


def given_file(root: Path, value: str, where: str) -> DataFile:
    """A file named on the command line (``--current``, ``--reference``)."""
    path = Path(value) if Path(value).is_absolute() else root / value
    if not path.is_file():
        raise UsageError(f"no such file: {value}", where=where,
                         fix="pass an existing CSV or Parquet file")
    return DataFile(path, value, data_io.file_sha256(path), "file")


def load_model_json(path: Path, shown: str) -> dict[str, Any]:
    if not path.is_file():
        raise UsageError(
            "no reference data: no --reference was given and there is no model JSON",
            where=shown,
            fix="pass --reference FILE (the data to compare with), or --model FILE (the "
                "deployed model's model.json, written by `mlgate train`)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"cannot read the model JSON ({err})", where=shown) from err
    data = meta.get("data") if isinstance(meta, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("path"), str) or not isinstance(
            data.get("sha256"), str):
        raise UsageError(
            "the model JSON has no training data record (data.path and data.sha256)",
            where=shown,
            fix="pass --reference FILE; models trained by a `train: {command: ...}` or "
                "dvc.yaml pipeline do not record their data")
    return dict(meta)


def model_reference(
    root: Path, out: Path, model_arg: str | None, log: Log,
    gh: GitHubEnv | None = None, connect: Connect | None = None,
) -> DataFile:
    """The deployed model's training data, from the workspace or fetched with DVC (the model
    JSON from the live release when ``gh``/``connect``, the command's, allow)."""
    meta_path = Path(model_arg) if model_arg else out / MODEL_JSON
    meta_path = meta_path if meta_path.is_absolute() else root / meta_path
    if not model_arg and not meta_path.is_file():
        meta_path = release_model_json(
            root, out / FETCH_DIR / "model.json", log, gh, connect) or meta_path
    shown = model_arg or _rel(meta_path, root)
    meta = load_model_json(meta_path, shown)
    rel, sha = meta["data"]["path"], meta["data"]["sha256"]
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise UsageError(f"data.path must be a path inside the repository, got {rel!r}",
                         where=shown, fix="pass --reference FILE")
    commit = meta.get("commit") if isinstance(meta.get("commit"), str) else None
    local = root / rel
    if local.is_file() and data_io.file_sha256(local) == sha:
        return DataFile(local, rel, sha, "workspace", commit, meta)
    why = "is not in the workspace" if not local.is_file() else "has other contents now"
    if commit is None:
        raise UsageError(
            f"the model's training data {rel} {why}, and the model JSON records no commit "
            "to fetch it from", where=shown,
            fix="pass --reference FILE, or restore the data the model was trained on")
    fetched = out / FETCH_DIR / f"reference-{sha[:16]}{_suffix(rel)}"
    if fetched.is_file() and data_io.file_sha256(fetched) == sha:
        return DataFile(fetched, rel, sha, "dvc", commit, meta)
    log(f"drift: {rel} {why}; fetching the version of commit {commit[:12]} with DVC")
    got = fetch_with_dvc(root, rel, commit, fetched, shown)
    if got != sha:
        fetched.unlink(missing_ok=True)
        raise UsageError(
            f"{rel} at commit {commit[:12]} has SHA-256 {got[:12]}..., not the model's "
            f"{sha[:12]}...", where=shown,
            fix="the model was trained on uncommitted data: pass --reference FILE")
    return DataFile(fetched, rel, sha, "dvc", commit, meta)


def release_model_json(
    root: Path, dest: Path, log: Log, gh: GitHubEnv | None = None,
    connect: Connect | None = None,
) -> Path | None:
    """``model.json`` of the model's live release (the repository's latest release when its
    tag is this model's), saved to ``dest``; None off GitHub, without a github-release deploy
    configured, or when the release has none. ``connect`` builds the GitHub client (the
    command's main makes it; None: no release is asked)."""
    from mlgate.config import load_config

    config = load_config(None, root)
    deploy = config.deploy  # parsed at load; a section without a target names no release
    if (gh is None or connect is None or not (gh.repository and gh.token)
            or deploy is None or deploy.target is None):
        return None
    settings = deploy.with_overrides()
    if "github-release" not in (settings.target, settings.registry):
        return None
    prefix = settings.release_prefix(config.model_name(root))
    api = connect(lazy=False, permissions="contents: read")
    tag = api.call("download model.json of the latest release",
                   lambda: _download_model_json(api, prefix, dest))
    if tag is None:
        return None
    log(f"drift: the model JSON is release {tag}'s model.json")
    return dest


def _download_model_json(api: Any, prefix: str, dest: Path) -> str | None:
    from github import GithubException

    try:
        release = api.repo().get_latest_release()
    except GithubException as err:
        if err.status == 404:
            return None
        raise
    if not str(release.tag_name).startswith(prefix):
        return None
    for asset in release.get_assets():
        if asset.name == "model.json":
            dest.parent.mkdir(parents=True, exist_ok=True)
            asset.download_asset(str(dest), chunk_size=1 << 16)
            return str(release.tag_name)
    return None


def _suffix(rel: str) -> str:
    name = Path(rel).name.lower()
    for suffix in (*data_io.PARQUET_SUFFIXES, *data_io.CSV_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return Path(rel).suffix


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def fetch_with_dvc(root: Path, rel: str, commit: str, dest: Path, where: str) -> str:
    """Stream ``rel`` as of ``commit`` (DVC cache, else its remote) to ``dest``; its SHA-256.

    This belongs with the other DVC calls in ``mlgate.adapters.dvc`` once that module's
    restructuring (issue 10) has landed.
    """
    try:
        import dvc.api
        from dvc.exceptions import DvcException
        from scmrepo.exceptions import SCMError
    except ImportError as err:
        raise UsageError(
            "fetching the reference data needs DVC, which is not installed",
            where=where, fix="install mlgate[dvc] (actions/setup: `extras: dvc`), "
            "or pass --reference FILE") from err
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as sink, dvc.api.open(rel, repo=str(root), rev=commit,
                                                      mode="rb") as source:
            while block := source.read(1 << 20):
                digest.update(block)
                sink.write(block)
        os.replace(tmp, dest)
    except (DvcException, SCMError, OSError) as err:
        raise _fetch_error(err, rel, commit, where) from err
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return digest.hexdigest()


def _fetch_error(err: Exception, rel: str, commit: str, where: str) -> Exception:
    from mlgate.adapters.dvc import classify_failure
    from mlgate.errors import ServiceError

    chain: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and len(chain) < 20:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    names = {type(e).__name__ for e in chain}
    if "FileMissingError" in names:
        return ServiceError(
            f"{rel} of commit {commit[:12]} is neither in the DVC cache nor on the DVC remote "
            f"({chain[-1]})", where=where,
            fix="check that the data was pushed (`dvc push`) and that the remote and its "
                "credentials are configured for this job, or pass --reference FILE")
    if names & {"PathMissingError", "OutputNotFoundError"}:
        return UsageError(f"{rel} is not DVC-tracked at commit {commit[:12]} ({err})",
                          where=where, fix="pass --reference FILE")
    if names & {"RevError", "SCMError", "NoSCMError", "NotDvcRepoError"}:
        return UsageError(
            f"cannot read commit {commit[:12]} of this repository ({type(err).__name__}: "
            f"{err})", where=where,
            fix="check out the full history (actions/checkout with `fetch-depth: 0`) in a "
                "git+DVC repository, or pass --reference FILE")
    return classify_failure(err, [], None)
