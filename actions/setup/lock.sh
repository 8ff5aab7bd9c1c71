#!/usr/bin/env bash
# Keeps actions/setup/constraints.txt, the lock of every package mlgate installs, in step with
# pyproject.toml.
#
#   bash actions/setup/lock.sh           re-resolve (needs uv and the package index)
#   bash actions/setup/lock.sh --check   offline: do the lock's recorded inputs match pyproject.toml?
#
# One universal resolution of all extras (every platform, Python >= 3.10) pins every package;
# `uv pip install -c` applies it to whatever subset of extras a job installs. uv itself is
# pinned in the same file: it is the installer actions/setup fetches on a runner without uv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
lock=$here/constraints.txt
py=${PYTHON:-python3}

if [ "${1:-}" = --check ]; then
  exec "$py" "$here/lock.py" check "$root/pyproject.toml" "$lock"
fi
if [ $# -gt 0 ]; then
  echo "usage: bash actions/setup/lock.sh [--check]" >&2
  exit 2
fi
uv=$(command -v uv || true)
if [ -z "$uv" ]; then
  echo "lock.sh: uv is not on PATH. Fix: pip install uv (or see https://docs.astral.sh/uv/)" >&2
  exit 2
fi

pins=$(mktemp)
trap 'rm -f "$pins"' EXIT
cd "$root"
# The current pins are uv's preferences: adding a dependency moves only what it needs.
cp "$lock" "$pins"
# The installer's own pin comes in on stdin ("-"), so no temporary path shows in the lock.
echo uv | "$uv" pip compile -q --universal --python-version 3.10 --all-extras \
  --custom-compile-command "bash actions/setup/lock.sh" pyproject.toml - -o "$pins"
{ "$py" "$here/lock.py" header pyproject.toml; cat "$pins"; } >"$lock"
echo "wrote $lock ($(grep -c '==' "$lock") pins)"
