"""Model versions: semantic versions ``MAJOR.MINOR.PATCH``, the first one 1.0.0."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlgate.errors import UsageError

FIRST_VERSION = "1.0.0"
_SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?P<pre>-[0-9A-Za-z.-]+)?(?P<build>\+[0-9A-Za-z.-]+)?$"
)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a release version (a leading ``v`` is allowed); None for
    anything else, pre-releases included (they never count as "the last release")."""
    match = _SEMVER.match(text.strip())
    if not match or match["pre"]:
        return None
    return int(match["major"]), int(match["minor"]), int(match["patch"])


def normalize_version(text: str, where: str) -> str:
    """A user-given version, validated, without its leading ``v``."""
    text = text.strip()
    if not _SEMVER.match(text):
        raise UsageError(
            f"{text!r} is not a semantic version",
            where=where,
            fix="write MAJOR.MINOR.PATCH, e.g. 1.4.0",
        )
    return text[1:] if text.startswith("v") else text


def bump(version: tuple[int, int, int], part: str) -> str:
    major, minor, patch = version
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def next_version(existing: Iterable[str], part: str = "patch") -> str:
    """The version after the highest of ``existing`` (others ignored), else 1.0.0."""
    parsed = [v for v in (parse_version(text) for text in existing) if v is not None]
    return bump(max(parsed), part) if parsed else FIRST_VERSION


def versions_with_prefix(tags: Iterable[str], prefix: str) -> list[str]:
    """The version part of every tag that starts with ``prefix`` and parses as a version."""
    out = []
    for tag in tags:
        if tag.startswith(prefix):
            rest = tag[len(prefix):]
            if parse_version(rest) is not None:
                out.append(rest)
    return out
