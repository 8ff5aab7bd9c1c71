"""Issue 21 item 12: string methods and filters in a template cannot allocate gigabytes before
the output cap trips: they are bounded before they run, as `*` is."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from mlgate.templating import RenderLimit, environment, render_limits

BIG = "{% set s = 'a' * 100000 %}"


def _render(body: str) -> str:
    template = environment(body).get_template("user-template")
    with render_limits():
        return "".join(template.generate())


@pytest.mark.parametrize("body", [
    "{{ 'x'.ljust(1000000000) }}",
    "{{ 'x'.rjust(1000000000) }}",
    "{{ 'x'.center(1000000000) }}",
    "{{ 'x'.zfill(1000000000) }}",
    "{{ ('\\t' * 100000).expandtabs(100000) }}",
    BIG + "{{ s.replace('a', 'b' * 100000) }}",
    BIG + "{{ s.replace('', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' * 1000) }}",
    BIG + "{{ s | replace('a', 'b' * 100000) }}",
    "{{ ('x' * 1000000).join(['a'] * 1000) }}",
    "{{ (['a'] * 1000) | join('x' * 1000000) }}",
    "{{ '{:>1000000000}'.format(1) }}",
    "{{ '{:{}}'.format(1, 1000000000) }}",
    "{{ '%1000000000d' % 1 }}",
    "{{ '%*d' % (1000000000, 1) }}",
    "{{ '%1000000000d' | format(1) }}",
    "{{ '{x:>1000000000}'.format_map({'x': 1}) }}",
], ids=["ljust", "rjust", "center", "zfill", "expandtabs", "replace", "replace-empty",
        "replace-filter", "join", "join-filter", "format", "format-nested", "percent",
        "percent-star", "format-filter", "format_map"])
def test_string_methods_are_bounded_before_they_allocate(body: str) -> None:
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(RenderLimit):
            _render(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 5
    assert peak < 64 * 1024 * 1024, f"{peak / 2**20:.0f} MiB allocated before the limit"


@pytest.mark.parametrize(("body", "text"), [
    ("{{ 'ab'.ljust(5, '.') }}|", "ab...|"),
    ("{{ '7'.zfill(3) }}", "007"),
    ("{{ 'a-b'.replace('-', '+') }}", "a+b"),
    ("{{ ', '.join(['a', 'b']) }}", "a, b"),
    ("{{ '{:>4}'.format(1) }}", "   1"),
    ("{{ '%5.1f' % 2.25 }}", "  2.2"),
    ("{{ '%-3s|' | format('a') }}", "a  |"),
    ("{{ 'a\\tb'.expandtabs(4) }}", "a   b"),
])
def test_ordinary_uses_still_work(body: str, text: str) -> None:
    assert _render(body) == text
