"""Issue 21 items 10 and 11: bounds of the `train:` keys, checked when mlgate.yaml is parsed
(exit 2 naming the key, never an internal error or an out-of-memory)."""

from __future__ import annotations

from typing import Any

import pytest

from mlgate.errors import UsageError
from mlgate.train.config import (
    MAX_CV,
    MAX_REPEATS,
    MAX_SEED,
    parse_dask_address,
    parse_train_config,
)

BASE = {"data": "data.csv", "target": "y"}


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(UsageError) as err:
        parse_train_config({**BASE, **raw})
    assert err.value.exit_code == 2
    return err.value.render()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"fold-seed": 2**32}, "train.fold-seed"),
        ({"fold-seed": 10**30}, "train.fold-seed"),
        ({"seed": 2**32}, "train.seed"),
        ({"repeats": 10**9}, "train.repeats"),
        ({"repeats": 101}, "train.repeats"),
        ({"cv": 10**6}, "train.cv"),
        ({"cv": 101}, "train.cv"),
        ({"test-size": 1.0}, "train.test-size"),
        ({"test-size": 0.0}, "train.test-size"),
        ({"test-size": 5.0}, "train.test-size"),
        ({"test-size": 0}, "train.test-size"),
        ({"test-size": -3}, "train.test-size"),
    ],
    ids=["fold-seed-2**32", "fold-seed-huge", "seed-2**32", "repeats-1e9", "repeats-101",
         "cv-1e6", "cv-101", "test-size-1.0", "test-size-0.0", "test-size-5.0", "test-size-0",
         "test-size-negative"],
)
def test_out_of_bounds_train_keys_are_exit_2_naming_the_key(raw: dict[str, Any],
                                                             key: str) -> None:
    text = _error(raw)
    assert f"mlgate.yaml: {key}: " in text
    assert "How to fix" in text


def test_bounds_themselves_are_accepted() -> None:
    assert MAX_SEED == 2**32 - 1 and MAX_REPEATS == 100 and MAX_CV == 100
    cfg = parse_train_config({**BASE, "fold-seed": MAX_SEED, "seed": MAX_SEED,
                              "repeats": MAX_REPEATS, "cv": MAX_CV})
    assert (cfg.fold_seed, cfg.seed, cfg.repeats, cfg.cv) == (MAX_SEED, MAX_SEED, 100, 100)
    assert parse_train_config({**BASE, "test-size": 0.2}).test_size == 0.2
    assert parse_train_config({**BASE, "test-size": 500}).test_size == 500


# ----- 11: train.dask ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["not a url", "http://127.0.0.1:8787", "https://sched:8787/status", "tcp://", "tcp://host:x",
     "tcp://host:99999", "tcp://ho st:8786", "ftp://host:21", "tcp://host:8786/path", 8786],
    ids=["words", "http", "https-path", "no-host", "bad-port", "port-range", "space", "ftp",
         "path", "int"],
)
def test_malformed_dask_address_is_exit_2_naming_train_dask(value: Any) -> None:
    text = _error({"dask": value})
    assert "mlgate.yaml: train.dask: " in text and "tcp://" in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [("tcp://10.0.0.1:8786", "tcp://10.0.0.1:8786"), ("scheduler:8786", "scheduler:8786"),
     ("tls://sched.example:8786", "tls://sched.example:8786"), ("tcp://[::1]:8786", None),
     (" tcp://sched:8786 ", "tcp://sched:8786")],
)
def test_valid_dask_addresses(value: str, shown: str | None) -> None:
    cfg = parse_train_config({**BASE, "dask": value})
    assert cfg.dask == (shown or value)
    assert parse_dask_address(value, "x") == (shown or value)
