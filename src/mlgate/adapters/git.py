"""Thin wrappers around the git CLI, with errors users can act on."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlgate.errors import ServiceError, UsageError

SHALLOW_FIX = (
    "fetch the full history: in the workflow set `fetch-depth: 0` on actions/checkout, e.g.\n"
    "  - uses: actions/checkout@v4\n"
    "    with:\n"
    "      fetch-depth: 0"
)


class Git:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                input=input,
                check=False,
                env=None,
            )
        except FileNotFoundError as err:
            raise UsageError("git is not installed", fix="install git and retry") from err
        if check and proc.returncode != 0:
            raise UsageError(
                f"`git {' '.join(args)}` failed: {proc.stderr.strip() or proc.stdout.strip()}",
                where=str(self.root),
            )
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def is_repo(self) -> bool:
        return self.run("rev-parse", "--git-dir", check=False).returncode == 0

    def require_repo(self) -> None:
        if not self.is_repo():
            raise UsageError(
                "not a git repository",
                where=str(self.root),
                fix="run mlgate from the root of your git checkout",
            )

    def rev(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def has_remote(self, remote: str) -> bool:
        return remote in self.out("remote").split()

    def fetch(self, remote: str, *refspecs: str, extra: tuple[str, ...] = ()) -> bool:
        proc = self.run("fetch", "--quiet", "--no-tags", *extra, remote, *refspecs, check=False)
        return proc.returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run("merge-base", a, b, check=False)
        return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None

    def show(self, sha: str, path: str) -> str | None:
        """The text of ``path`` at commit ``sha``, or None when it does not exist there."""
        proc = self.run("cat-file", "-p", f"{sha}:{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def ls_files(self, sha: str) -> list[str]:
        return self.out("ls-tree", "-r", "--name-only", sha).splitlines()

    def first_parents(self, sha: str, limit: int) -> list[str]:
        return self.out("rev-list", "--first-parent", f"--max-count={limit}", sha).splitlines()

    def subject(self, sha: str) -> str:
        return self.out("log", "-1", "--format=%s", sha)

    def current_branch(self) -> str | None:
        proc = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return proc.stdout.strip() or None


def push_failed(remote: str, what: str, stderr: str) -> ServiceError:
    return ServiceError(
        f"pushing {what} to {remote!r} failed: {stderr.strip()}",
        fix="check that the token may push (workflow `permissions: contents: write`) "
        "and that the remote exists",
    )
