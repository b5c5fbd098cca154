#!/usr/bin/env python3
"""The Python peers of `tools/bench.sh`, one per call (so that `/usr/bin/time -v` sees one job):

    peers.py lxml-parse FILE              lxml.etree.parse of the whole document
    peers.py lxml-validate XSD FILE       lxml (libxml2) XSD validation, compile timed apart
    peers.py xmlschema-decode XSD FILE    xmlschema: decode the whole document into Python values

Prints `secs=S` (the work without interpreter start and, for validators, without compiling the
schema) and `compile_secs=C` where there is a schema. Exit 1 if the document is invalid.
"""

import sys
import time


def lxml_parse(path):
    from lxml import etree
    t = time.perf_counter()
    doc = etree.parse(path, etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True))
    n = sum(1 for _ in doc.getroot().iter())
    print(f"items={n} secs={time.perf_counter() - t:.6f}")
    return 0


def lxml_validate(xsd, path):
    from lxml import etree
    t = time.perf_counter()
    schema = etree.XMLSchema(etree.parse(xsd))
    compile_secs = time.perf_counter() - t
    t = time.perf_counter()
    doc = etree.parse(path, etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True))
    ok = schema.validate(doc)
    print(f"compile_secs={compile_secs:.6f} secs={time.perf_counter() - t:.6f} valid={ok}")
    if not ok:
        print(schema.error_log.last_error, file=sys.stderr)
    return 0 if ok else 1


def xmlschema_decode(xsd, path):
    import xmlschema
    t = time.perf_counter()
    schema = xmlschema.XMLSchema(xsd)
    compile_secs = time.perf_counter() - t
    t = time.perf_counter()
    # The whole document decoded into Python values (dicts of the records' elements); errors
    # are collected (lax), not raised.
    data, errors = schema.to_dict(path, validation="lax")
    n = len(errors)
    if n:
        print(f"xmlschema: {n} errors, the first: {errors[0].reason}", file=sys.stderr)
    print(f"compile_secs={compile_secs:.6f} secs={time.perf_counter() - t:.6f} errors={n}")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "lxml-parse":
        return lxml_parse(argv[1])
    if len(argv) >= 3 and argv[0] == "lxml-validate":
        return lxml_validate(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "xmlschema-decode":
        return xmlschema_decode(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
