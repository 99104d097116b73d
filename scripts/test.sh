#!/usr/bin/env bash
# Runs the whole test suite (unit and integration) after making sure everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
