# Sourced by scripts/test and scripts/quickstart: make (once) and use the project's virtual environment,
# then install paragon_magic into it with the extras in $EXTRAS. Never touches the system Python
# (Debian and Homebrew refuse pip installs there). Override the place with $PARAGON_MAGIC_VENV.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PARAGON_MAGIC_VENV:-$ROOT/.venv}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        echo "python3 cannot make a virtual environment; installing Debian's python3-venv" >&2
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
            || { echo "please install python3-venv (Debian/Ubuntu) and run this again" >&2; exit 1; }
        python3 -m venv "$VENV"
    fi
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[$EXTRAS]"
