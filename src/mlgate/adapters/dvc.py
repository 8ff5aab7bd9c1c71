"""``mlgate pull``: fetch and check out DVC-tracked data with DVC itself.

DVC runs in-process through its Python API (``dvc.repo.Repo.pull``) rather than as a ``dvc``
subprocess: the API returns structured counts (files fetched, added, modified, deleted) and
typed exceptions, so mlgate reports and classifies failures without parsing DVC's text output,
and saves a second interpreter start. DVC's own log lines and progress bars still appear (its
progress bars only on a terminal, as with the ``dvc`` CLI).

The options arrive typed (``mlgate.config`` parses ``pull:``); the error classification is pure
functions; only ``pull`` touches DVC.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import MlgateError, ServiceError, UsageError, redact_secrets, redact_url
from mlgate.formatting import format_bytes

if TYPE_CHECKING:
    from dvc.exceptions import DvcException

# When set, the DVC cache directory to use (e.g. a worktree reusing the main checkout's cache).
CACHE_DIR_ENV = "MLGATE_DVC_CACHE_DIR"
DVC_LOGGERS = ("dvc", "dvc_data", "dvc_objects")
# DVC draws progress bars only on a terminal; in CI mlgate logs a line this often instead.
PROGRESS_EVERY = 15.0

Log = Callable[[str], None]


@dataclass(frozen=True)
class PullOptions:
    """What to pull: ``pull:`` of mlgate.yaml merged with the flags (``Config.pull_options``)."""

    targets: list[str] = field(default_factory=list)
    remote: str | None = None
    jobs: int | None = None
    allow_missing: bool = False
    all: bool = False  # the outputs of dvc.yaml stages too


@dataclass(frozen=True)
class PullStats:
    """What a pull did. ``fetched``/``bytes`` count what was downloaded into the DVC cache."""

    fetched: int
    bytes: int
    added: list[str]
    modified: list[str]
    deleted: list[str]
    remote: str | None
    seconds: float
    # Tracked files still absent after an --allow-missing pull (the remote does not have them).
    missing: list[str] = field(default_factory=list)
    # Outputs of dvc.yaml stages not pulled: `dvc repro` makes them again.
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        files = "file" if self.fetched == 1 else "files"
        parts = [f"fetched {self.fetched} {files} ({format_bytes(self.bytes)})"]
        parts.append(
            f"checked out: {len(self.added)} added, {len(self.modified)} modified, "
            f"{len(self.deleted)} deleted"
            + (f", {len(self.missing)} still missing" if self.missing else "")
            + (f", {len(self.skipped)} stage outputs skipped" if self.skipped else "")
        )
        where = f" from remote '{self.remote}'" if self.remote else ""
        return f"{'; '.join(parts)}{where} in {self.seconds:.1f}s"


# -- classifying DVC failures -------------------------------------------------------------

_CREDENTIAL_ERRORS = {
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AccessDenied",
    "AuthenticationFailed",
    "DefaultCredentialsError",
    "RefreshError",
    "ClientAuthenticationError",
}
_CREDENTIAL_WORDS = (
    "credential",
    "access denied",
    "accessdenied",
    "forbidden",
    "403",
    "invalidaccesskeyid",
    "signaturedoesnotmatch",
    "not authorized",
    "permission",
)
_CONNECTION_WORDS = (
    "could not connect",
    "connection refused",
    "connect timeout",
    "name or service not known",
    "temporary failure in name resolution",
    "timed out",
    "unreachable",
    "nodename nor servname",
    "cannot connect",
)
_MISSING_WORDS = ("do not exist neither locally nor on remote", "missing cache files")


def _exception_texts(exc: BaseException | None) -> list[str]:
    """Type names and messages along an exception's cause/context chain."""
    texts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts.append(type(exc).__name__)
        code = getattr(exc, "response", None)
        if isinstance(code, dict):
            texts.append(str(code.get("Error", {}).get("Code", "")))
        texts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    return texts


@dataclass
class DvcLogRecord:
    level: int
    message: str
    texts: list[str]  # exception type names and messages attached to the record


def classify_failure(
    exc: BaseException, records: list[DvcLogRecord], remote: str | None
) -> ServiceError:
    """Turn a failed transfer (DVC's DownloadError/CheckoutError) into a user-facing error.

    DVC logs the underlying cause (botocore, OS errors) and raises a bare count, so the captured
    log records are searched too.
    """
    names = set()
    blobs = []
    for rec in records:
        if rec.level >= logging.WARNING:
            blobs.append(rec.message.lower())
            blobs.extend(t.lower() for t in rec.texts)
            names.update(rec.texts)
    blobs.extend(t.lower() for t in _exception_texts(exc))
    names.update(_exception_texts(exc))
    text = "\n".join(blobs)
    label = f"DVC remote '{remote}'" if remote else "the default DVC remote"
    detail = _first_error_line(records)
    suffix = f" ({detail})" if detail else ""
    if names & _CREDENTIAL_ERRORS or any(word in text for word in _CREDENTIAL_WORDS):
        return ServiceError(
            f"could not authenticate with {label}: credentials are missing or were "
            f"rejected{suffix}",
            fix="provide the remote's credentials to the job (e.g. AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY from repository secrets, passed through `env:`), or set "
            "them with `dvc remote modify --local`",
        )
    if any(word in text for word in _CONNECTION_WORDS) or "EndpointConnectionError" in names:
        return ServiceError(
            f"{label} is unreachable{suffix}",
            fix="check the remote's URL and endpointurl in .dvc/config (`dvc remote list`), "
            "and that the job's network can reach it",
        )
    if any(word in text for word in _MISSING_WORDS):
        return ServiceError(
            f"some DVC-tracked files are missing from {label} (never pushed?)",
            fix="run `dvc push` where the data was produced, then re-run the job; if they "
            "are outputs of dvc.yaml stages that training reproduces, pull with "
            "--allow-missing (or `pull: {allow-missing: true}`) or name the inputs in "
            "--targets",
        )
    return ServiceError(
        f"pulling from {label} failed: {exc}{suffix}",
        fix="run `dvc pull -v` locally for details; check the remote and credentials",
    )


def _first_error_line(records: list[DvcLogRecord]) -> str:
    for rec in records:
        if rec.level >= logging.ERROR:
            line = rec.message.strip().splitlines()[0] if rec.message.strip() else ""
            return line[:300]
    return ""


# -- probing a network remote ---------------------------------------------------------------
# DVC's HTTP and S3 file systems turn "cannot connect" into "the file does not exist" (the real
# cause is logged at DEBUG level at most), so before saying data was never pushed mlgate checks
# whether the remote's host can be reached at all.

PROBE_TIMEOUT = 5.0
_PROBE_PORTS = {"http": 80, "https": 443, "webdav": 80, "webdavs": 443, "ssh": 22, "sftp": 22}
_TLS_SCHEMES = {"https", "webdavs"}
_PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def probe_remote(url: str, conf: dict[str, Any], timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why the remote's host cannot be reached (DNS, refused, timeout, TLS), or None: it can,
    it is not a network remote, or a proxy stands in between (then DVC's word stands)."""
    from urllib.parse import urlsplit

    endpoint = conf.get("endpointurl")
    target = urlsplit(str(endpoint) if endpoint else url)
    scheme = target.scheme.lower()
    if scheme not in _PROBE_PORTS or not target.hostname or any(
        os.environ.get(v) for v in _PROXY_VARS
    ):
        return None
    try:
        port = target.port or _PROBE_PORTS[scheme]
    except ValueError:
        return f"invalid port in {target.netloc!r}"
    verify = conf.get("ssl_verify", True) is not False
    return _probe(target.hostname, port, scheme in _TLS_SCHEMES, verify, timeout)


def _probe(host: str, port: int, tls: bool, verify: bool, timeout: float) -> str | None:
    import socket
    import ssl

    where = f"{host}:{port}"
    resolved = _resolve(host, port, timeout)
    if isinstance(resolved, str):
        return resolved
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if tls:
                context = ssl.create_default_context()
                if not verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                with context.wrap_socket(sock, server_hostname=host):
                    pass
    except ssl.SSLError as err:
        return f"TLS handshake with {where} failed: {err.reason or err}"
    except ConnectionRefusedError:
        return f"connection refused by {where}"
    except TimeoutError:
        return f"no answer from {where} within {timeout:g}s"
    except OSError as err:
        return f"cannot connect to {where}: {err.strerror or err}"
    return None


def _resolve(host: str, port: int, timeout: float) -> str | None:
    """None when ``host`` resolves, else why not; bounded by ``timeout`` (getaddrinfo has no
    timeout of its own)."""
    import socket

    outcome: list[str | None] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            outcome.append(None)
        except OSError as err:
            outcome.append(f"cannot resolve host '{host}' ({err.strerror or err})")

    thread = threading.Thread(target=lookup, name="mlgate-dns-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        return f"cannot resolve host '{host}' (no DNS answer within {timeout:g}s)"
    return outcome[0]


def unreachable(remote: str | None, url: str, cause: str, missing: list[str]) -> ServiceError:
    label = f"DVC remote '{remote}'" if remote else "the default DVC remote"
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    shown = ", ".join(missing[:10]) + more
    still = f"; still missing: {shown}" if missing else ""
    return ServiceError(
        f"{label} is unreachable ({redact_url(url)}): {redact_secrets(cause)}{still}",
        fix="check the remote's URL in .dvc/config (`dvc remote list`), its DNS name and "
        "certificate, and that the job's network can reach it",
    )


# -- running DVC -----------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[DvcLogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        try:
            message = record.getMessage()
        except Exception:  # a bad log call must not hide the real error
            message = str(record.msg)
        self.records.append(DvcLogRecord(record.levelno, message, _exception_texts(exc)))


@contextlib.contextmanager
def _capture_dvc_logs() -> Iterator[_Capture]:
    handler = _Capture()
    loggers = [logging.getLogger(name) for name in DVC_LOGGERS]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in loggers:
            lg.removeHandler(handler)


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    # DVC resolves targets against the working directory, as the `dvc` CLI does.
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _cache_files(cache_dir: Path) -> dict[str, int]:
    files: dict[str, int] = {}
    if not cache_dir.is_dir():
        return files
    for dirpath, _dirs, names in os.walk(cache_dir):
        for name in names:
            full = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                files[full] = os.stat(full).st_size
    return files


@contextlib.contextmanager
def _progress(cache_dir: Path, before: dict[str, int], log: Log, every: float) -> Iterator[None]:
    """While DVC fetches, log every ``every`` seconds how much has reached the cache."""
    stop = threading.Event()
    start = time.monotonic()

    def report() -> None:
        while not stop.wait(every):
            now = _cache_files(cache_dir)
            new = [size for path, size in now.items() if path not in before]
            log(
                f"pull: ... {len(new)} files ({format_bytes(sum(new))}) in the cache so far, "
                f"{time.monotonic() - start:.0f}s"
            )

    thread = threading.Thread(target=report, name="mlgate-pull-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _rel(paths: list[str], root: Path) -> list[str]:
    out = []
    for p in paths:
        # DVC ran with the repository root as its working directory.
        full = Path(p) if os.path.isabs(p) else (root / p)
        try:
            out.append(full.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            out.append(p)
    return sorted(out)


def _remote_url(repo: Any, name: str | None) -> tuple[str | None, str | None]:
    remotes = repo.config.get("remote", {})
    name = name or repo.config.get("core", {}).get("remote")
    if not name:
        return None, None
    conf = remotes.get(name) or {}
    return name, conf.get("url")


def find_root(start: Path) -> Path:
    """The DVC repository containing ``start``: the nearest directory upwards with ``.dvc``,
    not looking past the git work tree's top. ``start`` itself when there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".dvc").is_dir():
            return folder
        if (folder / ".git").exists():
            break
    return start


def targets_from(cwd: Path, root: Path, targets: list[str]) -> list[str]:
    """Targets given relative to ``cwd``, made relative to the DVC root (where DVC runs)."""
    if cwd.resolve() == root:
        return targets
    return [os.path.relpath((cwd / t).resolve(), root) for t in targets]


def ensure_dvc_repo(root: Path) -> None:
    if not (root / ".dvc").is_dir():
        raise UsageError(
            "not a DVC repository (no .dvc directory)",
            where=str(root),
            fix="run mlgate from the repository root; track data with `dvc init` and "
            "`dvc add`, or remove the pull step if the repo has no DVC data",
        )


def pull(
    root: Path,
    targets: list[str] | None = None,
    remote: str | None = None,
    jobs: int | None = None,
    *,
    allow_missing: bool = False,
    skip_stage_outputs: bool = False,
    log: Log = print,
    target_source: str = "--targets",
    progress_every: float = PROGRESS_EVERY,
) -> PullStats:
    """``dvc pull`` in ``root``: fetch into the cache, then check out. Raises mlgate errors.

    ``allow_missing``: files missing from the remote (e.g. outputs of dvc.yaml stages that
    ``mlgate train`` reproduces) are skipped instead of failing the pull.
    ``skip_stage_outputs`` (no ``targets``): only what ``.dvc`` files track, not the outputs
    of dvc.yaml stages (``PullStats.skipped``)."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    root = root.resolve()
    ensure_dvc_repo(root)
    from dvc.exceptions import DvcException

    start = time.monotonic()
    repo = _open_repo(root)
    with repo, _chdir(root):
        remote_name, url = _remote_url(repo, remote)
        _check_remote(repo, remote)
        targets, skipped = _without_stage_outputs(repo, root, targets, skip_stage_outputs)
        if skipped and not targets:
            return PullStats(fetched=0, bytes=0, added=[], modified=[], deleted=[],
                             remote=remote_name, seconds=0.0, skipped=skipped)
        cache_dir = Path(repo.cache.local.path)
        before = _cache_files(cache_dir)
        what = ", ".join(targets) if targets else "all DVC-tracked data"
        via = (f"remote '{remote_name}' ({redact_url(url)})" if remote_name and url
               else f"remote '{remote_name}'" if remote_name else "the default remote")
        log(f"pull: fetching {what} from {via}" + (f" with {jobs} jobs" if jobs else ""))
        with _capture_dvc_logs() as capture, _progress(cache_dir, before, log, progress_every):
            try:
                result = repo.pull(targets=targets or None, remote=remote, jobs=jobs,
                                   allow_missing=allow_missing)
            except DvcException as err:
                raise _redacted(_pull_error(
                    err, repo, (remote_name, url), capture, target_source, targets
                )) from err
        after = _cache_files(cache_dir)
        missing = _still_missing(repo, root, targets, remote_name, url) if allow_missing else []
    stats = result.get("stats", {})
    return PullStats(
        missing=missing,
        skipped=skipped,
        fetched=int(stats.get("fetched", 0)),
        bytes=sum(size for path, size in after.items() if path not in before),
        added=_rel(result.get("added", []), root),
        modified=_rel(result.get("modified", []), root),
        deleted=_rel(result.get("deleted", []), root),
        remote=remote_name,
        seconds=time.monotonic() - start,
    )


def _without_stage_outputs(
    repo: Any, root: Path, targets: list[str] | None, skip: bool
) -> tuple[list[str] | None, list[str]]:
    """(the targets to pull, the outputs of dvc.yaml stages skipped): with ``skip`` and no
    targets given, the ``.dvc`` files instead of everything."""
    if not skip or targets:
        return targets, []
    sources, skipped = split_stage_outputs(repo, root)
    return (sources if skipped else targets), skipped


def split_stage_outputs(repo: Any, root: Path) -> tuple[list[str], list[str]]:
    """(the ``.dvc`` files that track data, the cached outputs of dvc.yaml stages)."""
    from dvc.stage import PipelineStage

    sources: list[str] = []
    generated: list[str] = []
    for stage in repo.index.stages:
        cached = [out.fs_path for out in stage.outs if out.use_cache]
        if not cached:
            continue
        if isinstance(stage, PipelineStage):
            generated += _rel(cached, root)
        else:
            sources.append(_rel([stage.path], root)[0])
    return sorted(set(sources)), sorted(set(generated))


def _open_repo(root: Path) -> Any:
    """DVC's ``Repo`` for ``root`` (with the cache directory of ``MLGATE_DVC_CACHE_DIR``)."""
    from dvc.exceptions import DvcException, NotDvcRepoError
    from dvc.repo import Repo

    overrides: dict[str, Any] = {}
    if os.environ.get(CACHE_DIR_ENV):
        overrides["cache"] = {"dir": os.environ[CACHE_DIR_ENV]}
    try:
        return Repo(str(root), config=overrides or None)
    except NotDvcRepoError as err:
        raise UsageError(f"not a DVC repository: {err}", where=str(root)) from err
    except DvcException as err:
        raise UsageError(f"DVC cannot open the repository: {err}", where=str(root)) from err


def _still_missing(
    repo: Any, root: Path, targets: list[str] | None, remote: str | None, url: str | None
) -> list[str]:
    """What an --allow-missing pull left absent; an unreachable remote is still an error."""
    missing = missing_outs(repo, root, targets)
    cause = probe_remote(url, _remote_conf(repo, remote)) if missing and url else None
    if cause and url:
        raise unreachable(remote, url, cause, missing)
    return missing


def missing_outs(repo: Any, root: Path, targets: list[str] | None) -> list[str]:
    """DVC-tracked outputs (of ``targets``, else all) absent from the workspace."""
    wanted = [t.strip("/").removeprefix("./") for t in targets or []]
    absent = []
    for out in repo.index.outs:
        if not out.use_cache:
            continue
        rel = _rel([out.fs_path], root)[0]
        stage = getattr(out.stage, "relpath", "")
        if wanted and not any(
            t in (rel, stage) or rel.startswith(t + "/") or t.startswith(rel + "/")
            for t in wanted
        ):
            continue
        if not os.path.exists(out.fs_path):
            absent.append(rel)
    return sorted(absent)


def _remote_conf(repo: Any, name: str | None) -> dict[str, Any]:
    conf = repo.config.get("remote", {}).get(name or "") if name else None
    return dict(conf) if isinstance(conf, dict) else {}


def _pull_error(
    err: DvcException,
    repo: Any,
    remote: tuple[str | None, str | None],
    capture: _Capture,
    target_source: str,
    targets: list[str] | None,
) -> MlgateError:
    """The mlgate error for a failed ``repo.pull``."""
    remote_name, url = remote
    from dvc.config import NoRemoteError, RemoteNotFoundError
    from dvc.exceptions import NoOutputOrStageError

    if isinstance(err, NoOutputOrStageError):
        return UsageError(
            f"not tracked by DVC: {err}",
            where=target_source,
            fix="name a path tracked by a .dvc file or a dvc.yaml output/stage "
            "(`dvc data status` or `dvc list . --dvc-only -R` lists them)",
        )
    if isinstance(err, RemoteNotFoundError):
        return UsageError(
            f"{err}",
            where="--remote / pull.remote",
            fix=f"use one of the remotes in .dvc/config: {_remote_names(repo)}",
        )
    if isinstance(err, NoRemoteError):
        return UsageError(
            "no DVC remote is configured and none was given",
            where=".dvc/config",
            fix="add a default remote (`dvc remote add -d NAME URL`) or pass --remote",
        )
    missing = _missing_local_remote(url)
    if missing:
        return ServiceError(
            f"DVC remote '{remote_name}' is unreachable: directory {missing} does not exist",
            fix="mount or create the remote directory, or fix its url in "
            ".dvc/config (`dvc remote modify NAME url ...`)",
        )
    cause = probe_remote(url, _remote_conf(repo, remote_name)) if url else None
    if cause and url:
        return unreachable(remote_name, url, cause, missing_outs(repo, repo_root(repo), targets))
    return classify_failure(err, capture.records, remote_name)


def _redacted(err: MlgateError) -> MlgateError:
    """``err`` with any URL in its text redacted (DVC's own messages may quote the remote's
    URL, credentials included)."""
    err.message = redact_secrets(err.message)
    err.args = (err.message,)
    if err.fix:
        err.fix = redact_secrets(err.fix)
    return err


def repo_root(repo: Any) -> Path:
    return Path(repo.root_dir)


def _remote_names(repo: Any) -> str:
    names = sorted(repo.config.get("remote", {}))
    return ", ".join(names) if names else "(none configured)"


def _missing_local_remote(url: str | None) -> str | None:
    """The remote's directory when it is a local path that does not exist (DVC itself only
    reports the files as missing). DVC's config gives local URLs as absolute paths."""
    if not url or "://" in url or url.startswith("remote:"):
        return None
    return None if Path(url).is_dir() else url


def _check_remote(repo: Any, given: str | None) -> None:
    """Fail early on a remote name that .dvc/config does not have."""
    from dvc.config import RemoteNotFoundError

    if given and given not in repo.config.get("remote", {}):
        raise UsageError(
            str(RemoteNotFoundError(f"remote '{given}' doesn't exist")),
            where="--remote / pull.remote",
            fix=f"use one of the remotes in .dvc/config: {_remote_names(repo)}",
        )
