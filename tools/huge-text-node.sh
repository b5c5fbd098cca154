#!/bin/sh
# Issue 14, hostile inputs: a text node of SIZE bytes (default 1 GiB), generated on the fly by a
# reader (nothing is written to disk), given to st96's streaming reader of bulletins and office
# copies; prints the outcome and how much the peak resident size grew, and fails when it grew
# 48 MiB or more. Release build. The suite's test (crates/st96/tests/huge_text_node.rs) is the
# same code with 64 MiB. The reader refuses a record longer than Limits::max_record_bytes (16 MiB)
# as soon as it has read that much, so memory does not grow with SIZE.
#
#   tools/huge-text-node.sh [SIZE_BYTES]
set -eu
cd "$(dirname "$0")/.."
size="${1:-1073741824}"
IPGATE_HUGE_TEXT_BYTES="$size" exec cargo test --release -p st96 --test huge_text_node -- \
    --nocapture
