"""Training by someone else's code: a user command (shell) or ``dvc repro``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mlgate.errors import EXIT_SERVICE, MlgateError, UsageError

Log = Callable[[str], None]


class TrainCommandFailed(MlgateError):
    """The user's training command (or a dvc repro stage) failed: exit with its code."""

    def __init__(self, what: str, code: int, command: str | None = None) -> None:
        super().__init__(
            f"{what} failed with exit code {code}",
            fix="read its output above; run the same command locally to reproduce",
        )
        self.exit_code = EXIT_SERVICE  # its own code is in the message (0-3 are mlgate's)
        self.code = code
        self.command = command


def command_env(out: Path) -> dict[str, str]:
    """The environment of a training command: mlgate's output and model directories added."""
    env = dict(os.environ)
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env["MLGATE_OUT_DIR"] = str(out)
    env["MLGATE_MODEL_DIR"] = str(out / "model")
    return env


def run_command(command: str, root: Path, out: Path, *, log: Log) -> float:
    """Run ``command`` through the shell in ``root``, its output streamed; seconds taken."""
    log(f"train: running `{command}`")
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    try:
        proc = subprocess.run(command, shell=True, cwd=root, env=command_env(out), check=False)
    except OSError as err:
        raise TrainCommandFailed(f"`{command}` ({err})", 127, command) from err
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        # A signal shows as a negative code; report it the way shells do (128 + n).
        code = proc.returncode if proc.returncode > 0 else 128 - proc.returncode
        raise TrainCommandFailed(f"the training command `{command}`", code, command)
    log(f"train: `{command}` finished in {seconds:.1f}s")
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


def run_dvc_repro(root: Path, out: Path, *, log: Log) -> float:
    """``dvc repro`` of the stages in dvc.yaml, as a child process so its output streams."""
    cmd = [*dvc_command(), "repro"]
    log("train: dvc.yaml found and no train: section: running `dvc repro`")
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=root, env=command_env(out), check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        code = proc.returncode if proc.returncode > 0 else 128 - proc.returncode
        raise TrainCommandFailed("`dvc repro`", code, "dvc repro")
    log(f"train: `dvc repro` finished in {seconds:.1f}s")
    return seconds
