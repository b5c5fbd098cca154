#!/usr/bin/env bash
# Checks tools/gen-bulletin.py: the XML it writes is valid against WIPO's V6_0 schema (validated by
# lxml, a real XSD validator), the output is deterministic, the size option is honoured, every
# com:FileName of the XML exists in --images and in the --zip package, and the JPEGs decode with
# libjpeg (through gdk-pixbuf-pixdata when it is installed) to exactly the grey blocks the generator
# meant. Needs python3 with lxml (`pip install lxml`) and the installed schemas
# (`python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0`). Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
xsd=xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd
[ -f "$xsd" ] || { echo "missing $xsd: run python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0" >&2; exit 1; }
python3 -c 'import lxml' 2>/dev/null || { echo "lxml is needed for this check: pip install lxml" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== valid against $xsd (with images, zip, padded JPEGs)"
python3 tools/gen-bulletin.py --registrations 40 --seed 7 --out "$work/b.xml" \
  --images "$work/img" --zip "$work/b.zip" --image-bytes 5000 --validate "$xsd"

echo "== deterministic"
mkdir "$work/again"
python3 tools/gen-bulletin.py --registrations 40 --seed 7 --out "$work/again/b.xml" \
  --zip "$work/again/b.zip" --image-bytes 5000 >/dev/null
cmp "$work/b.xml" "$work/again/b.xml"
cmp "$work/b.zip" "$work/again/b.zip"
python3 tools/gen-bulletin.py --registrations 40 --seed 8 --out "$work/b3.xml" >/dev/null
if cmp -s "$work/b.xml" "$work/b3.xml"; then echo "another seed gave the same bytes" >&2; exit 1; fi

echo "== --size-mb 2 gives at least 2 MiB, valid"
python3 tools/gen-bulletin.py --size-mb 2 --out "$work/s.xml" --validate "$xsd"
size=$(stat -c %s "$work/s.xml")
[ "$size" -ge 2097152 ] && [ "$size" -le 2621440 ] || { echo "size $size out of range" >&2; exit 1; }

echo "== references, ZIP and JPEG content"
python3 - "$work" <<'EOF'
import importlib.util, os, random, re, struct, subprocess, shutil, sys, zipfile
work = sys.argv[1]
spec = importlib.util.spec_from_file_location("gen", "tools/gen-bulletin.py")
gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)
xml = open(os.path.join(work, "b.xml"), encoding="utf-8").read()
names = re.findall(r"<com:FileName>([^<]+)</com:FileName>", xml)
assert names, "no com:FileName in the bulletin"
with zipfile.ZipFile(os.path.join(work, "b.zip")) as z:
    assert z.testzip() is None
    assert len(z.namelist()) == len(set(z.namelist())), "duplicate ZIP entry names"
    listed = set(n for n in z.namelist() if not n.endswith("/"))
    assert listed == set(names) | {"b.xml"}, "zip entries differ from the referenced files"
    assert z.read("b.xml") == open(os.path.join(work, "b.xml"), "rb").read()
    irns = set(re.findall(r"<com:InternationalRegistrationNumber>DM/(\d+)<", xml))
    folders = set(n.rstrip("/") for n in z.namelist() if n.endswith("/"))
    assert folders <= {"DM" + i for i in irns}, "a folder is not named after an IRN"
for n in names:
    data = open(os.path.join(work, "img", n), "rb").read()
    if n.endswith(".jpg"):
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", n
        assert len(data) >= 5000, "JPEG not padded: %s" % n
    else:
        assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF"), n
decoder = shutil.which("gdk-pixbuf-pixdata")
if decoder is None:
    print("gdk-pixbuf-pixdata not installed: JPEG decoding not checked")
    sys.exit(0)
checked = 0
for n in [x for x in names if x.endswith(".jpg")][:25]:
    out = os.path.join(work, "decoded.pixdata")
    subprocess.run([decoder, os.path.join(work, "img", n), out], check=True)
    raw = open(out, "rb").read()
    # GdkPixdata: magic, length, type, rowstride, width, height (big-endian u32), then pixels.
    magic, _, ptype, stride, w, h = struct.unpack(">6I", raw[:24])
    assert (w, h) == (64, 64), (n, w, h)
    channels = 4 if ptype & 0xFF == 2 else 3
    pixels = raw[24:]
    rng = random.Random("7:" + n)
    for by in range(8):
        for bx in range(8):
            want = 128 + rng.randint(-100, 100)
            for y in (by * 8, by * 8 + 7):
                for x in (bx * 8, bx * 8 + 7):
                    got = pixels[y * stride + x * channels]
                    assert abs(got - want) <= 1, (n, bx, by, got, want)
    checked += 1
print("references, zip layout and %d decoded JPEGs OK" % checked)
EOF
echo "OK"
