//! A mutation generator for ST.96 documents: from a valid seed document, makes variants that are
//! valid or invalid in every way the schema and XML 1.0 care about (structure, names,
//! namespaces, values at the edges of their types, attributes, whitespace, and byte-level
//! corruption of the XML itself). Deterministic for a given seed.
//!
//! Used by `tests/differential.rs` (and the `differential` fuzz target in `fuzz/`), which judge
//! each variant with both st96's typed reader and the XSD validator.
#![allow(dead_code)]

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// SplitMix64: small, fast, and reproducible across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `true` with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// An element of the seed document, by byte ranges.
#[derive(Debug, Clone)]
pub struct Node {
    /// Qualified name as written (`com:DecisionDate`).
    pub qname: String,
    /// The start tag, `<` to `>`.
    pub start: (usize, usize),
    /// The end tag (`None` for `<x/>`).
    pub end: Option<(usize, usize)>,
    /// Index of the parent element (`None` for the root).
    pub parent: Option<usize>,
    /// Whether it has child elements.
    pub has_children: bool,
    /// Attributes: (name, value range inside the start tag, without the quotes).
    pub attrs: Vec<(String, (usize, usize))>,
}

impl Node {
    /// The whole element, start tag to end tag.
    pub fn span(&self) -> (usize, usize) {
        (self.start.0, self.end.map_or(self.start.1, |e| e.1))
    }

    /// The text between the tags of a leaf.
    pub fn text(&self) -> Option<(usize, usize)> {
        match (self.has_children, self.end) {
            (false, Some(e)) => Some((self.start.1, e.0)),
            _ => None,
        }
    }

    /// The prefix of the name (`com`), or "".
    pub fn prefix(&self) -> &str {
        self.qname.split_once(':').map_or("", |(p, _)| p)
    }

    /// The local name.
    pub fn local(&self) -> &str {
        self.qname.split_once(':').map_or(&self.qname, |(_, l)| l)
    }
}

/// A parsed seed: its text and elements.
#[derive(Debug, Clone)]
pub struct Seed {
    /// A name for reports.
    pub name: String,
    /// The document.
    pub xml: String,
    /// Elements in document order (the root first).
    pub nodes: Vec<Node>,
    /// Texts of the leaves (values to swap between elements: codes, dates, numbers).
    pub values: Vec<String>,
    /// End of the XML declaration (0 if none).
    pub decl_end: usize,
}

impl Seed {
    /// Indexes `xml`, which must be well-formed.
    pub fn new(name: &str, xml: String) -> Self {
        Self::try_new(name, xml).expect("seed documents are well-formed")
    }

    /// Indexes `xml`; `None` if it is not well-formed enough to index.
    pub fn try_new(name: &str, xml: String) -> Option<Self> {
        let mut reader = Reader::from_str(&xml);
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut decl_end = 0;
        loop {
            let before = reader.buffer_position() as usize;
            let ev = reader.read_event().ok()?;
            let after = reader.buffer_position() as usize;
            match ev {
                Event::Decl(_) => decl_end = after,
                Event::Start(s) | Event::Empty(s) => {
                    let empty = xml.as_bytes()[after - 2] == b'/';
                    let qname = String::from_utf8_lossy(s.name().as_ref()).into_owned();
                    let mut attrs = Vec::new();
                    let tag = &xml[before..after];
                    for a in s.attributes().flatten() {
                        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        // Locate `key="` in the tag text.
                        let pat = format!("{key}=");
                        let found = tag
                            .match_indices(&pat)
                            .map(|(k, _)| k)
                            .find(|&k| tag.as_bytes()[k - 1].is_ascii_whitespace());
                        if let Some(k) = found {
                            let q = k + key.len() + 1;
                            let quote = tag.as_bytes()[q];
                            let vstart = q + 1;
                            if let Some(len) = tag[vstart..].find(quote as char) {
                                attrs.push((key, (before + vstart, before + vstart + len)));
                            }
                        }
                    }
                    let parent = stack.last().copied();
                    if let Some(p) = parent {
                        nodes[p].has_children = true;
                    }
                    nodes.push(Node {
                        qname,
                        start: (before, after),
                        end: None,
                        parent,
                        has_children: false,
                        attrs,
                    });
                    if !empty {
                        stack.push(nodes.len() - 1);
                    }
                }
                Event::End(_) => {
                    let i = stack.pop()?;
                    nodes[i].end = Some((before, after));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let mut values: Vec<String> = nodes
            .iter()
            .filter_map(|n| n.text().map(|(a, b)| xml[a..b].trim().to_owned()))
            .filter(|t| !t.is_empty() && t.len() < 60)
            .collect();
        values.sort();
        values.dedup();
        (stack.is_empty() && !nodes.is_empty()).then_some(Self {
            name: name.to_owned(),
            xml,
            nodes,
            values,
            decl_end,
        })
    }
}

/// One mutated document and what was done to it.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// What was done, for reports.
    pub what: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

fn splice(xml: &str, range: (usize, usize), with: &str) -> String {
    format!("{}{}{}", &xml[..range.0], with, &xml[range.1..])
}

/// Values at the edges of the ST.96 types (booleans, integers, decimals, dates, times, codes,
/// tokens), plus whitespace variants.
pub const EDGE_VALUES: &[&str] = &[
    "",
    " ",
    "true",
    "false",
    "1",
    "0",
    "TRUE",
    "True",
    "yes",
    "no",
    "-0",
    "+0",
    "+1",
    "-1",
    "007",
    "1.0",
    "1.",
    ".5",
    "-.5",
    "1e3",
    "NaN",
    "INF",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "2147483648",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-01-01Z",
    "2024-01-01+14:00",
    "2024-01-01+14:01",
    "2024-01-01-15:00",
    "2024-01-01T00:00:00",
    "24-01-01",
    "02024-01-01",
    "-2024-01-01",
    "0000-01-01",
    "2024-1-1",
    "2024-01-01T24:00:00",
    "2024-01-01T23:59:60",
    "2024-01-01T10:00:00Z",
    "2024-01-01T10:00:00.123+02:00",
    "2024-01-01T10:00",
    "2024",
    "2024-05",
    "DM/200000",
    "KR",
    "kr",
    "XX",
    "EM",
    "WO",
    "en",
    "EN",
    "x-klingon",
    "PDF",
    "pdf",
    "V6_0",
    "Lack of novelty",
    "Lack  of novelty",
    " Lack of novelty ",
    "Lack\tof\nnovelty",
    "Lack of novelty\u{a0}",
    "a&amp;b",
    "a&lt;b&gt;",
    "&#x41;&#66;",
    "<![CDATA[true]]>",
    "tr<!-- c -->ue",
    "\u{394}\u{1F600}",
    "01-02",
    "01",
    "1-02",
    "AB12",
    " AB12",
    "*1234",
    "ABC123456",
    "1234567890",
    "123456789 ",
];

/// Attributes to add to an element.
const ADD_ATTRIBUTES: &[&str] = &[
    "foo=\"1\"",
    "com:foo=\"1\"",
    "dgn:foo=\"1\"",
    "com:languageCode=\"en\"",
    "languageCode=\"en\"",
    "com:sequenceNumber=\"1\"",
    "sequenceNumber=\"1\"",
    "dgn:sequenceNumber=\"1\"",
    "com:officeCode=\"EM\"",
    "xsi:nil=\"true\"",
    "xsi:nil=\"false\"",
    "xsi:type=\"com:DateType\"",
    "xsi:type=\"xsd:string\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"",
    "xsi:schemaLocation=\"urn:a b.xsd\"",
    "xml:lang=\"en\"",
    "xml:space=\"preserve\"",
    "xmlns:q=\"urn:q\"",
    "q:x=\"1\" xmlns:q=\"urn:q\"",
    "com:st96Version=\"V6_0\"",
    "com:languageCode=\" en \"",
    "com:languageCode=\"en\" com:languageCode=\"fr\"",
    "xmlns=\"urn:other\"",
    "xmlns=\"\"",
    "xmlns:com=\"urn:other\"",
];

/// Byte sequences to insert: illegal and legal characters, references, markup.
const INSERTS: &[&[u8]] = &[
    b"\xFF",
    b"\xC3",
    b"\xC3\x28",
    b"\xED\xA0\x80",
    b"\xF4\x90\x80\x80",
    b"\xC0\xAF",
    b"\x00",
    b"\x07",
    b"\x19",
    b"\x1A",
    b"\x0C",
    b"\xEF\xBF\xBE",
    b"\xEF\xBF\xBF",
    b"\x09",
    b"\xC2\xA0",
    b"\xE2\x80\xA8",
    b"\xF0\x9F\x98\x80",
    b"\xC2\x85",
    b"\xC2\x80",
    b"&#0;",
    b"&#x7;",
    b"&#x19;",
    b"&#xFFFE;",
    b"&#xD800;",
    b"&#x110000;",
    b"&#x1F600;",
    b"&#9;",
    b"&#x85;",
    b"&amp;",
    b"&foo;",
    b"&",
    b"&#;",
    b"&#x;",
    b"<",
    b">",
    b"]]>",
    b"<![CDATA[x]]>",
    b"<![CDATA[",
    b"\"",
    b"'",
];

/// XML declarations: (text, comment).
const DECLS: &[&str] = &[
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "<?xml version='1.0' encoding='utf-8'?>",
    "<?xml version=\"1.0\"?>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
    "<?xml version=\"1.0\" standalone=\"no\" ?>",
    "<?xml  version = \"1.0\"  encoding = \"UTF-8\" ?>",
    "<?xml version=\"1.1\" encoding=\"UTF-8\"?>",
    "<?xml version=\"1.10\"?>",
    "<?xml version=\"2.0\"?>",
    "<?xml version=\"1\"?>",
    "<?xml encoding=\"UTF-8\"?>",
    "<?xml encoding=\"UTF-8\" version=\"1.0\"?>",
    "<?xml version=\"1.0\" standalone=\"maybe\"?>",
    "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?>",
    "<?xml version=\"1.0\"encoding=\"UTF-8\"?>",
    "<?xml version=\"1.0' encoding=\"UTF-8\"?>",
    "<?xml version=\"1.0\" encoding=\"\"?>",
    "<?xml version=\"1.0\" encoding=\"8BIT\"?>",
    "<?xml version=\"1.0\" foo=\"bar\"?>",
    "<?xml?>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"",
    "<?XML version=\"1.0\"?>",
    "<?Xml version=\"1.0\"?>",
    " <?xml version=\"1.0\"?>",
    "\n<?xml version=\"1.0\"?>",
    "<?xml version=\"1.0\"?><?xml version=\"1.0\"?>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\u{feff}",
    "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "",
];

/// Things to put between elements: comments, processing instructions, text, markup.
const MISC: &[&str] = &[
    "<!-- fine -->",
    "<!---->",
    "<!-- a - b -->",
    "<!-- a -- b -->",
    "<!-- ends with dash --->",
    "<!--->",
    "<!-- unterminated ",
    "<!- not a comment -->",
    "<?pi data?>",
    "<?xml-stylesheet href=\"a.xsl\"?>",
    "<?xml version=\"1.0\"?>",
    "<?XmL x?>",
    "<? pi?>",
    "<?1pi?>",
    "<?pi",
    "text",
    "&amp;",
    "&#32;",
    "&#x20;&#10;",
    "&#65;",
    "<![CDATA[ ]]>",
    "<![CDATA[x]]>",
    "<!DOCTYPE x>",
    "<!ENTITY x \"y\">",
    "</x>",
    "<x/>",
    "<1x/>",
    "<x:y/>",
    "<com:Bogus/>",
    "<com:P>x</com:P>",
    "\t\r\n ",
    "\u{a0}",
];

/// Name changes for an element: typo, case, another element of the document.
fn renamed(rng: &mut Rng, seed: &Seed, node: &Node) -> String {
    let local = node.local();
    let prefix = node.prefix();
    let pre = |l: &str| {
        if prefix.is_empty() {
            l.to_owned()
        } else {
            format!("{prefix}:{l}")
        }
    };
    match rng.below(6) {
        0 => pre(&format!("{local}X")),
        1 => pre(&local.to_ascii_lowercase()),
        2 => pre(&local[..local.len().saturating_sub(1).max(1)]),
        3 => pre(&format!("1{local}")),
        4 => format!("{prefix}:{}:{local}", prefix),
        _ => seed.nodes[rng.below(seed.nodes.len())].qname.clone(),
    }
}

/// Renames element `i` (start and end tag) to `to`, and adds `extra` (attributes) to its start.
fn rename_with(seed: &Seed, i: usize, to: &str, extra: &str) -> String {
    let n = &seed.nodes[i];
    let xml = &seed.xml;
    let name_at = n.start.0 + 1;
    let name_end = name_at + n.qname.len();
    let mut out = String::with_capacity(xml.len() + 64);
    out.push_str(&xml[..name_at]);
    out.push_str(to);
    out.push_str(extra);
    match n.end {
        Some(e) => {
            out.push_str(&xml[name_end..e.0]);
            out.push_str("</");
            out.push_str(to);
            out.push('>');
            out.push_str(&xml[e.1..]);
        }
        None => out.push_str(&xml[name_end..]),
    }
    out
}

/// Makes one mutant of `seed`.
pub fn mutate(rng: &mut Rng, seed: &Seed) -> Mutant {
    let xml = &seed.xml;
    let n_nodes = seed.nodes.len();
    // A non-root element.
    let any_child = |rng: &mut Rng| 1 + rng.below(n_nodes - 1);
    let leaves: Vec<usize> = (0..n_nodes)
        .filter(|&i| seed.nodes[i].text().is_some())
        .collect();
    let op = rng.below(20);
    let (what, out): (String, Vec<u8>) = match op {
        0 => {
            let i = any_child(rng);
            let n = &seed.nodes[i];
            (
                format!("remove <{}>", n.qname),
                splice(xml, n.span(), "").into_bytes(),
            )
        }
        1 => {
            let i = any_child(rng);
            let n = &seed.nodes[i];
            let (a, b) = n.span();
            (
                format!("duplicate <{}>", n.qname),
                splice(xml, (b, b), &xml[a..b]).into_bytes(),
            )
        }
        2 => {
            // Swap an element with its next sibling.
            let i = any_child(rng);
            let n = &seed.nodes[i];
            let sib = (i + 1..n_nodes).find(|&j| seed.nodes[j].parent == n.parent);
            match sib {
                Some(j) => {
                    let (a, b) = n.span();
                    let (c, d) = seed.nodes[j].span();
                    let out = format!(
                        "{}{}{}{}{}",
                        &xml[..a],
                        &xml[c..d],
                        &xml[b..c],
                        &xml[a..b],
                        &xml[d..]
                    );
                    (
                        format!("swap <{}> and <{}>", n.qname, seed.nodes[j].qname),
                        out.into_bytes(),
                    )
                }
                None => (format!("move <{}> first", n.qname), {
                    let p = n.parent.map_or(0, |p| p);
                    let at = seed.nodes[p].start.1;
                    let (a, b) = n.span();
                    format!("{}{}{}{}", &xml[..at], &xml[a..b], &xml[at..a], &xml[b..]).into_bytes()
                }),
            }
        }
        3 => {
            let i = if rng.one_in(10) { 0 } else { any_child(rng) };
            let to = renamed(rng, seed, &seed.nodes[i]);
            (
                format!("rename <{}> to <{to}>", seed.nodes[i].qname),
                rename_with(seed, i, &to, "").into_bytes(),
            )
        }
        4 => {
            // Change the namespace of an element.
            let i = if rng.one_in(12) { 0 } else { any_child(rng) };
            let n = &seed.nodes[i];
            let local = n.local().to_owned();
            let (to, extra) = match rng.below(7) {
                0 => (format!("com:{local}"), String::new()),
                1 => (format!("dgn:{local}"), String::new()),
                2 => (local.clone(), String::new()),
                3 => (format!("q:{local}"), " xmlns:q=\"urn:other\"".to_owned()),
                4 => (
                    local.clone(),
                    " xmlns=\"http://www.wipo.int/standards/XMLSchema/ST96/Common\"".to_owned(),
                ),
                5 => (
                    local.clone(),
                    " xmlns=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\"".to_owned(),
                ),
                _ => (format!("zz:{local}"), String::new()),
            };
            (
                format!("namespace of <{}> to <{to}{extra}>", n.qname),
                rename_with(seed, i, &to, &extra).into_bytes(),
            )
        }
        5..=7 => {
            // A leaf's value.
            let i = *rng.pick(&leaves);
            let n = &seed.nodes[i];
            let v = if rng.one_in(3) && !seed.values.is_empty() {
                rng.pick(&seed.values).clone()
            } else {
                (*rng.pick(EDGE_VALUES)).to_owned()
            };
            let v = match rng.below(6) {
                0 => format!(" {v} "),
                1 => format!("\n\t{v}\r\n"),
                _ => v,
            };
            (
                format!("<{}> = {v:?}", n.qname),
                splice(xml, n.text().expect("leaf"), &v).into_bytes(),
            )
        }
        8 => {
            // An attribute's value.
            let with: Vec<usize> = (0..n_nodes)
                .filter(|&i| !seed.nodes[i].attrs.is_empty())
                .collect();
            let i = *rng.pick(&with);
            let n = &seed.nodes[i];
            let (name, range) = rng.pick(&n.attrs).clone();
            let cur = xml[range.0..range.1].to_owned();
            let v = match rng.below(7) {
                0 => format!(" {cur} "),
                1 => format!("{cur} "),
                2 => format!("\t{cur}\n"),
                3 => cur.to_uppercase(),
                4 => format!("{cur}{cur}"),
                _ => (*rng.pick(EDGE_VALUES))
                    .replace('"', "&quot;")
                    .replace('<', "&lt;"),
            };
            (
                format!("<{}> {name}={v:?}", n.qname),
                splice(xml, range, &v).into_bytes(),
            )
        }
        9 | 10 => {
            let i = if rng.one_in(8) { 0 } else { any_child(rng) };
            let n = &seed.nodes[i];
            let a = rng.pick(ADD_ATTRIBUTES);
            let at = n.start.0 + 1 + n.qname.len();
            (
                format!("<{}> add {a}", n.qname),
                splice(xml, (at, at), &format!(" {a}")).into_bytes(),
            )
        }
        11 => {
            let with: Vec<usize> = (0..n_nodes)
                .filter(|&i| !seed.nodes[i].attrs.is_empty())
                .collect();
            let i = *rng.pick(&with);
            let n = &seed.nodes[i];
            let (name, range) = rng.pick(&n.attrs).clone();
            // From the space before the name to the closing quote.
            let from = xml[..range.0]
                .rfind(&format!("{name}="))
                .map_or(range.0, |k| k.saturating_sub(1));
            (
                format!("<{}> remove {name}", n.qname),
                splice(xml, (from, range.1 + 1), "").into_bytes(),
            )
        }
        12 => {
            // Whitespace inside tags.
            let i = rng.below(n_nodes);
            let n = &seed.nodes[i];
            let ws = *rng.pick(&[" ", "\n", "\t", "\r\n  "]);
            let out = match (rng.below(3), n.end) {
                (0, Some(e)) => splice(xml, (e.1 - 1, e.1 - 1), ws),
                (1, _) => splice(xml, (n.start.1 - 1, n.start.1 - 1), ws),
                _ => splice(xml, (n.start.0 + 1, n.start.0 + 1), ws),
            };
            (
                format!("whitespace {ws:?} in the tags of <{}>", n.qname),
                out.into_bytes(),
            )
        }
        13 | 14 => {
            // Byte-level insertion into a text, an attribute value, or anywhere.
            let ins = *rng.pick(INSERTS);
            let at = match rng.below(3) {
                0 => {
                    let i = *rng.pick(&leaves);
                    let (a, b) = seed.nodes[i].text().expect("leaf");
                    a + rng.below(b - a + 1)
                }
                1 => {
                    let with: Vec<usize> = (0..n_nodes)
                        .filter(|&i| !seed.nodes[i].attrs.is_empty())
                        .collect();
                    let i = *rng.pick(&with);
                    let (_, (a, b)) = rng.pick(&seed.nodes[i].attrs).clone();
                    a + rng.below(b - a + 1)
                }
                _ => rng.below(xml.len() + 1),
            };
            let mut bytes = xml.as_bytes()[..at].to_vec();
            bytes.extend_from_slice(ins);
            bytes.extend_from_slice(&xml.as_bytes()[at..]);
            (format!("insert {ins:?} at byte {at}"), bytes)
        }
        15 => {
            let d = rng.pick(DECLS);
            (
                format!("declaration {d:?}"),
                splice(xml, (0, seed.decl_end), d).into_bytes(),
            )
        }
        16 | 17 => {
            // Something between elements (or before/after the root).
            let m = rng.pick(MISC);
            let at = match rng.below(4) {
                0 => seed.decl_end,
                1 => xml.len(),
                _ => {
                    let i = rng.below(n_nodes);
                    let n = &seed.nodes[i];
                    if rng.one_in(2) { n.start.0 } else { n.start.1 }
                }
            };
            (
                format!("insert {m:?} at {at}"),
                splice(xml, (at, at), m).into_bytes(),
            )
        }
        18 => {
            // Truncation, or a byte flipped.
            let at = rng.below(xml.len());
            if rng.one_in(2) {
                (format!("truncate at {at}"), xml.as_bytes()[..at].to_vec())
            } else {
                let mut b = xml.as_bytes().to_vec();
                let flip = 1u8 << rng.below(8);
                b[at] ^= flip;
                (format!("flip bit {flip:#x} of byte {at}"), b)
            }
        }
        _ => {
            // Two mutations at once.
            let first = mutate(rng, seed);
            let Ok(text) = String::from_utf8(first.bytes.clone()) else {
                return first;
            };
            match Seed::try_new(&seed.name, text) {
                Some(s2)
                    if s2.nodes.len() > 1
                        && s2.nodes.iter().any(|n| n.text().is_some())
                        && s2.nodes.iter().any(|n| !n.attrs.is_empty()) =>
                {
                    let second = mutate(rng, &s2);
                    (format!("{}; {}", first.what, second.what), second.bytes)
                }
                _ => return first,
            }
        }
    };
    Mutant { what, bytes: out }
}
