"""Errors users can act on, each tied to one of the exit codes of the CLI contract.

Exit codes: 0 success / gate passed, 1 gate failed, 2 bad input or usage,
3 an outside service (DVC remote, GitHub API) failed after retries.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3

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
