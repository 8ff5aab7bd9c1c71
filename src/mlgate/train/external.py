"""Training by someone else's code: a user command (shell) or ``dvc repro``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlgate.errors import EXIT_SERVICE, MlgateError, UsageError

Log = Callable[[str], None]


class TrainCommandFailed(MlgateError):
    """The user's training command (or a dvc repro stage) failed: exit with its code."""

    def __init__(
        self, what: str, code: int, command: str | None = None, run: Run | None = None
    ) -> None:
        super().__init__(
            f"{what}{run.text() if run else ''} failed with exit code {code}",
            fix="read its output above; run the same command locally to reproduce"
            + (f" (with {run.env_text()} in the environment)" if run and run.count > 1 else ""),
        )
        self.exit_code = EXIT_SERVICE  # its own code is in the message (0-3 are mlgate's)
        self.code = code
        self.command = command
        self.repeat = run.index if run else None


@dataclass(frozen=True, slots=True)
class Run:
    """One of the K runs of ``train: {repeats: K}``: run ``index`` (0-based) of ``count``."""

    index: int
    count: int
    seed: int

    def env(self) -> dict[str, str]:
        return {"MLGATE_SEED": str(self.seed), "MLGATE_REPEAT": str(self.index)}

    def env_text(self) -> str:
        return f"MLGATE_SEED={self.seed} MLGATE_REPEAT={self.index}"

    def text(self) -> str:
        """`` (repeat 2 of 5: MLGATE_SEED=44 MLGATE_REPEAT=2)``; empty for a single run."""
        if self.count == 1:
            return ""
        return f" (repeat {self.index} of {self.count}: {self.env_text()})"


def command_env(out: Path, run: Run | None = None) -> dict[str, str]:
    """The environment of a training command: mlgate's output and model directories added,
    and the run's seed and index when the training runs several times."""
    env = dict(os.environ)
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env["MLGATE_OUT_DIR"] = str(out)
    env["MLGATE_MODEL_DIR"] = str(out / "model")
    if run is not None:
        env.update(run.env())
    return env


def _exit_code(returncode: int) -> int:
    # A signal shows as a negative code; report it the way shells do (128 + n).
    return returncode if returncode > 0 else 128 - returncode


def run_command(
    command: str, root: Path, out: Path, *, log: Log, run: Run | None = None
) -> float:
    """Run ``command`` through the shell in ``root``, its output streamed; seconds taken."""
    ran = run.text() if run else ""
    log(f"train: running `{command}`{ran}")
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    try:
        proc = subprocess.run(command, shell=True, cwd=root, env=command_env(out, run),
                              check=False)
    except OSError as err:
        raise TrainCommandFailed(f"`{command}` ({err})", 127, command, run) from err
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise TrainCommandFailed(f"the training command `{command}`",
                                 _exit_code(proc.returncode), command, run)
    log(f"train: `{command}`{ran} finished in {seconds:.1f}s")
    return seconds


def dvc_command() -> list[str]:
    """``dvc`` from mlgate's own environment (the same venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dvc")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dvc")
    if found:
        return [found]
    if importlib.util.find_spec("dvc") is None:
        raise UsageError(
            "dvc.yaml is there (so training runs `dvc repro`) but DVC is not installed",
            where="dvc.yaml",
            fix="install mlgate with the dvc extra (`pip install 'mlgate[dvc]'`), or add a "
            "`train:` section to mlgate.yaml",
        )
    return [sys.executable, "-m", "dvc"]


def dvc_repro_args(run: Run | None) -> list[str]:
    """``repro``, with ``--force`` when the pipeline runs several times: DVC does not track
    environment variables, so without it a second run (another MLGATE_SEED) would find every
    stage up to date and run nothing; the first is forced too, or it could keep metrics made
    with another seed (a committed dvc.lock, a local run)."""
    return ["repro", "--force"] if run is not None and run.count > 1 else ["repro"]


def run_dvc_repro(root: Path, out: Path, *, log: Log, run: Run | None = None) -> float:
    """``dvc repro`` of the stages in dvc.yaml, as a child process so its output streams."""
    args = dvc_repro_args(run)
    shown = f"dvc {' '.join(args)}"
    cmd = [*dvc_command(), *args]
    ran = run.text() if run else ""
    if not ran:
        log(f"train: dvc.yaml found and no train: command: running `{shown}`{ran}")
    else:
        log(f"train: running `{shown}`{ran}")
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=root, env=command_env(out, run), check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise TrainCommandFailed(f"`{shown}`", _exit_code(proc.returncode), shown, run)
    log(f"train: `{shown}`{ran} finished in {seconds:.1f}s")
    return seconds
