#!/usr/bin/env bash
# Runs every benchmark in bench/ once (root; sets the checkout up first); exits non-zero if any did not run.
# Usage: bench/run.sh [--quick]   (--quick: small payloads and 100 systems, for a smoke run; not for the table)
# Each benchmark's output goes to the terminal and to bench/results/<name>.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: run as root (the Cobbler bed and the LAN namespaces need it)" >&2; exit 2; }
./scripts/setup.sh || exit 2
PY=.venv/bin/python
declare -A ARGS=(
  [bench_bcd]="" [bench_inspect]="" [bench_import]="" [bench_delivery]="" [bench_sync]=""
)
if [ "${1:-}" = "--quick" ]; then
  ARGS=([bench_bcd]="200" [bench_inspect]="--size 200000000" [bench_import]="--install-size 100000000 --boot-size 30000000"
        [bench_delivery]="--size 30000000 --client-size 2000000" [bench_sync]="--systems 100 --runs 2 --upstream-systems 100")
fi
mkdir -p bench/results
failed=()
for name in bench_bcd bench_inspect bench_import bench_delivery bench_sync; do
  echo "=== $name ${ARGS[$name]}"
  # shellcheck disable=SC2086  # the arguments are split on purpose
  $PY "bench/$name.py" ${ARGS[$name]} 2>&1 | tee "bench/results/$name.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench/run.sh: did not run to the end: ${failed[*]}" >&2
  exit 1
fi
echo "bench/run.sh: every benchmark ran; results in bench/results/"
