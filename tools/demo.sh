#!/usr/bin/env bash
# The main job, offline, on a fresh machine: builds ipgate, then, with an empty HOME, installs
# WIPO's ST.96 schemas where ipgate looks for them and runs `ipgate demo`: on the embedded sandbox
# it makes the ES256 key and certificate, registers the client, fetches a token, builds and validates
# a Hague package from the bundled sample, submits it through the journal, waits for its SRN and its
# registration, downloads, extracts and reads that week's bulletin, and makes an Innography request
# with a pinned version, timing every step. Nothing leaves 127.0.0.1.
# Environment: IPGATE_BIN (use this binary instead of building), IPGATE_ST96_SOURCE (WIPO's V6_0
# schemas, default ../shared/st96/V6_0), DEMO_DIR (keep the work files, and the empty HOME, there).
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir="$(cd "${IPGATE_ST96_SOURCE:-../shared/st96/V6_0}" && pwd)"

if [ -z "${IPGATE_BIN:-}" ]; then
  cargo build --quiet --locked -p ipgate
  IPGATE_BIN="$PWD/target/debug/ipgate"
fi

work="${DEMO_DIR:-$(mktemp -d)}"
mkdir -p "$work/home"
work="$(cd "$work" && pwd)"
# An empty HOME and no ipgate settings: the demo makes everything it needs under it.
export HOME="$work/home"
unset IPGATE_CONFIG IPGATE_PROFILE IPGATE_DATA_DIR IPGATE_CACHE_DIR IPGATE_SCHEMAS \
  XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME IPGATE_ISSUER IPGATE_TOKEN_ENDPOINT \
  IPGATE_CLIENT_ID IPGATE_KEY_FILE IPGATE_HWS_BASE_URL
ipgate() { "$IPGATE_BIN" "$@"; }

printf '== WIPO schemas: checked against the manifest built into ipgate, installed for every command\n'
ipgate schemas install "$source_dir"

printf '\n== ipgate demo\n'
ipgate demo --work "$work/demo"
