#!/usr/bin/env bash
# The main job, offline, on a fresh machine: builds ipgate and walks through what it does today,
# with nothing but the files in this repo and ../shared.
#   1. ST.96: detect and fully check a Hague refusal (WIPO's V7_0 header, read with the V6_0 model).
#   2. Package: build a deterministic Hague package from it (with a small PDF), validate against
#      WIPO's official schema and the Hague rules, inspect it.
#   3. WIPO login: make the ES256 key and certificate of Appendix A, sign a client assertion.
#   4. Innography: reproduce the documented HMAC example as a dry run (nothing is sent).
# Environment: IPGATE_BIN (use this binary instead of building), IPGATE_ST96_SOURCE (WIPO's V6_0
# schemas, default ../shared/st96/V6_0), DEMO_DIR (keep the work files there).
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir="${IPGATE_ST96_SOURCE:-../shared/st96/V6_0}"
samples="$(dirname "$source_dir")/samples"

python3 tools/install-schemas.py V6_0 "$source_dir"
if [ -z "${IPGATE_BIN:-}" ]; then
  cargo build --quiet --locked -p ipgate
  IPGATE_BIN="$PWD/target/debug/ipgate"
fi
ipgate() { "$IPGATE_BIN" "$@"; }

work="${DEMO_DIR:-$(mktemp -d)}"
mkdir -p "$work"
export IPGATE_CACHE_DIR="$work/cache" IPGATE_CONFIG="$work/no-config.toml"
step() { printf '\n== %s\n' "$*"; }

step "1. ST.96: what is this document, and is it valid?"
ipgate st96 inspect "$samples/hague/refusal_total.xml"
ipgate st96 check "$samples/hague/refusal_total.xml"

step "2. Package: build, validate, inspect"
mkdir -p "$work/refusal"
sed 's/com:st96Version="V7_0"/com:st96Version="V6_0"/' "$samples/hague/refusal_total.xml" \
  > "$work/refusal/refusal_total.xml"
printf '%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n' \
  > "$work/refusal/refusal.pdf"
ipgate package build "$work/refusal/refusal_total.xml" --out "$work/refusal.zip"
ipgate package validate "$work/refusal.zip" --schemas xsd/wipo
ipgate package inspect "$work/refusal.zip"

step "3. WIPO login: keys (Appendix A) and a signed client assertion"
ipgate keys generate --client-name DEMO --out "$work/keys"
ipgate keys inspect "$work/keys/es256_cert.pem"
IPGATE_CLIENT_ID=demo-client IPGATE_KEY_FILE="$work/keys/hague4offices_private.pem" \
  IPGATE_TOKEN_ENDPOINT="https://logindev.wipo.int:443/am/oauth2/access_token" \
  ipgate auth assertion --decode

step "4. Innography: the documented signature, reproduced (dry run, nothing sent)"
INNOGRAPHY_USERNAME=obiwan INNOGRAPHY_SECRET=74f43da743aa47c3a90a9c5ef493bc8d \
  ipgate innography request POST /private-pair/account --api-version 0.6 --dry-run \
  --date "Thu, 12 Jan 2017 16:17:39 GMT" --data '{"data":"sample"}'

printf '\nAll steps passed. Work files: %s\n' "$work"
