"""The Markdown escaper (markdown.py) pinned exactly: line separators, the length limit, every
neutralised form, and the options used by the model card and the deploy summary."""

from __future__ import annotations

import math

import pytest

from mlgate import markdown as esc

ZWSP = "&#8203;"


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\n", "\r", "\t", "\x00", "\x1f", "\x7f",
                                 "\x85", "\x9f"])
def test_line_and_paragraph_separators_and_controls_become_spaces(sep: str) -> None:
    assert esc.clean(f"a{sep}b") == "a b"
    assert esc.md(f"a{sep}b") == "a b"
    assert esc.code(f"a{sep}b") == "`a b`"


@pytest.mark.parametrize("bidi", ["\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f",
                                  "\u061c"])
def test_bidi_controls_are_removed(bidi: str) -> None:
    assert esc.clean(f"ab{bidi}cd") == "abcd"


def test_text_exactly_at_the_length_limit_is_kept_whole() -> None:
    assert esc.clean("a" * 300) == "a" * 300
    assert esc.clean("a" * 301) == "a" * 299 + "…"
    assert esc.md("b" * 300) == "b" * 300
    assert esc.md("b" * 301) == "b" * 299 + "…"
    assert esc.code("c" * 300) == "`" + "c" * 300 + "`"
    assert esc.code("c" * 301) == "`" + "c" * 299 + "…`"
    assert esc.clean("abcde", 5) == "abcde"
    assert esc.clean("abcdef", 5) == "abcd…"
    assert esc.md("abcdef", 5) == "abcd…"
    assert esc.code("abcdef", 5) == "`abcd…`"
    assert esc.clean(12345) == "12345"


def test_md_neutralises_html_mentions_links_and_references() -> None:
    assert esc.md("a&b <i>") == "a&amp;b &lt;i&gt;"
    assert esc.md("@bob") == f"@{ZWSP}bob"
    assert esc.md("@ alone") == "@ alone"
    assert esc.md("http://x.io") == f"http:{ZWSP}//x.io"
    assert esc.md("see WWW.x.io") == f"see WWW{ZWSP}.x.io"
    assert esc.md("#12") == f"\\#{ZWSP}12"
    assert esc.md("#x") == "\\#x"
    assert esc.md("GH-3 gh-4 GH-x") == f"GH-{ZWSP}3 gh-{ZWSP}4 GH-x"
    assert esc.md("\\ ` * _ [ ] ~ | # !") == "\\\\ \\` \\* \\_ \\[ \\] \\~ \\| \\# \\!"


def test_code_spans_pad_when_a_backtick_is_at_either_end() -> None:
    assert esc.code("`a") == "`` `a ``"
    assert esc.code("a`") == "`` a` ``"
    assert esc.code("a``b") == "```a``b```"
    assert esc.code("") == "``"
    assert esc.code("x@y @z") == "`x@\u200by @\u200bz`"


def test_mermaid_labels_marker_names_and_shas() -> None:
    assert esc.mermaid_label("AB c<>") == "AB c__"
    assert esc.mermaid_label("Model v1.2 (x+y): a/b-c") == "Model v1.2 (x+y): a/b-c"
    assert esc.mermaid_label("   ") == "_"
    assert esc.mermaid_label("x" * 50) == "x" * 39 + "_"  # the "…" is not allowed either
    assert esc.marker_name("a" * 150) == "a" * 100
    assert esc.marker_name("") == "mlgate"
    assert esc.marker_name("x y--z") == "x_y-z"
    assert esc.marker("a-->b") == "<!-- mlgate-report: a-_b -->"
    assert esc.short_sha("A" * 40) == "aaaaaaa"
    assert esc.short_sha("abc") is None and esc.short_sha("g" * 40) is None
    assert esc.short_sha(None) is None
    assert esc.safe_sha("ABCDEF1") == "abcdef1" and esc.safe_sha("abcdef") is None
    assert esc.safe_sha("a" * 65) is None and esc.safe_sha(7) is None


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (0.0, "0"), (1, "+1"), (-1.5, "-1.5"), (0.123456, "+0.1235"), (None, "—"),
    ("x", "—"), (math.nan, "NaN"), (math.inf, "+∞"), (-math.inf, "-∞"),
])
def test_signed(value: object, text: str) -> None:
    assert esc.signed(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (5e-05, "+0.01%"),  # exactly 0.005 %: shown, not rounded to 0
    (4.999e-05, "0%"),
    (-4e-05, "0%"),
    (0.0, "0%"),
    (0.01, "+1.00%"),
    (-0.5, "-50.00%"),
    (None, "—"),
    (math.inf, "+∞"),
    (math.nan, "NaN"),
])
def test_percent(value: object, text: str) -> None:
    assert esc.percent(value) == text


def test_number() -> None:
    assert esc.number(1234.5678) == "1234.5678"
    assert esc.number(None) == "—" and esc.number(True) == "—"
    assert esc.number(math.nan) == "NaN"


# ----- options used by the model card and the deploy summary ----------------------------------


def test_md_can_keep_underscores_inside_words() -> None:
    assert esc.md("max_iter") == "max\\_iter"  # the report: every underscore
    assert esc.md("max_iter", keep_word_underscores=True) == "max_iter"
    assert esc.md("_x_ a__b x_", keep_word_underscores=True) == "\\_x\\_ a\\_\\_b x\\_"
    # everything else is escaped as in the report
    hostile = "@bob <b>*x*</b> #1 `c` |"
    assert esc.md(hostile, keep_word_underscores=True) == esc.md(hostile)


def test_code_spans() -> None:
    assert esc.code("sklearn.linear_model.X") == "`sklearn.linear_model.X`"
    assert esc.code("a`b") == "``a`b``"
    assert esc.code("`x`") == "`` `x` ``"
    assert esc.code("a|b <i> @bob\nx") == "`a\\|b &lt;i&gt; @\u200bbob x`"
