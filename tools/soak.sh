#!/usr/bin/env bash
# The long randomized soak of issue 14 (the short one runs in `cargo test -p hws-client`):
# submissions (some duplicates, two writers on one journal at once) and bulletin downloads against
# ipgate-sandbox with 10-20 % injected faults, then the Jepsen-style history checks of
# crates/hws-client/tests/fault_matrix.rs (randomized_soak_files_nothing_twice_and_loses_nothing).
#
#   tools/soak.sh [RUNS] [SUBMISSIONS] [DOWNLOADS] [FIRST_SEED]
#
# Then the same number of runs of the two-OS-process soak of the CLI
# (crates/ipgate/tests/reliability_soak.rs): two streams of `ipgate hague submit` processes at once
# on one journal, SUBMISSIONS/2 each from one shared pool, under faults.
#
# Defaults: 5 runs of 300 submissions and 50 downloads, seeds 1..5. A failing run prints its seed;
# rerun it alone with IPGATE_SOAK_SEED=N.
set -euo pipefail
runs=${1:-5}
subs=${2:-300}
downloads=${3:-50}
first=${4:-1}
cd "$(dirname "$0")/.."
cargo test -p hws-client --test fault_matrix --no-run
cargo test -p ipgate --test reliability_soak --no-run
for ((i = 0; i < runs; i++)); do
  seed=$((first + i))
  echo "== soak run $((i + 1))/$runs: seed $seed, $subs submissions, $downloads downloads"
  IPGATE_SOAK_SEED=$seed IPGATE_SOAK_SUBMISSIONS=$subs IPGATE_SOAK_DOWNLOADS=$downloads \
    cargo test -q -p hws-client --test fault_matrix randomized_soak -- --nocapture 2>&1 |
    grep -E '^soak|panicked|FAILED|test result' || { echo "soak failed: seed $seed"; exit 1; }
done
for ((i = 0; i < runs; i++)); do
  seed=$((first + i))
  echo "== two-process CLI soak run $((i + 1))/$runs: seed $seed, 2 x $((subs / 2)) submissions"
  IPGATE_SOAK_SEED=$seed IPGATE_SOAK_CLI_SUBMISSIONS=$((subs / 2)) \
    cargo test -q -p ipgate --test reliability_soak -- --nocapture 2>&1 |
    grep -E '^soak-cli|panicked|FAILED|test result' || { echo "CLI soak failed: seed $seed"; exit 1; }
done
