# shellcheck shell=bash
# Sourced by install.sh and requirements.sh: find_uv PYTHON prints the path of a uv binary, or
# nothing when none can be had (the caller then falls back to pip).
#
# In order: uv on PATH; the uv of the lock's version already in the tool cache (kept between
# jobs on self-hosted runners, between steps on hosted ones); else fetch_uv.py downloads that
# version's wheel from the package index and extracts the binary there (~1 s).

uv_lock=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/constraints.txt

uv_version() { sed -n 's/^uv==\([^ ;]*\).*/\1/p' "$uv_lock" | head -n 1; }

uv_home() {
  echo "${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/mlgate-uv/$(uv_version)/$(uname -m)"
}

find_uv() {
  local python=$1 home
  if command -v uv >/dev/null 2>&1; then
    command -v uv
    return 0
  fi
  [ -n "$(uv_version)" ] || return 0
  home=$(uv_home)
  if [ ! -x "$home/uv" ]; then
    echo "uv is not on PATH: fetching uv $(uv_version) into $home" >&2
    "$python" "$(dirname "$uv_lock")/fetch_uv.py" "$(uv_version)" "$home" >/dev/null || true
  fi
  if [ -x "$home/uv" ]; then echo "$home/uv"; fi
}
