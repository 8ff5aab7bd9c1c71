#!/usr/bin/env bash
# Installs the user's requirements file into the job's Python before training, so that the
# user's own pipeline (`dvc repro` stages, a `command`) finds its packages.
#
# The job's Python is `python3` on PATH (actions/setup-python's, else the runner's): the one the
# user's commands run with. mlgate's venv is not it: install.sh puts only mlgate and dvc on PATH.
#
# Inputs (environment, from the action's `env:`):
#   IN_REQUIREMENTS       the file, relative to the working directory; empty (the default):
#                         requirements.txt when it exists there; `false`: install nothing
#   IN_WORKING_DIRECTORY  where the file is looked for (default: .)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=actions/setup/uv.sh
source "$here/uv.sh"
fail() { echo "::error title=mlgate requirements::$2"; exit "$1"; }

workdir=${IN_WORKING_DIRECTORY:-.}
cd "$workdir" 2>/dev/null ||
  fail 2 "input 'working-directory': '$workdir' does not exist. Fix: give a directory relative to the repository root"

file=${IN_REQUIREMENTS:-}
if [ "$file" = false ]; then
  echo "input 'requirements' is false: installing no requirements"
  exit 0
fi
if [ -z "$file" ]; then
  if [ ! -f requirements.txt ]; then
    echo "no requirements.txt in $workdir: nothing to install"
    exit 0
  fi
  file=requirements.txt
fi
[ -f "$file" ] ||
  fail 2 "input 'requirements': '$file' not found in '$workdir'. Fix: give the path of a requirements file relative to the working directory, or 'false'"

python=$(command -v python3 || command -v python || true)
[ -n "$python" ] ||
  fail 2 "input 'requirements': no python3 on PATH to install '$file' into. Fix: add actions/setup-python before this step"

echo "::group::Install $file into $python"
uv=$(find_uv "$python")
status=0
if [ -n "$uv" ]; then
  "$uv" pip install --python "$python" -r "$file" || status=$?
else
  "$python" -m pip install -r "$file" || status=$?
fi
echo "::endgroup::"
if [ "$status" -ne 0 ]; then
  fail 3 "input 'requirements': installing '$file' into $python failed (exit $status). Fix: read the installer's output above; an externally managed system Python needs actions/setup-python before this step"
fi
echo "installed $file into $python"
