"""A step that failed before compare: its record in ``.mlgate/failed-step.json`` and its log.

When pull, the requirements install or train fails (in the all-in-one action or in
``mlgate run``), there is no ``result.json`` to report. The failing step leaves this small
record instead (step, exit code, command, message, the last lines of its log) and
``mlgate report`` renders it, so the PR still gets a comment and a failing check run that say
which step failed. :func:`capture_output` keeps the tail of everything the step wrote to the
job log, its child processes (``dvc repro``, the user's command) included.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import redact_secrets

if TYPE_CHECKING:
    from mlgate.core.result import Result

FAILED_STEP_FILE = "failed-step.json"
TAIL_LINES = 40
LINE_LIMIT = 500  # characters kept of one log line
_READ_SIZE = 65536


@dataclass(frozen=True)
class FailedStep:
    step: str  # pull | requirements | train
    exit_code: int
    command: str | None = None
    message: str = ""
    log_tail: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The record as saved and reported: any URL in it redacted (credentials of a DVC
        remote, signed query strings), since it reaches the PR comment and the check run."""
        return {"step": self.step, "exit_code": self.exit_code,
                "command": redact_secrets(self.command) if self.command else self.command,
                "message": redact_secrets(self.message),
                "log_tail": [redact_secrets(line) for line in self.log_tail]}

    @classmethod
    def from_json(cls, doc: Any) -> FailedStep | None:
        """The record, or None when ``doc`` is not one (a broken record reports nothing)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("step"), str):
            return None
        code = doc.get("exit_code")
        tail = doc.get("log_tail")
        return cls(
            step=doc["step"][:40],
            exit_code=code if isinstance(code, int) and not isinstance(code, bool) else 1,
            command=redact_secrets(doc["command"][:2000])
            if isinstance(doc.get("command"), str) else None,
            message=redact_secrets(str(doc.get("message") or "")[:2000]),
            log_tail=tuple(redact_secrets(str(line)[:LINE_LIMIT]) for line in tail[-TAIL_LINES:])
            if isinstance(tail, list) else (),
        )


def record_path(out: Path) -> Path:
    return out / FAILED_STEP_FILE


def save(out: Path, failed: FailedStep) -> Path:
    """Write the record (and remove an earlier run's result.json: compare did not run)."""
    from mlgate.adapters.result_file import write_json
    from mlgate.core.result import RESULT_FILE

    (out / RESULT_FILE).unlink(missing_ok=True)
    path = record_path(out)
    write_json(path, failed.to_json())
    return path


def clear(out: Path) -> None:
    """Forget an earlier run's failure (a step that starts again replaces it)."""
    record_path(out).unlink(missing_ok=True)


def load(out: Path) -> FailedStep | None:
    from mlgate.yamlio import MAX_FILE_BYTES

    path = record_path(out)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return FailedStep.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def failure_result(failed: FailedStep, name: str, head_sha: str | None = None,
                   head_ref: str | None = None) -> Result:
    """The result a failed run reports: nothing compared, one error, the record attached (the
    report renders it; the verdict fails, as for any result with an error)."""
    from mlgate.core.compare import Diff
    from mlgate.core.result import BaselineInfo, HeadInfo, build_result

    comparison = Diff(passed=False)
    error = f"the {failed.step} step failed (exit {failed.exit_code})"
    result = build_result(name=name, head=HeadInfo(sha=head_sha, ref=head_ref),
                          baseline=BaselineInfo(found=False), comparison=comparison,
                          require_baseline=False, metrics_files=[], errors=[error])
    return replace(result, raw={**result.raw, "failed_step": failed.to_json()})


# ----- the tail of the job log --------------------------------------------------------------


@dataclass
class LogTail:
    """The last ``TAIL_LINES`` lines written, each bounded; fed bytes as they come."""

    lines: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    partial: bytes = b""

    def feed(self, chunk: bytes) -> None:
        data = self.partial + chunk
        *complete, self.partial = data.split(b"\n")
        for raw in complete:
            self.lines.append(_line(raw))
        if len(self.partial) > LINE_LIMIT * 4:  # one endless line stays bounded
            self.lines.append(_line(self.partial))
            self.partial = b""

    def result(self) -> tuple[str, ...]:
        lines = list(self.lines)
        if self.partial:
            lines.append(_line(self.partial))
        return tuple(lines[-TAIL_LINES:])


def _line(raw: bytes) -> str:
    return redact_secrets(raw.decode("utf-8", errors="replace").rstrip("\r"))[:LINE_LIMIT]


@contextmanager
def capture_output(tail: LogTail) -> Iterator[None]:
    """Everything written to this process's stdout and stderr (file descriptors 1 and 2, so
    child processes too) still reaches them, and its tail is kept in ``tail``."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = os.dup(1), os.dup(2)
    except OSError:  # no stdout or stderr to keep: nothing to capture
        yield
        return
    read_end, write_end = os.pipe()
    reader = threading.Thread(target=_pump, args=(read_end, saved[0], tail), daemon=True)
    reader.start()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[1])
        # A child left running in the background may hold the pipe open: do not wait for it.
        reader.join(timeout=5)
        if not reader.is_alive():
            os.close(saved[0])


def _pump(read_end: int, out: int, tail: LogTail) -> None:
    try:
        while chunk := os.read(read_end, _READ_SIZE):
            tail.feed(chunk)
            _write_all(out, chunk)
    finally:
        os.close(read_end)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except OSError:
            return
        view = view[written:]
