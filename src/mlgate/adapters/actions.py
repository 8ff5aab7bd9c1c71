"""What mlgate reads from (and writes to) the GitHub Actions environment.

Built from a plain mapping so that tests pass a dict instead of patching ``os.environ``.
The workflow commands (annotations, log groups, masking) are built by the functions at the end.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any, TextIO

from mlgate.errors import UsageError


@dataclass(frozen=True, slots=True)
class GitHubEnv:
    repository: str | None = None
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    event_name: str | None = None
    event_path: Path | None = None
    sha: str | None = None
    ref: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    run_id: str | None = None
    output_path: Path | None = None
    summary_path: Path | None = None
    token: str | None = None

    def __repr__(self) -> str:  # never the token: a repr ends up in logs and tracebacks
        shown = replace(self, token="***" if self.token else None)
        fields = (f"{f.name}={getattr(shown, f.name)!r}" for f in dataclass_fields(self))
        return f"GitHubEnv({', '.join(fields)})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHubEnv:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def path(name: str) -> Path | None:
            value = get(name)
            return Path(value) if value else None

        return cls(
            repository=get("GITHUB_REPOSITORY"),
            api_url=(get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            server_url=(get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            event_name=get("GITHUB_EVENT_NAME"),
            event_path=path("GITHUB_EVENT_PATH"),
            sha=get("GITHUB_SHA"),
            ref=get("GITHUB_REF"),
            base_ref=get("GITHUB_BASE_REF"),
            head_ref=get("GITHUB_HEAD_REF"),
            run_id=get("GITHUB_RUN_ID"),
            output_path=path("GITHUB_OUTPUT"),
            summary_path=path("GITHUB_STEP_SUMMARY"),
            token=get("GITHUB_TOKEN") or get("INPUT_GITHUB_TOKEN"),
        )

    @property
    def on_github(self) -> bool:
        return bool(self.event_path and self.repository)

    def event(self) -> dict[str, Any]:
        """The webhook payload of the triggering event ({} when not on GitHub)."""
        if not self.event_path:
            return {}
        where = f"GITHUB_EVENT_PATH={self.event_path}"
        try:
            data = json.loads(self.event_path.read_bytes().decode("utf-8"))
        except FileNotFoundError as err:
            raise UsageError(
                "the GitHub event file does not exist", where=where,
                fix="unset GITHUB_EVENT_PATH when running outside GitHub Actions",
            ) from err
        except OSError as err:
            raise UsageError(f"cannot read the GitHub event file ({err.strerror})",
                             where=where, fix="point GITHUB_EVENT_PATH at the event's JSON "
                                              "file (GitHub Actions sets it)") from err
        except UnicodeDecodeError as err:
            raise UsageError(f"the GitHub event file is not UTF-8 ({err.reason} at byte "
                             f"{err.start})", where=where) from err
        except (ValueError, RecursionError) as err:
            raise UsageError(f"the GitHub event file is not valid JSON "
                             f"({type(err).__name__}: {str(err)[:200]})", where=where) from err
        if not isinstance(data, dict):
            return {}
        _check_pull_request(data.get("pull_request"), where)
        return data

    def pull_request(self) -> dict[str, Any] | None:
        """The event's ``pull_request`` (its shape checked by :meth:`event`)."""
        pr = self.event().get("pull_request")
        return pr if isinstance(pr, dict) else None

    def pr_base_branch(self) -> str | None:
        pr = self.pull_request()
        if pr:
            ref = (pr.get("base") or {}).get("ref")
            if ref:
                return str(ref)
        return self.base_ref


def _check_pull_request(pr: Any, where: str) -> None:
    """The event's ``pull_request``, checked for shape where the event is read, so that no
    reader of the event (the report's PR number and head commit included) sees a malformed
    one: exit 2 naming the field."""
    fix = ("the event file is the webhook payload GitHub Actions writes: do not rewrite it, "
           "or give `pull_request` its documented shape")
    if pr is None:
        return
    if not isinstance(pr, dict):
        raise UsageError(f"pull_request must be an object in the event file, got "
                         f"{type(pr).__name__}", where=where, fix=fix)
    number = pr.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise UsageError(f"pull_request.number must be a whole number in the event file, got "
                         f"{type(number).__name__}", where=where, fix=fix)
    for side in ("head", "base"):
        part = pr.get(side)
        if part is not None and not isinstance(part, dict):
            raise UsageError(f"pull_request.{side} must be an object in the event file, "
                             f"got {type(part).__name__}", where=where, fix=fix)
        for key in ("sha", "ref"):
            value = (part or {}).get(key)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"pull_request.{side}.{key} must be a string in the event "
                                 f"file, got {type(value).__name__}", where=where, fix=fix)


def _append(path: Path, text: str, variable: str) -> None:
    """Append to a file the runner gave us; a path we cannot write is the environment's
    fault (exit 2 naming the variable), not an internal error."""
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except (OSError, UnicodeEncodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not encodable as UTF-8"
        raise UsageError(f"cannot write {variable} ({reason})", where=f"{variable}={path}",
                         fix=f"point {variable} at a writable file (GitHub Actions sets it)"
                         ) from err


def output_entry(name: str, value: str) -> str:
    """One entry of ``$GITHUB_OUTPUT``. A value with a line break goes in a heredoc closed by a
    random ``ghadelimiter_<uuid>``, as GitHub's own toolkit writes it, so that no value (a
    metric name in ``failed-rules``) can close it early and add outputs of its own. The runner
    reads lines as .NET does: ``\r`` alone also ends a line."""
    import uuid

    if not name or any(c in name for c in "=<\r\n"):
        raise ValueError(f"bad step output name {name!r}")
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    if delimiter in value:
        raise UsageError(f"the value of output {name!r} contains its delimiter",
                         where="GITHUB_OUTPUT", fix="report this: it should never happen")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def set_output(name: str, value: str, env: GitHubEnv | None = None) -> None:
    """Append ``name=value`` to ``$GITHUB_OUTPUT`` (no-op outside Actions)."""
    env = env or GitHubEnv.from_env()
    if not env.output_path:
        return
    _append(env.output_path, output_entry(name, value), "GITHUB_OUTPUT")


def append_summary(markdown: str, env: GitHubEnv | None = None) -> bool:
    """Append Markdown to the job summary; returns False outside Actions."""
    env = env or GitHubEnv.from_env()
    if not env.summary_path:
        return False
    _append(env.summary_path, markdown.rstrip("\n") + "\n", "GITHUB_STEP_SUMMARY")
    return True


def copy_summary(env: GitHubEnv, dest: str | None) -> None:
    """Append this step's job summary to ``dest`` (MLGATE_SUMMARY_COPY).

    Summaries are per step and only shown on github.com; the copy serves runs with act, where
    nothing shows them, and the end-to-end tests. Best effort: a copy never fails a step.
    """
    if not dest or not env.summary_path:
        return
    try:
        text = env.summary_path.read_text(encoding="utf-8")
        if text:
            with open(dest, "a", encoding="utf-8") as fh:
                fh.write(text)
    except OSError:
        pass


# Workflow commands. GitHub decodes %25, %0D and %0A in a command's message; a property
# (title=...) additionally needs ':' and ',' encoded.


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(line: str, out: TextIO | None) -> None:
    print(line, file=out or sys.stdout, flush=True)


def annotate(level: str, title: str, message: str, out: TextIO | None = None) -> None:
    """One ``::error::`` / ``::warning::`` annotation (a line in the log on GitHub)."""
    _command(f"::{level} title={_escape_property(title)}::{_escape_data(message)}", out)


_masked: set[str] = set()


def mask(secret: str | None, out: TextIO | None = None) -> None:
    """Hide ``secret`` in the rest of the job's log (once per value and process)."""
    if secret and secret not in _masked:
        _masked.add(secret)
        _command(f"::add-mask::{_escape_data(secret)}", out)


@contextmanager
def group(title: str | None, out: TextIO | None = None) -> Iterator[None]:
    """Fold what is printed inside into one log group (no group when ``title`` is None)."""
    if title is None:
        yield
        return
    _command(f"::group::{_escape_data(' '.join(title.split()))}", out)
    try:
        yield
    finally:
        _command("::endgroup::", out)
