"""User report templates only render: they cannot change the result or the verdict, read files
outside their own folder, or run without bounds."""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import pytest

from mlgate.core.result import parse_result
from mlgate.core.verdict import verdict
from mlgate.errors import UsageError
from mlgate.report.render import LEVELS, Links, Renderer, report_view
from tests.helpers import report_fixtures as fx

LINKS = Links(repository="octo/demo")


def render_with(tpl: Path, doc: dict | None = None, root: Path | None = None) -> tuple[str, dict]:
    doc = doc or fx.failing_result()
    result = parse_result(doc)
    text = Renderer(tpl, root).render(report_view([result], "mlgate", LINKS, LEVELS[0]))
    return text, dict(result.raw)


def template(tmp_path: Path, body: str, name: str = "report.md.j2") -> Path:
    tpl = tmp_path / name
    tpl.write_text(body, encoding="utf-8")
    return tpl


@pytest.mark.parametrize("mutation", [
    '{{ report.models[0].raw.update({"passed": True, "failed_rules": [], "errors": []}) }}',
    "{{ report.models[0].raw.failed_rules.clear() }}",
    "{{ report.models[0].raw.metrics.pop() }}",
    '{{ report.update({"passed": True}) }}',
    '{{ report.models[0].update({"passed": True}) }}',
    "{{ report.models[0].table.clear() }}",
    '{{ report.models[0].raw.metrics[0].__setitem__("passed", True) }}',
    '{{ report.models[0].raw.setdefault("x", 1) }}',
])
def test_a_template_cannot_change_the_result(tmp_path: Path, mutation: str) -> None:
    doc = fx.failing_result()
    before = copy.deepcopy(doc)
    result = parse_result(doc)
    tpl = template(tmp_path, '{% extends "report.md.j2" %}{% block footer %}' + mutation +
                   "{% endblock %}")
    with pytest.raises(UsageError):
        Renderer(tpl).render(report_view([result], "mlgate", LINKS, LEVELS[0]))
    assert dict(result.raw) == before and not verdict(result).passed


def test_the_headline_comes_from_the_verdict_not_the_template(tmp_path: Path) -> None:
    tpl = template(tmp_path, '{% extends "report.md.j2" %}{% block headline %}'
                             "## ✅ churn: gate passed\n{% endblock %}")
    text, _ = render_with(tpl)
    assert text.startswith("## ❌ churn: gate failed\n")
    bare = template(tmp_path, "all good ✅\n", "bare.md.j2")
    text, _ = render_with(bare)
    assert text.splitlines()[0] == "## ❌ churn: gate failed"
    passing, _ = render_with(bare, fx.passing_result())
    assert passing.splitlines()[0] == "## ✅ churn: gate passed"


def repo_with_git(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "config").write_text(
        '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic SECRETJOBTOKEN\n')
    (repo / "ci").mkdir()
    return repo


@pytest.mark.parametrize(("where", "include"), [
    ("", ".git/config"),
    ("", "./.git/config"),
    ("ci", "../.git/config"),
    ("ci", "/etc/passwd"),
    ("ci", "sub/../../.git/config"),
])
def test_a_template_cannot_include_files_outside_its_folder(tmp_path: Path, where: str,
                                                            include: str) -> None:
    repo = repo_with_git(tmp_path)
    tpl = template(repo / where, '{% extends "report.md.j2" %}{% block footer %}'
                                 f'{{% include "{include}" %}}{{% endblock %}}')
    with pytest.raises(UsageError) as info:
        render_with(tpl, root=repo)
    assert "SECRETJOBTOKEN" not in info.value.render()


def test_symlinks_leaving_the_folder_are_refused(tmp_path: Path) -> None:
    repo = repo_with_git(tmp_path)
    os.symlink("/proc/self/environ", repo / "ci" / "env.md.j2")
    os.symlink(repo / ".git" / "config", repo / "ci" / "config.md.j2")
    os.environ["MLGATE_TEST_SECRET"] = "SECRETENVVALUE"
    try:
        for name in ("env.md.j2", "config.md.j2"):
            tpl = template(repo / "ci", '{% extends "report.md.j2" %}{% block footer %}'
                                        f'{{% include "{name}" %}}{{% endblock %}}')
            with pytest.raises(UsageError) as info:
                render_with(tpl, root=repo)
            assert "SECRET" not in info.value.render()
    finally:
        del os.environ["MLGATE_TEST_SECRET"]


def test_the_template_itself_must_be_in_the_repository(tmp_path: Path) -> None:
    repo = repo_with_git(tmp_path)
    outside = template(tmp_path, "{{ report.name }}", "outside.md.j2")
    with pytest.raises(UsageError, match="in the repository"):
        Renderer(outside, repo)
    os.symlink("/proc/self/environ", repo / "ci" / "link.md.j2")
    with pytest.raises(UsageError):
        Renderer(repo / "ci" / "link.md.j2", repo)
    hidden = template(repo / ".git", "{{ report.name }}", "hooks.md.j2")
    with pytest.raises(UsageError):
        Renderer(hidden, repo)


def test_partials_of_its_own_folder_still_work(tmp_path: Path) -> None:
    repo = repo_with_git(tmp_path)
    (repo / "ci" / "parts").mkdir()
    (repo / "ci" / "parts" / "team.md.j2").write_text("Owned by ML.\n", encoding="utf-8")
    tpl = template(repo / "ci", '{% extends "report.md.j2" %}{% block footer %}\n'
                                '{% include "parts/team.md.j2" %}{% endblock %}')
    text, _ = render_with(tpl, root=repo)
    assert text.endswith("Owned by ML.\n")


@pytest.mark.parametrize("body", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ [1] * 1000000000 }}",
    "{{ 10 ** 100000000 }}",
    "{{ 'x' | center(1000000000) }}",
    "{% for c in ('y' * 900000) %}{% for d in ('z' * 900000) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
])
def test_renders_are_bounded(tmp_path: Path, body: str) -> None:
    tpl = template(tmp_path, body)
    t0 = time.monotonic()
    with pytest.raises(UsageError, match="report template error"):
        render_with(tpl)
    assert time.monotonic() - t0 < 15


def test_a_non_utf8_template_is_a_usage_error(tmp_path: Path) -> None:
    tpl = tmp_path / "latin1.md.j2"
    tpl.write_bytes("{{ report.name }} café".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8") as info:
        Renderer(tpl)
    assert str(tpl) in info.value.render()
    utf16 = tmp_path / "utf16.md.j2"
    utf16.write_bytes("{{ report.name }}".encode("utf-16"))
    with pytest.raises(UsageError, match="not UTF-8"):
        Renderer(utf16)


def test_a_template_that_is_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "dir.md.j2").mkdir()
    with pytest.raises(UsageError):
        Renderer(tmp_path / "dir.md.j2")


@pytest.mark.parametrize("value", ["5", "true", "[a]", "''"])
def test_report_template_must_be_a_string(tmp_path: Path, value: str) -> None:
    from mlgate.config import load_config

    (tmp_path / "mlgate.yaml").write_text(f"report:\n  template: {value}\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_config(None, tmp_path)
    assert "report.template" in info.value.render() and info.value.exit_code == 2
