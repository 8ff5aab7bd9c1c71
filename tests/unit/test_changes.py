"""What counts as changed data (core/changes.py): files tracked by DVC (``*.dvc`` files and the
dependencies of dvc.lock's stages), not the outputs of dvc.yaml's stages."""

from __future__ import annotations

from mlgate.core.changes import tracked_data

DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw.csv
      md5: aaa
      size: 10
    - path: prepare.py
      md5: bbb
      size: 5
    outs:
    - path: data/prepared.csv
      md5: ccc
      size: 20
  train:
    cmd: python train.py
    deps:
    - path: data/prepared.csv
      md5: ccc
      size: 20
    - path: data/diabetes.csv
      md5: ddd
      size: 30
    - path: train.py
      md5: eee
      size: 7
    - path: src
      md5: fff.dir
      size: 9
    outs:
    - path: models/model.joblib
      md5: ggg
      size: 40
    - path: eval/metrics.json
      md5: hhh
      size: 3
"""


def test_stage_outputs_are_not_data_but_tracked_deps_are() -> None:
    files = {
        "dvc.lock": DVC_LOCK,
        "data/diabetes.csv.dvc": "outs:\n- md5: ddd\n  size: 30\n  path: diabetes.csv\n",
    }
    git_files = ["dvc.yaml", "dvc.lock", "data/diabetes.csv.dvc", "prepare.py", "train.py",
                 "src/util.py"]
    data = tracked_data(files.get, git_files, {"eval/metrics.json"})
    assert data == {"data/diabetes.csv": ("ddd", 30), "data/raw.csv": ("aaa", 10)}
