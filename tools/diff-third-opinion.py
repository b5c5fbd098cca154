#!/usr/bin/env python3
"""Third opinion on ST.96 documents where ipgate's two verdicts (st96's typed reader and the
xsd-schema validator) disagree, or agree but look doubtful: validates each file with lxml
(libxml2) and with the Python `xmlschema` package against WIPO's official schema.

Not run in CI (it needs `pip install lxml xmlschema`). Typical use, after a failing run of the
differential test (which writes the disagreeing documents to <target>/tmp/differential/):

    python3 tools/diff-third-opinion.py target/tmp/differential/*.xml
    python3 tools/diff-third-opinion.py --schemas xsd/wipo/V6_0 some.xml other.xml

The root schema is chosen from the document's root element (<Root>_V6_0.xsd). For each file it
prints one line: the file, then `lxml=valid|invalid|not-well-formed`, `xmlschema=...`, and the
first reason given.
"""

import argparse
import os
import re
import sys


def root_name(data: bytes) -> str:
    m = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]", re.sub(rb"<[?!][^>]*>", b"", data))
    return m.group(1).decode() if m else ""


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--schemas", default=os.path.join(here, "..", "xsd", "wipo", "V6_0"))
    ap.add_argument("--root", help="root schema stem (default: from the document's root element)")
    args = ap.parse_args()
    try:
        from lxml import etree
        import xmlschema
    except ImportError:
        print("needs lxml and xmlschema: pip install lxml xmlschema", file=sys.stderr)
        return 2
    lxml_cache = {}
    xs_cache = {}
    for path in args.files:
        with open(path, "rb") as f:
            data = f.read()
        root = args.root or root_name(data)
        xsd = os.path.join(args.schemas, f"{root}_V6_0.xsd")
        if not os.path.isfile(xsd):
            print(f"{path}: no schema {xsd} for root {root!r}")
            continue
        if xsd not in lxml_cache:
            lxml_cache[xsd] = etree.XMLSchema(etree.parse(xsd))
            xs_cache[xsd] = xmlschema.XMLSchema(xsd)
        reasons = []
        try:
            doc = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
            lx_ok = lxml_cache[xsd].validate(etree.ElementTree(doc))
            lx = "valid" if lx_ok else "invalid"
            if not lx_ok:
                reasons.append(f"lxml: {lxml_cache[xsd].error_log.last_error.message}")
        except etree.XMLSyntaxError as e:
            lx = "not-well-formed"
            reasons.append(f"lxml: {e}")
        try:
            errors = list(xs_cache[xsd].iter_errors(data.decode("utf-8")))
            xs = "valid" if not errors else "invalid"
            if errors:
                reasons.append(f"xmlschema: {errors[0].reason}")
        except Exception as e:  # not well-formed, not UTF-8, ...
            xs = "not-well-formed"
            reasons.append(f"xmlschema: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        print(f"{path}: lxml={lx} xmlschema={xs}" + (f"  ({'; '.join(reasons)})" if reasons else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
