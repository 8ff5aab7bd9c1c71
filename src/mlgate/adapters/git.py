"""The git command line: the one module of mlgate that runs git.

``run_git`` is the single runner; ``Git`` is a repository checkout with the operations compare,
baseline, retrain, deploy, training and the demo need. A failed command surfaces as
``mlgate.errors.GitError`` (exit 2, with the command and git's message); failures of the remote
(fetch, push) are ``ServiceError`` (exit 3).

Inside ``with git.batched():`` reads of objects (``rev``, ``show``, ``subject``, ``is_repo``)
are answered by one long-lived ``git cat-file --batch`` process instead of one process each:
``mlgate compare`` reads a dozen objects, and every process costs milliseconds. Whatever the
batch cannot answer exactly is asked the old way. ``batched(prefetch=...)`` also starts the
read-only commands the block will ask for, so that git answers them while Python works.
"""

from __future__ import annotations

import locale
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
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
# Folders `ls_files` reads through the batch before it asks `git ls-tree` instead.
_MAX_TREES = 200
# An object named from a full commit sha: ``<sha>:<path>``, ``<sha>^{commit}`` (a sha1 or
# sha256 repository).
_IMMUTABLE = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})(?::|\^\{commit\}$)")
# Bytes of a path that `git ls-tree` prints C-quoted (core.quotePath).
_QUOTED = re.compile(rb'[\x00-\x1f"\\\x7f-\xff]')

# The command of ``Git.current_branch`` (a constant: callers prefetch it).
CURRENT_BRANCH = ("symbolic-ref", "--quiet", "--short", "HEAD")
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


class Started:
    """``git args`` started in the background (``Git.batched(prefetch=...)``); ``result()``
    waits for it and answers as ``run_git`` would."""

    def __init__(self, root: Path, args: Sequence[str], env: Mapping[str, str] | None) -> None:
        self.args = ["git", *args]
        # As run_git: text mode, stdin closed, the same environment.
        self._proc = subprocess.Popen(
            self.args, cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=dict(env) if env is not None else None,
        )

    def result(self) -> subprocess.CompletedProcess[str]:
        out, err = self._proc.communicate()
        return subprocess.CompletedProcess(self.args, self._proc.returncode, out, err)

    def discard(self) -> None:
        """Not needed after all: stop it (it only reads) and reap it."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


def git_text(data: bytes) -> str:
    """Bytes of git's output as ``run_git`` returns them (text mode: the locale's encoding,
    universal newlines)."""
    if sys.flags.utf8_mode:
        encoding = "utf-8"
    elif sys.version_info >= (3, 11):
        encoding = locale.getencoding()
    else:
        encoding = locale.getpreferredencoding(False)
    return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")


class BatchUnavailable(Exception):
    """The batch process cannot answer (not started, died, or a name it cannot take)."""


class CatFile:
    """One ``git cat-file --batch`` process in ``root``, started on the first question.

    ``get(name)`` resolves ``name`` as ``git rev-parse`` does (``HEAD``, ``main^{commit}``,
    ``<sha>:./<path>``) and returns (sha, type, content), or None when no such object exists.
    Once git has died (it does on e.g. a path outside the work tree) every question raises
    ``BatchUnavailable``."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._broken = False
        # Answers for names of a commit by its sha (what it holds never changes): compare
        # reads dvc.yaml and mlgate.yaml of the baseline commit more than once.
        self._known: dict[str, tuple[str, str, bytes]] = {}

    def get(self, name: str) -> tuple[str, str, bytes] | None:
        if name in self._known:
            return self._known[name]
        if not name or name.startswith("-") or "\n" in name or "\r" in name:
            raise BatchUnavailable(name)  # one name per line (git strips a CR before LF)
        found = self._ask(name)
        if found is not None and _IMMUTABLE.match(name):  # a fetch may bring missing ones
            self._known[name] = found
        return found

    def _ask(self, name: str) -> tuple[str, str, bytes] | None:
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(os.fsencode(name) + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if line.endswith((b" missing\n", b" ambiguous\n")):
                return None
            sha, kind, size = line.decode("ascii").split()
            data = proc.stdout.read(int(size) + 1)
            if len(data) != int(size) + 1:
                raise OSError("short read from git cat-file --batch")
        except (OSError, ValueError) as err:
            self.close(broken=True)
            raise BatchUnavailable(name) from err
        return sha, kind, data[:-1]

    def start(self) -> None:
        """Start the process now rather than at the first question."""
        self._process()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            if self._broken:
                raise BatchUnavailable("git cat-file --batch failed before")
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"], cwd=self.root, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    env=dict(self.env) if self.env is not None else None,
                )
            except OSError as err:
                self._broken = True
                raise BatchUnavailable("git cat-file --batch") from err
        return self._proc

    def close(self, broken: bool = False) -> None:
        self._broken = self._broken or broken
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # git is gone already: nothing left to flush
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _records_author(args: Sequence[str]) -> bool:
    """Whether ``git args`` writes an object with an author (reading notes does not)."""
    if not args or args[0] not in _WRITES:
        return False
    return args[0] != "notes" or not any(a in ("show", "list") for a in args[1:3])


class Git:
    """A git checkout at ``root``; ``env`` replaces the environment git runs with."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = env
        self._writer_env: Mapping[str, str] | None = None
        self._batch: CatFile | None = None
        self._started: dict[tuple[str, ...], Started] = {}

    @contextmanager
    def batched(self, prefetch: Sequence[Sequence[str]] = ()) -> Iterator[Git]:
        """Answer object reads from one ``git cat-file --batch`` process until the block
        ends (see the module doc); a nested block shares the outer one's. The batch process
        starts at once, so that git gets ready while Python works. ``prefetch``: read-only
        commands started now, in parallel; ``run`` with the same arguments (and no input)
        inside the outermost block takes their result instead of starting git again."""
        for args in prefetch:
            self._prefetch(tuple(args))
        if self._batch is not None:
            yield self
            return
        self._batch = CatFile(self.root, self.env)
        with suppress(BatchUnavailable):  # reported by the first read, as before
            self._batch.start()
        try:
            yield self
        finally:
            batch, self._batch = self._batch, None
            batch.close()
            started, self._started = self._started, {}
            for unused in started.values():
                unused.discard()

    def _prefetch(self, args: tuple[str, ...]) -> None:
        if _records_author(args) or args in self._started:
            return
        with suppress(OSError):  # git missing: run() says so if the command is needed
            self._started[args] = Started(self.root, args, self.env)

    def _object(self, name: str) -> tuple[str, str, bytes] | None:
        """The batch's answer for ``name``; ``BatchUnavailable`` outside ``batched()``."""
        if self._batch is None:
            raise BatchUnavailable(name)
        return self._batch.get(name)

    def run(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        started = self._started.pop(args, None) if input is None else None
        if started is not None:
            proc = started.result()
        else:
            env = self._identity_env() if _records_author(args) else self.env
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
        try:
            self._object("HEAD")  # outside a repository the batch process exits at once
            return True
        except BatchUnavailable:
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
        try:
            found = self._object(f"{ref}^{{commit}}")
            return found[0] if found else None
        except BatchUnavailable:
            pass
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def show_prefix(self) -> str:
        """The working directory's path from the repository's top, ``""`` at the top, else
        ending in ``/`` (``git rev-parse --show-prefix``)."""
        return self.out("rev-parse", "--show-prefix")

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def current_branch(self) -> str | None:
        proc = self.run(*CURRENT_BRANCH, check=False)
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
        try:
            found = self._object(f"{sha}:{path}")
            if found is None:
                return None
            if found[1] == "blob":  # anything else `cat-file -p` pretty-prints: ask it
                return git_text(found[2])
        except BatchUnavailable:
            pass
        proc = self.run("cat-file", "-p", f"{sha}:{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def ls_files(self, sha: str) -> list[str]:
        """The files at commit ``sha``, as ``git ls-tree -r --name-only`` lists them."""
        try:
            root = self._object(f"{sha}^{{tree}}")
            listed: list[str] = []
            if root and self._walk_tree(root[2], "", len(root[0]) // 2, listed, [_MAX_TREES]):
                return listed
        except BatchUnavailable:
            pass
        return self.out("ls-tree", "-r", "--name-only", sha).splitlines()

    def _walk_tree(
        self, data: bytes, prefix: str, oid_bytes: int, out: list[str], budget: list[int]
    ) -> bool:
        """Append the files of a raw tree object (entries ``<mode> <name>\\0<oid>``) to
        ``out`` in ls-tree's order. False, to ask ls-tree itself, when a name needs git's
        quoting or the repository has more than ``_MAX_TREES`` folders."""
        pos = 0
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            mode, name = data[pos:space], data[space + 1:nul]
            oid = data[nul + 1:nul + 1 + oid_bytes].hex()
            pos = nul + 1 + oid_bytes
            if _QUOTED.search(name):
                return False
            path = prefix + name.decode("ascii")
            if mode != b"40000":
                out.append(path)
                continue
            budget[0] -= 1
            tree = self._object(oid) if budget[0] > 0 else None
            if not tree or not self._walk_tree(tree[2], path + "/", oid_bytes, out, budget):
                return False
        return True

    def first_parents(self, sha: str, limit: int) -> list[str]:
        return self.out("rev-list", "--first-parent", f"--max-count={limit}", sha).splitlines()

    def subject(self, sha: str) -> str:
        try:
            found = self._object(f"{sha}^{{commit}}")
            subject = commit_subject(found[2]) if found else None
            if subject is not None:
                return subject
        except BatchUnavailable:
            pass
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


def commit_subject(raw: bytes) -> str | None:
    """``git log --format=%s`` of a raw commit object: the first paragraph of the message,
    its lines right-stripped and joined by spaces. None when git would re-encode the message
    (an ``encoding`` header): only git knows how."""
    headers, sep, message = raw.partition(b"\n\n")
    if not sep or any(line.startswith(b"encoding ") for line in headers.split(b"\n")):
        return None
    lines: list[bytes] = []
    for line in message.split(b"\n"):
        line = line.rstrip(b" \t\r")  # git's isspace()
        if not line:
            if lines:
                break
            continue  # git skips blank lines before the subject
        lines.append(line)
    return git_text(b" ".join(lines)).strip()


def push_failed(
    remote: str, what: str, stderr: str, *, where: str | None = None, fix: str = PUSH_FIX
) -> ServiceError:
    """A push rejected or not reached: the remote's fault or the token's (exit 3)."""
    return ServiceError(
        f"pushing {what} to {remote!r} failed: {stderr.strip()}", where=where, fix=fix
    )


def commit_reader(git: Git, sha: str) -> Callable[[str], str | None]:
    """Reads a path relative to the working directory (``git.root``) at commit ``sha``: git
    resolves ``<sha>:<path>`` from the repository root, ``<sha>:./<path>`` from the working
    directory, which is what a project in a subdirectory needs."""

    def read(path: str) -> str | None:
        rel = path if path.startswith(("./", "../")) else f"./{path}"
        return git.show(sha, rel)

    return read
