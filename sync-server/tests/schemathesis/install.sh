#!/usr/bin/env bash
# Installs schemathesis (from PyPI), the schema-driven fuzzer of
# sync-server/tests/schemathesis.rs, into a venv under .tools/. Idempotent: does nothing
# when the pinned version is there. The repository's scripts/install-test-tools runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
version=4.32.5
venv="${GRIDWALK_SCHEMATHESIS_VENV:-$root/.tools/schemathesis-venv}"
installed() {
    [ -x "$venv/bin/schemathesis" ] &&
        "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $version"
}
if ! installed; then
    echo "install-test-tools: installing schemathesis==$version from PyPI into $venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
fi
echo "schemathesis $version ready in $venv"
