"""What every command reads from its common arguments: the configuration and the paths."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate.config import Config, Paths, load_config, paths_for


def project(args: argparse.Namespace) -> tuple[Config, Paths]:
    """``--config`` loaded (and validated) and ``--out`` resolved, in the working directory."""
    root = Path.cwd()
    return load_config(args.config, root), paths_for(args.out, root)
