#!/usr/bin/env bash
# Runs one mlgate step for the composite actions:  run-step.sh pull|train|compare|report|gate|deploy
#
# Every action input arrives as an IN_* environment variable (never through ${{ }} in a script),
# is validated here and turned into CLI arguments. Paths in outputs are absolute.
set -euo pipefail

step=${1:?usage: run-step.sh STEP}
fail() { echo "::error title=mlgate $step::$1"; exit "${2:-2}"; }
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi; }

if [ -n "${GITHUB_TOKEN:-}" ]; then echo "::add-mask::$GITHUB_TOKEN"; fi

mlgate=${MLGATE:-}
if [ -z "$mlgate" ] && [ -n "${MLGATE_VENV:-}" ]; then mlgate=$MLGATE_VENV/bin/mlgate; fi
if [ -z "$mlgate" ]; then mlgate=$(command -v mlgate || true); fi
if [ -z "$mlgate" ] || [ ! -x "$mlgate" ]; then
  [ "$step" = gate ] && output passed false
  fail "mlgate is not installed. Fix: run mlgate/mlgate/actions/setup before this step" 2
fi

workdir=${IN_WORKING_DIRECTORY:-.}
cd "$workdir" 2>/dev/null ||
  fail "input 'working-directory': '$workdir' does not exist. Fix: give a directory relative to the repository root"

# A true/false input: anything else is a typo that must not silently change behaviour.
flag() {
  case "${2:-}" in
    true | false) ;;
    *) fail "input '$1' must be true or false, got '${2:-}'" ;;
  esac
  [ "$2" = true ]
}

# Space- or newline-separated list input -> words (paths with spaces are not supported).
words() { tr '\n' ' ' <<<"${1:-}"; }

args=("$step")
if [ -n "${IN_CONFIG:-}" ]; then args+=(--config "$IN_CONFIG"); fi
if [ -n "${IN_OUT:-}" ]; then args+=(--out "$IN_OUT"); fi
out=${IN_OUT:-.mlgate}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

case "$step" in
  pull)
    case "${IN_PULL:-true}" in
      true) ;;
      auto)
        # Only a repository that uses DVC has data to pull: a .dvc directory here or above.
        dir=$PWD
        while [ "$dir" != / ] && [ ! -d "$dir/.dvc" ]; do dir=$(dirname "$dir"); done
        if [ ! -d "$dir/.dvc" ]; then
          echo "no DVC repository here (no .dvc directory): nothing to pull"
          exit 0
        fi
        ;;
      *) fail "input 'pull' must be auto, true or false, got '$IN_PULL'" ;;
    esac
    read -ra targets <<<"$(words "${IN_TARGETS:-}")"
    if [ ${#targets[@]} -gt 0 ]; then args+=(--targets "${targets[@]}"); fi
    if [ -n "${IN_REMOTE:-}" ]; then args+=(--remote "$IN_REMOTE"); fi
    if [ -n "${IN_JOBS:-}" ]; then
      [[ "$IN_JOBS" =~ ^[1-9][0-9]*$ ]] || fail "input 'jobs' must be a positive integer, got '$IN_JOBS'"
      args+=(--jobs "$IN_JOBS")
    fi
    ;;
  train)
    if [ -n "${IN_COMMAND:-}" ]; then args+=(--command "$IN_COMMAND"); fi
    ;;
  compare)
    if [ -n "${IN_BASE:-}" ]; then args+=(--base "$IN_BASE"); fi
    read -ra metrics <<<"$(words "${IN_METRICS:-}")"
    if [ ${#metrics[@]} -gt 0 ]; then args+=(--metrics "${metrics[@]}"); fi
    if [ -n "${IN_THRESHOLDS:-}" ]; then args+=(--thresholds "$IN_THRESHOLDS"); fi
    if [ -n "${IN_REQUIRE_BASELINE:-}" ] && flag require-baseline "$IN_REQUIRE_BASELINE"; then
      args+=(--require-baseline)
    fi
    if [ -n "${IN_BASELINE_FILE:-}" ]; then args+=(--baseline-file "$IN_BASELINE_FILE"); fi
    ;;
  report)
    if [ -n "${IN_RESULT:-}" ]; then args+=(--result "$IN_RESULT"); fi
    if [ -n "${IN_TEMPLATE:-}" ]; then args+=(--template "$IN_TEMPLATE"); fi
    if [ -n "${IN_NAME:-}" ]; then args+=(--name "$IN_NAME"); fi
    if [ -n "${IN_MERGE:-}" ]; then
      merged=()
      read -ra patterns <<<"$(words "$IN_MERGE")"
      for pattern in "${patterns[@]}"; do
        mapfile -t found < <(compgen -G "$pattern" | sort)
        [ ${#found[@]} -gt 0 ] ||
          fail "input 'merge': no file matches '$pattern' (in $PWD). Fix: download the result artifacts first, or correct the pattern"
        merged+=("${found[@]}")
      done
      args+=(--merge "${merged[@]}")
    fi
    if [ -n "${IN_DRY_RUN:-}" ] && flag dry-run "$IN_DRY_RUN"; then args+=(--dry-run); fi
    if [ -n "${IN_FROM_BUNDLE:-}" ]; then args+=(--from-bundle "$IN_FROM_BUNDLE"); fi
    ;;
  gate)
    if [ -n "${IN_RESULT:-}" ]; then args+=(--result "$IN_RESULT"); fi
    ;;
  deploy)
    if [ -n "${IN_TARGET:-}" ]; then args+=(--target "$IN_TARGET"); fi
    if [ -n "${IN_RESULT:-}" ]; then args+=(--result "$IN_RESULT"); fi
    if [ -n "${IN_FORCE:-}" ] && flag force "$IN_FORCE"; then args+=(--force); fi
    if [ -n "${IN_VERSION:-}" ]; then args+=(--version "$IN_VERSION"); fi
    if [ -n "${IN_BASE:-}" ]; then args+=(--base "$IN_BASE"); fi
    if [ -n "${IN_STAGE:-}" ]; then args+=(--stage "$IN_STAGE"); fi
    if [ -n "${IN_COMMAND:-}" ]; then args+=(--command "$IN_COMMAND"); fi
    ;;
  *) fail "unknown step '$step'" ;;
esac

# The gate's verdict stays visible; the other steps' logs are folded.
if [ "$step" != gate ]; then echo "::group::mlgate ${args[*]}"; fi
set +e
"$mlgate" "${args[@]}"
rc=$?
set -e
if [ "$step" != gate ]; then echo "::endgroup::"; fi

# Job summaries are per step and only visible on github.com; MLGATE_SUMMARY_COPY keeps a copy
# (for runs with act, where nothing shows them, and for the end-to-end tests).
if [ -n "${MLGATE_SUMMARY_COPY:-}" ] && [ -s "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$GITHUB_STEP_SUMMARY" >>"$MLGATE_SUMMARY_COPY" || true
fi

case "$step" in
  train) if [ -f "$out/model/model.joblib" ]; then output model-path "$out/model/model.joblib"; fi ;;
  compare) if [ -f "$out/result.json" ]; then output result-path "$out/result.json"; fi ;;
  report)
    if [ -f "$out/report.md" ]; then output report-path "$out/report.md"; fi
    if [ -d "$out/bundle" ]; then output bundle-path "$out/bundle"; fi
    ;;
esac

case "$rc" in
  0) ;;
  1)
    if [ "$step" = gate ]; then
      if [ "${IN_FAIL:-true}" = false ]; then
        echo "::warning title=mlgate gate::the gate failed; the job goes on because input 'fail' is false"
        exit 0
      fi
      fail "the gate failed: the rules listed above are not met. Fix: improve the model, or change thresholds in mlgate.yaml if the new metrics are acceptable" 1
    fi
    fail "mlgate $step refused (exit 1): see the message above" 1
    ;;
  2) fail "bad input (exit 2): see the message above, which names the file, key or input to fix" 2 ;;
  3)
    case "$step" in
      pull) hint="check the DVC remote URL and its credentials (pass them with env: from secrets)" ;;
      report) hint="check that the token has 'pull-requests: write' and 'checks: write' permissions, then re-run" ;;
      deploy) hint="check the deploy target's credentials (a release needs 'contents: write'), then re-run" ;;
      *) hint="re-run the job; if it persists, see the message above" ;;
    esac
    fail "an outside service failed after retries (exit 3). Fix: $hint" 3
    ;;
  *) fail "mlgate $step exited with $rc" "$rc" ;;
esac
