# Shared by bin/run and bin/test: make sure uv and a Python >= 3.12 are there,
# then install the locked dependencies into .venv. Sourced, not executed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never   # no downloads from outside the package registries

find_python() {
  local candidates=() v
  candidates+=("$(command -v python3.12 2>/dev/null || true)")
  candidates+=("$(command -v python3 2>/dev/null || true)")
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do
      candidates+=("$(pyenv root)/versions/$v/bin/python")
    done
  fi
  for py in "${candidates[@]}"; do
    [ -n "$py" ] && [ -x "$py" ] || continue
    if "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      "$py" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  return 1
}

PYTHON="$(find_python)" || { echo "Cần Python 3.12 trở lên (Python >= 3.12 is required)." >&2; exit 1; }

if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
  UV=(uv)
else
  if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
    echo "==> Cài uv (installing uv from PyPI)"
    "$PYTHON" -m pip install --quiet --user uv 2>/dev/null || "$PYTHON" -m pip install --quiet uv
  fi
  UV=("$PYTHON" -m uv)
fi

# System packages: Pango for WeasyPrint's PDF exports and Liberation fonts (Times New
# Roman metrics, full Vietnamese) for the official layout; bin/test adds Chromium.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Cài gói Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Thiếu gói Debian (missing packages): ${missing[*]} — cài bằng apt-get với quyền root." >&2
  fi
}
apt_install libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 ${UUTU_EXTRA_DEB:-}

echo "==> Cài thư viện (uv sync)"
"${UV[@]}" sync --frozen --python "$PYTHON" --quiet
VENV_PY="$PWD/.venv/bin/python"

# Front-end files from the npm registry (Chart.js), installed, never committed.
if [ -f package-lock.json ] && [ ! -f node_modules/.package-lock.json -o package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> Cài thư viện giao diện (npm ci)"
  npm ci --silent --no-audit --no-fund
fi
