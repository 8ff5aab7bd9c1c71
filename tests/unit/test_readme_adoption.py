"""The README's "Existing DVC project" section says what the code does (issue 24).

Cheap checks only: the sample event payloads parse and carry what mlgate reads; every YAML
snippet of the section parses and uses only keys mlgate.yaml knows; the metric names and rules
the section shows behave as it says; the act command line has the documented flags.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate.adapters.actions import GitHubEnv
from mlgate.cli import drift as drift_cli
from mlgate.config import KNOWN_KEYS
from mlgate.core.drift_config import DRIFT_KEYS
from mlgate.core.metrics import load_metrics, metrics_files_from_dvc_yaml
from mlgate.core.thresholds import default_rules, parse_rules, rule_index
from mlgate.deploy.config import KNOWN_KEYS as DEPLOY_KEYS
from mlgate.deploy.config import parse_deploy_config

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "examples" / "events"
HEADING = "## Existing DVC project"


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"\n{HEADING}\n" in text, f"README.md has no {HEADING!r} section"
    return text.split(f"\n{HEADING}\n", 1)[1].split("\n## ", 1)[0]


def fenced(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", section(), flags=re.S | re.M)


def yaml_blocks() -> list[tuple[str, Any]]:
    """(first comment line, parsed document) of every ```yaml block of the section."""
    out = []
    for block in fenced("yaml"):
        first = block.splitlines()[0].strip()
        out.append((first, yaml.safe_load(block)))
    return out


def mlgate_yaml_blocks() -> list[dict[str, Any]]:
    return [doc for first, doc in yaml_blocks() if first == "# mlgate.yaml"]


# ----- the sample event payloads --------------------------------------------------------------


def test_event_samples_are_read_by_mlgate_as_github_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pr_file = EVENTS / "pull_request.json"
    data = json.loads(pr_file.read_text(encoding="utf-8"))
    pr = data["pull_request"]
    assert isinstance(pr["number"], int) and data["number"] == pr["number"]
    for side in ("head", "base"):
        assert re.fullmatch(r"[0-9a-f]{40}", pr[side]["sha"]), side
        assert isinstance(pr[side]["ref"], str) and pr[side]["ref"]
    assert data["repository"]["full_name"].count("/") == 1

    # mlgate's own reader (which checks the payload's shape) finds what the README names.
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(pr_file))
    monkeypatch.setenv("GITHUB_REPOSITORY", data["repository"]["full_name"])
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    gh = GitHubEnv.from_env()
    assert gh.pull_request() == pr
    assert gh.pr_base_branch() == "main"

    push = json.loads((EVENTS / "push.json").read_text(encoding="utf-8"))
    assert push["ref"] == "refs/heads/main"  # act's GITHUB_REF, which deploy checks
    assert push["repository"]["full_name"].count("/") == 1
    assert "pull_request" not in push


def test_the_section_points_at_the_event_samples() -> None:
    text = section()
    for name in ("pull_request.json", "push.json"):
        assert f"examples/events/{name}" in text
        assert (EVENTS / name).is_file()


# ----- YAML snippets ------------------------------------------------------------------------


def test_every_yaml_snippet_parses_and_says_which_file_it_is() -> None:
    blocks = yaml_blocks()
    assert len(blocks) >= 5
    for first, doc in blocks:
        assert doc is not None
        assert first.startswith("#") or first.startswith("- uses:"), first


def test_mlgate_yaml_snippets_use_only_known_keys() -> None:
    docs = mlgate_yaml_blocks()
    seen = set()
    for doc in docs:
        assert set(doc) <= KNOWN_KEYS, sorted(set(doc) - KNOWN_KEYS)
        seen |= set(doc)
        if "thresholds" in doc:
            parse_rules(doc["thresholds"], "README thresholds")
        if "deploy" in doc:
            assert set(doc["deploy"]) <= set(DEPLOY_KEYS)
            settings = parse_deploy_config(doc["deploy"], "README")
            assert settings.model_path == doc["deploy"]["model"]
        if "drift" in doc:
            assert set(doc["drift"]) <= set(DRIFT_KEYS)
    assert {"thresholds", "informational", "deploy", "drift"} <= seen


def test_backticked_mlgate_yaml_keys_exist() -> None:
    """`deploy.model`, `train.target`, `drift.features`: the top key is one mlgate.yaml knows."""
    for top, sub in re.findall(r"`(deploy|train|drift)\.([a-z-]+)`", section()):
        assert top in KNOWN_KEYS
        if top == "deploy":
            assert sub in DEPLOY_KEYS
        if top == "drift":
            assert sub in DRIFT_KEYS


def test_main_workflow_snippet_filters_pushes_on_paths() -> None:
    [workflow] = [doc for first, doc in yaml_blocks() if "mlgate-main.yml" in first]
    # PyYAML reads the key `on` as True.
    trigger = workflow.get("on", workflow.get(True))
    push = trigger["push"]
    assert push["branches"] == ["main"]
    assert push.get("paths") or push.get("paths-ignore")
    assert not ("paths" in push and "paths-ignore" in push)  # GitHub allows one of the two
    assert "paths-ignore" in section()


def test_act_switches_snippet_keeps_dry_run_a_boolean_input() -> None:
    [steps] = [doc for first, doc in yaml_blocks() if first.startswith("- uses:")]
    action, deploy = steps
    assert action["uses"] == "mlgate/mlgate@v1"
    assert action["with"]["dry-run"] == "${{ env.ACT && 'true' || 'false' }}"
    assert deploy["uses"] == "mlgate/mlgate/actions/deploy@v1"
    assert deploy["if"] == "${{ !env.ACT }}"
    action_yml = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert "dry-run" in action_yml["inputs"]


# ----- metric names and rules ---------------------------------------------------------------


def test_the_example_pipeline_lists_the_two_metrics_files() -> None:
    [block] = [b for b in fenced("yaml") if b.startswith("# dvc.yaml")]
    assert metrics_files_from_dvc_yaml(block) == ["reports/metrics.json", "reports/per_class.json"]


def example_metrics() -> list[str]:
    """The names mlgate gives the two files of the section's table."""
    row = next(line for line in section().splitlines()
               if line.startswith("| `{") and "reports/" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    files = {"reports/metrics.json": cells[0].strip("`"),
             "reports/per_class.json": cells[1].strip("`")}
    names = [m.name for m in load_metrics(list(files), files.get, missing_ok=False)]
    documented = re.findall(r"`([^`]+)`", cells[2])
    assert sorted(names) == sorted(documented)
    return names


def test_metric_names_are_the_ones_the_table_shows() -> None:
    names = example_metrics()
    assert "reports/metrics.json:loss" in names and "test.accuracy" in names


def test_rules_match_as_the_section_says() -> None:
    names = [*example_metrics(), "cat.precision", "train.accuracy"]

    def matched(pattern: str) -> list[str]:
        lookup = rule_index(parse_rules({pattern: {"tolerance": 0}}))
        return sorted(n for n in names if lookup(n) is not None)

    assert matched("*:loss") == ["reports/metrics.json:loss", "reports/per_class.json:loss"]
    assert matched("*.recall") == ["cat.recall"]
    # A glob on a file matches only its FILE:KEY names, not its other keys.
    assert matched("reports/per_class.json:*") == ["reports/per_class.json:loss"]
    assert "reports/per_class.json:*" in section()


def test_snippet_rules_each_gate_a_metric_of_the_example() -> None:
    names = example_metrics()
    [doc] = [d for d in mlgate_yaml_blocks() if "thresholds" in d]
    for pattern in doc["thresholds"]:
        lookup = rule_index(parse_rules({pattern: doc["thresholds"][pattern]}))
        assert any(lookup(n) for n in names), f"{pattern!r} gates nothing in the example"


def test_informational_globs_leave_metrics_out_of_the_default_rules() -> None:
    [doc] = [d for d in mlgate_yaml_blocks() if "informational" in d]
    names = ["test.accuracy", "train.accuracy"]
    gated = [r.pattern for r in default_rules(names, doc["informational"])]
    assert gated == ["test.accuracy"]
    assert [r.pattern for r in default_rules(names)] == names


# ----- the command lines --------------------------------------------------------------------


def test_drift_flags_exist() -> None:
    parser = argparse.ArgumentParser()
    drift_cli.configure(parser)
    flags = {opt for action in parser._actions for opt in action.option_strings}
    used = set(re.findall(r"mlgate drift[^`\n]*", section())[0].split())
    assert {f for f in used if f.startswith("--")} <= flags
    assert {"--current", "--reference"} <= used


def test_act_recipe_has_the_documented_flags() -> None:
    [bash] = [b for b in fenced("bash") if "act pull_request" in b]
    assert "git clone . /tmp/clean && cd /tmp/clean" in bash
    for event, sample in (("pull_request", "pull_request.json"), ("push", "push.json")):
        line = " ".join(re.findall(rf"^act {event} .*?(?=^\S|\Z)", bash, flags=re.S | re.M))
        assert line, f"no `act {event}` command"
        assert "-P ubuntu-latest=-self-hosted" in line
        assert "--local-repository mlgate/mlgate@v1=" in line
        assert f"-e /tmp/{sample}" in line
        assert "--remote-name github" in line
    assert "git remote add github https://github.com/" in bash
    assert "actions/upload-artifact" in section()


def test_links_in_the_section_point_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", section()):
        if target.startswith("http"):
            continue
        assert (ROOT / target).exists(), target
