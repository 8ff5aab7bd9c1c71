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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlgate.errors import UsageError


@dataclass(frozen=True)
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
    token: str | None = field(default=None, repr=False)

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
        try:
            data = json.loads(self.event_path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise UsageError(
                "the GitHub event file does not exist",
                where=f"GITHUB_EVENT_PATH={self.event_path}",
                fix="unset GITHUB_EVENT_PATH when running outside GitHub Actions",
            ) from err
        except json.JSONDecodeError as err:
            raise UsageError(
                f"the GitHub event file is not valid JSON ({err})",
                where=str(self.event_path),
            ) from err
        return data if isinstance(data, dict) else {}

    def pull_request(self) -> dict[str, Any] | None:
        pr = self.event().get("pull_request")
        return pr if isinstance(pr, dict) else None

    def pr_base_branch(self) -> str | None:
        pr = self.pull_request()
        if pr:
            base = pr.get("base") or {}
            ref = base.get("ref")
            if isinstance(ref, str) and ref:
                return ref
        return self.base_ref


def set_output(name: str, value: str, env: GitHubEnv | None = None) -> None:
    """Append ``name=value`` to ``$GITHUB_OUTPUT`` (no-op outside Actions)."""
    env = env or GitHubEnv.from_env()
    if not env.output_path:
        return
    with env.output_path.open("a", encoding="utf-8") as fh:
        if "\n" in value:
            delimiter = "MLGATE_EOF_7f3a"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            fh.write(f"{name}={value}\n")


def append_summary(markdown: str, env: GitHubEnv | None = None) -> bool:
    """Append Markdown to the job summary; returns False outside Actions."""
    env = env or GitHubEnv.from_env()
    if not env.summary_path:
        return False
    with env.summary_path.open("a", encoding="utf-8") as fh:
        fh.write(markdown.rstrip("\n") + "\n")
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
