"""An in-memory GitHub REST API on 127.0.0.1 for tests (see the package docstring)."""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

COMMENT_MAX = 65536
CHECK_SUMMARY_MAX = 65535
DEFAULT_PER_PAGE = 30
_SHA = re.compile(r"[0-9a-f]{40}")
_INVALID_JSON = "<invalid json>"
MAX_PER_PAGE = 100


class HttpError(Exception):
    def __init__(self, status: int, message: str, errors: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


@dataclass
class Fault:
    method: str
    path: str  # fnmatch glob on the path (no query)
    status: int
    times: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: bool = False  # apply the request, then answer with the error (a lost response)
    trickle: float = 0.0  # answer normally, but send the body one byte per this many seconds

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able, or bytes for raw responses
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0  # seconds between the bytes of the body (0: all at once)


def fake_sha(text: str) -> str:
    """A stable made-up commit sha (the fake has no git objects)."""
    return hashlib.sha1(text.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub:
    """A fake GitHub REST server; ``url`` is its base (use as GITHUB_API_URL)."""

    def __init__(
        self,
        *,
        token: str | None = "test-token",
        login: str = "github-actions[bot]",
        repo: str | None = "octo/demo",
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: Path | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.readonly_tokens: set[str] = set()
        self.repos: dict[str, dict[str, Any]] = {}
        self.pulls: dict[tuple[str, int], dict[str, Any]] = {}
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}  # (repo, number) -> issue
        self.comments: dict[int, dict[str, Any]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.releases: dict[int, dict[str, Any]] = {}
        self.assets: dict[int, dict[str, Any]] = {}
        self.asset_data: dict[int, bytes] = {}
        self.latest: dict[str, int] = {}  # repo -> the release marked latest (make_latest)
        self.refs: dict[tuple[str, str], str] = {}  # (repo, "refs/tags/x") -> commit sha
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.closing = threading.Event()  # set by close(): trickling answers stop
        self.state_file = state_file
        if token:
            self.add_token(token, login)
        if repo:
            self.add_repo(repo)
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._dump()

    # ----- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._httpd.server_address[0])
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def start(self) -> FakeGitHub:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True,
                                        name="fake-github")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def close(self) -> None:
        self.closing.set()
        if self._thread:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def env(self, **extra: str) -> dict[str, str]:
        """GITHUB_* variables pointing at this server (no token unless one was registered)."""
        repo = next(iter(self.repos), "")
        token = next(iter(self.tokens), "")
        base = {"GITHUB_API_URL": self.url, "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": repo, "GITHUB_TOKEN": token}
        base.update(extra)
        return base

    # ----- seeding ---------------------------------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    def add_user(self, login: str) -> dict[str, Any]:
        with self._lock:
            if login not in self.users:
                uid = self.next_id()
                self.users[login] = {
                    "login": login, "id": uid, "node_id": f"U_{uid}",
                    "type": "Bot" if login.endswith("[bot]") else "User",
                    "site_admin": False,
                    "avatar_url": f"https://avatars.example.invalid/u/{uid}",
                    "html_url": f"https://github.com/{login}",
                }
            return self.users[login]

    def add_token(self, token: str, login: str, *, read_only: bool = False) -> None:
        with self._lock:
            self.add_user(login)
            self.tokens[token] = login
            if read_only:
                self.readonly_tokens.add(token)

    def add_repo(self, full_name: str, *, default_branch: str = "main") -> dict[str, Any]:
        owner, name = full_name.split("/", 1)
        with self._lock:
            if full_name not in self.repos:
                rid = self.next_id()
                self.repos[full_name] = {
                    "id": rid, "node_id": f"R_{rid}", "name": name, "full_name": full_name,
                    "owner": self.add_user(owner), "private": False,
                    "default_branch": default_branch, "fork": False,
                }
                self.refs[(full_name, f"refs/heads/{default_branch}")] = fake_sha(
                    f"{full_name}:{default_branch}")
            self._dump()
            return self.repos[full_name]

    def add_pull(self, repo: str, number: int, *, head_sha: str = "a" * 40,
                 head_ref: str = "feature", base_ref: str = "main", base_sha: str = "b" * 40,
                 head_repo: str | None = None, login: str = "octocat") -> dict[str, Any]:
        with self._lock:
            self.add_repo(repo)
            pid = self.next_id()
            self.pulls[(repo, number)] = {
                "id": pid, "node_id": f"PR_{pid}", "number": number, "state": "open",
                "title": f"PR {number}", "body": "", "user": self.add_user(login),
                "head": {"sha": head_sha, "ref": head_ref, "label": f"x:{head_ref}",
                         "repo": {"full_name": head_repo or repo}},
                "base": {"sha": base_sha, "ref": base_ref, "label": f"x:{base_ref}",
                         "repo": {"full_name": repo}},
                "created_at": _now(), "updated_at": _now(),
            }
            self._dump()
            return self.pulls[(repo, number)]

    def add_ref(self, repo: str, ref: str, sha: str) -> None:
        """Create or move ``ref`` (a full name: ``refs/heads/x``, ``refs/tags/v1``)."""
        with self._lock:
            self.add_repo(repo)
            self.refs[(repo, ref)] = sha
            self._dump()

    def add_branch(self, repo: str, name: str, sha: str) -> None:
        self.add_ref(repo, f"refs/heads/{name}", sha)

    def add_tag(self, repo: str, name: str, sha: str) -> None:
        self.add_ref(repo, f"refs/tags/{name}", sha)

    def add_comment(self, repo: str, issue: int, body: str, *, login: str = "octocat",
                    dump: bool = True) -> dict[str, Any]:
        with self._lock:
            cid = self.next_id()
            now = _now()
            self.comments[cid] = {
                "id": cid, "repo": repo, "issue": issue, "body": body,
                "user": self.add_user(login), "created_at": now, "updated_at": now,
            }
            if dump:
                self._dump()
            return self.comments[cid]

    def add_issue(self, repo: str, title: str, body: str = "", *, labels: tuple[str, ...] = (),
                  login: str = "octocat", state: str = "open", dump: bool = True
                  ) -> dict[str, Any]:
        """An issue (not a PR); its number follows the repo's PRs and issues, as on GitHub."""
        with self._lock:
            self.add_repo(repo)
            taken = [n for (r, n) in (*self.pulls, *self.issues) if r == repo]
            number = max(taken, default=0) + 1
            iid = self.next_id()
            now = _now()
            self.issues[(repo, number)] = {
                "id": iid, "node_id": f"I_{iid}", "number": number, "title": title,
                "body": body, "state": state, "state_reason": None,
                "labels": [self._label_json(name) for name in labels],
                "user": self.add_user(login), "created_at": now, "updated_at": now,
                "closed_at": now if state == "closed" else None,
            }
            if dump:
                self._dump()
            return self.issues[(repo, number)]

    # ----- fault injection -------------------------------------------------------------------
    def fail_next(self, method: str, path: str, *, status: int = 502, times: int = 1,
                  body: Any = None, headers: dict[str, str] | None = None,
                  delay: float = 0.0, after: bool = False) -> None:
        """The next ``times`` requests matching METHOD and the path glob get ``status``.

        With ``after=True`` the request is carried out first (the write happens) and only the
        answer is the error, like a gateway timing out after GitHub did the work.
        """
        with self._lock:
            if body is None:
                body = {"message": f"injected {status}"}
            self.faults.append(Fault(method.upper(), path, status, times, body,
                                     dict(headers or {}), delay, after))

    def rate_limit_next(self, method: str, path: str, *, status: int = 403, times: int = 1,
                        retry_after: int | None = None, reset_in: int = 1,
                        secondary: bool = False) -> None:
        """A primary (x-ratelimit-remaining: 0) or, with retry_after or ``secondary``, a
        secondary rate limit (``secondary`` without retry_after: no retry-after header and
        the primary limit untouched, its reset an hour away, as GitHub often answers)."""
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-used": "5000",
                   "x-ratelimit-remaining": "0",
                   "x-ratelimit-reset": str(int(time.time()) + reset_in)}
        message = "API rate limit exceeded for installation."
        if retry_after is not None or secondary:
            headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        self.fail_next(method, path, status=status, times=times, headers=headers,
                       body={"message": message,
                             "documentation_url": "https://docs.github.com/rest/rate-limit"})

    def hang_next(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        """Delay the next matching requests (then answer normally)."""
        self.fail_next(method, path, status=0, times=times, delay=seconds)

    def trickle_next(self, method: str, path: str, *, interval: float = 1.0,
                     times: int = 1) -> None:
        """Answer the next matching requests normally, but send their body one byte every
        ``interval`` seconds (headers at once): no single read ever times out."""
        with self._lock:
            self.faults.append(Fault(method.upper(), path, 0, times, trickle=interval))

    # ----- inspection ------------------------------------------------------------------------
    def requests_matching(self, method: str = "*", path: str = "*") -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests
                    if method in ("*", r["method"]) and fnmatch.fnmatchcase(r["path"], path)]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def issue_comments(self, repo: str, issue: int) -> list[dict[str, Any]]:
        with self._lock:
            return [self._comment_json(c, "") for c in self.comments.values()
                    if c["repo"] == repo and c["issue"] == issue]

    def issues_for(self, repo: str) -> list[dict[str, Any]]:
        """The repo's issues (not PRs) as GitHub returns them, by number."""
        with self._lock:
            return [self._issue_json(repo, i, "") for (r, _n), i in sorted(self.issues.items())
                    if r == repo]

    def check_runs_for(self, repo: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self.check_runs.values() if c["repo"] == repo]

    def releases_for(self, repo: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._release_json(r, "") for r in self.releases.values()
                    if r["repo"] == repo]

    def tags_for(self, repo: str) -> dict[str, str]:
        """{tag name: commit sha} of the repo's lightweight tags."""
        with self._lock:
            return {ref[len("refs/tags/"):]: sha for (r, ref), sha in sorted(self.refs.items())
                    if r == repo and ref.startswith("refs/tags/")}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "url": self.url,
                "repos": sorted(self.repos),
                "comments": [self._comment_json(c, self.url) | {"repo": c["repo"],
                                                                  "issue": c["issue"]}
                             for c in self.comments.values()],
                "check_runs": list(self.check_runs.values()),
                "issues": [self._issue_json(r, i, self.url) | {"repo": r}
                           for (r, _n), i in sorted(self.issues.items())],
                "releases": [self._release_json(r, self.url) | {"repo": r["repo"]}
                             for r in self.releases.values()],
                "refs": [{"repo": repo, "ref": ref, "sha": sha}
                         for (repo, ref), sha in sorted(self.refs.items())],
                "requests": list(self.requests),
            }

    def _dump(self) -> None:
        if not self.state_file:
            return
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(json.dumps(self.snapshot(), indent=1, default=str), encoding="utf-8")
        tmp.replace(self.state_file)

    # ----- JSON shapes -----------------------------------------------------------------------
    def _comment_json(self, c: dict[str, Any], base: str) -> dict[str, Any]:
        owner_repo, num, cid = c["repo"], c["issue"], c["id"]
        return {
            "id": cid, "node_id": f"IC_{cid}",
            "url": f"{base}/repos/{owner_repo}/issues/comments/{cid}",
            "html_url": f"https://github.com/{owner_repo}/pull/{num}#issuecomment-{cid}",
            "issue_url": f"{base}/repos/{owner_repo}/issues/{num}",
            "body": c["body"], "user": c["user"], "author_association": "NONE",
            "created_at": c["created_at"], "updated_at": c["updated_at"],
        }

    def _check_json(self, c: dict[str, Any], base: str) -> dict[str, Any]:
        out = {k: v for k, v in c.items() if k != "repo"}
        out["url"] = f"{base}/repos/{c['repo']}/check-runs/{c['id']}"
        out["html_url"] = f"https://github.com/{c['repo']}/runs/{c['id']}"
        return out

    def _asset_json(self, a: dict[str, Any], base: str) -> dict[str, Any]:
        out = {k: v for k, v in a.items() if k not in ("repo", "release_id")}
        out["url"] = f"{base}/repos/{a['repo']}/releases/assets/{a['id']}"
        rel = self.releases.get(a["release_id"], {})
        out["browser_download_url"] = (
            f"{base}/{a['repo']}/releases/download/{rel.get('tag_name', '')}/{a['name']}")
        return out

    @staticmethod
    def _ref_json(repo: str, ref: str, sha: str, base: str) -> dict[str, Any]:
        return {
            "ref": ref, "node_id": f"REF_{fake_sha(repo + ref)[:16]}",
            "url": f"{base}/repos/{repo}/git/{ref}",
            "object": {"sha": sha, "type": "commit",
                       "url": f"{base}/repos/{repo}/git/commits/{sha}"},
        }

    def _release_json(self, r: dict[str, Any], base: str) -> dict[str, Any]:
        repo, rid = r["repo"], r["id"]
        out = {k: v for k, v in r.items() if k != "repo"}
        out.update({
            "url": f"{base}/repos/{repo}/releases/{rid}",
            "assets_url": f"{base}/repos/{repo}/releases/{rid}/assets",
            "upload_url": f"{base}/uploads/repos/{repo}/releases/{rid}/assets{{?name,label}}",
            "html_url": f"https://github.com/{repo}/releases/tag/{r['tag_name']}",
            "tarball_url": f"{base}/repos/{repo}/tarball/{r['tag_name']}",
            "zipball_url": f"{base}/repos/{repo}/zipball/{r['tag_name']}",
            "assets": [self._asset_json(a, base) for a in self.assets.values()
                       if a["release_id"] == rid],
        })
        return out

    # ----- request handling ------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes,
               base: str) -> Response:
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        payload: Any = None
        if body and not path.startswith("/uploads/"):  # GitHub parses JSON whatever the type
            try:
                payload = json.loads(body)
            except ValueError:
                payload = _INVALID_JSON
        entry = {"method": method, "path": path, "query": query, "json": payload,
                 "headers": headers, "time": time.time(), "status": None}
        with self._lock:
            self.requests.append(entry)
            fault = next((f for f in self.faults if f.matches(method, path)), None)
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if self.latency:
            time.sleep(self.latency)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status and not fault.after:
            resp = Response(fault.status, fault.body, dict(fault.headers))
        else:
            try:
                resp = self._route(method, path, query, headers, body, payload, base)
            except HttpError as err:
                data: dict[str, Any] = {"message": err.message,
                                        "documentation_url": "https://docs.github.com/rest",
                                        "status": str(err.status)}
                if err.errors:
                    data["errors"] = err.errors
                resp = Response(err.status, data, err.headers)
            if fault and fault.status and fault.after:
                resp = Response(fault.status, fault.body, dict(fault.headers))
        if fault and fault.trickle:
            resp.trickle = fault.trickle
        with self._lock:
            entry["status"] = resp.status
            self._dump()
        return resp

    def _auth(self, headers: dict[str, str]) -> tuple[str, str]:
        value = headers.get("authorization", "")
        parts = value.split(None, 1)
        token = parts[1].strip() if len(parts) == 2 and parts[0].lower() in (
            "token", "bearer") else ""
        if token not in self.tokens:
            raise HttpError(401, "Bad credentials")
        return token, self.tokens[token]

    def _repo(self, owner: str, name: str) -> str:
        full = f"{owner}/{name}"
        if full not in self.repos:
            raise HttpError(404, "Not Found")
        return full

    def _writable(self, token: str) -> None:
        if token in self.readonly_tokens:
            raise HttpError(403, "Resource not accessible by integration")

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes, payload: Any, base: str) -> Response:
        if path.startswith("/_fake/"):
            return self._control(method, path, payload, base)
        if method == "GET" and "/releases/download/" in path:
            token, login = "", ""  # public downloads need no token
        else:
            token, login = self._auth(headers)
        if payload == _INVALID_JSON:
            raise HttpError(400, "Problems parsing JSON")
        for verb, pattern, handler in self._routes():
            if verb != method:
                continue
            m = re.fullmatch(pattern, path)
            if m:
                with self._lock:
                    return handler(m=m, query=query, headers=headers, body=body,
                                   payload=payload, base=base, token=token, login=login)
        raise HttpError(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, Callable[..., Response]]]:
        r = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
        return [
            ("GET", r"/user", self._get_user),
            ("POST", r"/graphql", self._graphql),
            ("GET", r"/rate_limit", self._get_rate_limit),
            ("GET", r, self._get_repo),
            ("GET", r + r"/pulls/(?P<n>\d+)", self._get_pull),
            ("GET", r + r"/pulls", self._list_pulls),
            ("GET", r + r"/commits/(?P<sha>[^/]+)/pulls", self._commit_pulls),
            ("GET", r + r"/issues", self._list_issues),
            ("POST", r + r"/issues", self._create_issue),
            ("GET", r + r"/issues/(?P<n>\d+)", self._get_issue),
            ("PATCH", r + r"/issues/(?P<n>\d+)", self._edit_issue),
            ("GET", r + r"/issues/(?P<n>\d+)/comments", self._list_comments),
            ("POST", r + r"/issues/(?P<n>\d+)/comments", self._create_comment),
            ("GET", r + r"/issues/comments/(?P<id>\d+)", self._get_comment),
            ("PATCH", r + r"/issues/comments/(?P<id>\d+)", self._edit_comment),
            ("DELETE", r + r"/issues/comments/(?P<id>\d+)", self._delete_comment),
            ("POST", r + r"/check-runs", self._create_check),
            ("PATCH", r + r"/check-runs/(?P<id>\d+)", self._edit_check),
            ("GET", r + r"/check-runs/(?P<id>\d+)", self._get_check),
            ("GET", r + r"/commits/(?P<sha>[^/]+)/check-runs", self._list_checks),
            ("GET", r + r"/releases", self._list_releases),
            ("POST", r + r"/releases", self._create_release),
            ("GET", r + r"/releases/latest", self._latest_release),
            ("GET", r + r"/releases/tags/(?P<tag>.+)", self._release_by_tag),
            ("GET", r + r"/releases/assets/(?P<id>\d+)", self._get_asset),
            ("DELETE", r + r"/releases/assets/(?P<id>\d+)", self._delete_asset),
            ("GET", r + r"/releases/(?P<id>\d+)", self._get_release),
            ("PATCH", r + r"/releases/(?P<id>\d+)", self._edit_release),
            ("DELETE", r + r"/releases/(?P<id>\d+)", self._delete_release),
            ("GET", r + r"/releases/(?P<id>\d+)/assets", self._list_assets),
            ("POST", r"/uploads" + r + r"/releases/(?P<id>\d+)/assets", self._upload_asset),
            ("GET", r + r"/git/ref/(?P<ref>.+)", self._get_ref),
            ("GET", r + r"/git/refs", self._list_refs),
            ("GET", r + r"/git/refs/(?P<ref>.+)", self._get_ref_legacy),
            ("GET", r + r"/git/matching-refs(?:/(?P<ref>.+))?", self._list_refs),
            ("POST", r + r"/git/refs", self._create_ref),
            ("PATCH", r + r"/git/refs/(?P<ref>.+)", self._update_ref),
            ("DELETE", r + r"/git/refs/(?P<ref>.+)", self._delete_ref),
            ("GET", r"/(?P<owner>[^/]+)/(?P<repo>[^/]+)/releases/download/(?P<tag>[^/]+)/"
                    r"(?P<name>[^/]+)", self._download_by_name),
        ]

    def _control(self, method: str, path: str, payload: Any, base: str) -> Response:
        """Test-only endpoints for out-of-process users (python -m tests.fakegithub)."""
        p = payload if isinstance(payload, dict) else {}
        if method == "GET" and path == "/_fake/state":
            return Response(200, self.snapshot())
        if method == "POST" and path == "/_fake/fail":
            self.fail_next(p.get("method", "*"), p.get("path", "*"),
                           status=int(p.get("status", 502)), times=int(p.get("times", 1)))
            return Response(204)
        if method == "POST" and path == "/_fake/seed":
            seed(self, p)
            return Response(204)
        raise HttpError(404, "Not Found")

    # --- pagination
    def _paginate(self, items: list[Any], query: dict[str, str], base: str, path: str
                  ) -> tuple[list[Any], dict[str, str]]:
        try:
            per_page = min(max(int(query.get("per_page", DEFAULT_PER_PAGE)), 1), MAX_PER_PAGE)
            page = max(int(query.get("page", 1)), 1)
        except ValueError as err:
            raise HttpError(422, "Invalid pagination parameters") from err
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]

        def link(p: int) -> str:
            q = {k: v for k, v in query.items() if k not in ("page", "per_page")}
            q.update({"per_page": str(per_page), "page": str(p)})
            return f"<{base}{path}?{urllib.parse.urlencode(q)}>"

        rels = []
        if page > 1:
            rels += [f'{link(page - 1)}; rel="prev"']
        if page < last:
            rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if page > 1:
            rels += [f'{link(1)}; rel="first"']
        return chunk, ({"link": ", ".join(rels)} if rels else {})

    # --- users / repos / pulls
    def _get_user(self, login: str, **_: Any) -> Response:
        return Response(200, self.users[login] | {"name": None, "url": f"/users/{login}"})

    def _graphql(self, payload: Any, login: str, **_: Any) -> Response:
        """Only ``{ viewer { login } }``, which GitHub answers for installation tokens too
        (unlike GET /user)."""
        query = payload.get("query") if isinstance(payload, dict) else None
        if not isinstance(query, str) or "viewer" not in query:
            return Response(200, {"errors": [{"message": "the fake knows only viewer"}]})
        return Response(200, {"data": {"viewer": {"login": login}}})

    def _get_rate_limit(self, **_: Any) -> Response:
        core = {"limit": 5000, "remaining": 4999, "reset": int(time.time()) + 3600, "used": 1}
        return Response(200, {"resources": {"core": core}, "rate": core})

    def _get_repo(self, m: re.Match[str], base: str, **_: Any) -> Response:
        full = self._repo(m["owner"], m["repo"])
        data = dict(self.repos[full])
        data["url"] = f"{base}/repos/{full}"
        data["html_url"] = f"https://github.com/{full}"
        return Response(200, data)

    def _pull_json(self, repo: str, pr: dict[str, Any], base: str) -> dict[str, Any]:
        n = pr["number"]
        return pr | {"url": f"{base}/repos/{repo}/pulls/{n}",
                     "html_url": f"https://github.com/{repo}/pull/{n}",
                     "issue_url": f"{base}/repos/{repo}/issues/{n}",
                     "comments_url": f"{base}/repos/{repo}/issues/{n}/comments"}

    def _get_pull(self, m: re.Match[str], base: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        pr = self.pulls.get((repo, int(m["n"])))
        if not pr:
            raise HttpError(404, "Not Found")
        return Response(200, self._pull_json(repo, pr, base))

    def _list_pulls(self, m: re.Match[str], query: dict[str, str], base: str,
                    **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        items = [self._pull_json(repo, p, base) for (r, _n), p in sorted(self.pulls.items())
                 if r == repo]
        state = query.get("state", "open")
        if state != "all":
            items = [p for p in items if p["state"] == state]
        if "head" in query:
            ref = query["head"].split(":", 1)[-1]
            items = [p for p in items if p["head"]["ref"] == ref]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, chunk, hdrs)

    def _commit_pulls(self, m: re.Match[str], query: dict[str, str], base: str,
                      **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        items = [self._pull_json(repo, p, base) for (r, _n), p in sorted(self.pulls.items())
                 if r == repo and p["head"]["sha"] == m["sha"]]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, chunk, hdrs)

    def _get_issue(self, m: re.Match[str], base: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        n = int(m["n"])
        if (repo, n) in self.issues:
            return Response(200, self._issue_json(repo, self.issues[(repo, n)], base))
        pr = self.pulls.get((repo, n))
        data = {"id": n, "number": n, "state": "open", "title": pr["title"] if pr else f"#{n}",
                "user": pr["user"] if pr else self.add_user("octocat"),
                "url": f"{base}/repos/{repo}/issues/{n}",
                "html_url": f"https://github.com/{repo}/issues/{n}",
                "comments": sum(1 for c in self.comments.values()
                                if c["repo"] == repo and c["issue"] == n)}
        if pr:
            data["pull_request"] = {"url": f"{base}/repos/{repo}/pulls/{n}"}
        return Response(200, data)

    # --- issues (GET/POST /repos/{o}/{r}/issues, PATCH /repos/{o}/{r}/issues/{n})
    @staticmethod
    def _label_json(name: str) -> dict[str, Any]:
        return {"id": int(fake_sha(name)[:8], 16), "name": name, "color": "ededed",
                "default": False, "description": None}

    def _issue_json(self, repo: str, issue: dict[str, Any], base: str) -> dict[str, Any]:
        n = issue["number"]
        return issue | {
            "url": f"{base}/repos/{repo}/issues/{n}",
            "html_url": f"https://github.com/{repo}/issues/{n}",
            "comments_url": f"{base}/repos/{repo}/issues/{n}/comments",
            "repository_url": f"{base}/repos/{repo}",
            "comments": sum(1 for c in self.comments.values()
                            if c["repo"] == repo and c["issue"] == n),
        }

    def _list_issues(self, m: re.Match[str], query: dict[str, str], base: str,
                     **_: Any) -> Response:
        """Filters: state (open|closed|all, default open), labels (all must match),
        creator; newest first, like GitHub's default sort."""
        repo = self._repo(m["owner"], m["repo"])
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise HttpError(422, "Validation Failed")
        wanted = {x for x in query.get("labels", "").split(",") if x}
        items = [i for (r, _n), i in sorted(self.issues.items(), reverse=True) if r == repo]
        items = [i for i in items if state == "all" or i["state"] == state]
        items = [i for i in items if wanted <= {lb["name"] for lb in i["labels"]}]
        if "creator" in query:
            items = [i for i in items if i["user"]["login"] == query["creator"]]
        chunk, hdrs = self._paginate([self._issue_json(repo, i, base) for i in items], query,
                                     base, m.group(0))
        return Response(200, chunk, hdrs)

    def _create_issue(self, m: re.Match[str], payload: Any, base: str, token: str,
                      login: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        p = payload if isinstance(payload, dict) else {}
        if not isinstance(p.get("title"), str) or not p["title"]:
            raise HttpError(422, "Validation Failed", [{"resource": "Issue",
                                                        "code": "missing_field",
                                                        "field": "title"}])
        body = p.get("body") or ""
        if not isinstance(body, str) or len(body) > COMMENT_MAX:
            raise HttpError(422, "Validation Failed", [{"resource": "Issue", "code": "custom",
                                                        "field": "body"}])
        labels = tuple(x if isinstance(x, str) else x.get("name", "")
                       for x in p.get("labels") or [])
        issue = self.add_issue(repo, p["title"], body, labels=labels, login=login, dump=False)
        return Response(201, self._issue_json(repo, issue, base))

    def _edit_issue(self, m: re.Match[str], payload: Any, base: str, token: str,
                    **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        issue = self.issues.get((repo, int(m["n"])))
        if issue is None:
            raise HttpError(404, "Not Found")
        self._writable(token)
        p = payload if isinstance(payload, dict) else {}
        if "state" in p and p["state"] not in ("open", "closed"):
            raise HttpError(422, "Validation Failed")
        if "body" in p and (not isinstance(p["body"], str) or len(p["body"]) > COMMENT_MAX):
            raise HttpError(422, "Validation Failed")
        for key in ("title", "body", "state_reason"):
            if key in p:
                issue[key] = p[key]
        if "labels" in p:
            issue["labels"] = [self._label_json(x if isinstance(x, str) else x["name"])
                               for x in p["labels"] or []]
        if "state" in p and p["state"] != issue["state"]:
            issue["state"] = p["state"]
            issue["closed_at"] = _now() if p["state"] == "closed" else None
        issue["updated_at"] = _now()
        return Response(200, self._issue_json(repo, issue, base))

    # --- issue comments
    @staticmethod
    def _check_body(payload: Any) -> str:
        body = payload.get("body") if isinstance(payload, dict) else None
        if not isinstance(body, str) or not body:
            raise HttpError(422, "Invalid request.\n\n\"body\" wasn't supplied.",
                            [{"resource": "IssueComment", "code": "missing_field",
                              "field": "body"}])
        if len(body) > COMMENT_MAX:
            raise HttpError(422, "Validation Failed",
                            [{"resource": "IssueComment", "code": "custom", "field": "body",
                              "message": f"body is too long (maximum is {COMMENT_MAX} "
                                         "characters)"}])
        return body

    def _list_comments(self, m: re.Match[str], query: dict[str, str], base: str,
                       **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        items = [self._comment_json(c, base) for c in self.comments.values()
                 if c["repo"] == repo and c["issue"] == int(m["n"])]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, chunk, hdrs)

    def _create_comment(self, m: re.Match[str], payload: Any, base: str, token: str,
                        login: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        body = self._check_body(payload)
        c = self.add_comment(repo, int(m["n"]), body, login=login, dump=False)
        return Response(201, self._comment_json(c, base))

    def _find_comment(self, m: re.Match[str]) -> dict[str, Any]:
        repo = self._repo(m["owner"], m["repo"])
        c = self.comments.get(int(m["id"]))
        if not c or c["repo"] != repo:
            raise HttpError(404, "Not Found")
        return c

    def _get_comment(self, m: re.Match[str], base: str, **_: Any) -> Response:
        return Response(200, self._comment_json(self._find_comment(m), base))

    def _edit_comment(self, m: re.Match[str], payload: Any, base: str, token: str,
                      **_: Any) -> Response:
        c = self._find_comment(m)
        self._writable(token)
        c["body"] = self._check_body(payload)
        c["updated_at"] = _now()
        return Response(200, self._comment_json(c, base))

    def _delete_comment(self, m: re.Match[str], token: str, **_: Any) -> Response:
        c = self._find_comment(m)
        self._writable(token)
        del self.comments[c["id"]]
        return Response(204)

    # --- check runs
    def _check_fields(self, payload: dict[str, Any], run: dict[str, Any]) -> None:
        for key in ("name", "details_url", "external_id", "started_at", "completed_at"):
            if key in payload:
                run[key] = payload[key]
        if "status" in payload:
            if payload["status"] not in ("queued", "in_progress", "completed"):
                raise HttpError(422, "Invalid request.\n\nstatus is not a valid value.")
            run["status"] = payload["status"]
        if payload.get("conclusion") is not None:
            valid = ("success", "failure", "neutral", "cancelled", "skipped", "timed_out",
                     "action_required")
            if payload["conclusion"] not in valid:
                raise HttpError(422, "Invalid request.\n\nconclusion is not a valid value.")
            run["conclusion"] = payload["conclusion"]
            run["status"] = "completed"
            run["completed_at"] = run.get("completed_at") or _now()
        if run["status"] == "completed" and not run.get("conclusion"):
            raise HttpError(422, "Invalid request.\n\n\"conclusion\" wasn't supplied.")
        out = payload.get("output")
        if out is not None:
            if not isinstance(out, dict) or not out.get("title") or not out.get("summary"):
                raise HttpError(422, "Invalid request.\n\noutput needs title and summary.")
            if len(out["summary"]) > CHECK_SUMMARY_MAX or len(out.get("text") or "") > \
                    CHECK_SUMMARY_MAX:
                raise HttpError(422, "Invalid request.\n\nOnly 65535 characters are allowed; "
                                     f"{len(out['summary'])} were supplied.")
            run["output"] = {"title": out["title"], "summary": out["summary"],
                             "text": out.get("text"), "annotations_count": 0,
                             "annotations_url": ""}

    def _create_check(self, m: re.Match[str], payload: Any, base: str, token: str,
                      **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        if not isinstance(payload, dict) or not payload.get("name") or not payload.get(
                "head_sha"):
            raise HttpError(422, "Invalid request.\n\n\"name\" and \"head_sha\" are required.")
        cid = self.next_id()
        run: dict[str, Any] = {
            "id": cid, "node_id": f"CR_{cid}", "repo": repo, "head_sha": payload["head_sha"],
            "name": payload["name"], "status": "queued", "conclusion": None,
            "external_id": "", "details_url": None, "started_at": _now(),
            "completed_at": None,
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0,
                       "annotations_url": ""},
            "check_suite": {"id": self.next_id()},
            "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
            "pull_requests": [],
        }
        self._check_fields(payload, run)
        self.check_runs[cid] = run
        return Response(201, self._check_json(run, base))

    def _find_check(self, m: re.Match[str]) -> dict[str, Any]:
        repo = self._repo(m["owner"], m["repo"])
        run = self.check_runs.get(int(m["id"]))
        if not run or run["repo"] != repo:
            raise HttpError(404, "Not Found")
        return run

    def _edit_check(self, m: re.Match[str], payload: Any, base: str, token: str,
                    **_: Any) -> Response:
        run = self._find_check(m)
        self._writable(token)
        if not isinstance(payload, dict):
            raise HttpError(422, "Invalid request.")
        updated = dict(run)
        self._check_fields(payload, updated)
        run.update(updated)
        return Response(200, self._check_json(run, base))

    def _get_check(self, m: re.Match[str], base: str, **_: Any) -> Response:
        return Response(200, self._check_json(self._find_check(m), base))

    def _list_checks(self, m: re.Match[str], query: dict[str, str], base: str,
                     **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        items = [self._check_json(c, base) for c in self.check_runs.values()
                 if c["repo"] == repo and c["head_sha"] == m["sha"]
                 and query.get("check_name", c["name"]) == c["name"]]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, {"total_count": len(items), "check_runs": chunk}, hdrs)

    # --- releases
    def _find_release(self, m: re.Match[str]) -> dict[str, Any]:
        repo = self._repo(m["owner"], m["repo"])
        rel = self.releases.get(int(m["id"]))
        if not rel or rel["repo"] != repo:
            raise HttpError(404, "Not Found")
        return rel

    def _list_releases(self, m: re.Match[str], query: dict[str, str], base: str,
                       **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        items = [self._release_json(r, base) for r in sorted(
            self.releases.values(), key=lambda r: -r["id"]) if r["repo"] == repo]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, chunk, hdrs)

    def _create_release(self, m: re.Match[str], payload: Any, base: str, token: str,
                        login: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        if not isinstance(payload, dict) or not payload.get("tag_name"):
            raise HttpError(422, "Validation Failed", [{"resource": "Release",
                                                        "code": "missing_field",
                                                        "field": "tag_name"}])
        tag = payload["tag_name"]
        if any(r["repo"] == repo and r["tag_name"] == tag for r in self.releases.values()):
            raise HttpError(422, "Validation Failed", [{"resource": "Release",
                                                        "code": "already_exists",
                                                        "field": "tag_name"}])
        draft = bool(payload.get("draft", False))
        commitish = payload.get("target_commitish") or self.repos[repo]["default_branch"]
        if not draft:
            self._tag_release(repo, tag, commitish)
        rid = self.next_id()
        self.releases[rid] = {
            "id": rid, "node_id": f"RE_{rid}", "repo": repo, "tag_name": tag,
            "target_commitish": commitish,
            "name": payload.get("name") or tag, "body": payload.get("body") or "",
            "draft": draft, "prerelease": bool(payload.get("prerelease", False)),
            "created_at": _now(), "published_at": None if draft else _now(),
            "author": self.users[login],
        }
        self._make_latest(self.releases[rid], payload.get("make_latest", "true"))
        return Response(201, self._release_json(self.releases[rid], base))

    def _make_latest(self, rel: dict[str, Any], make_latest: Any) -> None:
        """GitHub's ``make_latest``: "true" (the default when a release is published) marks
        it latest; "false" leaves the mark; "legacy" goes back to the newest release."""
        if make_latest not in ("true", "false", "legacy"):
            raise HttpError(422, "Validation Failed", [{"resource": "Release", "code": "invalid",
                                                        "field": "make_latest"}])
        if rel["draft"] or rel["prerelease"]:
            return
        if make_latest == "true":
            self.latest[rel["repo"]] = rel["id"]
        elif make_latest == "legacy":
            self.latest.pop(rel["repo"], None)

    def _commit_of(self, repo: str, commitish: str) -> str | None:
        if _SHA.fullmatch(commitish):
            return commitish  # any sha is taken as a commit: the fake has no git objects
        for ref in (f"refs/heads/{commitish}", f"refs/tags/{commitish}"):
            if (repo, ref) in self.refs:
                return self.refs[(repo, ref)]
        return None

    def _tag_release(self, repo: str, tag: str, commitish: str) -> None:
        """Publishing creates the tag at target_commitish unless it exists (then it is kept)."""
        if (repo, f"refs/tags/{tag}") in self.refs:
            return
        sha = self._commit_of(repo, commitish)
        if sha is None:
            raise HttpError(422, "Validation Failed", [{"resource": "Release", "code": "invalid",
                                                        "field": "target_commitish"}])
        self.refs[(repo, f"refs/tags/{tag}")] = sha

    def _latest_release(self, m: re.Match[str], base: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        marked = self.releases.get(self.latest.get(repo, -1))
        if marked and not marked["draft"] and not marked["prerelease"]:
            return Response(200, self._release_json(marked, base))
        cands = [r for r in self.releases.values()
                 if r["repo"] == repo and not r["draft"] and not r["prerelease"]]
        if not cands:
            raise HttpError(404, "Not Found")
        return Response(200, self._release_json(max(cands, key=lambda r: r["id"]), base))

    def _release_by_tag(self, m: re.Match[str], base: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        tag = urllib.parse.unquote(m["tag"])
        for r in self.releases.values():
            if r["repo"] == repo and r["tag_name"] == tag and not r["draft"]:
                return Response(200, self._release_json(r, base))
        raise HttpError(404, "Not Found")

    def _get_release(self, m: re.Match[str], base: str, **_: Any) -> Response:
        return Response(200, self._release_json(self._find_release(m), base))

    def _edit_release(self, m: re.Match[str], payload: Any, base: str, token: str,
                      **_: Any) -> Response:
        rel = self._find_release(m)
        self._writable(token)
        if not isinstance(payload, dict):
            raise HttpError(422, "Invalid request.")
        updated = dict(rel)
        for key in ("tag_name", "target_commitish", "name", "body", "draft", "prerelease"):
            if key in payload:
                updated[key] = payload[key]
        if not updated["draft"]:
            self._tag_release(rel["repo"], updated["tag_name"], updated["target_commitish"])
        publishing = rel["draft"] and not updated["draft"]
        rel.update(updated)
        if not rel["draft"] and not rel["published_at"]:
            rel["published_at"] = _now()
        if publishing or "make_latest" in payload:
            self._make_latest(rel, payload.get("make_latest", "true"))
        return Response(200, self._release_json(rel, base))

    def _delete_release(self, m: re.Match[str], token: str, **_: Any) -> Response:
        rel = self._find_release(m)
        self._writable(token)
        for aid in [a["id"] for a in self.assets.values() if a["release_id"] == rel["id"]]:
            del self.assets[aid]
            self.asset_data.pop(aid, None)
        del self.releases[rel["id"]]
        if self.latest.get(rel["repo"]) == rel["id"]:
            del self.latest[rel["repo"]]
        return Response(204)

    def _list_assets(self, m: re.Match[str], query: dict[str, str], base: str,
                     **_: Any) -> Response:
        rel = self._find_release(m)
        items = [self._asset_json(a, base) for a in self.assets.values()
                 if a["release_id"] == rel["id"]]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, chunk, hdrs)

    def _upload_asset(self, m: re.Match[str], query: dict[str, str], headers: dict[str, str],
                      body: bytes, base: str, token: str, login: str, **_: Any) -> Response:
        rel = self._find_release(m)
        self._writable(token)
        name = query.get("name")
        if not name:
            raise HttpError(422, "Validation Failed", [{"resource": "ReleaseAsset",
                                                        "code": "missing_field",
                                                        "field": "name"}])
        if any(a["release_id"] == rel["id"] and a["name"] == name for a in self.assets.values()):
            raise HttpError(422, "Validation Failed", [{"resource": "ReleaseAsset",
                                                        "code": "already_exists",
                                                        "field": "name"}])
        aid = self.next_id()
        now = _now()
        self.assets[aid] = {
            "id": aid, "node_id": f"RA_{aid}", "repo": rel["repo"], "release_id": rel["id"],
            "name": name, "label": query.get("label") or "", "state": "uploaded",
            "content_type": headers.get("content-type", "application/octet-stream"),
            "size": len(body), "download_count": 0, "created_at": now, "updated_at": now,
            "uploader": self.users[login],
        }
        self.asset_data[aid] = body
        return Response(201, self._asset_json(self.assets[aid], base))

    def _get_asset(self, m: re.Match[str], headers: dict[str, str], base: str,
                   **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        a = self.assets.get(int(m["id"]))
        if not a or a["repo"] != repo:
            raise HttpError(404, "Not Found")
        if "application/octet-stream" in headers.get("accept", ""):
            return Response(200, self.asset_data[a["id"]],
                            {"content-type": "application/octet-stream"})
        return Response(200, self._asset_json(a, base))

    def _delete_asset(self, m: re.Match[str], token: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        a = self.assets.get(int(m["id"]))
        if not a or a["repo"] != repo:
            raise HttpError(404, "Not Found")
        del self.assets[a["id"]]
        self.asset_data.pop(a["id"], None)
        return Response(204)

    def _download_by_name(self, m: re.Match[str], **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        for a in self.assets.values():
            rel = self.releases.get(a["release_id"], {})
            if a["repo"] == repo and a["name"] == m["name"] and rel.get("tag_name") == m["tag"]:
                return Response(200, self.asset_data[a["id"]],
                                {"content-type": "application/octet-stream"})
        raise HttpError(404, "Not Found")

    # --- git refs
    @staticmethod
    def _ref_name(m: re.Match[str]) -> str:
        return "refs/" + urllib.parse.unquote(m["ref"] or "")

    def _get_ref(self, m: re.Match[str], base: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        ref = self._ref_name(m)
        if (repo, ref) not in self.refs:
            raise HttpError(404, "Not Found")
        return Response(200, self._ref_json(repo, ref, self.refs[(repo, ref)], base))

    def _get_ref_legacy(self, m: re.Match[str], base: str, **_: Any) -> Response:
        """GET .../git/refs/{ref}: the ref itself, else the refs it is a prefix of (a list)."""
        repo = self._repo(m["owner"], m["repo"])
        ref = self._ref_name(m)
        if (repo, ref) in self.refs:
            return Response(200, self._ref_json(repo, ref, self.refs[(repo, ref)], base))
        items = [self._ref_json(repo, name, sha, base)
                 for (r, name), sha in sorted(self.refs.items())
                 if r == repo and name.startswith(ref)]
        if not items:
            raise HttpError(404, "Not Found")
        return Response(200, items)

    def _list_refs(self, m: re.Match[str], query: dict[str, str], base: str,
                   **_: Any) -> Response:
        """GET .../git/matching-refs/{prefix} (and .../git/refs): [] when nothing matches."""
        repo = self._repo(m["owner"], m["repo"])
        prefix = self._ref_name(m) if m.groupdict().get("ref") else "refs/"
        items = [self._ref_json(repo, name, sha, base)
                 for (r, name), sha in sorted(self.refs.items())
                 if r == repo and name.startswith(prefix)]
        chunk, hdrs = self._paginate(items, query, base, m.group(0))
        return Response(200, chunk, hdrs)

    def _create_ref(self, m: re.Match[str], payload: Any, base: str, token: str,
                    **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        p = payload if isinstance(payload, dict) else {}
        ref, sha = p.get("ref"), p.get("sha")
        if not isinstance(ref, str) or not isinstance(sha, str):
            raise HttpError(422, "Invalid request.\n\n\"ref\", \"sha\" weren't supplied.")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise HttpError(422, "Reference name must start with 'refs/' and have at least two "
                                 "slashes.")
        if not _SHA.fullmatch(sha):
            raise HttpError(422, "Object does not exist")
        if (repo, ref) in self.refs:
            raise HttpError(422, "Reference already exists")
        self.refs[(repo, ref)] = sha
        data = self._ref_json(repo, ref, sha, base)
        return Response(201, data, {"location": data["url"]})

    def _update_ref(self, m: re.Match[str], payload: Any, base: str, token: str,
                    **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        ref = self._ref_name(m)
        sha = payload.get("sha") if isinstance(payload, dict) else None
        if not isinstance(sha, str):
            raise HttpError(422, "Invalid request.\n\n\"sha\" wasn't supplied.")
        if (repo, ref) not in self.refs:
            raise HttpError(422, "Reference does not exist")
        if not _SHA.fullmatch(sha):
            raise HttpError(422, "Object does not exist")
        self.refs[(repo, ref)] = sha  # no history here, so every update counts as a force
        return Response(200, self._ref_json(repo, ref, sha, base))

    def _delete_ref(self, m: re.Match[str], token: str, **_: Any) -> Response:
        repo = self._repo(m["owner"], m["repo"])
        self._writable(token)
        ref = self._ref_name(m)
        if (repo, ref) not in self.refs:
            raise HttpError(422, "Reference does not exist")
        del self.refs[(repo, ref)]
        return Response(204)


def seed(fake: FakeGitHub, data: dict[str, Any]) -> None:
    """Seed from a JSON-able dict: tokens, repos, pulls, comments, refs (see the package doc)."""
    for token, spec in (data.get("tokens") or {}).items():
        if isinstance(spec, dict):
            fake.add_token(token, spec["login"], read_only=bool(spec.get("read_only")))
        else:
            fake.add_token(token, spec)
    for repo in data.get("repos") or []:
        fake.add_repo(repo)
    for pr in data.get("pulls") or []:
        pr = dict(pr)
        fake.add_pull(pr.pop("repo"), int(pr.pop("number")), **pr)
    for c in data.get("comments") or []:
        fake.add_comment(c["repo"], int(c["issue"]), c["body"], login=c.get("login", "octocat"))
    for r in data.get("refs") or []:
        fake.add_ref(r["repo"], r["ref"], r["sha"])
    for i in data.get("issues") or []:
        fake.add_issue(i["repo"], i["title"], i.get("body", ""),
                       labels=tuple(i.get("labels", ())), login=i.get("login", "octocat"),
                       state=i.get("state", "open"))


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeGitHub/1.0"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle + delayed ACK
            # add ~40 ms to every keep-alive request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            base = f"http://{self.headers.get('Host') or f'127.0.0.1:{fake.port}'}"
            try:
                resp = fake.handle(self.command, self.path, headers, body, base)
            except Exception as err:  # a bug in the fake: answer 500 rather than hang
                resp = Response(500, {"message": f"fake server error: {err!r}"})
            if isinstance(resp.body, bytes):
                data = resp.body
                ctype = resp.headers.get("content-type", "application/octet-stream")
            elif resp.body is None or resp.status == 204:
                data, ctype = b"", "application/json; charset=utf-8"
            else:
                data = json.dumps(resp.body).encode()
                ctype = "application/json; charset=utf-8"
            self.send_response(resp.status)
            hdrs = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999",
                    "x-ratelimit-used": "1", "x-ratelimit-reset": str(int(time.time()) + 3600),
                    "x-github-request-id": f"FAKE:{len(fake.requests)}"}
            hdrs.update(resp.headers)
            hdrs["content-type"] = ctype
            for key, value in hdrs.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if not resp.trickle:
                self.wfile.write(data)
                return
            for i in range(len(data)):
                if fake.closing.wait(resp.trickle):
                    return
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _serve

    return Handler
