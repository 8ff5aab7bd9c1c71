"""The Markdown escaper's options used by the model card and the deploy summary."""

from __future__ import annotations

from mlgate import markdown as esc


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
