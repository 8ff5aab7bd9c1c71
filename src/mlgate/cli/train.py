"""Train: dvc repro, a user command, or the built-in scikit-learn trainer."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate.config import load_config, out_dir


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--command", metavar="CMD", help="run this command instead of the configured trainer"
    )


def run(args: argparse.Namespace) -> int:
    from mlgate.train import select_mode
    from mlgate.train.external import run_command, run_dvc_repro

    root = Path.cwd()
    config = load_config(args.config, root)
    out = out_dir(args.out, root)
    where = config.path.name if config.path else "mlgate.yaml"
    mode = select_mode(
        config.train,
        cli_command=args.command,
        has_dvc_yaml=(root / "dvc.yaml").exists(),
        where=where,
    )
    if mode.kind == "command" and mode.command:
        run_command(mode.command, root, out, log=_log)
        return 0
    if mode.kind == "dvc-repro":
        run_dvc_repro(root, out, log=_log)
        return 0
    assert mode.config is not None
    from mlgate.train.runner import run_builtin

    run_builtin(
        mode.config,
        root,
        out,
        name=config.model_name(root),
        metrics_file=config.metrics[0] if config.metrics else None,
        log=_log,
        where=where,
    )
    return 0


def _log(message: str) -> None:
    print(f"mlgate: {message}", flush=True)
