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
    pull_all: bool = False  # --all: the outputs of dvc.yaml stages too


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
    settings = config.pull_options(targets, options.remote, options.jobs, options.allow_missing,
                                   options.pull_all)
    source = "--targets" if targets else f"{config.where}: pull.targets"
    stats = dvc.pull(
        root,
        dvc.targets_from(options.cwd, root, settings.targets),
        settings.remote,
        settings.jobs,
        allow_missing=settings.allow_missing,
        skip_stage_outputs=not settings.all and reproduces(config, options.cwd),
        log=console.log,
        target_source=source,
    )
    console.log(f"pull: {stats.summary()}")
    for path in stats.added + stats.modified:
        console.log(f"pull:   {path}")
    for path in stats.missing:
        console.log(f"pull:   still missing (not on the remote; --allow-missing): {path}")
    if stats.skipped:
        console.log(skipped_text(stats.skipped))
    return PullOutcome(stats=stats)


def reproduces(config: Config, cwd: Path) -> bool:
    """Whether training here is ``dvc repro`` (dvc.yaml and no ``train:``), which makes the
    outputs of the stages again: then pulling them is wasted time."""
    return config.train is None and (cwd / "dvc.yaml").is_file()


def skipped_text(skipped: list[str]) -> str:
    outputs = "output" if len(skipped) == 1 else "outputs"
    shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10
                                       else "")
    return (f"pull: skipped {len(skipped)} {outputs} of dvc.yaml stages, which `dvc repro` "
            f"regenerates: {shown} (to pull them too: --all, `pull: {{all: true}}` in "
            "mlgate.yaml, or the action input `pull: all`)")
