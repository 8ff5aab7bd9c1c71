"""The git command line: the one module of mlgate that runs git.

``run_git`` is the single runner; ``Git`` is a repository checkout with the operations compare,
baseline, retrain, deploy, training and the demo need. A failed command surfaces as
``mlgate.errors.GitError`` (exit 2, with the command and git's message); failures of the remote
(fetch, push) are ``ServiceError`` (exit 3).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlgate.errors import GitError, ServiceError, UsageError

SHALLOW_FIX = (
    "fetch the full history: in the workflow set `fetch-depth: 0` on actions/checkout, e.g.\n"
    "  - uses: actions/checkout@v4\n"
    "    with:\n"
    "      fetch-depth: 0"
)
# Who commits when the runner's git has no identity (a bare runner: "Author identity unknown").
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
_WRITES = frozenset({"notes", "commit", "commit-tree", "tag", "merge"})

PUSH_FIX = (
    "check that the token may push (workflow `permissions: contents: write`) "
    "and that the remote exists"
)


def run_git(
    root: Path,
    args: Sequence[str],
    *,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``git args`` in ``root`` and return the result whatever the exit status."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            input=input,
            check=False,
            env=dict(env) if env is not None else None,
        )
    except FileNotFoundError as err:
        raise UsageError("git is not installed", fix="install git and retry") from err


class Git:
    """A git checkout at ``root``; ``env`` replaces the environment git runs with."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = env
        self._writer_env: Mapping[str, str] | None = None

    def run(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = self._identity_env() if args and args[0] in _WRITES else self.env
        proc = run_git(self.root, args, input=input, env=env)
        if check and proc.returncode != 0:
            raise GitError(args, proc.stderr.strip() or proc.stdout.strip(), where=str(self.root))
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def _identity_env(self) -> Mapping[str, str] | None:
        """The environment for commands that record an author: the user's own identity when
        git has one, else github-actions[bot] (as GitHub's own actions commit)."""
        if self._writer_env is None:
            known = run_git(self.root, ["var", "GIT_COMMITTER_IDENT"], env=self.env)
            base = dict(self.env if self.env is not None else os.environ)
            if known.returncode != 0 or run_git(
                self.root, ["var", "GIT_AUTHOR_IDENT"], env=self.env
            ).returncode != 0:
                for role in ("AUTHOR", "COMMITTER"):
                    base.setdefault(f"GIT_{role}_NAME", BOT_NAME)
                    base.setdefault(f"GIT_{role}_EMAIL", BOT_EMAIL)
            self._writer_env = base
        return self._writer_env

    # -- the repository --------------------------------------------------------------------------

    def is_repo(self) -> bool:
        return self.run("rev-parse", "--git-dir", check=False).returncode == 0

    def require_repo(self) -> None:
        if not self.is_repo():
            raise UsageError(
                "not a git repository",
                where=str(self.root),
                fix="run mlgate from the root of your git checkout",
            )

    def head(self) -> str:
        """The checked-out commit; a usage error when there is none."""
        sha = self.rev("HEAD")
        if sha is None:
            raise UsageError(
                "not a git repository with a commit checked out",
                where=str(self.root),
                fix="run mlgate deploy from the root of the repository checkout",
            )
        return sha

    def rev(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def current_branch(self) -> str | None:
        proc = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return proc.stdout.strip() or None

    def user_identity(self) -> tuple[str | None, str | None]:
        name = self.run("config", "user.name", check=False).stdout.strip() or None
        email = self.run("config", "user.email", check=False).stdout.strip() or None
        return name, email

    # -- history and content -----------------------------------------------------------------

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run("merge-base", a, b, check=False)
        return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None

    def is_ancestor(self, commit: str, of: str) -> bool:
        return self.run("merge-base", "--is-ancestor", commit, of, check=False).returncode == 0

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

    # -- tags --------------------------------------------------------------------------------

    def tags(self, pattern: str) -> list[str]:
        return [t for t in self.out("tag", "--list", pattern).splitlines() if t]

    def tags_at(self, commit: str) -> list[str]:
        return [t for t in self.out("tag", "--points-at", commit).splitlines() if t]

    def tag_message(self, tag: str) -> str:
        return self.out("tag", "--list", "--format=%(contents)", tag)

    def delete_tags(self, tags: list[str]) -> None:
        if tags:
            self.run("tag", "--delete", *tags, check=False)

    # -- remotes -----------------------------------------------------------------------------

    def has_remote(self, remote: str) -> bool:
        return remote in self.out("remote").split()

    def remote_url(self, remote: str) -> str:
        proc = self.run("remote", "get-url", remote, check=False)
        if proc.returncode != 0:
            raise UsageError(
                f"git remote {remote!r} does not exist",
                where="deploy.remote",
                fix="add the remote (`git remote add`) or set `deploy: {remote: NAME}`",
            )
        return proc.stdout.strip()

    def fetch(self, remote: str, *refspecs: str, extra: tuple[str, ...] = ()) -> bool:
        proc = self.run("fetch", "--quiet", "--no-tags", *extra, remote, *refspecs, check=False)
        return proc.returncode == 0

    def fetch_tags(self, remote: str) -> None:
        proc = self.run("fetch", "--quiet", "--tags", remote, check=False)
        if proc.returncode != 0:
            raise ServiceError(
                f"could not fetch tags from git remote {remote!r}: {proc.stderr.strip()}",
                fix="check the remote URL and the credentials of the checkout",
            )


def push_failed(
    remote: str, what: str, stderr: str, *, where: str | None = None, fix: str = PUSH_FIX
) -> ServiceError:
    """A push rejected or not reached: the remote's fault or the token's (exit 3)."""
    return ServiceError(
        f"pushing {what} to {remote!r} failed: {stderr.strip()}", where=where, fix=fix
    )
