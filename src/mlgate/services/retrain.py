"""``baseline: retrain``: train the merge base in a temporary git worktree of the same repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mlgate.adapters.git import Git
from mlgate.config import out_dir
from mlgate.console import PRINTING, Console
from mlgate.core.folds import Folds, FoldSpec
from mlgate.core.metrics import Metric, load_metrics
from mlgate.errors import ServiceError
from mlgate.services.noise import trainer_folds, with_folds
from mlgate.yamlio import read_text


def retrain_metrics(
    git: Git,
    sha: str,
    files: list[str],
    config_path: str | None,
    console: Console = PRINTING,
    *,
    folds: Folds | FoldSpec | None = None,
) -> list[Metric]:
    """Check out ``sha`` in a worktree, pull its data, train it, and read its metrics files.

    The project is the working directory's counterpart in the worktree (a project in a
    subdirectory of the repository is retrained in that subdirectory, with its own DVC cache).

    ``folds``: train on these folds (the PR's), and return the built-in trainer's metrics with
    their per-fold scores, so that they pair with the PR's; for the PR's ``repeats`` (a user
    command or dvc.yaml run K times), run the merge base's training as many times with the
    same seeds, and return each metric's per-run scores."""
    tmp = Path(tempfile.mkdtemp(prefix="mlgate-retrain-"))
    tree = tmp / "tree"
    prefix = git.show_prefix()
    git.run("worktree", "add", "--detach", "--quiet", str(tree), sha)
    try:
        project = _project_dir(tree, prefix, sha)
        cache = git.root / ".dvc" / "cache"
        if (project / ".dvc").is_dir() and cache.is_dir():
            # Reuse the main checkout's DVC cache: data already pulled need not be fetched again.
            _mlgate(
                project, ["pull"], config_path, console,
                extra_env={"MLGATE_DVC_CACHE_DIR": str(cache)},
            )
        _mlgate(project, ["train", *_fold_args(folds)], config_path, console,
                extra_env=_repeat_env(folds))
        at = f"retrained at {sha[:12]}"
        metrics = load_metrics(files, lambda p: _read(project / p, f"{p} ({at})"),
                               missing_ok=False)
        return with_folds(metrics, trainer_folds(out_dir(None, project), metrics))[0]
    finally:
        git.run("worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _project_dir(tree: Path, prefix: str, sha: str) -> Path:
    """The working directory's place in the worktree of ``sha`` (``prefix`` from the top)."""
    project = tree / prefix
    if not project.is_dir():
        raise ServiceError(
            f"retraining the baseline failed: the merge base {sha[:12]} has no "
            f"{prefix.rstrip('/')}/ directory (the project did not exist there yet)",
            fix="merge once with `baseline: auto` and a recorded baseline (`mlgate baseline "
            "record` on pushes to main), or compare this first PR without a baseline",
        )
    return project


def _fold_args(folds: Folds | FoldSpec | None) -> list[str]:
    spec = folds.spec if isinstance(folds, Folds) else folds
    if spec is None:
        return []
    return ["--cv", str(spec.k), "--repeats", str(spec.repeats),
            "--fold-seed", str(spec.fold_seed)]


def _repeat_env(folds: Folds | FoldSpec | None) -> dict[str, str] | None:
    """The environment that makes the worktree's ``mlgate train`` run its command or dvc.yaml
    with the PR's repeats and seeds (services/train.py reads it); None for other folds."""
    from mlgate.train.config import REPEATS_ENV, SEED_ENV

    if not isinstance(folds, Folds) or folds.method != "repeats" or not folds.seeds:
        return None
    seeds = folds.seeds
    if list(seeds) != list(range(seeds[0], seeds[0] + len(seeds))):
        raise ServiceError(f"the PR's runs used seeds {list(seeds)}, not consecutive ones: "
                           "the merge base cannot be run with the same seeds")
    return {REPEATS_ENV: str(len(seeds)), SEED_ENV: str(seeds[0])}


def _read(path: Path, where: str) -> str | None:
    """A metrics file of the retrained commit, read with the bounds of every other read."""
    return read_text(path, where) if path.is_file() else None


def _mlgate(
    cwd: Path,
    args: list[str],
    config_path: str | None,
    console: Console,
    extra_env: dict[str, str] | None = None,
) -> None:
    """Run mlgate in a child process (the worktree is another checkout, with its own config)."""
    cmd = [sys.executable, "-m", "mlgate", *args]
    if config_path:
        cmd += ["--config", config_path]
    env = {**os.environ, **(extra_env or {})}
    console.log(f"retraining the baseline: {' '.join(args)} in a worktree")
    proc = subprocess.run(cmd, cwd=cwd, env=env, check=False)
    if proc.returncode != 0:
        raise ServiceError(
            f"retraining the baseline failed (`mlgate {' '.join(args)}` exited {proc.returncode})",
            fix="check that the base branch trains on its own, or use `baseline: auto` with a "
            "recorded baseline (`mlgate baseline record` on pushes to main)",
        )
