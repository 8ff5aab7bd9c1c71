"""The hand-written mutations of issue 16, one at a time, against the unit tests.

Each mutation is applied to a scratch copy of src/ (never to src/ itself) and the unit test
file that pins it is run with that copy first on the path; every one must be killed.
``python bench/mutation_issue16.py`` (docs/mutation.md). A pattern that is no longer found
(the code moved on) is reported as ``??`` and fails the run: update the pattern.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WT = Path(__file__).resolve().parents[1]
U = "tests/unit/"
# (what the issue says survived, file under src/mlgate, original text, mutated text, test file)
M = [
    (
        'compare: value exactly at min',
        'core/compare.py',
        'ok = current >= limit if',
        'ok = current > limit if',
        'test_compare.py',
    ),
    (
        'compare: value exactly at max',
        'core/compare.py',
        'else current <= limit',
        'else current < limit',
        'test_compare.py',
    ),
    (
        'compare: epsilon dropped',
        'core/compare.py',
        'slack = _REL_EPSILON * max(abs(limit), 1.0)',
        'slack = 0.0',
        'test_compare.py',
    ),
    (
        'compare: NaN/inf current status',
        'core/compare.py',
        'return "regressed" if not _finite(current) else "improved"',
        'return "improved" if not _finite(current) else "regressed"',
        'test_compare.py',
    ),
    (
        'compare: NaN baseline + NaN current',
        'core/compare.py',
        'same = (math.isnan(baseline) and math.isnan(current)) or baseline == current',
        'same = baseline == current',
        'test_compare.py',
    ),
    (
        'compare: non-finite baseline + tolerance',
        'core/compare.py',
        'return _rule_check("tolerance", None, _finite(current), message, threshold)',
        'return _rule_check("tolerance", None, True, message, threshold)',
        'test_compare.py',
    ),
    (
        'compare: relative delta sign (abs removed)',
        'core/compare.py',
        'rel = delta / abs(base)',
        'rel = delta / base',
        'test_compare.py',
    ),
    (
        'compare: relative delta sign, plain rows (abs removed)',
        'core/compare.py',
        'rel: float | None = delta / abs(base)',
        'rel: float | None = delta / base',
        'test_compare.py',
    ),
    (
        'thresholds: ? as a literal',
        'core/thresholds.py',
        '"*" in pattern or "?" in pattern or "[" in pattern',
        '"*" in pattern or "[" in pattern',
        'test_thresholds.py',
    ),
    (
        'thresholds: [...] as a literal',
        'core/thresholds.py',
        '"*" in pattern or "?" in pattern or "[" in pattern',
        '"*" in pattern or "?" in pattern',
        'test_thresholds.py',
    ),
    (
        'thresholds: ? counted as literal for specificity',
        'core/thresholds.py',
        '.replace("*", "").replace("?", "")',
        '.replace("*", "")',
        'test_thresholds.py',
    ),
    (
        'thresholds: percent on negative baseline (abs removed)',
        'core/thresholds.py',
        'return abs(baseline) * self.value / 100.0',
        'return baseline * self.value / 100.0',
        'test_compare.py',
    ),
    (
        'thresholds: 0% rejected',
        'core/thresholds.py',
        'if not math.isfinite(pct) or pct < 0:',
        'if not math.isfinite(pct) or pct <= 0:',
        'test_thresholds.py',
    ),
    (
        'thresholds: min == max rejected',
        'core/thresholds.py',
        'rule.min > rule.max',
        'rule.min >= rule.max',
        'test_compare.py',
    ),
    (
        'metrics: dvc.yaml without metrics wins anyway',
        'core/metrics.py',
        '        if files:\n            return files, "dvc.yaml"',
        '        return files, "dvc.yaml"',
        'test_metrics.py',
    ),
    (
        'metrics: same name in two files not told apart (was: accepted)',
        'core/metrics.py',
        'if len(files) > 1:',
        'if False:',
        'test_metrics.py',
    ),
    (
        'metrics: NaN/Infinity strings (case)',
        'core/metrics.py',
        'if isinstance(raw, str) and raw.strip().lower() in _NON_FINITE:',
        'if isinstance(raw, str) and raw.strip() in _NON_FINITE:',
        'test_metrics.py',
    ),
    (
        'baseline: stops at a record of another model',
        'core/baseline.py',
        '                return sha, metrics\n',
        '                return sha, metrics\n            return None\n',
        'test_baseline_git.py',
    ),
    (
        'baseline: rejected push not retried',
        'adapters/notes.py',
        'for _ in range(PUSH_ATTEMPTS):',
        'for _ in range(1):',
        'test_baseline_git.py',
    ),
    (
        'escape: U+2028/U+2029 kept',
        'markdown.py',
        '[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]',
        '[\\x00-\\x1f\\x7f-\\x9f]',
        'test_markdown.py',
    ),
    (
        'escape: text at the limit cut',
        'markdown.py',
        'return s if len(s) <= limit else',
        'return s if len(s) < limit else',
        'test_markdown.py',
    ),
    (
        "github: racer's body survives",
        'adapters/github.py',
        'if keep.id != created.id and keep.body != body:',
        'if False:',
        'test_github_adapter.py',
    ),
    (
        'guard: GITHUB_ACTIONS=true ignored',
        'deploy/guard.py',
        'return env.get("GITHUB_ACTIONS") == "true" or gh.event_name is not None',
        'return gh.event_name is not None',
        'test_deploy_guard.py',
    ),
    (
        'scoring: positive label = first class',
        'train/scoring.py',
        '"pos_label": classes[1]',
        '"pos_label": classes[0]',
        'test_train_scoring.py',
    ),
    (
        'scoring: RMSE computed as MSE',
        'train/scoring.py',
        '"rmse": lambda: math.sqrt(mean_squared_error(y_true, y_pred))',
        '"rmse": lambda: float(mean_squared_error(y_true, y_pred))',
        'test_train_scoring.py',
    ),
    (
        'scoring: multiclass ROC AUC weighted',
        'train/scoring.py',
        'multi_class="ovr", average="macro"',
        'multi_class="ovr", average="weighted"',
        'test_train_scoring.py',
    ),
    (
        'scoring: multiclass ROC AUC one-vs-one',
        'train/scoring.py',
        'multi_class="ovr", average="macro"',
        'multi_class="ovo", average="macro"',
        'test_train_scoring.py',
    ),
]


def run_one(scratch: Path, rel: str, old: str, new: str, test: str) -> tuple[str, str]:
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(WT / "src", scratch)
    path = scratch / "mlgate" / rel
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        return "??", f"pattern found {text.count(old)} times in src/mlgate/{rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(scratch)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", U + test],
        cwd=WT, env=env, capture_output=True, text=True, check=False,
    )
    failed = [line[7:] for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    if proc.returncode == 1 and failed:
        return "killed", failed[0]
    return "SURVIVED", (proc.stdout.splitlines() or ["(no output)"])[-1]


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for title, rel, old, new, test in M:
            status, detail = run_one(Path(tmp) / "src", rel, old, new, test)
            print(f"{status:8} {title}  [{detail}]")
            ok = ok and status == "killed"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
