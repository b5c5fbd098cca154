#!/usr/bin/env bash
# The whole test suite, with all set-up: installs WIPO's ST.96 schemas (checked against xsd/manifest-*),
# then runs every test of the workspace. Needs only cargo, python3 and openssl.
#   IPGATE_ST96_SOURCE  where WIPO's V6_0 files are (default: ../shared/st96/V6_0)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir="${IPGATE_ST96_SOURCE:-../shared/st96/V6_0}"
python3 tools/install-schemas.py V6_0 "$source_dir"
cargo test --workspace --locked "$@"
