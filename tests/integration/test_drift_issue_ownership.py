"""The drift issue follows the sticky comment's ownership rule: an issue is mlgate's only when
its author is the token's own identity (the job token: ``github-actions[bot]``) and its body
STARTS with the model's marker. Another bot's issue, or one that only quotes the marker, is
never edited, commented on or closed, also while GitHub will not say who the token is."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgate.services.drift_issue import LABEL, issue_marker
from tests.fakegithub import FakeGitHub
from tests.integration.test_drift import SHIFTED_P, drift_cli, synthetic


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    synthetic(1).to_csv(root / "train.csv", index=False)
    synthetic(2).to_csv(root / "same.csv", index=False)
    synthetic(3, shift=0.5, plan_p=SHIFTED_P).to_csv(root / "shifted.csv", index=False)
    (root / "mlgate.yaml").write_text(
        "name: churn\ntrain: {data: train.csv, target: churned}\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _seed_others(fake: FakeGitHub) -> list[int]:
    marker = issue_marker("churn")
    quoted = f"Seen in the logs:\n\n> {marker}\n\nplease look"
    return [
        # another bot, the marker in the middle of the body
        fake.add_issue("octo/demo", "Data drift: churn", quoted, labels=(LABEL,),
                       login="renovate[bot]")["number"],
        # another bot, the marker at the start
        fake.add_issue("octo/demo", "Data drift: churn", marker + "\nmine", labels=(LABEL,),
                       login="dependabot[bot]")["number"],
        # the token's own identity, but the marker only quoted in the middle
        fake.add_issue("octo/demo", "Data drift: churn", quoted, labels=(LABEL,),
                       login="github-actions[bot]")["number"],
    ]


def _untouched(fake: FakeGitHub, numbers: list[int], bodies: dict[int, str]) -> None:
    for number in numbers:
        issue = fake.issues[("octo/demo", number)]
        assert issue["state"] == "open", number
        assert issue["body"] == bodies[number], number
        assert fake.issue_comments("octo/demo", number) == [], number
        assert not fake.requests_matching("PATCH", f"/repos/octo/demo/issues/{number}")


@pytest.mark.parametrize("identity", ["known", "unknown"])
def test_others_issues_with_the_marker_are_never_edited_or_closed(
        project: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, identity: str) -> None:
    fake = fake_github
    others = _seed_others(fake)
    bodies = {n: fake.issues[("octo/demo", n)]["body"] for n in others}
    if identity == "unknown":  # GitHub will not say who the token is
        monkeypatch.setenv("MLGATE_GITHUB_ATTEMPTS", "1")
        fake.fail_next("GET", "/user", status=403, times=100)
        fake.fail_next("POST", "/graphql", status=403, times=100)

    assert drift_cli(fake, monkeypatch, tmp_path, "shifted.csv") == 1
    _untouched(fake, others, bodies)
    ours = [i for i in fake.issues_for("octo/demo") if i["number"] not in others]
    assert len(ours) == 1 and ours[0]["state"] == "open"
    assert ours[0]["body"].startswith(issue_marker("churn"))

    # Back in line: only mlgate's own issue is closed (when it knows who it is).
    assert drift_cli(fake, monkeypatch, tmp_path, "same.csv") == 0
    _untouched(fake, others, bodies)
    if identity == "known":
        assert fake.issues[("octo/demo", ours[0]["number"])]["state"] == "closed"
