#!/usr/bin/env bash
# The whole test suite, with all set-up: installs what the tests call (openssl, zip, script from
# util-linux, Python's PyJWT and cryptography as the independent JWT implementation), installs WIPO's
# ST.96 schemas (checked against xsd/manifest-*), then runs every test of the workspace.
#   IPGATE_ST96_SOURCE  where WIPO's V6_0 files are (default: ../shared/st96/V6_0)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir="${IPGATE_ST96_SOURCE:-../shared/st96/V6_0}"

need() { command -v "$1" >/dev/null 2>&1; }
missing=()
for tool in openssl python3 zip script sha256sum; do
  need "$tool" || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)"
  packages=()
  for tool in "${missing[@]}"; do
    case "$tool" in
      script) packages+=(util-linux) ;;
      sha256sum) packages+=(coreutils) ;;
      *) packages+=("$tool") ;;
    esac
  done
  apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if ! python3 -c 'import jwt, cryptography' 2>/dev/null; then
  echo "installing PyJWT and cryptography (the independent JWT implementation the tests use)"
  python3 -m pip install --quiet pyjwt cryptography \
    || python3 -m pip install --quiet --break-system-packages pyjwt cryptography
fi

python3 tools/install-schemas.py V6_0 "$source_dir"
cargo test --workspace --locked "$@"
