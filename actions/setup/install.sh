#!/usr/bin/env bash
# Installs mlgate from this action's own checkout into a venv under $RUNNER_TEMP, once per job,
# with the versions pinned in constraints.txt (the lock, kept fresh by lock.sh).
#
#   install.sh plan     -> outputs venv, cache-key, restore-key (for actions/cache)
#   install.sh install  -> installs or reuses; outputs mlgate, python, venv, version, installed
#
# Inputs come from the environment (the action.yml files map their inputs here):
#   MLGATE_EXTRAS  comma/space separated extras: dvc, s3, train, gto, all (default: none)
#   MLGATE_PYTHON  interpreter for the venv (default: python3 on PATH, e.g. from setup-python)
#   MLGATE_VENV    venv directory (default: $RUNNER_TEMP/mlgate-venv); exported for later steps
set -euo pipefail

mode=${1:-install}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
lock=$here/constraints.txt
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
venv=${MLGATE_VENV:-$temp/mlgate-venv}
bindir=$temp/mlgate-bin
known_extras=" dvc s3 train gto all "
# shellcheck source=actions/setup/uv.sh
source "$here/uv.sh"

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

# What is installed is identified by the package sources, the lock and what prune.py removes,
# not the checkout's path.
source_hash() {
  (cd "$src" && find pyproject.toml src actions/setup/constraints.txt actions/setup/prune.py \
    -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

if [ "$mode" = plan ]; then
  pyver=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  prefix="mlgate-venv-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-py$pyver-$(sha256sum "$lock" | cut -c1-12)-"
  output venv "$venv"
  output cache-key "$prefix$(source_hash)-${extras:-core}"
  # Same interpreter and pins, other sources or extras: restored, then topped up below.
  output restore-key "$prefix"
  exit 0
fi

marker=$venv/mlgate-install.txt
hash=$(source_hash)
covered=false
same_source=false
# A venv restored by actions/cache whose interpreter has gone (another Python) is rebuilt.
if [ -f "$marker" ] && ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
  echo "the venv in $venv does not run; installing afresh"
  rm -rf "$venv"
fi
if [ -x "$venv/bin/mlgate" ] && [ -f "$marker" ]; then
  have=",$(sed -n 's/^extras=//p' "$marker"),"
  if grep -qx "source=$hash" "$marker"; then same_source=true; fi
  covered=$same_source
  for extra in ${extras//,/ }; do
    case "$have" in *",$extra,"* | *",all,"*) ;; *) covered=false ;; esac
  done
  # Keep what is installed: the union, so that a later step never removes an extra.
  extras=$(echo "${have//,/ } ${extras//,/ }" | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
fi

install_packages() {
  local spec="$src${extras:+[$extras]}" uv
  uv=$(find_uv "$python")
  if [ ! -x "$venv/bin/python" ]; then
    if [ -n "$uv" ]; then "$uv" venv -q --python "$python" "$venv"; else "$python" -m venv "$venv"; fi
  fi
  if [ -n "$uv" ]; then
    local reinstall=()
    if [ "$same_source" = false ]; then reinstall=(--reinstall-package mlgate); fi
    "$uv" pip install -q --python "$venv/bin/python" -c "$lock" --build-constraints "$lock" \
      ${reinstall[@]+"${reinstall[@]}"} "$spec"
  else
    echo "uv is not available; installing with pip (slower)"
    "$venv/bin/python" -m pip install -q -c "$lock" "$spec"
  fi
  # Bytecode for what every step imports (mlgate and its light core), so no step compiles it
  # again, even with PYTHONDONTWRITEBYTECODE. The heavy extras compile on first import: all of
  # them at install would take longer than installing them.
  local site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "$venv/bin/python" -m compileall -q "$site/mlgate" "$site/yaml" "$site/jinja2" \
    "$site/markupsafe" >/dev/null || echo "note: some files did not compile to bytecode"
  # Packages' test suites and the pyarrow parts nothing here loads: a smaller venv for
  # actions/cache to save and restore.
  "$venv/bin/python" "$here/prune.py" "$site" || echo "note: the venv was not pruned"
}

if [ "$covered" = true ]; then
  echo "mlgate is already installed in $venv with extras: ${extras:-none}"
  installed=false
  # Recorded at install: a restored venv needs no Python start to say its version.
  version=$(sed -n 's/^version=//p' "$marker")
else
  echo "::group::Install mlgate${extras:+ [$extras]} into $venv"
  install_packages
  version=$("$venv/bin/mlgate" --version | awk '{print $2}')
  printf 'source=%s\nextras=%s\nversion=%s\n' "$hash" "$extras" "$version" >"$marker"
  echo "::endgroup::"
  installed=true
fi
if [ -z "$version" ]; then version=$("$venv/bin/mlgate" --version | awk '{print $2}'); fi

# Only mlgate (and dvc, when installed) go on PATH: the venv's python must not shadow the
# interpreter that the user's own steps (and the user's pipeline, run by mlgate) expect.
mkdir -p "$bindir"
ln -sf "$venv/bin/mlgate" "$bindir/mlgate"
if [ -x "$venv/bin/dvc" ]; then ln -sf "$venv/bin/dvc" "$bindir/dvc"; fi
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bindir" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_ENV:-}" ]; then echo "MLGATE_VENV=$venv" >>"$GITHUB_ENV"; fi

echo "mlgate $version ($venv)"
output mlgate "$venv/bin/mlgate"
output python "$venv/bin/python"
output venv "$venv"
output version "$version"
output installed "$installed"
