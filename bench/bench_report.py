"""Benchmark `mlgate report` against the fake GitHub server (not a test; run by hand).

    python bench/bench_report.py

Counts the HTTP requests and times one report update with 1 and with 300 existing comments
(the report's comment on the first page, then on the last page), plus the no-op re-run.
Targets: at most 3 requests for the comment when its marker is on the first page, and
under 0.5 s wall for the update (in a warm process: importing PyGithub alone takes ~1 s).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.helpers import report_fixtures as fx  # noqa: E402

from mlgate import markdown as esc  # noqa: E402
from mlgate.adapters.actions import GitHubEnv  # noqa: E402
from mlgate.adapters.github import connector  # noqa: E402
from mlgate.console import Console  # noqa: E402
from mlgate.core.result import parse_result  # noqa: E402
from mlgate.report.publish import Request, publish  # noqa: E402

REPO = "octo/demo"


def env_for(fake: FakeGitHub, tmp: Path, pr: int) -> GitHubEnv:
    event = tmp / f"event-{pr}.json"
    event.write_text(json.dumps({"pull_request": {"number": pr, "head": {"sha": fx.HEAD}}}))
    return GitHubEnv.from_env({**fake.env(), "GITHUB_EVENT_PATH": str(event),
                               "GITHUB_EVENT_NAME": "pull_request",
                               "GITHUB_STEP_SUMMARY": str(tmp / "summary.md")})


def one(fake: FakeGitHub, tmp: Path, pr: int, doc: dict[str, Any]) -> tuple[int, int, float]:
    fake.clear_requests()
    req = Request([parse_result(doc)], "mlgate", tmp / ".mlgate")
    quiet = Console(out=lambda _text: None, err=lambda _text: None)
    t0 = time.perf_counter()
    env = env_for(fake, tmp, pr)
    publish(req, env, quiet, connector(env.api_url, env.token, env.repository))
    wall = time.perf_counter() - t0
    comment_calls = sum(1 for r in fake.requests if "check-runs" not in r["path"])
    return comment_calls, len(fake.requests), wall


def scenario(fake: FakeGitHub, tmp: Path, pr: int, before: int, after: int) -> str:
    for i in range(before):
        fake.add_comment(REPO, pr, f"comment {i}", dump=False)
    fake.add_comment(REPO, pr, esc.marker("mlgate") + "\nold", login="github-actions[bot]",
                     dump=False)
    for i in range(after):
        fake.add_comment(REPO, pr, f"later {i}", dump=False)
    update = one(fake, tmp, pr, fx.failing_result())
    noop = one(fake, tmp, pr, fx.failing_result())
    total = before + after + 1
    return (f"{total:4d} comments, marker at #{before + 1:<4d}: update {update[0]} comment "
            f"requests ({update[1]} with the check run) in {update[2] * 1000:6.1f} ms; "
            f"no-op {noop[0]} ({noop[1]}) in {noop[2] * 1000:6.1f} ms")


def main() -> int:
    kinds = (("ghs_bench", "the workflow's GITHUB_TOKEN (ghs_...): GET /user skipped"),
             ("test-token", "a personal token: GET /user asked once"))
    for token, title in kinds:
        with tempfile.TemporaryDirectory() as d, FakeGitHub(token=token) as fake:
            tmp = Path(d)
            t0 = time.perf_counter()
            one(fake, tmp, 99, fx.passing_result())  # warm-up: imports PyGithub, Jinja2
            print(f"== {title}; first run in this process (imports included): "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms")
            print(scenario(fake, tmp, 1, 0, 0))
            print(scenario(fake, tmp, 2, 0, 299))
            print(scenario(fake, tmp, 3, 299, 0))
            fake.add_comment(REPO, 4, "x")
            first = one(fake, tmp, 4, fx.failing_result())
            print(f"   1 comment, no report yet: first post {first[0]} comment requests "
                  f"({first[1]} with the check run) in {first[2] * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
