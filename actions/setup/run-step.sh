#!/usr/bin/env bash
# Runs one mlgate step for the composite actions:  run-step.sh pull|train|compare|report|gate|deploy
#
# Every action input arrives as an IN_* environment variable (never through ${{ }} in a script).
# `mlgate action STEP` (src/mlgate/cli/action.py) validates them, runs the step, sets the step's
# outputs and annotates a failure; this script only finds mlgate and the working directory.
set -euo pipefail

step=${1:?usage: run-step.sh STEP}
fail() { echo "::error title=mlgate $step::$1"; exit 2; }

mlgate=${MLGATE:-}
if [ -z "$mlgate" ] && [ -n "${MLGATE_VENV:-}" ]; then mlgate=$MLGATE_VENV/bin/mlgate; fi
if [ -z "$mlgate" ]; then mlgate=$(command -v mlgate || true); fi
if [ -z "$mlgate" ] || [ ! -x "$mlgate" ]; then
  # The gate fails closed: its output says so even though mlgate could not run.
  if [ "$step" = gate ] && [ -n "${GITHUB_OUTPUT:-}" ]; then echo "passed=false" >>"$GITHUB_OUTPUT"; fi
  fail "mlgate is not installed. Fix: run mlgate/mlgate/actions/setup before this step"
fi

workdir=${IN_WORKING_DIRECTORY:-.}
cd "$workdir" 2>/dev/null ||
  fail "input 'working-directory': '$workdir' does not exist. Fix: give a directory relative to the repository root"

exec "$mlgate" action "$step"
