"""How the CLI shows an error: a line on stderr, on GitHub Actions an ``::error::`` annotation."""

from __future__ import annotations

import os
import sys


def report_error(text: str) -> None:
    """Print an error; on GitHub Actions also as an ``::error::`` annotation."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # Annotations are one line; GitHub decodes %0A as a newline.
        encoded = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::error title=mlgate::{encoded}", file=sys.stderr)
    else:
        print(f"mlgate: error: {text}", file=sys.stderr)
