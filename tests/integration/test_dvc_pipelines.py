"""Issue 22: mlgate reads the pipelines `dvc metrics diff` / `dvc params diff` read.

Each test builds a small git + DVC repository (a base commit on ``main``, a PR commit on a
branch), runs ``mlgate compare`` and, in the same test, ``dvc metrics diff main --json`` and
``dvc params diff main --json``: the values must be equal and the keys the same (modulo the
differences documented in docs/thresholds.md "Reading the DVC pipeline").
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate.adapters.dvc_pipeline import MAX_MATRIX_STAGES, resolver
from mlgate.cli import main
from mlgate.core.metrics import pipeline_of
from mlgate.errors import UsageError
from mlgate.yamlio import LimitError
from tests.helpers.gitrepo import GitRepo

pytest.importorskip("dvc")


def mlgate(cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(cwd)
    return main(list(args))


def result(cwd: Path) -> dict[str, Any]:
    return json.loads((cwd / ".mlgate" / "result.json").read_text())


def dvc(cwd: Path, *args: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=cwd, capture_output=True, text=True,
        check=False, env={**os.environ, "DVC_NO_ANALYTICS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "{}") if "--json" in args else proc.stdout


def dvc_repo(repo: GitRepo, base: dict[str, Any], head: dict[str, Any]) -> GitRepo:
    """``dvc init``, ``base`` committed on main, ``head`` on branch ``pr``."""
    dvc(repo.path, "init", "-q")
    repo.commit("main", base)
    repo.checkout("pr", new=True)
    repo.commit("pr", head)
    return repo


def mlgate_metrics(doc: dict[str, Any]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """result.json metrics as ``{file: {key: (old, new)}}``, as dvc metrics diff keys them."""
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for m in doc["metrics"]:
        key = m["name"].split(":", 1)[1] if m["name"].startswith(m["file"] + ":") else m["name"]
        out.setdefault(m["file"], {})[key] = (m["baseline"], m["current"])
    return out


def dvc_metrics(cwd: Path) -> dict[str, dict[str, tuple[Any, Any]]]:
    data = dvc(cwd, "metrics", "diff", "main", "--all", "--json")
    return {file: {key: (v.get("old"), v.get("new")) for key, v in keys.items()}
            for file, keys in data.items()}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b))
    return a == b


def check_metrics_like_dvc(cwd: Path) -> dict[str, dict[str, tuple[Any, Any]]]:
    ours, theirs = mlgate_metrics(result(cwd)), dvc_metrics(cwd)
    assert set(ours) == set(theirs), (ours, theirs)
    for file, keys in theirs.items():
        assert set(ours[file]) == set(keys), (file, ours[file], keys)
        for key, (old, new) in keys.items():
            assert same(ours[file][key][0], old), (file, key, ours[file][key], old)
            assert same(ours[file][key][1], new), (file, key, ours[file][key], new)
    return ours


def mlgate_params(doc: dict[str, Any]) -> dict[str, dict[str, tuple[Any, Any]]]:
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for p in doc["params"]:
        if p["file"] != "mlgate.yaml":  # mlgate's own train: section (DVC does not read it)
            out.setdefault(p["file"], {})[p["name"]] = (p["baseline"], p["current"])
    return out


def check_params_like_dvc(cwd: Path) -> dict[str, dict[str, tuple[Any, Any]]]:
    theirs = {
        file: {key: (v.get("old"), v.get("new")) for key, v in keys.items()}
        for file, keys in dvc(cwd, "params", "diff", "main", "--json").items()
    }
    ours = mlgate_params(result(cwd))
    assert ours == theirs
    return ours


# ----- 6. an explicit mlgate.yaml metrics: / --metrics overrides discovery --------------------


def test_mlgate_yaml_metrics_override_dvc_yaml(repo, monkeypatch):
    stage = "stages:\n  train:\n    cmd: python train.py\n    metrics:\n    - eval/m.json\n"
    dvc_repo(
        repo,
        {"dvc.yaml": stage, "eval/m.json": {"acc": 0.5}, "gate.json": {"auc": 0.8},
         "mlgate.yaml": "metrics: [gate.json]\n"},
        {"eval/m.json": {"acc": 0.6}, "gate.json": {"auc": 0.9}},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert doc["metrics_files"] == ["gate.json"]
    assert mlgate_metrics(doc) == {"gate.json": {"auc": (0.8, 0.9)}}
    assert mlgate(repo.path, "compare", "--metrics", "eval/m.json",
                  monkeypatch=monkeypatch) == 0
    assert result(repo.path)["metrics_files"] == ["eval/m.json"]


# ----- 1. vars: and ${...} ------------------------------------------------------------------


TEMPLATED = """\
vars:
  - reports: {root: reports}
  - config.yaml
stages:
  train:
    cmd: python train.py
    params:
      - ${config_file}:
          - model
    outs:
      - ${out_dir}/model.pkl
    metrics:
      - ${reports.root}/dvclive.json:
          cache: false
      - ${eval.dir}/${eval.name}.yaml:
          cache: false
    plots:
      - ${reports.root}/plots.csv
"""


def test_vars_and_interpolation(repo, monkeypatch):
    base = {
        "dvc.yaml": TEMPLATED,
        "params.yaml": "out_dir: models\nconfig_file: hp.yaml\n",
        "config.yaml": "eval: {dir: eval, name: scores}\n",
        "hp.yaml": "model: {depth: 4}\nother: 1\n",
        "reports/dvclive.json": {"acc": 0.8},
        "eval/scores.yaml": "loss: 0.5\n",
    }
    head = {"reports/dvclive.json": {"acc": 0.85}, "eval/scores.yaml": "loss: 0.4\n",
            "hp.yaml": "model: {depth: 6}\nother: 1\n", "params.yaml":
            "out_dir: models\nconfig_file: hp.yaml\nunused: 2\n"}
    dvc_repo(repo, base, head)
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    ours = check_metrics_like_dvc(repo.path)
    assert ours == {"reports/dvclive.json": {"acc": (0.8, 0.85)},
                    "eval/scores.yaml": {"loss": (0.5, 0.4)}}
    params = check_params_like_dvc(repo.path)
    assert params["hp.yaml"] == {"model.depth": (4, 6)}


# ----- 2. foreach: and matrix: --------------------------------------------------------------


FOREACH = """\
stages:
  evaluate:
    foreach: [a, b]
    do:
      cmd: python eval.py ${item}
      metrics:
        - eval/${item}.json:
            cache: false
  score:
    foreach:
      small: {dir: s, n: 1}
      large: {dir: l, n: 2}
    do:
      cmd: python score.py ${key} ${item.n}
      metrics:
        - ${item.dir}/${key}.json:
            cache: false
  grid:
    matrix:
      model: [x, y]
      seed: [1]
    cmd: python grid.py ${item.model}
    metrics:
      - grid/${item.model}-${item.seed}.json:
          cache: false
"""


def test_foreach_and_matrix_stages(repo, monkeypatch):
    files = ["eval/a.json", "eval/b.json", "s/small.json", "l/large.json", "grid/x-1.json",
             "grid/y-1.json"]
    base: dict[str, Any] = {"dvc.yaml": FOREACH}
    base.update({f: {"acc": 0.5 + i / 100} for i, f in enumerate(files)})
    head = {f: {"acc": 0.6 + i / 100} for i, f in enumerate(files)}
    dvc_repo(repo, base, head)
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    assert result(repo.path)["metrics_files"] == files
    ours = check_metrics_like_dvc(repo.path)
    assert set(ours) == set(files)


# ----- 9. an undefined variable -------------------------------------------------------------


def test_undefined_variable_is_exit_2_naming_dvc_yaml_and_variable(repo, monkeypatch, capsys):
    text = "stages:\n  train:\n    cmd: x\n    metrics:\n    - ${nope.root}/m.json\n"
    dvc_repo(repo, {"dvc.yaml": text, "m.json": {"acc": 1.0}}, {})
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "dvc.yaml" in err
    assert "nope" in err
    assert "metrics file not found" not in err
    assert "Traceback" not in err


def test_invalid_templated_dvc_yaml_is_exit_2(repo, monkeypatch, capsys):
    text = "stages:\n  t:\n    matrix: {m: [a]}\n    do: {cmd: x}\n    metrics:\n    - ${item.m}\n"
    dvc_repo(repo, {"dvc.yaml": text, "a": "acc: 1\n"}, {})
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "dvc.yaml" in err
    assert "internal error" not in err


def test_templating_without_dvc_installed_says_install_the_extra(repo, monkeypatch, capsys):
    text = "vars:\n  - d: eval\nstages:\n  t:\n    cmd: x\n    metrics:\n    - ${d}/m.json\n"
    dvc_repo(repo, {"dvc.yaml": text, "eval/m.json": {"acc": 1.0}}, {})
    monkeypatch.setitem(sys.modules, "dvc.parsing", None)  # import fails as if not installed
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert "pip install 'mlgate[dvc]'" in err


def test_plain_pipeline_does_not_import_dvc(repo):
    stage = "stages:\n  train:\n    cmd: x\n    metrics:\n    - m.json\n"
    dvc_repo(repo, {"dvc.yaml": stage, "m.json": {"acc": 0.5}}, {"m.json": {"acc": 0.6}})
    code = ("import sys; from mlgate.cli import main; rc = main(['compare']); "
            "assert rc == 0, rc; assert not [m for m in sys.modules if m.split('.')[0] == 'dvc']"
            ", sorted(m for m in sys.modules if m.startswith('dvc'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr


# ----- 3. top-level metrics:, params:, plots: (DVCLive) ---------------------------------------


DVCLIVE = """\
metrics:
  - dvclive/metrics.json
params:
  - dvclive/params.yaml
plots:
  - dvclive/plots/metrics:
      x: step
stages:
  train:
    cmd: python train.py
"""


def test_top_level_metrics_and_params(repo, monkeypatch):
    dvc_repo(
        repo,
        {"dvc.yaml": DVCLIVE, "dvclive/metrics.json": {"acc": 0.7},
         "dvclive/params.yaml": "lr: 0.1\nepochs: 3\n"},
        {"dvclive/metrics.json": {"acc": 0.75}, "dvclive/params.yaml": "lr: 0.2\nepochs: 3\n"},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    check_metrics_like_dvc(repo.path)
    assert check_params_like_dvc(repo.path) == {"dvclive/params.yaml": {"lr": (0.1, 0.2)}}


# ----- 8. params keyed by file --------------------------------------------------------------


def test_same_param_key_in_two_files_kept_apart(repo, monkeypatch):
    dvc_repo(
        repo,
        {"dvc.yaml": DVCLIVE, "dvclive/metrics.json": {"acc": 0.7},
         "dvclive/params.yaml": "lr: 0.1\n", "params.yaml": "lr: 1\n"},
        {"dvclive/metrics.json": {"acc": 0.75}, "dvclive/params.yaml": "lr: 0.2\n",
         "params.yaml": "lr: 2\n"},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    assert check_params_like_dvc(repo.path) == {
        "dvclive/params.yaml": {"lr": (0.1, 0.2)}, "params.yaml": {"lr": (1, 2)},
    }


# ----- 4. every dvc.yaml of the repository --------------------------------------------------


NESTED = "stages:\n  train:\n    cmd: python train.py\n    params:\n    - hp.yaml:\n" \
         "      - depth\n    metrics:\n    - out/m.json:\n        cache: false\n"


def test_every_dvc_yaml_paths_relative_to_it(repo, monkeypatch):
    root_stage = "stages:\n  prep:\n    cmd: x\n    params:\n    - prep.yaml:\n    - seed\n"
    dvc_repo(
        repo,
        {"dvc.yaml": root_stage, "prep.yaml": "size: 10\n", "params.yaml": "seed: 1\n",
         "training/dvc.yaml": NESTED, "training/hp.yaml": "depth: 3\n",
         "training/out/m.json": {"acc": 0.5}, "metrics.json": {"ignored": 1}},
        {"training/out/m.json": {"acc": 0.6}, "training/hp.yaml": "depth: 4\n",
         "prep.yaml": "size: 20\n", "params.yaml": "seed: 2\n"},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    assert check_metrics_like_dvc(repo.path) == {"training/out/m.json": {"acc": (0.5, 0.6)}}
    check_params_like_dvc(repo.path)
    # From the subdirectory: paths relative to it, the root dvc.yaml's params included.
    sub = repo.path / "training"
    assert mlgate(sub, "compare", monkeypatch=monkeypatch) == 0
    assert check_metrics_like_dvc(sub) == {"out/m.json": {"acc": (0.5, 0.6)}}
    params = check_params_like_dvc(sub)
    assert params["../prep.yaml"] == {"size": (10, 20)}


# ----- 5. TOML ------------------------------------------------------------------------------


def test_toml_metrics_and_params(repo, monkeypatch):
    stage = ("stages:\n  train:\n    cmd: x\n    params:\n    - params.toml:\n"
             "      - model\n    metrics:\n    - metrics.toml:\n        cache: false\n")
    dvc_repo(
        repo,
        {"dvc.yaml": stage, "metrics.toml": "[test]\nacc = 0.5\nloss = 1.5\n",
         "params.toml": "[model]\ndepth = 3\nname = 'rf'\n"},
        {"metrics.toml": "[test]\nacc = 0.6\nloss = 1.0\n",
         "params.toml": "[model]\ndepth = 5\nname = 'rf'\n"},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    assert check_metrics_like_dvc(repo.path) == {
        "metrics.toml": {"test.acc": (0.5, 0.6), "test.loss": (1.5, 1.0)}}
    assert check_params_like_dvc(repo.path) == {"params.toml": {"model.depth": (3, 5)}}


# ----- 7. a baseline commit without metrics still shows params and data changes ---------------


def test_baseline_without_metrics_file_still_diffs_params_and_data(repo, monkeypatch):
    stage = "stages:\n  train:\n    cmd: x\n    metrics:\n    - m.json:\n        cache: false\n"
    dvc_file = "outs:\n- md5: {md5}\n  size: 1\n  hash: md5\n  path: train.csv\n"
    dvc_repo(
        repo,
        {"dvc.yaml": stage, "params.yaml": "lr: 0.1\n",
         "data/train.csv.dvc": dvc_file.format(md5="a" * 32)},
        {"m.json": {"acc": 0.9}, "params.yaml": "lr: 0.2\n",
         "data/train.csv.dvc": dvc_file.format(md5="b" * 32)},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    doc = result(repo.path)
    assert check_params_like_dvc(repo.path) == {"params.yaml": {"lr": (0.1, 0.2)}}
    assert [d["path"] for d in doc["data"]] == ["data/train.csv"]


def test_templated_root_pipeline_from_a_subdirectory(repo, monkeypatch):
    text = ("vars:\n  - d: training\nstages:\n  train:\n    cmd: x\n    params:\n"
            "    - ${pfile}:\n    metrics:\n    - ${d}/m.json:\n        cache: false\n")
    dvc_repo(
        repo,
        {"dvc.yaml": text, "params.yaml": "pfile: hp.yaml\n", "hp.yaml": "depth: 1\n",
         "training/m.json": {"acc": 0.1}, "training/keep": ""},
        {"training/m.json": {"acc": 0.2}, "hp.yaml": "depth: 2\n"},
    )
    sub = repo.path / "training"
    assert mlgate(sub, "compare", monkeypatch=monkeypatch) == 0
    assert check_metrics_like_dvc(sub) == {"m.json": {"acc": (0.1, 0.2)}}
    assert check_params_like_dvc(sub)["../hp.yaml"] == {"depth": (1, 2)}


def test_baseline_templating_resolved_with_its_own_vars(repo, monkeypatch):
    text = ("stages:\n  train:\n    cmd: x\n    metrics:\n    - ${out}/m.json:\n"
            "        cache: false\n")
    dvc(repo.path, "init", "-q")
    repo.commit("main", {"dvc.yaml": text, "params.yaml": "out: old\n",
                         "old/m.json": {"acc": 0.1}})
    repo.checkout("pr", new=True)
    repo.git("rm", "-q", "old/m.json")
    repo.commit("pr", {"params.yaml": "out: new\n", "new/m.json": {"acc": 0.2}})
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    # The baseline's metrics file is the one its own params.yaml names (old/m.json). mlgate
    # compares keys by name (docs/guarantees.md #4), DVC by file (documented difference).
    assert mlgate_metrics(result(repo.path)) == {"new/m.json": {"acc": (0.1, 0.2)}}
    assert dvc_metrics(repo.path) == {"new/m.json": {"acc": (None, 0.2)},
                                      "old/m.json": {"acc": (0.1, None)}}


# ----- DVC's resolver in-process --------------------------------------------------------------


def test_resolver_expands_foreach_matrix_and_vars() -> None:
    resolve = resolver({"params.yaml": "root: r\n", "training/params.yaml": "x: t\n"}.get)
    data = {
        "vars": [{"n": 2}],
        "metrics": ["${root}/top.json"],
        "stages": {
            "a": {"foreach": [1, 2], "do": {"cmd": "x", "metrics": ["${root}/${item}.json"]}},
            "b": {"matrix": {"m": ["p", "q"]}, "cmd": "x", "metrics": ["${item.m}-${n}.json"]},
        },
    }
    out = resolve(data, "", "dvc.yaml")
    assert pipeline_of(out).metrics == ("r/top.json", "r/1.json", "r/2.json", "p-2.json",
                                        "q-2.json")
    nested = resolve({"metrics": ["${x}/m.json"]}, "training", "training/dvc.yaml")
    assert pipeline_of(nested, "training").metrics == ("training/t/m.json",)
    with pytest.raises(UsageError, match="nope"):
        resolve({"metrics": ["${nope}"]}, "", "dvc.yaml")
    big = {"stages": {"s": {"matrix": {"a": list(range(200)), "b": list(range(200))},
                            "cmd": "x"}}}
    assert MAX_MATRIX_STAGES < 200 * 200
    with pytest.raises(LimitError, match="matrix"):
        resolve(big, "", "dvc.yaml")


# ----- params a stage selects by key ------------------------------------------------------


SELECTED = ("stages:\n  train:\n    cmd: python train.py\n    params:\n    - lr\n"
            "    - hp.yaml:\n      - model.depth\n    metrics:\n    - m.json:\n"
            "        cache: false\n")


def test_only_the_keys_a_stage_selects_are_diffed_as_dvc_diffs_them(repo, monkeypatch):
    dvc_repo(
        repo,
        {"dvc.yaml": SELECTED, "m.json": {"acc": 0.7},
         "params.yaml": "lr: 1\nbatch: 32\n",
         "hp.yaml": "model:\n  depth: 3\n  width: 8\nother: 1\n"},
        {"m.json": {"acc": 0.75}, "params.yaml": "lr: 2\nbatch: 64\n",
         "hp.yaml": "model:\n  depth: 4\n  width: 16\nother: 2\n"},
    )
    assert mlgate(repo.path, "compare", monkeypatch=monkeypatch) == 0
    # DVC diffs params.yaml whole (`batch` too) but of hp.yaml only the selected key.
    assert check_params_like_dvc(repo.path) == {
        "params.yaml": {"lr": (1, 2), "batch": (32, 64)}, "hp.yaml": {"model.depth": (3, 4)},
    }
