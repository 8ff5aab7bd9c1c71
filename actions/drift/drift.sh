#!/usr/bin/env bash
# Runs `mlgate drift` for actions/drift. Every input arrives as an IN_* environment variable
# (never through ${{ }} in a script); mlgate itself validates the files and mlgate.yaml.
set -euo pipefail

fail() { echo "::error title=mlgate drift::$1"; exit "${2:-2}"; }
if [ -n "${GITHUB_TOKEN:-}" ]; then echo "::add-mask::$GITHUB_TOKEN"; fi

mlgate=${MLGATE:-}
if [ -z "$mlgate" ] && [ -n "${MLGATE_VENV:-}" ]; then mlgate=$MLGATE_VENV/bin/mlgate; fi
if [ -z "$mlgate" ]; then mlgate=$(command -v mlgate || true); fi
[ -n "$mlgate" ] && [ -x "$mlgate" ] ||
  fail "mlgate is not installed. Fix: run mlgate/mlgate/actions/setup before this step"

workdir=${IN_WORKING_DIRECTORY:-.}
cd "$workdir" 2>/dev/null ||
  fail "input 'working-directory': '$workdir' does not exist. Fix: give a directory relative to the repository root"
for name in DRY_RUN FAIL_ON_DRIFT; do
  var=IN_$name
  case "${!var:-false}" in true | false) ;; *)
    fail "input '$(tr '[:upper:]_' '[:lower:]-' <<<"$name")' must be true or false, got '${!var}'" ;;
  esac
done
[ -n "${IN_CURRENT:-}" ] || fail "input 'current' is required: the data to check (CSV or Parquet)"

args=(drift --current "$IN_CURRENT")
if [ -n "${IN_CONFIG:-}" ]; then args+=(--config "$IN_CONFIG"); fi
if [ -n "${IN_OUT:-}" ]; then args+=(--out "$IN_OUT"); fi
if [ -n "${IN_REFERENCE:-}" ]; then args+=(--reference "$IN_REFERENCE"); fi
if [ -n "${IN_MODEL:-}" ]; then args+=(--model "$IN_MODEL"); fi
if [ -n "${IN_NAME:-}" ]; then args+=(--name "$IN_NAME"); fi
if [ "${IN_DRY_RUN:-false}" = true ]; then args+=(--dry-run); fi

set +e
"$mlgate" "${args[@]}"
rc=$?
set -e
# A copy of the job summary for runs with act, where nothing shows it (as run-step.sh does).
if [ -n "${MLGATE_SUMMARY_COPY:-}" ] && [ -s "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$GITHUB_STEP_SUMMARY" >>"$MLGATE_SUMMARY_COPY" || true
fi
# mlgate has already said what failed (exit 2, 3) as an ::error annotation: not twice.
if [ "$rc" = 1 ]; then
  if [ "${IN_FAIL_ON_DRIFT:-true}" = false ]; then
    echo "::warning title=mlgate drift::data drift found; the step passes because input 'fail-on-drift' is false"
    exit 0
  fi
  fail "data drift found: see the report in the job summary and the drift issue" 1
fi
exit "$rc"
