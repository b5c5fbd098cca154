#!/usr/bin/env python3
"""Install WIPO's official ST.96 schema files into xsd/wipo/<VERSION>/, checked against our manifest.

Usage:
    tools/install-schemas.py V6_0 ../shared/st96/V6_0          # from a directory
    tools/install-schemas.py V7_0 ~/Downloads/ST96_V7_0.zip     # from WIPO's zip
    tools/install-schemas.py V7_0 SRC --write-manifest          # first time for a new version

The manifest is xsd/manifest-<VERSION>.sha256 (sha256sum format). Every file it lists must be found in
the source (at any depth: WIPO's zips nest folders) with exactly that SHA-256; files the manifest does
not list are ignored. The files are copied to a temporary folder and renamed into place, so an
interrupted install never leaves a half-filled xsd/wipo/<VERSION>/; an install that is already
complete and verified is left alone. IPGATE_SCHEMA_DEST overrides the destination (default xsd/wipo).
Exit codes: 0 installed, 1 a file is missing or differs, 2 usage error, 3 I/O error.
"""
import hashlib
import os
import re
import shutil
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_RE = re.compile(r"^V\d+_\d+[A-Za-z0-9_]*$")


def fail(code, msg, hint=None):
    print(f"error: {msg}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    sys.exit(code)


def collect_sources(src):
    """Map file base name -> bytes loader, for a directory or a zip (any depth)."""
    found = {}
    if os.path.isdir(src):
        for dirpath, _, files in os.walk(src):
            for f in files:
                path = os.path.join(dirpath, f)
                found.setdefault(f, lambda p=path: open(p, "rb").read())
    elif zipfile.is_zipfile(src):
        zf = zipfile.ZipFile(src)
        for info in zf.infolist():
            if info.is_dir():
                continue
            base = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            found.setdefault(base, lambda i=info: zf.read(i))
    else:
        fail(2, f"{src} is neither a directory nor a zip file",
             "pass the folder holding WIPO's *.xsd files or WIPO's schema zip")
    return found


def already_installed(dest, entries):
    """True when dest holds every manifest file with the right SHA-256 (then nothing is rewritten,
    so readers of the folder never see it missing)."""
    for digest, name in entries:
        path = os.path.join(dest, name)
        try:
            with open(path, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != digest:
                    return False
        except OSError:
            return False
    return True


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    write_manifest = "--write-manifest" in argv
    if len(args) != 2 or not VERSION_RE.match(args[0]):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    version, src = args
    if not os.path.exists(src):
        fail(3, f"schema source {src} does not exist")
    sources = collect_sources(src)
    manifest_path = os.path.join(ROOT, "xsd", f"manifest-{version}.sha256")
    if write_manifest:
        names = sorted(n for n in sources if n.endswith(".xsd") or n == "Readme.txt")
        if not names:
            fail(1, f"no .xsd files found in {src}")
        with open(manifest_path, "w") as out:
            for n in names:
                out.write(f"{hashlib.sha256(sources[n]()).hexdigest()}  {n}\n")
        print(f"wrote {manifest_path} with {len(names)} files")
    if not os.path.exists(manifest_path):
        fail(1, f"no manifest for {version} at {manifest_path}",
             f"for a new version, run once with --write-manifest and commit xsd/manifest-{version}.sha256")
    entries = []
    with open(manifest_path) as f:
        for line in f:
            line = line.strip()
            if line:
                digest, name = line.split(None, 1)
                entries.append((digest, name.lstrip("*")))
    problems = []
    dest_parent = os.environ.get("IPGATE_SCHEMA_DEST") or os.path.join(ROOT, "xsd", "wipo")
    if not write_manifest and already_installed(os.path.join(dest_parent, version), entries):
        print(f"{version} schema files already installed and verified in {os.path.join(dest_parent, version)}")
        return
    os.makedirs(dest_parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{version}-", dir=dest_parent)
    try:
        for digest, name in entries:
            if name not in sources:
                problems.append(f"missing: {name}")
                continue
            data = sources[name]()
            actual = hashlib.sha256(data).hexdigest()
            if actual != digest:
                problems.append(f"differs: {name} (sha256 {actual}, manifest says {digest})")
                continue
            with open(os.path.join(tmp, name), "wb") as out:
                out.write(data)
        if problems:
            fail(1, f"{len(problems)} schema file(s) do not match the {version} manifest:\n  "
                 + "\n  ".join(problems),
                 "use WIPO's official, unmodified package for this version")
        dest = os.path.join(dest_parent, version)
        if os.path.exists(dest):
            old = dest + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(dest, old)
            os.rename(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, dest)
        tmp = None
        print(f"installed {len(entries)} {version} schema files into {dest}")
    except OSError as e:
        fail(3, f"cannot install schemas: {e}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
