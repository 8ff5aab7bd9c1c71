"""Fetching a model file as it was at a commit (the gto registry entry of a command deploy)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mlgate.errors import ServiceError, UsageError


def fetch_at_commit(root: Path, rel: str, commit: str, dest_dir: Path) -> Path:
    """``rel`` (committed, or tracked by DVC) as of ``commit``, saved in ``dest_dir``.

    DVC reads both: a file committed to git and one tracked by DVC (from its cache, else its
    remote). The model must be one of them: the workspace only has the current model.
    """
    where = f"{rel} at commit {commit[:12]}"
    if not commit:
        raise UsageError("the version's commit is unknown", where=where)
    try:
        import dvc.api
        from dvc.exceptions import DvcException
        from scmrepo.exceptions import SCMError
    except ImportError as err:
        raise UsageError(
            "fetching the earlier model needs DVC, which is not installed", where=where,
            fix="install mlgate[dvc] (actions/setup: `extras: dvc,gto`)") from err
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / Path(rel).name
    fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as sink, dvc.api.open(rel, repo=str(root), rev=commit,
                                                      mode="rb") as source:
            while block := source.read(1 << 20):
                sink.write(block)
        os.replace(tmp, dest)
    except (DvcException, SCMError) as err:
        raise UsageError(
            f"cannot read the model of that version ({type(err).__name__}: {err})", where=where,
            fix="track the model file with DVC (a dvc.yaml `outs:` or `dvc add`, pushed to "
            "the remote) or commit it, so that each registered version has its model; "
            "or use `registry: github-release`") from err
    except OSError as err:
        raise ServiceError(f"cannot fetch the model ({err})", where=where) from err
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
