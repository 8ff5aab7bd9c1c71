"""A fake GitHub REST API for tests: real HTTP on 127.0.0.1, in-memory state, a request log.

In a test module::

    pytest_plugins = ["tests.fakegithub.fixtures"]   # provides the ``fake_github`` fixture

    def test_x(fake_github, monkeypatch):
        fake = fake_github                     # a started FakeGitHub, closed after the test
        fake.add_pull("octo/demo", 7, head_sha="a" * 40)
        for k, v in fake.env().items():        # GITHUB_API_URL=fake.url, GITHUB_REPOSITORY,
            monkeypatch.setenv(k, v)           # GITHUB_TOKEN=test-token, GITHUB_SERVER_URL
        ...
        assert [r["method"] for r in fake.requests] == ["GET", "POST"]

(Importing the fixture instead works too but ruff then wants ``# noqa: F401, F811``.)
Defaults: token ``test-token`` belongs to ``github-actions[bot]`` (what GET /user returns);
repo ``octo/demo`` exists. Without a fixture: ``with FakeGitHub() as fake: ...``
(``FakeGitHub(...).start()`` / ``.close()``).

Seeding: ``add_token(token, login, read_only=False)`` (a read-only token gets 403
"Resource not accessible by integration" on every write, like a fork PR's token),
``add_repo("o/r")``, ``add_pull(repo, n, head_sha=, head_ref=, base_ref=, base_sha=)``,
``add_comment(repo, issue, body, login="octocat")``, ``add_user(login)``,
``add_ref(repo, "refs/...", sha)``, ``add_branch(repo, name, sha)``, ``add_tag(repo, name, sha)``.
``add_issue(repo, title, body, labels=(), login="octocat", state="open")``.
The fake has no git objects: any 40-hex sha counts as a commit, and each repo's default branch
gets the made-up sha ``fake_sha(f"{repo}:{branch}")``.

State (dicts keyed by id, JSON as GitHub returns it via the helpers): ``fake.comments``,
``fake.check_runs``, ``fake.releases``, ``fake.assets`` (+ ``fake.asset_data`` bytes),
``fake.refs`` ({(repo, "refs/tags/x"): sha}); helpers ``issue_comments(repo, n)``,
``check_runs_for(repo)``, ``releases_for(repo)``, ``tags_for(repo)`` ({tag: sha}),
``snapshot()``.

Request log: ``fake.requests`` is a list of dicts {method, path, query (dict), json (parsed
body or None), headers (lower-case), status, time}; ``requests_matching("PATCH",
"/repos/*/issues/comments/*")``; ``clear_requests()``.

Faults (fnmatch glob on the path, consumed in order): ``fail_next(method, path, status=502,
times=1, body=None, headers=None, after=False)`` (``after=True``: the write happens, only
the answer is the error); ``rate_limit_next(method, path, status=403|429,
times=1, retry_after=None|N, secondary=False)`` (primary limit: x-ratelimit-remaining: 0 +
x-ratelimit-reset; with retry_after: a secondary limit with a retry-after header; with
secondary=True and no retry_after: a secondary limit without one); ``hang_next(method, path,
seconds)`` (slow answer, for client timeouts); ``trickle_next(method, path, interval=1.0)``
(headers at once, then the body one byte per interval: no single read times out);
``fake.latency = 0.01`` (every request).

Endpoints: GET /user, /rate_limit; POST /graphql (only ``{viewer {login}}``, answered for
every token, installation tokens included); GET /repos/{o}/{r}; GET /repos/{o}/{r}/pulls[/{n}]
(?head=owner:branch&state=), GET /repos/{o}/{r}/commits/{sha}/pulls, GET
/repos/{o}/{r}/issues/{n}; GET/POST /repos/{o}/{r}/issues/{n}/comments (per_page default 30,
max 100, page, RFC 5988 Link header with prev/next/last/first); GET/PATCH/DELETE
/repos/{o}/{r}/issues/comments/{id}; issues: GET /repos/{o}/{r}/issues (?state=open|closed|all,
labels=a,b, creator=; newest first, paginated), POST /repos/{o}/{r}/issues {title, body,
labels}, PATCH /repos/{o}/{r}/issues/{n} {title, body, state, state_reason, labels}, and GET
/repos/{o}/{r}/issues/{n} returns a stored issue (``fake.issues``, ``issues_for(repo)``);
POST /repos/{o}/{r}/check-runs, GET/PATCH
/repos/{o}/{r}/check-runs/{id}, GET /repos/{o}/{r}/commits/{sha}/check-runs (?check_name=);
releases: GET/POST /repos/{o}/{r}/releases, GET .../releases/latest, .../releases/tags/{tag},
GET/PATCH/DELETE .../releases/{id}, GET .../releases/{id}/assets, upload via the release's
``upload_url`` ({url}/uploads/repos/{o}/{r}/releases/{id}/assets{?name,label}, raw body, 422
on a duplicate name), GET/DELETE /repos/{o}/{r}/releases/assets/{id} (GET with ``Accept:
application/octet-stream`` returns the bytes), GET /{o}/{r}/releases/download/{tag}/{name}
(``browser_download_url``). Git refs: GET /repos/{o}/{r}/git/ref/{ref} (one ref, e.g.
``tags/v1``, or 404), GET .../git/refs and .../git/matching-refs/{prefix} (lists, paginated,
[] when none match), GET .../git/refs/{ref} (the older form: the ref, else the list of refs
it prefixes, else 404), POST .../git/refs {ref, sha} (422 "Reference already exists"), PATCH
and DELETE .../git/refs/{ref} (422 "Reference does not exist"). Publishing a release (POST
without draft, or PATCH to draft false) creates refs/tags/<tag_name> at target_commitish (a
sha, else a branch's or tag's sha; 422 when it names none) unless the tag exists, which is
then kept as it is; deleting a release keeps its tag, as on GitHub. Errors: 401 "Bad
credentials" (missing/unknown token), 404 (unknown repo or object), 422 (empty comment body or
over 65,536 chars, check-run summary over 65,535, missing name/head_sha, duplicate release tag
or asset name, see above for refs).

Out of process (e.g. for ``act``)::

    python -m tests.fakegithub --port 8765 --state-file state.json [--host 0.0.0.0]
        [--token T --login L --repo o/r] [--seed seed.json] [--read-only-token T]

prints ``FAKEGITHUB_URL=http://127.0.0.1:PORT`` on stdout once listening, serves until killed,
and rewrites the JSON state file (repos, comments, check_runs, releases, refs, requests) after every
request. URLs in responses use the request's Host header, so a client in a container that
reaches the server under another address gets working links. Control endpoints (no auth):
GET /_fake/state, POST /_fake/fail {method, path, status, times}, POST /_fake/seed {tokens:
{token: login | {login, read_only}}, repos: [..], pulls: [{repo, number, head_sha, ...}],
comments: [{repo, issue, body, login}], refs: [{repo, ref, sha}], issues: [{repo, title, body,
labels, login, state}]}.
"""

from tests.fakegithub.server import FakeGitHub, seed

__all__ = ["FakeGitHub", "seed"]
