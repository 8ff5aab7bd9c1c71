"""Train: dvc repro, a user command, or the built-in scikit-learn trainer."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.core.folds import FoldSpec


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--command", metavar="CMD", help="run this command instead of the configured trainer"
    )
    folds = parser.add_argument_group(
        "folds", "built-in trainer: cross-validate on these folds instead of train: (all three)"
    )
    folds.add_argument("--cv", type=int, metavar="K", help="k-fold")
    folds.add_argument("--repeats", type=int, metavar="R", help="repeated R times")
    folds.add_argument("--fold-seed", type=int, metavar="S", help="folds shuffled with S")


def run(args: argparse.Namespace) -> int:
    from mlgate.cli.args import project
    from mlgate.services.train import TrainOptions, run_train

    config, paths = project(args)
    options = TrainOptions(config=config, paths=paths, command=args.command,
                           folds=_folds(args.cv, args.repeats, args.fold_seed))
    run_train(options)
    return 0


def _folds(cv: int | None, repeats: int | None, fold_seed: int | None) -> FoldSpec | None:
    from mlgate.core.folds import FoldSpec
    from mlgate.errors import UsageError

    given = (cv, repeats, fold_seed)
    if all(v is None for v in given):
        return None
    if any(v is None for v in given) or cv is None or repeats is None or fold_seed is None:
        raise UsageError("give --cv, --repeats and --fold-seed together", where="--cv",
                         fix="e.g. `mlgate train --cv 5 --repeats 3 --fold-seed 0`")
    if cv < 2 or repeats < 1 or fold_seed < 0:
        raise UsageError(f"bad folds: --cv {cv} --repeats {repeats} --fold-seed {fold_seed}",
                         where="--cv", fix="k >= 2, repeats >= 1, fold-seed >= 0")
    return FoldSpec(cv, repeats, fold_seed)
