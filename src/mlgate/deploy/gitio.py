"""The few git operations deploy needs, run with the git command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlgate.errors import ServiceError, UsageError


class GitError(Exception):
    def __init__(self, args: list[str], stderr: str) -> None:
        super().__init__(f"git {' '.join(args)} failed: {stderr.strip()}")
        self.stderr = stderr


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=self.root, capture_output=True, text=True, check=False
            )
        except FileNotFoundError as err:
            raise UsageError("git is not installed", fix="install git") from err
        if check and proc.returncode != 0:
            raise GitError(list(args), proc.stderr)
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def head(self) -> str:
        proc = self.run("rev-parse", "--verify", "HEAD^{commit}", check=False)
        if proc.returncode != 0:
            raise UsageError(
                "not a git repository with a commit checked out",
                where=str(self.root),
                fix="run mlgate deploy from the root of the repository checkout",
            )
        return proc.stdout.strip()

    def resolve(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def is_ancestor(self, commit: str, of: str) -> bool:
        return self.run("merge-base", "--is-ancestor", commit, of, check=False).returncode == 0

    def show(self, commit: str, path: str) -> str | None:
        proc = self.run("show", f"{commit}:{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def tags(self, pattern: str) -> list[str]:
        return [t for t in self.out("tag", "--list", pattern).splitlines() if t]

    def tags_at(self, commit: str) -> list[str]:
        return [t for t in self.out("tag", "--points-at", commit).splitlines() if t]

    def tag_message(self, tag: str) -> str:
        return self.out("tag", "--list", "--format=%(contents)", tag)

    def tag_commit(self, tag: str) -> str | None:
        return self.resolve(f"refs/tags/{tag}")

    def delete_tags(self, tags: list[str]) -> None:
        if tags:
            self.run("tag", "--delete", *tags, check=False)

    def remote_url(self, remote: str) -> str:
        proc = self.run("remote", "get-url", remote, check=False)
        if proc.returncode != 0:
            raise UsageError(
                f"git remote {remote!r} does not exist",
                where="deploy.remote",
                fix="add the remote (`git remote add`) or set `deploy: {remote: NAME}`",
            )
        return proc.stdout.strip()

    def fetch_tags(self, remote: str) -> None:
        proc = self.run("fetch", "--quiet", "--tags", remote, check=False)
        if proc.returncode != 0:
            raise ServiceError(
                f"could not fetch tags from git remote {remote!r}: {proc.stderr.strip()}",
                fix="check the remote URL and the credentials of the checkout",
            )

    def user_identity(self) -> tuple[str | None, str | None]:
        name = self.run("config", "user.name", check=False).stdout.strip() or None
        email = self.run("config", "user.email", check=False).stdout.strip() or None
        return name, email
