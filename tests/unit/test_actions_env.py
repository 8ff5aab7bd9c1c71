"""The Actions runtime adapter against hostile input: step outputs that cannot be injected,
event files and output files that are wrong in every way (exit 2 naming the variable)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlgate.adapters.actions import GitHubEnv, append_summary, set_output
from mlgate.errors import UsageError

OLD_DELIMITER = "MLGATE_EOF_7f3a"


def parse_output_file(text: str) -> dict[str, str]:
    """The runner's reading of $GITHUB_OUTPUT: lines end at \\r\\n, \\n or \\r (.NET
    ReadLine); ``name<<DELIM`` opens a heredoc that the first line equal to DELIM closes."""
    lines = re.split(r"\r\n|\n|\r", text)
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc != -1 and (eq == -1 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2:]
            value: list[str] = []
            while lines[i] != delimiter:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            name, _, val = line.partition("=")
            out[name] = val
    return out


def test_a_metric_name_cannot_inject_an_output(tmp_path: Path) -> None:
    env = GitHubEnv(output_path=tmp_path / "out")
    evil = f"acc: min 0.9\n{OLD_DELIMITER}\npassed=true\nx<<{OLD_DELIMITER}"
    set_output("passed", "false", env)
    set_output("failed-rules", evil, env)
    outputs = parse_output_file((tmp_path / "out").read_text())
    assert outputs == {"passed": "false", "failed-rules": evil}
    assert OLD_DELIMITER + "\n" not in (tmp_path / "out").read_text().split("<<")[1][:60]


def test_outputs_use_a_fresh_random_delimiter(tmp_path: Path) -> None:
    env = GitHubEnv(output_path=tmp_path / "out")
    set_output("a", "one\ntwo", env)
    set_output("b", "three\nfour", env)
    text = (tmp_path / "out").read_text()
    delimiters = re.findall(r"<<(.*)\n", text)
    assert len(set(delimiters)) == 2
    assert all(re.fullmatch(r"ghadelimiter_[0-9a-f-]{36}", d) for d in delimiters)
    assert parse_output_file(text) == {"a": "one\ntwo", "b": "three\nfour"}


def test_a_carriage_return_is_a_line_break_too(tmp_path: Path) -> None:
    env = GitHubEnv(output_path=tmp_path / "out")
    set_output("failed-rules", "x\rpassed=true", env)
    assert parse_output_file((tmp_path / "out").read_text()) == {
        "failed-rules": "x\npassed=true"}


def test_a_value_holding_the_delimiter_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    fixed = uuid.UUID(int=7)
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    env = GitHubEnv(output_path=tmp_path / "out")
    with pytest.raises(UsageError, match="delimiter"):
        set_output("x", f"a\nghadelimiter_{fixed}\npassed=true", env)
    assert "passed" not in parse_output_file((tmp_path / "out").read_text()
                                             if (tmp_path / "out").exists() else "")


@pytest.mark.parametrize("variable", ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"])
@pytest.mark.parametrize("kind", ["directory", "missing-dir"])
def test_unwritable_output_files_are_usage_errors(tmp_path: Path, variable: str,
                                                  kind: str) -> None:
    target = {"directory": tmp_path, "missing-dir": tmp_path / "nope" / "out"}[kind]
    env = GitHubEnv.from_env({variable: str(target)})
    with pytest.raises(UsageError) as info:
        if variable == "GITHUB_OUTPUT":
            set_output("passed", "false", env)
        else:
            append_summary("# hi", env)
    assert variable in str(info.value.where) + info.value.message


def event_env(tmp_path: Path, content: bytes | None, directory: bool = False) -> GitHubEnv:
    path = tmp_path / "event.json"
    if directory:
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    return GitHubEnv.from_env({"GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "o/r"})


@pytest.mark.parametrize(("content", "directory"), [
    ("{\"x\": \"caf\xe9\"}".encode("latin-1"), False),
    ('{"a": 1}'.encode("utf-16"), False),
    (None, True),
    (b"[" * 100000 + b"]" * 100000, False),
    (json.dumps({"pull_request": {"head": "feature", "base": {"ref": "main"}}}).encode(), False),
    (json.dumps({"pull_request": {"head": {"sha": "a" * 40}, "base": "main"}}).encode(), False),
    (json.dumps({"pull_request": {"head": {"sha": 5}}}).encode(), False),
    (json.dumps({"pull_request": "seven"}).encode(), False),
])
def test_bad_event_files_are_usage_errors_naming_the_variable(
        tmp_path: Path, content: bytes | None, directory: bool) -> None:
    env = event_env(tmp_path, content, directory)
    with pytest.raises(UsageError) as info:
        env.pull_request()
        env.pr_base_branch()
    assert "GITHUB_EVENT_PATH" in f"{info.value.where} {info.value.message}"


def test_a_good_event_still_reads(tmp_path: Path) -> None:
    event = {"pull_request": {"head": {"sha": "a" * 40, "ref": "f"}, "base": {"ref": "dev"}}}
    env = event_env(tmp_path, json.dumps(event).encode())
    assert env.pull_request() == event["pull_request"]
    assert env.pr_base_branch() == "dev"


def test_the_token_never_shows_in_the_repr_of_the_environment() -> None:
    env = GitHubEnv.from_env({"GITHUB_TOKEN": "ghs_secret123", "GITHUB_REPOSITORY": "o/r"})
    assert env.token == "ghs_secret123"
    assert "ghs_secret123" not in repr(env)
    assert "repository='o/r'" in repr(env) and "token='***'" in repr(env)
    assert "token=None" in repr(GitHubEnv())
