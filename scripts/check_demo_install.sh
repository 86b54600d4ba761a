#!/usr/bin/env bash
# `make demo` as a newcomer runs it on a fresh machine: a new .venv (here in a temporary
# folder), the demo's install, the demo itself. Fails if the install brought in PyTorch or
# the .venv grew past 400 MB. CI runs it; tests/test_make_demo.py checks the same install list
# without installing anything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
make demo VENV="$tmp/.venv" PYTHON="${PYTHON:-python3}"
if "$tmp/.venv/bin/python" -m pip show torch >/dev/null 2>&1; then
    echo "error: make demo installed torch" >&2
    exit 1
fi
size_mb=$(du -sm "$tmp/.venv" | cut -f1)
echo "make demo on a fresh .venv: $((SECONDS - start)) s, .venv ${size_mb} MB, no torch"
if [ "$size_mb" -ge 400 ]; then
    echo "error: make demo's .venv is ${size_mb} MB; it must stay under 400 MB" >&2
    exit 1
fi
