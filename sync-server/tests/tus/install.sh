#!/usr/bin/env bash
# Installs the independent tus client (tuspy, from PyPI) into a venv under target/, for
# sync-server/tests/tus_client.rs. Idempotent; the repository's test script runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
venv="${GRIDWALK_TUS_VENV:-$root/target/tus-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import tusclient" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "tuspy==1.1.0"
fi
"$venv/bin/python" -c "import tusclient; print('tuspy ready in $venv')"
