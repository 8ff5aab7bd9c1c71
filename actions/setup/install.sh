#!/usr/bin/env bash
# Installs mlgate from this action's own checkout into a venv under $RUNNER_TEMP, once per job.
#
#   install.sh plan     -> outputs venv, cache-key (for actions/cache)
#   install.sh install  -> installs or reuses; outputs mlgate, python, venv, version, installed
#
# Inputs come from the environment (the action.yml files map their inputs here):
#   MLGATE_EXTRAS  comma/space separated extras: dvc, s3, train, gto, all (default: none)
#   MLGATE_PYTHON  interpreter for the venv (default: python3 on PATH, e.g. from setup-python)
#   MLGATE_VENV    venv directory (default: $RUNNER_TEMP/mlgate-venv); exported for later steps
set -euo pipefail

mode=${1:-install}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
venv=${MLGATE_VENV:-$temp/mlgate-venv}
bindir=$temp/mlgate-bin
known_extras=" dvc s3 train gto all "

output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi; }
error() { echo "::error title=mlgate setup::$1"; exit 2; }

# Normalised, sorted, de-duplicated extras; a typo is an error, not a silent no-op.
extras=""
for extra in $(echo "${MLGATE_EXTRAS:-}" | tr ',' ' ' | tr '[:upper:]' '[:lower:]'); do
  case "$known_extras" in
    *" $extra "*) extras="$extras $extra" ;;
    *) error "unknown extra '$extra' in input 'extras'. Fix: use a comma-separated list of: dvc, s3, train, gto, all" ;;
  esac
done
extras=$(echo "$extras" | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd, -)

python=${MLGATE_PYTHON:-}
if [ -z "$python" ]; then
  python=$(command -v python3 || command -v python || true)
fi
if [ -z "$python" ] || ! command -v "$python" >/dev/null 2>&1; then
  error "no Python interpreter found (input 'python': '${MLGATE_PYTHON:-}'). Fix: add actions/setup-python before this step or set 'python' to an interpreter path"
fi

# What is installed is identified by the package sources, not by the checkout's path.
source_hash() {
  (cd "$src" && find pyproject.toml src -type f ! -name '*.pyc' -print0 | sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-16)
}

if [ "$mode" = plan ]; then
  pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  output venv "$venv"
  output cache-key "mlgate-venv-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-py$pyver-$(source_hash)-${extras:-core}"
  exit 0
fi

marker=$venv/mlgate-install.txt
hash=$(source_hash)
covered=false
if [ -x "$venv/bin/mlgate" ] && [ -f "$marker" ] && grep -qx "source=$hash" "$marker"; then
  have=",$(sed -n 's/^extras=//p' "$marker"),"
  covered=true
  for extra in ${extras//,/ }; do
    case "$have" in *",$extra,"* | *",all,"*) ;; *) covered=false ;; esac
  done
  # Keep what is installed: the union, so that a later step never removes an extra.
  extras=$(echo "${have//,/ } ${extras//,/ }" | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
fi

if [ "$covered" = true ]; then
  echo "mlgate is already installed in $venv with extras: ${extras:-none}"
  installed=false
else
  echo "::group::Install mlgate${extras:+ [$extras]} into $venv"
  spec="$src${extras:+[$extras]}"
  uv=$(command -v uv || true)
  if [ ! -x "$venv/bin/python" ]; then
    if [ -n "$uv" ]; then
      "$uv" venv -q --python "$python" "$venv"
    else
      "$python" -m venv "$venv"
    fi
  fi
  if [ -z "$uv" ] && "$venv/bin/python" -m pip install -q uv >/dev/null 2>&1; then
    uv=$venv/bin/uv
  fi
  if [ -n "$uv" ]; then
    "$uv" pip install -q --python "$venv/bin/python" "$spec"
  else
    echo "uv is not available; installing with pip (slower)"
    "$venv/bin/python" -m pip install -q "$spec"
  fi
  printf 'source=%s\nextras=%s\n' "$hash" "$extras" >"$marker"
  echo "::endgroup::"
  installed=true
fi

# Only mlgate (and dvc, when installed) go on PATH: the venv's python must not shadow the
# interpreter that the user's own steps expect.
mkdir -p "$bindir"
ln -sf "$venv/bin/mlgate" "$bindir/mlgate"
if [ -x "$venv/bin/dvc" ]; then ln -sf "$venv/bin/dvc" "$bindir/dvc"; fi
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bindir" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_ENV:-}" ]; then echo "MLGATE_VENV=$venv" >>"$GITHUB_ENV"; fi

version=$("$venv/bin/mlgate" --version | awk '{print $2}')
echo "mlgate $version ($venv)"
output mlgate "$venv/bin/mlgate"
output python "$venv/bin/python"
output venv "$venv"
output version "$version"
output installed "$installed"
