"""`mlgate drift`: statistics on synthetic data with known shifts, config, reference lookup
(workspace, DVC at the training commit), drift.json against its schema, the report, and the
sticky drift issue against the fake GitHub server."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlgate.cli import main
from mlgate.core.drift import compute_drift, holm
from mlgate.core.drift_config import DriftThresholds, parse_drift_config
from mlgate.errors import UsageError
from mlgate.services.drift_issue import (
    LABEL,
    Issue,
    issue_marker,
    sync_drift_issue,
)
from tests.fakegithub import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "src" / "mlgate" / "schema" / "drift-v1.schema.json"
PLANS = ["basic", "pro", "team", "enterprise"]
BASE_P = [0.4, 0.3, 0.2, 0.1]
SHIFTED_P = [0.25, 0.3, 0.3, 0.15]


def synthetic(seed: int, n: int = 3000, *, shift: float = 0.0,
              plan_p: Sequence[float] = BASE_P) -> pd.DataFrame:
    """Four numeric and two categorical features; ``shift`` moves ``age`` by shift x sd."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.normal(40, 10, n) + shift * 10,
        "income": rng.lognormal(10, 0.5, n),
        "tenure": rng.integers(0, 60, n),
        "score": rng.uniform(0, 1, n),
        "plan": rng.choice(PLANS, n, p=plan_p),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "churned": rng.integers(0, 2, n),
    })


def drifting(reference: pd.DataFrame, current: pd.DataFrame) -> list[str]:
    result = compute_drift(reference, current, DriftThresholds(), exclude=["churned"])
    return sorted(f.stats.name for f in result.drifting)


# ----- statistics ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_known_shifts_flag_exactly_the_shifted_features(seed: int) -> None:
    reference = synthetic(seed)
    current = synthetic(seed + 100, shift=0.5, plan_p=SHIFTED_P)
    assert drifting(reference, current) == ["age", "plan"]


@pytest.mark.parametrize("seed", range(6))
def test_a_fresh_sample_of_the_same_distributions_does_not_drift(seed: int) -> None:
    assert drifting(synthetic(seed), synthetic(seed + 100)) == []


def test_psi_uses_reference_deciles_and_tests_are_holm_adjusted() -> None:
    result = compute_drift(synthetic(1), synthetic(2, shift=0.5), DriftThresholds(),
                           exclude=["churned"])
    age = next(f for f in result.features if f.stats.name == "age")
    assert age.stats.test == "ks" and age.stats.kind == "numeric"
    assert len(age.stats.distribution.labels) == 10
    assert age.stats.distribution.reference == pytest.approx([0.1] * 10, abs=0.002)
    raw = [f.stats.p_value for f in result.features]
    assert [f.p_adjusted for f in result.features] == holm(raw)
    assert result.features[0].drifted  # drifting first


def test_holm_step_down() -> None:
    assert holm([0.01, 0.04, 0.03, None]) == pytest.approx([0.03, 0.06, 0.06, None])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_unseen_categories_are_counted_and_missing_values_form_a_bin() -> None:
    reference = pd.DataFrame({"plan": ["a", "b"] * 500, "x": np.arange(1000.0)})
    current = pd.DataFrame({"plan": ["a", "b"] * 450 + ["zzz"] * 100,
                            "x": [np.nan] * 300 + list(np.arange(700.0))})
    result = compute_drift(reference, current, DriftThresholds())
    plan = next(f for f in result.features if f.stats.name == "plan")
    assert plan.stats.unseen == 100 and "zzz" in plan.stats.distribution.labels
    assert plan.drifted
    x = next(f for f in result.features if f.stats.name == "x")
    assert x.stats.current_missing == 300 and x.stats.distribution.labels[-1] == "(missing)"
    assert x.stats.distribution.current[-1] == pytest.approx(0.3)
    assert "psi" in x.reasons


def test_features_globs_and_the_target_is_excluded() -> None:
    thresholds = DriftThresholds(features=("a*", "plan"))
    result = compute_drift(synthetic(1), synthetic(2), thresholds, exclude=["churned"])
    assert sorted(f.stats.name for f in result.features) == ["age", "plan"]
    everything = compute_drift(synthetic(1), synthetic(2), DriftThresholds(), ["churned"])
    assert "churned" not in {f.stats.name for f in everything.features}


def test_a_column_missing_from_the_current_data_is_bad_input() -> None:
    with pytest.raises(UsageError, match="lacks column") as err:
        compute_drift(synthetic(1), synthetic(2).drop(columns=["age"]), DriftThresholds())
    assert err.value.where == "--current"
    with pytest.raises(UsageError, match="matches no column"):
        compute_drift(synthetic(1), synthetic(2), DriftThresholds(features=("nope*",)))


@pytest.mark.parametrize(("raw", "key"), [
    ({"psi": "high"}, "drift.psi"),
    ({"psi": -1}, "drift.psi"),
    ({"p-value": 1.5}, "drift.p-value"),
    ({"p-value": True}, "drift.p-value"),
    ({"features": []}, "drift.features"),
    ({"features": [1]}, "drift.features"),
    ({"pvalue": 0.1}, "drift.pvalue"),
    ([1, 2], "drift"),
])
def test_bad_drift_config_names_the_key(raw: Any, key: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_drift_config(raw, "cfg.yaml")
    assert err.value.where == f"cfg.yaml: {key}"


def test_drift_config_defaults_and_values() -> None:
    assert parse_drift_config(None) == DriftThresholds(0.2, 0.01, ("*",))
    parsed = parse_drift_config({"psi": 0.1, "p-value": 0.05, "features": "x*"})
    assert parsed == DriftThresholds(0.1, 0.05, ("x*",))


# ----- the command --------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    synthetic(1).to_csv(root / "train.csv", index=False)
    synthetic(2).to_parquet(root / "same.parquet")
    synthetic(3, shift=0.5, plan_p=SHIFTED_P).to_csv(root / "shifted.csv", index=False)
    (root / "mlgate.yaml").write_text(
        "name: churn\ntrain: {data: train.csv, target: churned}\ndrift: {psi: 0.2}\n",
        encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def validate(doc: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())


def test_cli_exit_codes_and_drift_json_validates(
        project: Path, gh_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--reference", "train.csv", "--current", "same.parquet"]) == 0
    doc = json.loads((project / ".mlgate" / "drift.json").read_text(encoding="utf-8"))
    validate(doc)
    assert doc["drifted"] is False and doc["summary"]["features"] == 6
    assert main(["drift", "--reference", "train.csv", "--current", "shifted.csv"]) == 1
    doc = json.loads((project / ".mlgate" / "drift.json").read_text(encoding="utf-8"))
    validate(doc)
    assert sorted(f["name"] for f in doc["features"] if f["drifted"]) == ["age", "plan"]
    assert doc["name"] == "churn" and doc["reference"]["source"] == "file"
    summary = gh_files["summary"].read_text(encoding="utf-8")
    assert "Data drift: churn: 2 of 6 features drift" in summary
    assert "```mermaid" in summary and summary.count("xychart-beta") == 2
    outputs = gh_files["output"].read_text(encoding="utf-8")
    assert "drifted=true" in outputs and "age" in outputs
    report = (project / ".mlgate" / "drift.md").read_text(encoding="utf-8")
    rows = [line for line in report.splitlines() if line.startswith("| ❌") or
            line.startswith("| ✅")]
    assert [r.startswith("| ❌") for r in rows] == [True, True, False, False, False, False]


def test_cli_bad_config_is_exit_2_naming_the_key(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mlgate.yaml").write_text("drift: {psi: 0.2, p-vlaue: 0.05}\n", encoding="utf-8")
    assert main(["drift", "--reference", "train.csv", "--current", "same.parquet"]) == 2
    assert "mlgate.yaml: drift.p-vlaue" in capsys.readouterr().err
    (project / "mlgate.yaml").write_text("drift: {psi: zero}\n", encoding="utf-8")
    assert main(["drift", "--reference", "train.csv", "--current", "same.parquet"]) == 2
    assert "mlgate.yaml: drift.psi" in capsys.readouterr().err


def test_cli_bad_files_are_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--reference", "train.csv", "--current", "nope.csv"]) == 2
    assert "--current" in capsys.readouterr().err
    (project / "data.txt.json").write_text("{}", encoding="utf-8")
    assert main(["drift", "--reference", "train.csv", "--current", "data.txt.json"]) == 2
    assert "unsupported data format" in capsys.readouterr().err
    assert main(["drift", "--current", "same.parquet"]) == 2
    err = capsys.readouterr().err
    assert "no reference data" in err and "--reference FILE" in err


def test_hostile_names_are_escaped_in_the_report(project: Path) -> None:
    evil = "x|<img src=x>@admin`[a](http://e.vil)"
    ref = pd.DataFrame({evil: np.arange(500.0), "c": ["a"] * 500})
    cur = pd.DataFrame({evil: np.arange(500.0) + 250, "c": ["<script>"] * 500})
    ref.to_csv(project / "r.csv", index=False)
    cur.to_csv(project / "c.csv", index=False)
    (project / "mlgate.yaml").unlink()
    assert main(["drift", "--reference", "r.csv", "--current", "c.csv", "--dry-run"]) == 1
    report = (project / ".mlgate" / "drift.md").read_text(encoding="utf-8")
    assert "<img" not in report and "<script>" not in report and "@admin" not in report
    text, *charts = report.split("```mermaid")
    assert "http://" not in text and "\\|" in text  # no autolink, no broken table row
    for chart in charts:  # chart labels keep letters, digits and a few marks only
        assert "<" not in chart.split("```")[0] and '"x|' not in chart


# ----- the reference from the model JSON ----------------------------------------------------
def write_model_json(root: Path, rel: str, commit: str | None) -> None:
    from mlgate.train.data import file_sha256

    model_dir = root / ".mlgate" / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    meta = {"name": "churn", "target": "churned", "commit": commit,
            "data": {"path": rel, "sha256": file_sha256(root / rel)}}
    (model_dir / "model.json").write_text(json.dumps(meta), encoding="utf-8")


def test_reference_is_the_models_training_data_in_the_workspace(project: Path) -> None:
    write_model_json(project, "train.csv", None)
    assert main(["drift", "--current", "shifted.csv", "--dry-run"]) == 1
    doc = json.loads((project / ".mlgate" / "drift.json").read_text(encoding="utf-8"))
    assert doc["reference"]["source"] == "workspace"
    assert "churned" not in {f["name"] for f in doc["features"]}


def test_changed_training_data_without_a_commit_is_exit_2(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_model_json(project, "train.csv", None)
    synthetic(9).to_csv(project / "train.csv", index=False)
    assert main(["drift", "--current", "same.parquet", "--dry-run"]) == 2
    assert "records no commit" in capsys.readouterr().err


@pytest.mark.slow
def test_reference_is_fetched_with_dvc_at_the_training_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.dvcproject import drop_local_data, git, make_dvc_project, track_data

    trained = synthetic(1)
    root = make_dvc_project(tmp_path / "p", remote_dir=tmp_path / "remote",
                            data_frame_or_csv_text=trained, config_yaml="name: churn\n")
    commit = git(root, "rev-parse", "HEAD")
    write_model_json(root, "data/train.csv", commit)
    # The data moved on since the model was trained, and the checkout has no DVC cache.
    track_data(root, "data/train.csv", synthetic(3, shift=0.5, plan_p=SHIFTED_P))
    drop_local_data(root)
    synthetic(2).to_csv(root / "current.csv", index=False)
    monkeypatch.chdir(root)
    assert main(["drift", "--current", "current.csv", "--dry-run"]) == 0
    doc = json.loads((root / ".mlgate" / "drift.json").read_text(encoding="utf-8"))
    assert doc["reference"]["source"] == "dvc" and doc["reference"]["commit"] == commit
    assert "fetching the version of commit" in capsys.readouterr().err
    # A second run reuses the fetched copy; without the remote the data cannot be found.
    assert main(["drift", "--current", "current.csv", "--dry-run"]) == 0
    for fetched in (root / ".mlgate" / "drift").iterdir():
        fetched.unlink()
    import shutil

    shutil.rmtree(tmp_path / "remote")
    assert main(["drift", "--current", "current.csv", "--dry-run"]) == 3
    assert "neither in the DVC cache nor on the DVC remote" in capsys.readouterr().err


# ----- the sticky issue ---------------------------------------------------------------------
class MemoryTracker:
    """An in-memory IssueTracker; ``race`` makes the next create add a second issue too."""

    def __init__(self) -> None:
        self.issues: dict[int, Issue] = {}
        self.comments: list[tuple[int, str]] = []
        self.race = False

    def list(self, label: str, state: str, marker: str) -> list[Issue]:
        return [i for i in self.issues.values()
                if state in ("all", i.state) and i.body.startswith(marker)]

    def create(self, title: str, body: str, labels: Sequence[str]) -> Issue:
        if self.race:
            self.race = False
            self.create(title, body, labels)
        issue = Issue(len(self.issues) + 1, title, body, "open", f"u/{len(self.issues) + 1}")
        self.issues[issue.number] = issue
        return issue

    def update(self, number: int, body: str) -> Issue:
        old = self.issues[number]
        self.issues[number] = Issue(number, old.title, body, old.state, old.url)
        return self.issues[number]

    def close(self, number: int) -> Issue:
        old = self.issues[number]
        self.issues[number] = Issue(number, old.title, old.body, "closed", old.url)
        return self.issues[number]

    def comment(self, number: int, body: str) -> None:
        self.comments.append((number, body))


def test_issue_lifecycle_in_memory_with_a_race() -> None:
    tracker = MemoryTracker()
    body = issue_marker("churn") + "\nreport"
    tracker.race = True
    first = sync_drift_issue(tracker, "churn", True, body, "back in line")
    assert first.action == "opened" and first.number == 1 and first.closed_duplicates == (2,)
    assert [i.state for i in tracker.issues.values()] == ["open", "closed"]
    assert sync_drift_issue(tracker, "churn", True, body, "x").action == "unchanged"
    assert sync_drift_issue(tracker, "churn", True, body + "2", "x").action == "updated"
    assert sync_drift_issue(tracker, "other", True, issue_marker("other"), "x").number == 3
    closed = sync_drift_issue(tracker, "churn", False, body, "back in line")
    assert closed.action == "closed" and tracker.issues[1].state == "closed"
    assert (1, "back in line") in tracker.comments
    assert tracker.issues[3].state == "open"  # another model's issue is left alone
    assert sync_drift_issue(tracker, "churn", False, body, "x").action == "none"


def _event(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"schedule": "0 6 * * *"}), encoding="utf-8")
    return path


def drift_cli(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
              current: str) -> int:
    env = fake.env(GITHUB_EVENT_PATH=str(_event(tmp_path)), GITHUB_RUN_ID="77",
                   GITHUB_EVENT_NAME="schedule", MLGATE_GITHUB_BACKOFF="0")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return main(["drift", "--reference", "train.csv", "--current", current])


def test_sticky_issue_lifecycle_against_the_fake_server(
        project: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
        gh_files: dict[str, Path], tmp_path: Path) -> None:
    fake = fake_github
    marker = issue_marker("churn")
    # Someone else's issue with our marker and label is never touched.
    fake.add_issue("octo/demo", "Data drift: churn", marker, labels=(LABEL,), login="mallory")
    assert drift_cli(fake, monkeypatch, tmp_path, "shifted.csv") == 1
    ours = [i for i in fake.issues_for("octo/demo") if i["user"]["login"] != "mallory"]
    assert len(ours) == 1 and ours[0]["state"] == "open"
    issue = ours[0]
    assert issue["title"] == "Data drift: churn" and [lb["name"] for lb in issue["labels"]] == [
        LABEL]
    assert issue["body"].startswith(marker) and "2 of 6 features drift" in issue["body"]
    assert "actions/runs/77" in issue["body"]
    assert f"issue-url={issue['html_url']}" in gh_files["output"].read_text(encoding="utf-8")

    # Still drifting, the data changed a little: the same issue is updated, no second one.
    synthetic(4, shift=0.6, plan_p=SHIFTED_P).to_csv(project / "shifted.csv", index=False)
    assert drift_cli(fake, monkeypatch, tmp_path, "shifted.csv") == 1
    issues = [i for i in fake.issues_for("octo/demo") if i["user"]["login"] != "mallory"]
    assert len(issues) == 1 and issues[0]["number"] == issue["number"]
    assert issues[0]["body"] != issue["body"] and issues[0]["state"] == "open"
    assert fake.requests_matching("PATCH", f"/repos/octo/demo/issues/{issue['number']}")

    # Back in line: a comment, then closed.
    assert drift_cli(fake, monkeypatch, tmp_path, "same.parquet") == 0
    closed = fake.issues[("octo/demo", issue["number"])]
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    comments = fake.issue_comments("octo/demo", issue["number"])
    assert len(comments) == 1 and "back in line" in comments[0]["body"]
    assert fake.issues[("octo/demo", 1)]["state"] == "open"  # mallory's

    # Nothing drifts and nothing is open: no writes at all.
    fake.clear_requests()
    assert drift_cli(fake, monkeypatch, tmp_path, "same.parquet") == 0
    assert {r["method"] for r in fake.requests} == {"GET"}

    # Drift again: a new issue for the new episode.
    assert drift_cli(fake, monkeypatch, tmp_path, "shifted.csv") == 1
    ours = [i for i in fake.issues_for("octo/demo") if i["user"]["login"] != "mallory"]
    assert [i["state"] for i in ours] == ["closed", "open"]


def test_a_token_without_issues_write_is_exit_2_naming_the_permission(
        project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    with FakeGitHub(token=None) as fake:
        fake.add_token("read-token", "github-actions[bot]", read_only=True)
        assert drift_cli(fake, monkeypatch, tmp_path, "shifted.csv") == 2
    assert "issues: write" in capsys.readouterr().err
    assert (project / ".mlgate" / "drift.json").is_file()  # written before GitHub was asked


def test_github_failing_is_exit_3_after_writing_the_files(
        project: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    fake_github.fail_next("GET", "/repos/octo/demo/issues", status=502, times=10)
    monkeypatch.setenv("MLGATE_GITHUB_ATTEMPTS", "2")
    assert drift_cli(fake_github, monkeypatch, tmp_path, "shifted.csv") == 3
    assert (project / ".mlgate" / "drift.json").is_file()
