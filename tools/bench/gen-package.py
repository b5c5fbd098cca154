#!/usr/bin/env python3
"""Write the input of a big Hague package for benchmarks: a directory with one indirect
application XML (WIPO's shared sample `indirect_application_minimal.xml`, its design and document
bags grown to N designs and N documents), N JPEG design views and N PDFs, about SIZE MiB in all.

    gen-package.py --template ../shared/st96/samples/hague/indirect_application_minimal.xml \\
        --size-mb 200 --files 320 --out target/bench/pkg-200mb

`ipgate package build DIR` turns it into a package and `zip -r` zips the same files. JPEGs are a
valid 800x600 header padded with comment segments of random bytes (incompressible, as real
photos are); PDFs have half-compressible streams. Deterministic; only the standard library.
"""

import argparse
import os
import random
import sys


def jpeg(rng, size):
    out = bytearray(b"\xff\xd8")
    while len(out) + 4 + 20 < size:
        n = min(65533, size - len(out) - 4 - 20)
        out += b"\xff\xfe" + (n + 2).to_bytes(2, "big") + rng.randbytes(n)
    out += bytes([0xFF, 0xC0, 0, 11, 8, 0x02, 0x58, 0x03, 0x20, 1, 1, 0x11, 0, 0xFF, 0xD9])
    return bytes(out)


def pdf(rng, size):
    body = bytearray(rng.randbytes(size))
    text = bytes((ord("A") + i % 23) for i in range(64))
    for i in range(0, size, 128):
        n = min(64, size - i)
        body[i:i + n] = text[:n]
    head = f"%PDF-1.4\n1 0 obj\n<< /Length {size} >>\nstream\n".encode()
    return head + bytes(body) + b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True, help="directory to create")
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--files", type=int, default=320, help="JPEGs + PDFs (half each)")
    args = ap.parse_args()
    n = max(1, args.files // 2)
    each = int(args.size_mb * 1024 * 1024 / (2 * n))
    rng = random.Random(0x9E3779B9)
    with open(args.template, encoding="utf-8") as f:
        template = f.read()
    os.makedirs(os.path.join(args.out, "designs"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "docs"), exist_ok=True)
    designs, docs = [], []
    for i in range(1, n + 1):
        with open(os.path.join(args.out, f"designs/{i}.1.jpg"), "wb") as f:
            f.write(jpeg(rng, min(each, 1_900_000)))
        with open(os.path.join(args.out, f"docs/doc{i}.pdf"), "wb") as f:
            f.write(pdf(rng, each))
        designs.append(
            f"<dgn:HagueDesign><dgn:DesignIdentifier>{i}</dgn:DesignIdentifier>"
            "<com:LocarnoClassificationBag><com:LocarnoClassificationEdition>14</com:LocarnoClassificationEdition>"
            "<com:LocarnoClassification><com:LocarnoClass>06</com:LocarnoClass></com:LocarnoClassification>"
            "</com:LocarnoClassificationBag><com:ProductDescriptionTextBag>"
            '<com:ProductDescriptionText com:languageCode="en">Chair</com:ProductDescriptionText>'
            f"</com:ProductDescriptionTextBag><dgn:ViewBag><dgn:View><com:FileName>designs/{i}.1.jpg</com:FileName>"
            f"<dgn:ViewIdentifier>{i}.1</dgn:ViewIdentifier><dgn:ViewFileFormatCategory>JPEG</dgn:ViewFileFormatCategory>"
            "</dgn:View></dgn:ViewBag></dgn:HagueDesign>\n")
        kind = "INTERNATIONAL_DESIGN_APPLICATION" if i == 1 else "MISCELLANEOUS"
        docs.append(
            f"<com:DocumentIncluded><com:DocumentName>Doc {i}</com:DocumentName>"
            f"<com:FileName>docs/doc{i}.pdf</com:FileName><com:DocumentFormatCategory>PDF</com:DocumentFormatCategory>"
            f"<com:DocumentKindCategory>{kind}</com:DocumentKindCategory></com:DocumentIncluded>\n")

    def replace_bag(xml, tag, items):
        s = xml.index(f"<{tag}>") + len(tag) + 2
        e = xml.index(f"</{tag}>")
        return xml[:s] + "\n" + "".join(items) + xml[e:]

    xml = replace_bag(template, "dgn:HagueDesignBag", designs)
    xml = replace_bag(xml, "com:DocumentIncludedBag", docs)
    xml = xml.replace("<dgn:DesignTotalQuantity>1<", f"<dgn:DesignTotalQuantity>{n}<")
    xml = xml.replace("<dgn:ViewTotalQuantity>1<", f"<dgn:ViewTotalQuantity>{n}<")
    with open(os.path.join(args.out, "app.xml"), "w", encoding="utf-8") as f:
        f.write(xml)
    return 0


if __name__ == "__main__":
    sys.exit(main())
