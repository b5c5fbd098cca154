#!/usr/bin/env python3
"""Generate a "rich" Hague bulletin from WIPO's schema itself, for benchmarks.

tools/gen-bulletin.py writes the records our own code was written for. This generator walks the
ST.96 V6_0 schema (with the `xmlschema` package) and writes a `dgn:HagueIBToOfficeTransaction`
whose `dgn:HagueBulletinTransactionBag` holds every one of the 19 record bags, each record with
every optional element and attribute of the ST.96 namespaces filled in (repeatable ones twice,
choices taking each branch in turn, enumerations cycling through their values), so that readers
meet everything the schema allows and not only what our generator makes. Recursion is cut at a
depth limit (then only required content is written); elements of other namespaces (MathML,
wildcards) are written only when required.

Usage:
    gen-rich-bulletin.py --schema xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd \\
        --size-mb 50 --out target/bench/rich-50mb.xml [--seed 1] [--validate]

Needs `pip install xmlschema` (and lxml for --validate, which checks the first megabytes' worth
by generating a small bulletin with the same seed and validating it with lxml). Deterministic for
a given seed and size.
"""

import argparse
import random
import re
import sys

try:
    import xmlschema
    from xmlschema.validators import (XsdAnyElement, XsdElement, XsdGroup)
except ImportError:  # pragma: no cover
    sys.exit("gen-rich-bulletin.py needs the xmlschema package: pip install xmlschema")

try:
    import re._parser as sre_parse  # Python >= 3.11
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore

COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
DGN = "http://www.wipo.int/standards/XMLSchema/ST96/Design"
XSD = "http://www.w3.org/2001/XMLSchema"
PREFIX = {COM: "com", DGN: "dgn"}
# Below this depth only required content is written; repeatable elements are written twice down
# to TWICE_DEPTH (records start at depth 4), once below.
MAX_DEPTH = 16
TWICE_DEPTH = 9


def split(qname):
    if qname.startswith("{"):
        ns, local = qname[1:].split("}", 1)
        return ns, local
    return "", qname


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class Gen:
    def __init__(self, schema, seed):
        self.schema = schema
        self.rng = random.Random(seed)
        self.turn = {}  # rotation counters by component id
        self.serial = 0
        self.last_id = None  # the latest xs:ID value written, for xs:IDREF values

    def rotate(self, key, n):
        i = self.turn.get(key, 0)
        self.turn[key] = i + 1
        return i % n

    # ---- names -----------------------------------------------------------------------------
    def tag(self, qname):
        ns, local = split(qname)
        if not ns:
            return local, ""
        if ns in PREFIX:
            return f"{PREFIX[ns]}:{local}", ""
        return local, f' xmlns="{ns}"'

    def attr_name(self, qname):
        ns, local = split(qname)
        if not ns:
            return local
        if ns == "http://www.w3.org/XML/1998/namespace":
            return "xml:" + local
        if ns in PREFIX:
            return f"{PREFIX[ns]}:{local}"
        return None  # attributes of other namespaces: see element()

    # ---- simple values ----------------------------------------------------------------------
    def value(self, st, key):
        """A lexical value valid for simple type `st`."""
        if st is None:
            return "x"
        if getattr(st, "is_union", lambda: False)():
            members = [m for m in st.member_types]
            return self.value(members[self.rotate(("u", key), len(members))], key)
        if getattr(st, "is_list", lambda: False)():
            t = st
            while t is not None and not hasattr(t, "item_type"):
                t = getattr(t, "base_type", None)
            if t is not None and getattr(st, "enumeration", None) is None:
                return self.value(t.item_type, key)
        enum = getattr(st, "enumeration", None)
        if enum:
            v = enum[self.rotate(("e", id(st)), len(enum))]
            return v if isinstance(v, str) else str(v)
        builtin = split(getattr(st, "name", None) or "")[0] == XSD
        patterns = None if builtin else getattr(st, "patterns", None)
        if patterns and split(getattr(st, "name", None) or "{x}")[0] != XSD:
            regexes = [p.pattern for p in getattr(patterns, "patterns", [])] or [patterns.regexps[0]]
            return self.from_regex(regexes[0])
        prim = st.primitive_type.local_name if hasattr(st, "primitive_type") else "string"
        names = set()
        t = st
        while t is not None:
            if getattr(t, "name", None):
                names.add(split(t.name)[1])
            t = getattr(t, "base_type", None)
        facets = self.facets(st)
        self.serial += 1
        n = self.serial
        if prim in ("decimal", "float", "double"):
            return self.number(names, facets, n)
        if prim == "boolean":
            return "true" if n % 2 else "false"
        if prim == "date":
            return f"20{10 + n % 16:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        if prim == "dateTime":
            return f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:15:30"
        if prim == "time":
            return f"{n % 24:02d}:15:30"
        if prim == "gYear":
            return str(1990 + n % 36)
        if prim == "gYearMonth":
            return f"2026-{1 + n % 12:02d}"
        if prim == "gMonth":
            return f"--{1 + n % 12:02d}"
        if prim == "gDay":
            return f"---{1 + n % 28:02d}"
        if prim == "gMonthDay":
            return f"--{1 + n % 12:02d}-{1 + n % 28:02d}"
        if prim == "duration":
            return f"P{1 + n % 30}D"
        if prim == "anyURI":
            return f"https://example.invalid/doc/{n}"
        if prim == "base64Binary":
            return "SGFndWUgYnVsbGV0aW4="
        if prim == "hexBinary":
            return "48616775"
        if prim == "QName":
            return "com:Text"
        if "language" in names:
            return ["en", "fr", "es", "de"][n % 4]
        if names & {"IDREF", "IDREFS"}:
            # A reference must name an ID of the document (cvc-id.1): the latest one written.
            return self.last_id
        if "ID" in names:
            self.last_id = f"N{n}"
            return self.last_id
        if names & {"NCName", "Name", "ENTITY", "NMTOKEN", "NMTOKENS"}:
            return self.fit(f"N{n}", facets, "N")
        words = ["Hague", "design", "chair", "lamp", "bottle", "vehicle", "ornament", "textile",
                 "Genève", "Zürich", "São Paulo", "Kraków", "東京"]
        text = " ".join(words[(n + i) % len(words)] for i in range(3 + n % 5)) + f" {n}"
        return self.fit(text, facets, "x")

    @staticmethod
    def facets(st):
        out = {}
        t = st
        while t is not None:
            for k, f in (getattr(t, "facets", None) or {}).items():
                if k is None:
                    continue
                name = split(k)[1]
                if name not in out and hasattr(f, "value"):
                    out[name] = f.value
            t = getattr(t, "base_type", None)
        return out

    @staticmethod
    def fit(text, facets, pad):
        if "length" in facets:
            n = int(facets["length"])
            return (text * (n // max(len(text), 1) + 1))[:n] if text else pad * n
        lo = int(facets.get("minLength", 0) or 0)
        hi = facets.get("maxLength")
        if hi is not None and int(hi) == 0:
            return ""
        if hi is not None and len(text) > int(hi):
            text = text[: int(hi)].rstrip() or pad * max(1, lo)
        while len(text) < lo:
            text += pad
        return text

    @staticmethod
    def number(names, facets, n):
        integer = bool(names & {"integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                "positiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
                                "unsignedByte", "nonPositiveInteger", "negativeInteger"})
        frac = facets.get("fractionDigits")
        if frac is not None and int(frac) == 0:
            integer = True
        lo = facets.get("minInclusive")
        if lo is None and facets.get("minExclusive") is not None:
            lo = facets["minExclusive"] + 1
        hi = facets.get("maxInclusive")
        if hi is None and facets.get("maxExclusive") is not None:
            hi = facets["maxExclusive"] - 1
        if "positiveInteger" in names and lo is None:
            lo = 1
        if "nonNegativeInteger" in names and lo is None:
            lo = 0
        lo = 1 if lo is None else lo
        hi = lo + 997 if hi is None else hi
        v = lo + (n % max(1, int(hi - lo) + 1))
        digits = facets.get("totalDigits")
        if digits is not None:
            v = min(v, 10 ** int(digits) - 1)
        if integer:
            return str(int(v))
        return f"{int(v)}.5" if v + 0.5 <= hi else str(int(v))

    def from_regex(self, pattern):
        """A string matching `pattern` (XSD regex, simple constructs only)."""
        try:
            parsed = sre_parse.parse(pattern)
        except Exception:  # noqa: BLE001 - fall back to a plain token
            return "X1"
        return "".join(self.sre(parsed))

    def sre(self, items):
        out = []
        for op, av in items:
            op = str(op)
            if op == "LITERAL":
                out.append(chr(av))
            elif op == "IN":
                out.append(self.sre_in(av))
            elif op in ("MAX_REPEAT", "MIN_REPEAT"):
                lo, _hi, sub = av
                for _ in range(lo):  # the fewest repetitions: always allowed
                    out.extend(self.sre(sub))
            elif op == "SUBPATTERN":
                out.extend(self.sre(av[-1]))
            elif op == "BRANCH":
                out.extend(self.sre(av[1][0]))
            elif op == "ANY":
                out.append("a")
            elif op == "CATEGORY":
                out.append(self.category(av))
        return out

    @staticmethod
    def category(av):
        av = str(av)
        return "1" if "DIGIT" in av and "NOT" not in av else " " if "SPACE" in av and "NOT" not in av else "a"

    def sre_in(self, av):
        for op, v in av:
            op = str(op)
            if op == "LITERAL":
                return chr(v)
            if op == "RANGE":
                return chr(v[0] + self.rotate(("r", v), v[1] - v[0] + 1))
            if op == "CATEGORY":
                return self.category(v)
        return "a"

    # ---- elements ---------------------------------------------------------------------------
    def element(self, el, out, depth, stack):
        if el.abstract:
            subs = [s for s in self.schema.maps.substitution_groups.get(el.name, []) if not s.abstract]
            if not subs:
                return
            el = subs[self.rotate(("s", el.name), len(subs))]
        name, decl = self.tag(el.name)
        xt = el.type
        attrs = []
        foreign_el = split(el.name)[0] not in PREFIX
        for aname, a in (getattr(xt, "attributes", None) or {}).items():
            if aname is None or a.use == "prohibited":
                continue
            if foreign_el and a.use != "required":
                continue
            an = self.attr_name(aname)
            if an is None:
                # Another namespace (OASIS tables): written only when required, with its prefix.
                if a.use != "required":
                    continue
                an = "x:" + split(aname)[1]
                xdecl = f' xmlns:x="{split(aname)[0]}"'
                if xdecl not in attrs:
                    attrs.append(xdecl)
            if a.fixed is not None:
                v = a.fixed
            elif aname.endswith("}st96Version"):
                v = "V6_0"
            else:
                v = self.value(a.type, aname)
                if v is None:  # an IDREF before any ID: left out (optional) or made to match
                    if a.use != "required":
                        continue
                    v = self.last_id = f"N{self.serial}"
            attrs.append(f' {an}="{xml_escape(str(v))}"')
        head = f"<{name}{decl}{''.join(attrs)}"
        if el.fixed is not None:
            out.append(f"{head}>{xml_escape(str(el.fixed))}</{name}>")
            return
        if xt.is_simple() or xt.has_simple_content():
            st = xt if xt.is_simple() else xt.content
            v = self.value(st, el.name)
            out.append(f"{head}>{xml_escape(v if v is not None else self.last_id or 'N0')}</{name}>")
            return
        if xt.is_empty():
            out.append(head + "/>")
            return
        out.append(head + ">")
        self.particle(xt.content, out, depth + 1, stack + (id(xt),), id(xt) in stack)
        out.append(f"</{name}>")

    def count(self, p, depth, shallow):
        lo = p.min_occurs
        if shallow or depth > MAX_DEPTH:
            return lo
        hi = p.max_occurs
        want = 2 if (hi is None or hi > 1) and depth <= TWICE_DEPTH else 1
        return max(lo, want if hi is None else min(hi, want))

    def is_foreign(self, p):
        if isinstance(p, XsdAnyElement):
            return True
        if isinstance(p, XsdElement):
            return split(p.name)[0] not in PREFIX
        return False

    def group(self, g, out, depth, stack, shallow):
        """One occurrence of model group `g` (its own occurrences are counted by the caller)."""
        if g.model == "choice":
            items = [p for p in g if not self.is_foreign(p)] or list(g)
            p = items[self.rotate(("c", id(g)), len(items))]
            self.particle(p, out, depth, stack, shallow, force=1)
        else:
            for p in g:
                self.particle(p, out, depth, stack, shallow)

    def particle(self, p, out, depth, stack, shallow, force=None):
        if isinstance(p, XsdAnyElement):
            return
        foreign = self.is_foreign(p)
        if foreign and p.min_occurs == 0 and force is None:
            return
        n = force if force is not None else self.count(p, depth, shallow or foreign)
        for _ in range(n):
            if isinstance(p, XsdGroup):
                self.group(p, out, depth, stack, shallow)
            else:
                self.element(p, out, depth, stack)


def write_bulletin(schema, out_path, size_bytes, seed):
    gen = Gen(schema, seed)
    root = schema.elements["HagueIBToOfficeTransaction"]
    bulletin = next(p for p in root.type.content if split(p.name)[1] == "HagueBulletin")
    header_el, bag_el = list(bulletin.type.content)[:2]
    assert split(bag_el.name)[1] == "HagueBulletinTransactionBag", bag_el.name
    bags = list(bag_el.type.content)
    budget = size_bytes / len(bags)
    written = 0
    with open(out_path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write(f'<dgn:HagueIBToOfficeTransaction xmlns:dgn="{DGN}" xmlns:com="{COM}" '
                'com:st96Version="V6_0">\n<dgn:HagueBulletin>\n')
        parts = []
        gen.element(header_el, parts, 3, ())
        f.write("".join(parts) + "\n<dgn:HagueBulletinTransactionBag>\n")
        for bag in bags:
            name, _ = gen.tag(bag.name)
            f.write(f"<{name}>\n")
            record = next(iter(bag.type.content))
            done = 0
            count = 0
            while count == 0 or done < budget:
                parts = []
                gen.element(record, parts, 4, ())
                text = "".join(parts) + "\n"
                f.write(text)
                done += len(text.encode("utf-8"))
                count += 1
            written += done
            f.write(f"</{name}>\n")
        f.write("</dgn:HagueBulletinTransactionBag>\n</dgn:HagueBulletin>\n"
                "</dgn:HagueIBToOfficeTransaction>\n")
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schema", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size-mb", type=float, default=1.0, help="MiB of records (at least)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--validate", action="store_true",
                    help="validate the written file with lxml against --schema")
    args = ap.parse_args()
    schema = xmlschema.XMLSchema(args.schema)
    write_bulletin(schema, args.out, args.size_mb * 1024 * 1024, args.seed)
    if args.validate:
        from lxml import etree
        xsd = etree.XMLSchema(etree.parse(args.schema))
        doc = etree.parse(args.out, etree.XMLParser(huge_tree=True, resolve_entities=False))
        if not xsd.validate(doc):
            for e in list(xsd.error_log)[:10]:
                print(f"{args.out}:{e.line}: {e.message}", file=sys.stderr)
            return 1
        print(f"{args.out}: valid", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
