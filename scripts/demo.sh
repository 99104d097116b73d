#!/usr/bin/env bash
# The main job on the built-in sample: real Cobbler on loopback, sample Windows media, import, sync, verify, QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
