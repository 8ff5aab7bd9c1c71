"""``mlgate pull``: fetch and check out the DVC-tracked data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.config import Config
from mlgate.console import PRINTING, Console

if TYPE_CHECKING:
    from mlgate.adapters.dvc import PullStats


@dataclass(frozen=True)
class PullOptions:
    config: Config
    cwd: Path  # the working directory: a monorepo's subproject pulls from its own directory
    targets: tuple[str, ...] | None = None  # --targets
    remote: str | None = None
    jobs: int | None = None
    allow_missing: bool = False


@dataclass(frozen=True)
class PullOutcome:
    stats: PullStats

    def describe(self) -> str:
        return self.stats.summary()


def run_pull(options: PullOptions, console: Console = PRINTING) -> PullOutcome:
    from mlgate.adapters import dvc

    config = options.config
    # Like `dvc pull`, work from any directory of the repository (a monorepo's subproject).
    root = dvc.find_root(options.cwd)
    targets = list(options.targets) if options.targets else None
    settings = config.pull_options(targets, options.remote, options.jobs, options.allow_missing)
    source = "--targets" if targets else f"{config.where}: pull.targets"
    stats = dvc.pull(
        root,
        dvc.targets_from(options.cwd, root, settings.targets),
        settings.remote,
        settings.jobs,
        allow_missing=settings.allow_missing,
        log=console.log,
        target_source=source,
    )
    console.log(f"pull: {stats.summary()}")
    for path in stats.added + stats.modified:
        console.log(f"pull:   {path}")
    for path in stats.missing:
        console.log(f"pull:   still missing (not on the remote; --allow-missing): {path}")
    return PullOutcome(stats=stats)
