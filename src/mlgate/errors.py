"""Errors users can act on, each tied to one of the exit codes of the CLI contract.

Exit codes: 0 success / gate passed, 1 gate failed, 2 bad input or usage,
3 an outside service (DVC remote, GitHub API) or the user's own command failed after retries,
4 an internal error (a bug in mlgate).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3
EXIT_INTERNAL = 4  # a bug in mlgate: never raised on purpose, the CLI maps stray exceptions to it

INTERNAL_ERROR_FIX = (
    "this is a bug in mlgate. Re-run with MLGATE_DEBUG=1 for the traceback and report it"
)

DOCS_URL = "https://github.com/mlgate/mlgate#readme"


class MlgateError(Exception):
    """An error with a message for the user: what failed, where, and how to fix it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.fix = fix

    def render(self) -> str:
        lines = [self.message if not self.where else f"{self.where}: {self.message}"]
        if self.fix:
            lines.append(f"How to fix: {self.fix}")
        return "\n".join(lines)


class UsageError(MlgateError):
    """Bad input: a file, key, option or action input that is wrong (exit 2)."""

    exit_code = EXIT_USAGE


class ServiceError(MlgateError):
    """An outside service (DVC remote, GitHub API, git remote) failed after retries (exit 3)."""

    exit_code = EXIT_SERVICE


class GateFailed(MlgateError):
    """A gate or deploy refusal (exit 1)."""

    exit_code = EXIT_GATE_FAILED


class GitError(UsageError):
    """A git command failed on the repository (exit 2): the command and git's own message.

    Failures of a git remote (fetch, push) are raised as ``ServiceError`` instead (exit 3).
    """

    def __init__(
        self, args: Sequence[str], stderr: str, *, where: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.command = "git " + " ".join(args)
        self.stderr = stderr
        super().__init__(f"`{self.command}` failed: {stderr.strip()}", where=where, fix=fix)


# ----- secrets in URLs ------------------------------------------------------------------------
# A DVC remote's URL may carry credentials (``https://user:SECRET@host/...``, a pre-signed
# ``?X-Amz-Signature=...``, ``?token=...``). Wherever mlgate shows a URL (logs, errors,
# failed-step.json, and so the PR comment and check run) it goes through these first.

REDACTED = "***"
_SECRET_QUERY_WORDS = ("token", "sig", "secret", "pass", "pwd", "key", "auth", "credential",
                       "session", "cookie")
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<netloc>[^/?#\s'\"<>`]*)"
                  r"(?P<rest>[^\s'\"<>`]*)")


def _secret_key(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_QUERY_WORDS)


def _redact_params(params: str) -> str:
    parts = re.split(r"([&;])", params)
    out = []
    for part in parts:
        key, eq, value = part.partition("=")
        out.append(f"{key}={REDACTED}" if eq and value and _secret_key(key) else part)
    return "".join(out)


def _redact_match(match: re.Match[str]) -> str:
    netloc = match["netloc"]
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    rest = match["rest"]
    path, hash_, fragment = rest.partition("#")
    path, question, query = path.partition("?")
    if question:
        query = _redact_params(query)
    if hash_:
        fragment = _redact_params(fragment)
    return f"{match['scheme']}{netloc}{path}{question}{query}{hash_}{fragment}"


def redact_url(url: str) -> str:
    """``url`` as it may be shown: user info (``user:password@``) and the values of
    secret-looking query parameters (token, signature, key, password, credential…) replaced by
    ``***``. A local path is returned as it is."""
    return _URL.sub(_redact_match, url)


def redact_secrets(text: str) -> str:
    """``text`` with every URL in it redacted as :func:`redact_url` does."""
    return _URL.sub(_redact_match, text) if "://" in text else text
