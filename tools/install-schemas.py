#!/usr/bin/env python3
"""Install WIPO's official ST.96 schema files into xsd/wipo/<VERSION>/ (for the tests and the code
generator of this checkout): a thin call of `ipgate schemas install SOURCE --into xsd/wipo`, which
checks every file against the manifest built into ipgate (xsd/manifest-<VERSION>.sha256), installs
atomically and leaves a complete, verified install alone. Operators run `ipgate schemas install
DIR|ZIP` themselves (into their data directory, where every command finds the schemas).

Usage:
    tools/install-schemas.py V6_0 ../shared/st96/V6_0        # from a folder
    tools/install-schemas.py ~/Downloads/ST96_V7_0.zip        # from WIPO's zip (nested zips too)

VERSION, when given, must have a manifest in xsd/. Environment: IPGATE_BIN (the ipgate binary to
run; default: built here with cargo), IPGATE_SCHEMA_DEST (destination, default xsd/wipo).
Exit codes: those of `ipgate schemas install` (0 installed, 1 a file is missing or differs, 3 I/O
error), 2 usage error.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_RE = re.compile(r"^V\d+_\d+[A-Za-z0-9_]*$")


def main(argv):
    if len(argv) == 2 and VERSION_RE.match(argv[0]):
        version, source = argv
        if not os.path.exists(os.path.join(ROOT, "xsd", f"manifest-{version}.sha256")):
            print(f"error: ipgate has no manifest for {version} (xsd/manifest-{version}.sha256)",
                  file=sys.stderr)
            print(f"  hint: for a new version, commit xsd/manifest-{version}.sha256 "
                  "(`sha256sum *.xsd Readme.txt` in WIPO's folder) and add it to "
                  "hague_package::schemas::MANIFESTS (docs/st96-versions.md)", file=sys.stderr)
            return 1
    elif len(argv) == 1:
        source = argv[0]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.environ.get("IPGATE_BIN")
    if not binary:
        build = subprocess.run(["cargo", "build", "--quiet", "--locked", "-p", "ipgate"], cwd=ROOT)
        if build.returncode != 0:
            return 3
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
        binary = os.path.join(target, "debug", "ipgate")
    dest = os.environ.get("IPGATE_SCHEMA_DEST") or os.path.join(ROOT, "xsd", "wipo")
    return subprocess.run([binary, "schemas", "install", source, "--into", dest]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
