"""What every deploy target gets and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mlgate.adapters.actions import GitHubEnv
from mlgate.adapters.git import Git
from mlgate.core.result import Result
from mlgate.deploy.champion import Champion
from mlgate.deploy.config import DeployConfig
from mlgate.deploy.rollback import Plan, Registry

if TYPE_CHECKING:
    from mlgate.adapters.github import Connect


@dataclass
class DeployContext:
    root: Path
    out: Path
    name: str
    commit: str
    config: DeployConfig
    parsed: Result | None  # result.json, typed (None for a rollback, which needs none)
    result_path: Path
    model_path: Path
    model_meta: dict[str, Any] | None
    gh: GitHubEnv
    git: Git
    metrics_files: list[str] = field(default_factory=list)  # mlgate.yaml metrics:
    env: dict[str, str] = field(default_factory=dict)
    forced: list[str] = field(default_factory=list)  # why --force was needed, if it was
    # Builds the GitHub client (the command's main makes it): the github-release target's.
    github: Connect | None = None

    @property
    def card_path(self) -> Path:
        return self.out / "model_card.md"

    @property
    def result(self) -> dict[str, Any]:
        """result.json as a document, for the model card, champion/challenger and the targets
        (they read the document's metrics as they are written)."""
        if self.parsed is None:
            return {}
        return dict(self.parsed.raw) if self.parsed.raw else self.parsed.to_json()

    @property
    def run_id(self) -> str | None:
        return self.env.get("GITHUB_RUN_ID") or None

    @property
    def run_url(self) -> str | None:
        if not (self.run_id and self.gh.repository):
            return None
        return f"{self.gh.server_url}/{self.gh.repository}/actions/runs/{self.run_id}"


@dataclass(frozen=True)
class Deployed:
    version: str
    url: str = ""
    already: bool = False
    detail: str = ""
    rolled_back: bool = False  # this commit's model was deployed, then rolled back


class Target(Protocol):
    def existing(self) -> Deployed | None:
        """The deploy of this commit when it was done before (re-runs do nothing)."""

    def champion(self) -> Champion | None:
        """The model deployed now, with its metrics; None when there is none."""

    def next_version(self) -> str:
        """The version to give when none is configured."""

    def deploy(self, version: str, card: str) -> Deployed:
        """Ship the model; on failure leave nothing half made."""

    def registry(self) -> Registry:
        """The deployed versions, the live one, the rolled-back ones (for a rollback)."""

    def restore(self, plan: Plan) -> Deployed:
        """Make ``plan.to`` live again and record the rollback; a clear error when another run
        changed what is live since :meth:`registry` was read."""
