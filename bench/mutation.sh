#!/usr/bin/env bash
# Mutation testing of the modules that decide pass/fail (docs/mutation.md).
# Mutates only the files listed under [tool.mutmut] in pyproject.toml and runs the unit tests
# (tests/unit) against each mutant. Usage: bash bench/mutation.sh [--max-children N] [--fresh]
# Prints the mutmut summary, then the score and every surviving mutant.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
MUTMUT=$(dirname "$PY")/mutmut
children=2
while [ $# -gt 0 ]; do
  case "$1" in
    --max-children) children=$2; shift 2 ;;
    --fresh) rm -rf mutants; shift ;;
    *) echo "unknown option $1 (use --max-children N, --fresh)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$MUTMUT" ]; then
  echo "mutmut is not installed: pip install -e '.[dev]' (it is in the dev extra)" >&2
  exit 2
fi

start=$(date +%s)
"$MUTMUT" run --max-children "$children" | tail -n 2
"$MUTMUT" results --all true > mutants/results.txt
echo "took $(( $(date +%s) - start )) s"
"$PY" - <<'PY'
import collections
import re

counts = collections.Counter()
survivors = []
for line in open("mutants/results.txt", encoding="utf-8"):
    m = re.match(r"\s*(\S+): (.+)$", line)
    if not m:
        continue
    counts[m.group(2)] += 1
    if m.group(2) != "killed":
        survivors.append(f"{m.group(1)}: {m.group(2)}")
total = sum(counts.values())
killed = counts["killed"]
print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
print(f"score: {killed}/{total} killed = {100 * killed / max(total, 1):.1f} %")
print("\n".join(survivors))
PY
