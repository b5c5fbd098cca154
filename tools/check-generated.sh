#!/usr/bin/env bash
# Checks that the committed ST.96 models (crates/st96/src/generated/) are exactly what the generator
# makes from WIPO's official V6_0 schemas. Run by .ci/run; run it yourself after changing
# tools/st96-codegen, then commit the regenerated files.
#
#   IPGATE_ST96_SOURCE   folder or WIPO zip with the V6_0 schemas (default ../shared/st96/V6_0)
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir="${IPGATE_ST96_SOURCE:-../shared/st96/V6_0}"
echo "installing the V6_0 schemas from $source_dir"
python3 tools/install-schemas.py V6_0 "$source_dir"

echo "regenerating crates/st96/src/generated/v6"
cargo run --quiet --locked -p st96-codegen -- --version V6_0

if ! git diff --exit-code --stat -- crates/st96/src/generated; then
  echo "error: crates/st96/src/generated is out of date with tools/st96-codegen and the V6_0 schemas." >&2
  echo "fix: run tools/check-generated.sh locally and commit the regenerated files (git add crates/st96/src/generated)." >&2
  exit 1
fi
untracked="$(git ls-files --others --exclude-standard -- crates/st96/src/generated)"
if [ -n "$untracked" ]; then
  echo "error: the generator made files that are not committed:" >&2
  echo "$untracked" >&2
  echo "fix: git add crates/st96/src/generated and commit." >&2
  exit 1
fi
echo "generated code is up to date"
