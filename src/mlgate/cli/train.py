"""Train: dvc repro, a user command, or the built-in scikit-learn trainer."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--command", metavar="CMD", help="run this command instead of the configured trainer"
    )


def run(args: argparse.Namespace) -> int:
    from mlgate.cli.args import project
    from mlgate.services.train import TrainOptions, run_train

    config, paths = project(args)
    run_train(TrainOptions(config=config, paths=paths, command=args.command))
    return 0
