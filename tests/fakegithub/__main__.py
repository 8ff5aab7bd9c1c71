"""``python -m tests.fakegithub``: serve the fake GitHub API until killed (see __init__)."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path

from tests.fakegithub.server import FakeGitHub, seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakegithub")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", type=Path)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--login", default="github-actions[bot]")
    parser.add_argument("--repo", action="append", default=[])
    parser.add_argument("--read-only-token", action="append", default=[])
    parser.add_argument("--seed", type=Path, help="JSON: tokens, repos, pulls, comments")
    args = parser.parse_args(argv)
    fake = FakeGitHub(token=args.token, login=args.login, repo=None, host=args.host,
                      port=args.port, state_file=args.state_file)
    for repo in args.repo or ["octo/demo"]:
        fake.add_repo(repo)
    for token in args.read_only_token:
        fake.add_token(token, "fork-bot[bot]", read_only=True)
    if args.seed:
        seed(fake, json.loads(args.seed.read_text(encoding="utf-8")))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"FAKEGITHUB_URL={fake.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        fake.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
