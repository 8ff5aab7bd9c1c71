"""`train: {repeats: K}` for user pipelines: the mode chosen, the folds document of the runs
(method `repeats`), and how its per-run lists attach to the last run's metrics."""

from __future__ import annotations

import pytest

from mlgate.core.folds import attach, parse_folds, record_matches, repeats_folds
from mlgate.core.metrics import Metric
from mlgate.errors import UsageError
from mlgate.train.config import DEFAULT_SEED, MAX_REPEATS, REPEATS_ENV, SEED_ENV, select_mode
from mlgate.train.external import Run, TrainCommandFailed, command_env, dvc_repro_args


def _mode(train, dvc=False):
    return select_mode(train, cli_command=None, has_dvc_yaml=dvc)


def test_command_with_repeats_and_seed():
    mode = _mode({"command": "python train.py", "repeats": 5, "seed": 3})
    assert (mode.kind, mode.command, mode.repeats) == ("command", "python train.py", 5)
    assert mode.seeds == (3, 4, 5, 6, 7)


def test_seed_defaults_to_the_built_in_trainers():
    mode = _mode({"command": "x", "repeats": 2})
    assert mode.seeds == (DEFAULT_SEED, DEFAULT_SEED + 1)
    assert _mode({"command": "x"}).repeats is None


def test_repeats_without_a_command_is_dvc_repro():
    mode = _mode({"repeats": 3}, dvc=True)
    assert (mode.kind, mode.repeats) == ("dvc-repro", 3)
    # mlgate.yaml is validated before dvc.yaml is looked for: not an error yet.
    assert _mode({"repeats": 3}).kind == "dvc-repro"


@pytest.mark.parametrize("bad", [0, MAX_REPEATS + 1, "5", True, 2.5])
def test_repeats_is_bounded(bad):
    with pytest.raises(UsageError) as err:
        _mode({"command": "x", "repeats": bad})
    assert err.value.where == "mlgate.yaml: train.repeats"


def test_seed_plus_repeats_stays_below_2_to_the_32():
    with pytest.raises(UsageError, match="seed"):
        _mode({"command": "x", "repeats": 5, "seed": 2**32 - 2})


def test_command_with_built_in_keys_is_still_refused():
    with pytest.raises(UsageError, match=r"cannot be combined.*\(data\)"):
        _mode({"command": "x", "repeats": 2, "data": "d.csv"})


def test_the_retraining_environment_overrides_repeats_and_seed():
    mode = _mode({"command": "x"})
    assert mode.with_overrides(env={REPEATS_ENV: "5", SEED_ENV: "42"}).seeds == (
        42, 43, 44, 45, 46)
    assert mode.with_overrides(env={}) == mode
    with pytest.raises(UsageError):
        mode.with_overrides(env={REPEATS_ENV: "101"})


def test_each_run_gets_its_seed_and_index(tmp_path):
    env = command_env(tmp_path, Run(2, 5, 44))
    assert (env["MLGATE_SEED"], env["MLGATE_REPEAT"]) == ("44", "2")
    assert dvc_repro_args(Run(0, 5, 42)) == ["repro", "--force"]
    assert dvc_repro_args(Run(0, 1, 42)) == ["repro"]
    err = TrainCommandFailed("the training command `python t.py`", 1, "python t.py",
                             Run(2, 5, 44))
    assert err.exit_code == 3 and err.repeat == 2
    assert "`python t.py` (repeat 2 of 5: MLGATE_SEED=44 MLGATE_REPEAT=2) failed with exit " \
           "code 1" in err.message


def _doc(seeds=(42, 43, 44)):
    scores = {"accuracy": (0.9, 0.8, 0.85), "m.json:loss": (1.0, 2.0, 3.0)}
    return repeats_folds(scores, seeds, ["metrics.json", "m.json"], {"seed": seeds[0]})


def test_the_document_round_trips():
    folds = _doc()
    back = parse_folds(folds.to_json(), "folds.json")
    assert back == folds
    assert back.seeds == (42, 43, 44) and back.files == ("metrics.json", "m.json")
    assert back.text() == "3 repeats, MLGATE_SEED 42–44"


def test_a_document_with_a_list_of_the_wrong_length_is_refused():
    doc = _doc().to_json()
    doc["scores"]["accuracy"] = [0.9, 0.8]
    with pytest.raises(UsageError, match="not one per run"):
        parse_folds(doc, "folds.json")
    doc = _doc().to_json()
    doc["seeds"] = [1, 2]
    with pytest.raises(UsageError, match="seeds"):
        parse_folds(doc, "folds.json")


def test_the_lists_attach_to_the_last_runs_values():
    metrics = [Metric("accuracy", 0.85, "metrics.json", "accuracy"),
               Metric("m.json:loss", 3.0, "m.json", "loss"),
               Metric("other", 1.0, "metrics.json", "other")]
    attached, owned = attach(metrics, _doc())
    assert owned == {"accuracy", "m.json:loss"}
    assert attached[0].value == (0.9, 0.8, 0.85)
    assert attached[2].value == 1.0
    # A file that is not the last run's (stale folds.json): nothing attaches.
    stale = [Metric("accuracy", 0.9, "metrics.json", "accuracy")]
    assert attach(stale, _doc())[1] == set()
    # The store's record names no file.
    assert attach([Metric("accuracy", 0.85, "")], _doc(), any_file=True)[1] == {"accuracy"}


def test_records_pair_only_with_the_same_seeds():
    assert record_matches(_doc(), _doc(), "a", "a") is None
    reason = record_matches(_doc((1, 2, 3)), _doc(), "a", "a")
    assert reason is not None and "other runs" in reason
