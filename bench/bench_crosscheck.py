"""Benchmark: per pipeline form, how many values `mlgate compare` and DVC agree on (issue 22).

Run:  python bench/bench_crosscheck.py [--form NAME ...] [--keep]

For each form of DVC pipeline mlgate reads (plain stage metrics; `vars:` inline, from a vars
file and from the default params.yaml; `foreach:` over a list and a dict; `matrix:`; top-level
`metrics:`/`params:` as DVCLive writes them; a nested `training/dvc.yaml`, from the root and
from `training/`; TOML metrics and params; the same param key in two params files) it builds a
small git + DVC repository in a temp dir: a commit on `main`, a PR branch changing values. On
it, it runs the CLI `mlgate compare --base main` (a subprocess; reads .mlgate/result.json),
`dvc metrics diff main --all --json` and `dvc params diff main --all --json`, and matches the
keys: mlgate's by row `file` + `name` (the name is `FILE:KEY` only when two files define the
key), DVC's by file path then key; paths of both are made relative to the repository root
(both tools write them relative to the working directory).

Counted per form: values compared (metrics: old, new and delta; params: old and new, for each
key both sides have), values agreeing (exactly equal: DVC's `--json` output is not rounded,
its `--precision` applies to the table only), and the keys only one side has, each with why
and whether docs/thresholds.md ("Deliberate differences") or docs/result-schema.md document
it. Prints a table per form and a total. It asserts nothing: it exits non-zero only when it
or one of the tools crashes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import posixpath
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0"}
Files = dict[str, Any]  # path -> text, or a dict written as JSON


@dataclass(frozen=True)
class Form:
    name: str
    base: Files
    head: Files
    cwd: str = ""  # where both tools run, relative to the repository root


# ----- the forms: dvc.yaml texts and the files of the base and PR commits --------------------

PLAIN = """\
stages:
  train:
    cmd: python train.py
    params:
      - lr
      - model
    metrics:
      - eval/metrics.json:
          cache: false
"""

VARS_INLINE = """\
vars:
  - reports: {root: reports}
stages:
  train:
    cmd: python train.py
    metrics:
      - ${reports.root}/metrics.json:
          cache: false
"""

VARS_FILE = """\
vars:
  - config.yaml
stages:
  train:
    cmd: python train.py
    params:
      - ${config_file}:
          - model
    metrics:
      - ${eval.dir}/${eval.name}.yaml:
          cache: false
"""

VARS_DEFAULT = """\
stages:
  train:
    cmd: python train.py --out ${out_dir}
    metrics:
      - ${out_dir}/metrics.json:
          cache: false
"""

FOREACH_LIST = """\
stages:
  evaluate:
    foreach: [a, b]
    do:
      cmd: python eval.py ${item}
      metrics:
        - eval/${item}.json:
            cache: false
"""

FOREACH_DICT = """\
stages:
  score:
    foreach:
      small: {dir: s, n: 1}
      large: {dir: l, n: 2}
    do:
      cmd: python score.py ${key} ${item.n}
      metrics:
        - ${item.dir}/${key}.json:
            cache: false
"""

MATRIX = """\
stages:
  grid:
    matrix:
      model: [x, y]
      seed: [1, 2]
    cmd: python grid.py ${item.model} ${item.seed}
    metrics:
      - grid/${item.model}-${item.seed}.json:
          cache: false
"""

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

ROOT_STAGE = """\
stages:
  prep:
    cmd: python prep.py
    params:
      - prep.yaml:
      - seed
"""

NESTED = """\
stages:
  train:
    cmd: python train.py
    params:
      - hp.yaml:
          - depth
    metrics:
      - out/m.json:
          cache: false
"""

TOML_STAGE = """\
stages:
  train:
    cmd: python train.py
    params:
      - params.toml:
          - model
    metrics:
      - metrics.toml:
          cache: false
"""


def acc(i: int, head: bool) -> dict[str, Any]:
    return {"acc": round(0.5 + i / 100 + (0.07 if head else 0.0), 4), "loss": 0.3 - i / 1000}


def per_file(paths: list[str], head: bool) -> Files:
    return {p: acc(i, head) for i, p in enumerate(paths)}


FOREACH_LIST_FILES = ["eval/a.json", "eval/b.json"]
FOREACH_DICT_FILES = ["s/small.json", "l/large.json"]
MATRIX_FILES = ["grid/x-1.json", "grid/x-2.json", "grid/y-1.json", "grid/y-2.json"]
NESTED_BASE: Files = {
    "dvc.yaml": ROOT_STAGE, "prep.yaml": "size: 10\n", "params.yaml": "seed: 1\n",
    "training/dvc.yaml": NESTED, "training/hp.yaml": "depth: 3\nlr: 0.1\n",
    "training/out/m.json": {"acc": 0.5, "test": {"f1": 0.4, "n": 120}},
}
NESTED_HEAD: Files = {
    "training/out/m.json": {"acc": 0.6, "test": {"f1": 0.45, "n": 120}},
    "training/hp.yaml": "depth: 4\nlr: 0.2\n", "prep.yaml": "size: 20\n",
    "params.yaml": "seed: 2\n",
}

FORMS = [
    Form("plain stage metrics",
         {"dvc.yaml": PLAIN, "params.yaml": "lr: 0.1\nmodel: {depth: 3, kind: rf}\nseed: 1\n",
          "eval/metrics.json": {"acc": 0.1, "auc": 0.8, "test": {"f1": 0.7, "rows": 500}}},
         {"params.yaml": "lr: 0.3\nmodel: {depth: 5, kind: rf}\nseed: 2\n",
          "eval/metrics.json": {"acc": 0.3, "auc": 0.8, "test": {"f1": 0.72, "rows": 500}}}),
    Form("vars: inline",
         {"dvc.yaml": VARS_INLINE, "reports/metrics.json": {"acc": 0.8, "loss": 0.5}},
         {"reports/metrics.json": {"acc": 0.85, "loss": 0.4}}),
    Form("vars: file",
         {"dvc.yaml": VARS_FILE, "config.yaml": "config_file: hp.yaml\n"
          "eval: {dir: eval, name: scores}\nthreshold: 0.5\n",
          "hp.yaml": "model: {depth: 4}\nother: 1\n",
          "eval/scores.yaml": "loss: 0.5\nacc: 0.7\n"},
         {"hp.yaml": "model: {depth: 6}\nother: 2\n", "eval/scores.yaml": "loss: 0.4\nacc: 0.7\n",
          "config.yaml": "config_file: hp.yaml\neval: {dir: eval, name: scores}\n"
          "threshold: 0.6\n"}),
    Form("vars: default params.yaml",
         {"dvc.yaml": VARS_DEFAULT, "params.yaml": "out_dir: results\nlr: 0.01\n",
          "results/metrics.json": {"acc": 0.61, "loss": 0.9}},
         {"params.yaml": "out_dir: results\nlr: 0.02\n",
          "results/metrics.json": {"acc": 0.66, "loss": 0.8}}),
    Form("foreach: list",
         {"dvc.yaml": FOREACH_LIST, **per_file(FOREACH_LIST_FILES, False)},
         per_file(FOREACH_LIST_FILES, True)),
    Form("foreach: dict",
         {"dvc.yaml": FOREACH_DICT, **per_file(FOREACH_DICT_FILES, False)},
         per_file(FOREACH_DICT_FILES, True)),
    Form("matrix:",
         {"dvc.yaml": MATRIX, **per_file(MATRIX_FILES, False)}, per_file(MATRIX_FILES, True)),
    Form("top-level metrics:/params: (DVCLive)",
         {"dvc.yaml": DVCLIVE, "dvclive/metrics.json": {"acc": 0.7, "step": 9},
          "dvclive/params.yaml": "lr: 0.1\nepochs: 3\n"},
         {"dvclive/metrics.json": {"acc": 0.75, "step": 9},
          "dvclive/params.yaml": "lr: 0.2\nepochs: 3\n"}),
    Form("nested training/dvc.yaml", NESTED_BASE, NESTED_HEAD),
    Form("nested, run from training/", NESTED_BASE, NESTED_HEAD, cwd="training"),
    Form("TOML metrics and params",
         {"dvc.yaml": TOML_STAGE, "metrics.toml": "[test]\nacc = 0.5\nloss = 1.5\n",
          "params.toml": "[model]\ndepth = 3\nname = 'rf'\n"},
         {"metrics.toml": "[test]\nacc = 0.6\nloss = 1.0\n",
          "params.toml": "[model]\ndepth = 5\nname = 'gb'\n"}),
    Form("same param key in two files",
         {"dvc.yaml": DVCLIVE, "dvclive/metrics.json": {"acc": 0.7},
          "dvclive/params.yaml": "lr: 0.1\nepochs: 3\n", "params.yaml": "lr: 1\nepochs: 3\n"},
         {"dvclive/metrics.json": {"acc": 0.75}, "dvclive/params.yaml": "lr: 0.2\nepochs: 3\n",
          "params.yaml": "lr: 2\nepochs: 4\n"}),
]


# ----- building and running ------------------------------------------------------------------


def run(cwd: Path, *cmd: str, ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode} in {cwd}:\n"
                           f"{proc.stderr[-2000:]}")
    return proc.stdout


def write(root: Path, files: Files) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(content, indent=2) if isinstance(content, dict) else content
        path.write_text(text, encoding="utf-8")


def build(root: Path, form: Form) -> None:
    root.mkdir(parents=True)
    run(root, "git", "init", "-q", "-b", "main")
    run(root, "git", "config", "user.email", "bench@mlgate.invalid")
    run(root, "git", "config", "user.name", "bench")
    run(root, str(BIN / "dvc"), "init", "-q")
    write(root, form.base)
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-q", "-m", "main")
    run(root, "git", "checkout", "-q", "-b", "pr")
    write(root, form.head)
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-q", "-m", "pr")


def mlgate_cmd() -> list[str]:
    exe = BIN / "mlgate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mlgate"]


Table = dict[tuple[str, str], dict[str, Any]]  # (root-relative file, key) -> values


def rooted(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path)) if cwd else posixpath.normpath(path)


def mlgate_tables(doc: dict[str, Any], cwd: str) -> tuple[Table, Table, list[str]]:
    """result.json's metrics and params rows keyed by (file, key); and naming-rule breaches."""
    metrics: Table = {}
    files_of: dict[str, set[str]] = {}
    for row in doc["metrics"]:
        file, name = row["file"], row["name"]
        key = name[len(file) + 1:] if file and name.startswith(file + ":") else name
        files_of.setdefault(key, set()).add(file)
        metrics[(rooted(cwd, file or "?"), key)] = {
            "old": row["baseline"], "new": row["current"], "delta": row["delta"],
            "name": name}
    breaches = [
        v["name"] for (_, key), v in metrics.items()
        if (v["name"] != key) != (len(files_of[key]) > 1)  # FILE:KEY iff two files
    ]
    params: Table = {(rooted(cwd, p["file"]), p["name"]): {"old": p["baseline"],
                                                           "new": p["current"]}
                     for p in doc["params"]}
    return metrics, params, breaches


def dvc_table(data: dict[str, Any], cwd: str, metric: bool) -> Table:
    out: Table = {}
    for file, keys in data.items():
        for key, v in keys.items():
            row = {"old": v.get("old"), "new": v.get("new")}
            if metric:
                row["delta"] = v.get("diff")
            out[(rooted(cwd, file), key)] = row
    return out


def equal(a: Any, b: Any) -> bool:
    """Exactly equal: the same number (1 == 1.0), or both absent."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return a == b


# ----- why a key is on one side only -------------------------------------------------------


def why_metric(side: str, key: tuple[str, str], other: Table) -> tuple[str, str | None]:
    file, name = key
    if any(k == name and f != file for f, k in other):
        return ("compared by key, not by file (a renamed metrics file)",
                "docs/thresholds.md: Metrics are compared by key, not by file")
    return (f"only {side} reads {file}", None)


def why_param(side: str, key: tuple[str, str], row: dict[str, Any], cwd: str,
              dvc_files: set[str]) -> tuple[str, str | None]:
    file = key[0]
    if side == "dvc" and equal(row["old"], row["new"]):
        return ("unchanged: mlgate's params rows are the changed params",
                "docs/result-schema.md `params`: `dvc params diff` semantics, i.e. without --all")
    if side == "mlgate" and file == rooted(cwd, "mlgate.yaml"):
        return ("the train: section of mlgate.yaml",
                "docs/thresholds.md: `train:` of mlgate.yaml shown as params")
    if side == "mlgate" and file == rooted(cwd, "params.yaml"):
        return ("params.yaml of the working directory, read whole",
                "docs/thresholds.md: `params.yaml` of the working directory is always read")
    if side == "mlgate" and file in dvc_files:
        return ("a key the stage's `params:` list does not select (mlgate reads the whole "
                "file)", None)
    return (f"only {side} reads {file}", None)


@dataclass
class Count:
    compared: int = 0
    agreeing: int = 0
    disagreeing: list[str] = field(default_factory=list)
    only: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def add(self, other: Count) -> None:
        self.compared += other.compared
        self.agreeing += other.agreeing
        self.disagreeing += other.disagreeing
        self.only += other.only


def crosscheck(mine: Table, theirs: Table, fields: tuple[str, ...], why: Any) -> Count:
    count = Count()
    for key in sorted(mine.keys() & theirs.keys()):
        for f in fields:
            count.compared += 1
            if equal(mine[key][f], theirs[key][f]):
                count.agreeing += 1
            else:
                count.disagreeing.append(
                    f"{key[0]}:{key[1]} {f}: mlgate {mine[key][f]!r} dvc {theirs[key][f]!r}")
    for side, table, other in (("mlgate", mine, theirs), ("dvc", theirs, mine)):
        for key in sorted(table.keys() - other.keys()):
            reason, doc = why(side, key, table[key], other)
            count.only.append((side, f"{key[0]}:{key[1]}", reason, doc))
    return count


def one_form(tmp: Path, form: Form) -> tuple[Count, Count, dict[str, Any]]:
    root = tmp / "repo"
    build(root, form)
    cwd = root / form.cwd
    # 0: pass, 1: a rule failed (the default rules may block a PR); both write result.json.
    run(cwd, *mlgate_cmd(), "compare", "--base", "main", ok=(0, 1))
    doc = json.loads((cwd / ".mlgate" / "result.json").read_text())
    mine_m, mine_p, breaches = mlgate_tables(doc, form.cwd)
    dvc = str(BIN / "dvc")
    dvc_m = dvc_table(json.loads(run(cwd, dvc, "metrics", "diff", "main", "--all", "--json")
                                 or "{}"), form.cwd, metric=True)
    dvc_p = dvc_table(json.loads(run(cwd, dvc, "params", "diff", "main", "--all", "--json")
                                 or "{}"), form.cwd, metric=False)
    dvc_files = {f for f, _ in dvc_p}
    metrics = crosscheck(mine_m, dvc_m, ("old", "new", "delta"),
                         lambda side, key, _row, other: why_metric(side, key, other))
    params = crosscheck(mine_p, dvc_p, ("old", "new"),
                        lambda side, key, row, _other: why_param(side, key, row, form.cwd,
                                                                 dvc_files))
    info = {"metric keys": (len(mine_m), len(dvc_m)), "param keys": (len(mine_p), len(dvc_p)),
            "naming breaches": breaches,
            "FILE:KEY names": sum(1 for (_, k), v in mine_m.items() if v["name"] != k)}
    return metrics, params, info


# ----- output ------------------------------------------------------------------------------


def pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "0/0"


def only_summary(c: Count) -> str:
    documented = sum(1 for *_, doc in c.only if doc)
    return f"{len(c.only)} ({documented} documented)"


def print_form(name: str, metrics: Count, params: Count, info: dict[str, Any]) -> None:
    print(f"== {name}")
    print(f"   keys (mlgate / dvc): metrics {info['metric keys'][0]} / {info['metric keys'][1]}"
          f", params {info['param keys'][0]} / {info['param keys'][1]}; "
          f"FILE:KEY names {info['FILE:KEY names']}, naming-rule breaches "
          f"{len(info['naming breaches'])}")
    print(f"   {'':8} {'values compared':>16} {'agreeing':>16} {'one side only':>18}")
    for label, c in (("metrics", metrics), ("params", params)):
        print(f"   {label:8} {c.compared:>16} {pct(c.agreeing, c.compared):>16} "
              f"{only_summary(c):>18}")
    for c in (metrics, params):
        for line in c.disagreeing:
            print(f"   DIFFERS  {line}")
        for side, key, reason, doc in c.only:
            print(f"   only {side:<6} {key}: {reason}; "
                  + (f"documented ({doc})" if doc else "NOT documented"))
    for name_ in info["naming breaches"]:
        print(f"   NAMING   {name_}: FILE:KEY should mean the key is in two files")
    print()


def versions() -> str:
    def out(*cmd: str) -> str:
        try:
            return run(Path.cwd(), *cmd).strip().splitlines()[0]
        except (RuntimeError, OSError, IndexError):
            return "?"
    return (f"Python {platform.python_version()}, {out('git', '--version')}, "
            f"DVC {out(str(BIN / 'dvc'), '--version')}, "
            f"mlgate {out(*mlgate_cmd(), '--version')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--form", action="append", metavar="NAME",
                        help="only the forms whose name contains NAME (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temp repositories")
    args = parser.parse_args()
    forms = [f for f in FORMS if not args.form or any(s in f.name for s in args.form)]
    print(f"{versions()}; {platform.system()} {platform.machine()}")
    print()
    total_m, total_p = Count(), Count()
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="mlgate-crosscheck-"))
    try:
        for i, form in enumerate(forms):
            metrics, params, info = one_form(tmp / str(i), form)
            print_form(form.name, metrics, params, info)
            total_m.add(metrics)
            total_p.add(params)
            rows.append((form.name, metrics, params))
    finally:
        if args.keep:
            print(f"repositories kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print(f"{'form':<{width}}  {'metric values':>13} {'agree':>6} {'param values':>12} "
          f"{'agree':>6}  one side only (documented)")
    for name, m, p in rows:
        print(f"{name:<{width}}  {m.compared:>13} {m.agreeing:>6} {p.compared:>12} "
              f"{p.agreeing:>6}  {len(m.only) + len(p.only)} "
              f"({sum(1 for *_, d in m.only + p.only if d)})")
    total_only = total_m.only + total_p.only
    print(f"{'total (' + str(len(rows)) + ' forms)':<{width}}  {total_m.compared:>13} "
          f"{total_m.agreeing:>6} {total_p.compared:>12} {total_p.agreeing:>6}  "
          f"{len(total_only)} ({sum(1 for *_, d in total_only if d)})")
    print()
    values = total_m.compared + total_p.compared
    agreeing = total_m.agreeing + total_p.agreeing
    print(f"values compared {values}, agreeing {pct(agreeing, values)}; keys on one side "
          f"only {len(total_only)}, documented {sum(1 for *_, d in total_only if d)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
