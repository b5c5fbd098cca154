#!/usr/bin/env bash
# ipgate side by side with the tools offices use today, in one run, written to docs/benchmarks.md.
#
#   tools/bench.sh            # full: 50 MB bulletins, 200 MB package, 1 GB download, 20 weeks...
#   tools/bench.sh --quick    # the same rows on small inputs, in about two minutes once built
#   tools/bench.sh --only read,validate [--quick]   # some rows (keys: see tools/bench/run.py), written
#                                                   # to target/bench/benchmarks-only.md, not docs/
#   tools/bench.sh --no-install ...                 # do not apt-get / pip install (peers present)
#   tools/bench.sh --no-build ...                   # use the release binaries already built
#   tools/bench.sh --crates [CARGO ARGS]            # the crates' own benches instead (cargo bench)
#   target/bench/venv/bin/python tools/bench/run.py --render-only  # rewrite the report (notes edited)
#
# On a fresh machine it installs its peers: zip, unzip, curl, libxml2-utils (xmllint), hyperfine
# and time from Debian (apt-get update once, then apt-get install; root or sudo needed), Python's
# xmlschema and lxml in a virtual environment under target/bench/venv; WIPO's V6_0 schemas from
# ../shared/st96/V6_0 if xsd/wipo is empty. It builds the release binary and the bench examples
# once (cargo build --release), makes its inputs with our generators (tools/gen-bulletin.py,
# tools/bench/gen-rich-bulletin.py, tools/bench/gen-package.py, the sandbox's publication
# generator behind `ipgate sandbox serve --publication-size`) under target/bench/, and runs
# tools/bench/run.py. Nothing fails on a time; a command that does not exist yet is reported as
# "not measurable yet" in the table.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--crates" ]; then
  shift
  if [ "$#" -eq 0 ]; then set -- --workspace; fi
  exec cargo bench --locked --benches "$@"
fi

install=1
build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    *) args+=("$a") ;;
  esac
done

say() { printf '[bench] %s\n' "$*" >&2; }

# ---- peers from Debian -------------------------------------------------------------------------
need_apt=()
for pair in zip:zip unzip:unzip curl:curl xmllint:libxml2-utils hyperfine:hyperfine; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
done
[ -x /usr/bin/time ] || need_apt+=(time)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$install" = 0 ]; then
    say "missing: ${need_apt[*]} (run without --no-install, or apt-get install them)"; exit 2
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "need root or sudo to apt-get install ${need_apt[*]}"; exit 2; }
    sudo=sudo
  fi
  say "installing ${need_apt[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# ---- Python peers in a venv --------------------------------------------------------------------
target="${CARGO_TARGET_DIR:-target}"
venv="$target/bench/venv"
if ! "$venv/bin/python" -c 'import xmlschema, lxml' 2>/dev/null; then
  [ "$install" = 1 ] || { say "no xmlschema/lxml in $venv (run without --no-install)"; exit 2; }
  say "creating $venv with xmlschema and lxml"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check xmlschema lxml
fi

# ---- WIPO's schemas ----------------------------------------------------------------------------
if [ ! -f xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd ]; then
  if [ -d ../shared/st96/V6_0 ]; then
    python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0
  else
    say "WIPO's V6_0 schemas are not in xsd/wipo/V6_0: python3 tools/install-schemas.py V6_0 DIR"; exit 2
  fi
fi

# ---- one release build: the CLI and the bench examples ------------------------------------------
if [ "$build" = 0 ]; then
  say "not building (--no-build): using what is in ${target}/release"
# One invocation, so the crates are compiled once with the features the binary uses.
elif say "building the release binary and the bench examples (cargo build --release)" &&
   ! cargo build --release --locked -p ipgate -p st96 -p hague-package -p hws-client --bins --examples; then
  # An example that does not build (someone mid-edit) leaves its row "not measurable yet"
  # instead of stopping the run.
  say "the combined build failed; building the binary and each example on its own"
  cargo build --release --locked -p ipgate --bins
  cargo build --release --locked -p st96 --features full --example bench_read || say "bench_read did not build"
  cargo build --release --locked -p hague-package --example bench_xsd || say "bench_xsd did not build"
  cargo build --release --locked -p hws-client --example bench_auth || say "bench_auth did not build"
fi

exec "$venv/bin/python" tools/bench/run.py "${args[@]}"
