#!/usr/bin/env bash
# Runs every benchmark of the workspace (release builds; each bench prints its own table of
# numbers and ratios against a floor measured in the same run). Extra arguments go to cargo, e.g.
#   tools/bench.sh -p st96            # only the st96 benches
#   ST96_BENCH_MB=200 tools/bench.sh -p st96 --bench parse
# Bench-specific settings are documented at the top of each crate's benches/*.rs.
# Needs python3 (the st96 bench generates its bulletin with tools/gen-bulletin.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
  set -- --workspace
fi
exec cargo bench --locked --benches "$@"
