"""Render a report's Markdown the way a PR comment shows it, to a PNG for the README.

    uv pip install markdown-it-py        # the Markdown renderer (in mlgate's `dev` extra)
    apt-get install chromium fonts-noto-color-emoji   # the headless browser, emoji glyphs
    python scripts/comment_png.py [REPORT.md] [--out docs/images/comment.png] [--height PX]

The default input is the golden report of a failing PR (tests/golden/report_failing.md), so the
picture always shows what the tests pin. `<details>` stay collapsed, as GitHub shows them;
mermaid blocks are left as code (GitHub draws them); GitHub's `> [!NOTE]` alerts get a plain
title. docs/report.md lists the pictures in docs/images/ and the reports they show.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A plain page in the spirit of a GitHub comment: system font, bordered tables, grey code.
STYLE = """
body { margin: 0; background: #fff; }
.comment { width: 860px; margin: 16px; border: 1px solid #d0d7de; border-radius: 6px;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: #1f2328; }
.header { background: #f6f8fa; border-bottom: 1px solid #d0d7de; padding: 8px 16px;
  color: #59636e; border-radius: 6px 6px 0 0; }
.body { padding: 4px 16px 12px; }
h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d1d9e0; padding: 4px 10px; }
th { background: #f6f8fa; }
tr:nth-child(2n) td { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 4px; padding: .1em .35em; font-size: 85%; }
pre { background: #f6f8fa; padding: 12px; border-radius: 6px; overflow: hidden; }
a { color: #0969da; text-decoration: none; }
details { margin: 6px 0; }
sub { color: #59636e; }
"""


# GitHub's alerts (`> [!CAUTION]`), which CommonMark leaves as text.
ALERT = re.compile(r"<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*")


def to_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    body = ALERT.sub(lambda m: f"<p><b>{m.group(1).title()}</b><br>", md.render(markdown))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"
        "<div class='comment'><div class='header'><b>github-actions</b> bot commented</div>"
        f"<div class='body'>{body}</div></div></body></html>"
    )


def screenshot(html: str, out: Path, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        sys.exit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "comment.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp}/profile", f"--window-size=894,{height}",
             f"--screenshot={out.resolve()}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default=str(ROOT / "tests/golden/report_failing.md"))
    parser.add_argument("--out", default=str(ROOT / "docs/images/comment.png"))
    parser.add_argument("--height", type=int, default=760, help="pixels of the page to keep")
    args = parser.parse_args()
    markdown = Path(args.report).read_text(encoding="utf-8")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(to_html(markdown), out, args.height)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
