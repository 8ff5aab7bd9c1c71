"""Pure parts of deploy: config, versions, refusals, champion/challenger, model card."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mlgate.adapters.actions import GitHubEnv
from mlgate.core.thresholds import parse_rules
from mlgate.deploy.base import DeployContext
from mlgate.deploy.champion import (
    Champion,
    challenger_metrics,
    decide,
    decision_markdown,
    embed_metrics,
    extract_metrics,
)
from mlgate.deploy.config import DEFAULT_MODEL_PATH, parse_deploy_config
from mlgate.deploy.model_card import CardInput, render_model_card
from mlgate.deploy.version import next_version, normalize_version, versions_with_prefix
from mlgate.errors import UsageError
from tests.helpers.deployproj import MODEL_META, THRESHOLDS, make_result
from tests.helpers.golden import check_golden

GOLDEN = Path(__file__).parents[1] / "golden"


# -- config -------------------------------------------------------------------------------------

def test_config_defaults_and_overrides() -> None:
    cfg = parse_deploy_config({"target": "gto"})
    assert (cfg.target, cfg.stage, cfg.model_path, cfg.bump, cfg.remote, cfg.champion) == (
        "gto", "prod", DEFAULT_MODEL_PATH, "patch", "origin", True
    )
    assert cfg.model is None
    assert cfg.release_prefix("churn") == "churn-v"
    assert cfg.with_overrides() == cfg
    cfg = parse_deploy_config(
        {"target": "gto", "stage": "staging", "tag-prefix": "models/churn/", "version": "v2.1.0"},
    ).with_overrides(target="command", command="./ship.sh", stage=None, version=None)
    assert (cfg.target, cfg.command, cfg.stage, cfg.version) == (
        "command", "./ship.sh", "staging", "2.1.0"
    )
    assert cfg.release_prefix("churn") == "models/churn/"
    cfg = parse_deploy_config({"model": "out/m.pkl"}).with_overrides(
        target="gto", stage=" staging ", version="v3.0.0")
    assert (cfg.target, cfg.model, cfg.model_path, cfg.stage, cfg.version) == (
        "gto", "out/m.pkl", "out/m.pkl", "staging", "3.0.0"
    )


def test_config_target_and_command_may_wait_for_the_command_line() -> None:
    """Parsed once at load: the target (and the command target's command) may come from
    --target / --command, so only merging the flags requires them."""
    section = parse_deploy_config({"command": "./ship.sh", "registry": "gto"})
    assert (section.target, section.command, section.registry) == (None, "./ship.sh", "gto")
    assert section.with_overrides(target="command").target == "command"
    assert parse_deploy_config({"target": "command"}).with_overrides(
        command="./x.sh").command == "./x.sh"
    with pytest.raises(UsageError, match="registry is for the command target only") as err:
        section.with_overrides(target="gto")
    assert err.value.where == "mlgate.yaml: deploy.registry"
    with pytest.raises(UsageError, match="registry is for the command target only"):
        parse_deploy_config({"target": "command", "command": "x", "registry": "gto"},
                            "ci.yaml").with_overrides(target="github-release")


@pytest.mark.parametrize(
    ("raw", "overrides", "needle"),
    [
        ({"target": "gto", "stagee": "prod", "url": 1}, {}, "unknown key(s) stagee, url"),
        (None, {}, "no deploy target"),
        ({"target": "s3"}, {}, "unknown target 's3'"),
        ({"target": "command"}, {}, "needs a command"),
        ({"target": "gto", "version": "one"}, {}, "not a semantic version"),
        ({"target": "gto"}, {"version": "1.2"}, "not a semantic version"),
        ({"target": "gto", "bump": "huge"}, {}, "unknown bump"),
        ({"target": "gto", "champion": "yes"}, {}, "true or false"),
        ({"target": "gto", "stage": ["a"]}, {}, "must be a string"),
        ({"target": "gto"}, {"stage": " "}, "must not be empty"),
        ({"target": "gto"}, {"target": "s3"}, "unknown target 's3'"),
        ({"command": "./x.sh"}, {"target": "command", "command": ""}, "must not be empty"),
    ],
)
def test_config_errors_name_the_key(raw: dict | None, overrides: dict, needle: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_deploy_config(raw, "mlgate.yaml").with_overrides(**overrides)
    assert needle in err.value.render()
    assert (err.value.where or "").startswith("mlgate.yaml: deploy")


def _context(tmp_path: Path, **config: str) -> DeployContext:
    from mlgate.adapters.git import Git
    from mlgate.deploy.base import DeployContext
    from mlgate.deploy.config import DeployConfig

    return DeployContext(
        root=tmp_path, out=tmp_path, name="m", commit="0" * 40, config=DeployConfig(**config),
        parsed=None, result_path=tmp_path / "result.json", model_path=tmp_path / "model",
        model_meta=None, gh=GitHubEnv(), git=Git(tmp_path),
    )


@pytest.mark.parametrize("config", [{"target": "s3"}, {"target": "command", "registry": "pypi"}])
def test_an_unknown_target_name_is_a_usage_error_not_a_github_release(
    tmp_path: Path, config: dict[str, str]
) -> None:
    """Targets come from one name → class table: a name not in it never falls through to
    GitHub Releases (a DeployConfig built without the parser, or a registry)."""
    from mlgate.deploy.command_target import CommandTarget
    from mlgate.deploy.config import TARGETS, make_target

    key = "registry" if "registry" in config else "target"
    with pytest.raises(UsageError) as err:
        target = make_target(_context(tmp_path, **config))
        assert isinstance(target, CommandTarget)
        target.record()
    assert err.value.exit_code == 2
    assert f"deploy.{key}" in (err.value.where or "")
    assert all(name in err.value.render() for name in ("github-release", "gto"))
    assert set(TARGETS) == {"github-release", "gto", "command"}


# -- versions -----------------------------------------------------------------------------------

def test_next_version() -> None:
    assert next_version([]) == "1.0.0"
    assert next_version(["1.0.0", "1.10.0", "1.9.3", "junk", "2.0.0-rc.1"]) == "1.10.1"
    assert next_version(["1.2.3"], "minor") == "1.3.0"
    assert next_version(["v1.2.3"], "major") == "2.0.0"
    tags = ["churn-v1.0.0", "churn-v1.0.1", "churnx-v9.0.0", "churn-vnext", "other"]
    assert versions_with_prefix(tags, "churn-v") == ["1.0.0", "1.0.1"]
    assert normalize_version("v3.0.0", "x") == "3.0.0"
    with pytest.raises(UsageError):
        normalize_version("3.0", "x")


# -- champion/challenger ------------------------------------------------------------------------

def test_decide_no_champion_passes() -> None:
    decision = decide({"accuracy": 0.9}, None, parse_rules(THRESHOLDS))
    assert decision.passed and "no model is deployed" in decision.note


def test_decide_against_champion_uses_the_same_thresholds() -> None:
    rules = parse_rules(THRESHOLDS)
    champ = Champion("release churn-v1.0.0", "1.0.0", "c" * 40, {"accuracy": 0.95, "f1": 0.8})
    # Passed its gate against the merge base, but 0.03 below the deployed model (tolerance 0.01).
    lost = decide({"accuracy": 0.92, "f1": 0.8}, champ, rules)
    assert not lost.passed
    assert lost.failed_rules == ["accuracy: tolerance -0.01 (dropped 0.03, allowed 0.01)"]
    won = decide({"accuracy": 0.945, "f1": 0.83}, champ, rules)
    assert won.passed and won.failed_rules == []
    md = decision_markdown(lost)
    assert "**Champion/challenger: failed**" in md
    assert "| accuracy | 0.95 | 0.92 | -0.03 | regressed | ❌ tolerance -0.01" in md
    assert "failed (overridden by --force)" in decision_markdown(lost, forced=True)


def test_decide_champion_without_metrics_passes_with_a_note() -> None:
    decision = decide({"accuracy": 0.9}, Champion("x", None, None, {}), [])
    assert decision.passed and "no metrics on record" in decision.note


def test_challenger_metrics_decodes_non_finite() -> None:
    result = make_result({"accuracy": 0.9, "loss": math.nan}, None, {})
    got = challenger_metrics(result)
    assert got["accuracy"] == 0.9 and math.isnan(got["loss"])


def test_embed_and_extract_metrics_round_trip() -> None:
    metrics = {"a.b": 0.5, "evil-->x": 1.0, "inf": math.inf}
    text = "body\n" + embed_metrics(metrics) + "\nmore"
    assert "-->x" not in text.split("<!--", 1)[1].rsplit("-->", 1)[0]
    assert extract_metrics(text) == metrics
    assert extract_metrics("no block") is None
    assert extract_metrics("<!-- mlgate-metrics: {not json} -->") is None


# -- model card ---------------------------------------------------------------------------------

def _card_input(**kw: object) -> CardInput:
    result = make_result(
        {"accuracy": 0.91, "f1": 0.8, "val|loss": 0.3},
        {"accuracy": 0.905, "f1": 0.79, "val|loss": 0.31},
        sha="d" * 40,
    )
    result["created_at"] = "2026-11-23T05:00:00+00:00"
    champ = Champion("release churn-v1.0.0", "1.0.0", "c" * 40,
                     {"accuracy": 0.9, "f1": 0.8, "val|loss": 0.3})
    base: dict = {
        "name": "churn", "version": "1.0.1", "commit": "d" * 40, "target": "github-release",
        "result": result, "model": MODEL_META,
        "decision": decide(challenger_metrics(result), champ, parse_rules(THRESHOLDS)),
        "commit_url": "https://github.com/octo/demo/commit/" + "d" * 40,
        "mlgate_version": "0.1.0",
    }
    base.update(kw)
    return CardInput(**base)


@pytest.mark.parametrize(
    ("golden", "kw"),
    [
        ("model_card.md", {}),
        ("model_card_forced_no_model.md", {
            "model": None, "decision": None, "commit_url": None,
            "forced": ["the gate did not pass (result.json: passed is false)"],
        }),
    ],
)
def test_model_card_golden(golden: str, kw: dict) -> None:
    got = render_model_card(_card_input(**kw))
    check_golden(GOLDEN / golden, got)


def test_model_card_neutralises_mentions_and_html_in_metric_names() -> None:
    hostile = "@octocat <img src=x>"
    result = make_result({"accuracy": 0.91, hostile: 0.5}, {"accuracy": 0.905, hostile: 0.9},
                         sha="d" * 40)
    assert hostile in " ".join(result["failed_rules"])  # it reaches every section of the card
    champ = Champion("release churn-v1.0.0", "1.0.0", "c" * 40, {"accuracy": 0.9, hostile: 0.9})
    meta = dict(MODEL_META, data=dict(MODEL_META["data"], columns=[hostile, "churned"]),
                params={hostile: hostile})
    card = render_model_card(_card_input(
        result=result, model=meta, forced=[f"metric {hostile} regressed"],
        decision=decide(challenger_metrics(result), champ, parse_rules(THRESHOLDS)),
    ))
    visible = card.split("<!-- mlgate-metrics:", 1)[0]  # the hidden JSON copy is not rendered
    assert "<img" not in card
    assert "@octocat" not in visible
    assert visible.count("@&#8203;octocat &lt;img src=x&gt;") >= 4  # metric, champion, rules
    assert extract_metrics(card) == {"accuracy": 0.91, hostile: 0.5}


def test_model_card_escapes_repo_text() -> None:
    meta = dict(MODEL_META, params={"x|y": "<script>@admin"},
                train_config={"note": "```\nbreak"})
    card = render_model_card(_card_input(model=meta))
    assert "<script>" not in card and "@admin" not in card
    assert "x\\|y" in card
    assert "````yaml" in card  # fence longer than the backticks inside
    assert extract_metrics(card) == {"accuracy": 0.91, "f1": 0.8, "val|loss": 0.3}


# -- rollback and verify --------------------------------------------------------------------------

def test_config_verify_and_registry() -> None:
    cfg = parse_deploy_config({"target": "command", "command": "./ship.sh", "verify": "./smoke.sh",
                               "registry": "gto"})
    assert (cfg.verify, cfg.registry) == ("./smoke.sh", "gto")
    assert parse_deploy_config({"target": "gto"}).registry is None
    with pytest.raises(UsageError, match="registry is for the command target only"):
        parse_deploy_config({"target": "gto", "registry": "gto"})
    with pytest.raises(UsageError, match="unknown registry 'pypi'"):
        parse_deploy_config({"target": "command", "command": "x", "registry": "pypi"})
    with pytest.raises(UsageError, match="must not be empty") as empty:
        parse_deploy_config({"target": "gto", "verify": " "})
    assert empty.value.where == "mlgate.yaml: deploy.verify"


def test_plan_rollback_picks_the_previous_version_not_rolled_back() -> None:
    from mlgate.deploy.rollback import Registry, plan_rollback

    reg = Registry(("1.0.0", "1.0.1", "1.0.2", "1.1.0"), "1.1.0", frozenset({"1.0.2"}))
    plan = plan_rollback(reg, None, None)
    assert (plan.source, plan.to, plan.changes) == ("1.1.0", "1.0.1", True)
    assert plan_rollback(reg, "1.0.2", None).to == "1.0.2"  # --to may put a rolled-back one back
    same = plan_rollback(reg, "1.1.0", None)
    assert not same.changes and same.why == "1.1.0 is live already"
    rerun = plan_rollback(Registry(("1.0.0", "1.0.1"), "1.0.0", frozenset({"1.0.1"}), "42"),
                          None, "42")
    assert not rerun.changes and "this run (id 42) rolled back to 1.0.0 already" in rerun.why


def test_plan_rollback_with_nothing_to_roll_back_to_is_a_usage_error() -> None:
    from mlgate.deploy.rollback import Registry, plan_rollback

    with pytest.raises(UsageError, match="no version of this model is deployed"):
        plan_rollback(Registry((), None), None, None)
    with pytest.raises(UsageError, match=r"nothing to roll back to: 1\.0\.0 is live"):
        plan_rollback(Registry(("1.0.0",), "1.0.0"), None, None)
    with pytest.raises(UsageError, match=r"version 2\.0\.0 is not a deployed version .*1\.0\.0"):
        plan_rollback(Registry(("1.0.0",), "1.0.0"), "2.0.0", None)


def test_rollback_notes_round_trip_through_markers() -> None:
    from datetime import datetime, timezone

    from mlgate.deploy.rollback import (
        MADE_LIVE,
        TAKEN_DOWN,
        Plan,
        markers,
        rollback_note,
        rolled_back_versions,
    )

    plan = Plan(to="1.0.0", source="1.0.1")
    when = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)
    note = rollback_note(MADE_LIVE, plan, "7", "https://github.com/o/r/actions/runs/7", when)
    assert "**Rollback:** 1.0.0 was made live again on 2026-11-26 09:30 UTC by [workflow run 7]" \
        in note
    body = "card" + note + rollback_note(TAKEN_DOWN, plan, None, None, when)
    found = markers(body + "<!-- mlgate-rollback {not json} -->")
    assert [(m.kind, m.source, m.to, m.run) for m in found] == [
        (MADE_LIVE, "1.0.1", "1.0.0", "7"), (TAKEN_DOWN, "1.0.1", "1.0.0", None)]
    assert rolled_back_versions([("1.0.0", []), ("1.0.1", []), ("1.0.0", found[:1])]) == {"1.0.1"}
    assert rolled_back_versions([("1.0.1", found[:1]), ("1.0.1", [])]) == frozenset()
