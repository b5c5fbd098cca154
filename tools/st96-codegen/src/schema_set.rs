//! Builds the patched copy of the schemas that xsd-parser reads.
//!
//! WIPO ships every document root as a flattened file with its own subset of Common. Generating
//! each root from its own files duplicates every Common type once per root, so instead we build
//! ONE schema set for all roots:
//!
//! - `Common_<V>.xsd` (all Common components) and `Design_<V>.xsd` (all Design components), which
//!   differ from the per-root subsets only in annotations (checked when the generator was
//!   written);
//! - plus every top-level component of each root file that `Design_<V>.xsd` lacks (the root
//!   element and its type, and for `DesignTransaction` its transaction wrappers).
//!
//! Patches applied to the copy (never to the installed files):
//! - types that extend a mixed-content type without adding content get `mixed="true"`
//!   (xsd-parser 1.5.2 drops their text otherwise);
//! - attribute defaults are dropped, so that defaulted attributes are optional fields and a round
//!   trip does not add them (see [`strip_attribute_defaults`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use quick_xml::Reader;
use quick_xml::events::Event;

/// Complex types that extend a mixed type without declaring `mixed` themselves.
pub const MIXED_PATCH: &[&str] = &[
    "DTType",
    "FigureReferenceType",
    "LIType",
    "OrganizationOtherNameType",
];

/// The patched schema files, ready for xsd-parser.
#[derive(Debug)]
pub struct SchemaSet {
    /// Files to pass to the parser (imports inside them resolve in the same folder).
    pub files: Vec<PathBuf>,
    /// Names of every global element of Common and Design.
    pub element_names: Vec<String>,
    /// Every global element of Common and Design with its declared type (ST.96 declares every
    /// element globally and refers to it, so a name has one type wherever it appears).
    pub elements: Vec<ElementDecl>,
    /// What the schemas type `xs:positiveInteger` (the models hold it as `usize`, which also
    /// takes zero, so the fast path checks it).
    pub positive: PositiveIntegers,
}

/// Names of the elements, attributes and simple-content complex types typed
/// `xs:positiveInteger`.
#[derive(Debug, Clone, Default)]
pub struct PositiveIntegers {
    /// Element local names.
    pub elements: Vec<String>,
    /// Attribute local names.
    pub attributes: Vec<String>,
    /// Complex types whose simple content extends `xs:positiveInteger`.
    pub contents: Vec<String>,
}

/// A global element declaration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ElementDecl {
    /// Local name.
    pub name: String,
    /// Its namespace's prefix in the schema set (`com` or `dgn`).
    pub prefix: &'static str,
    /// The declared type's prefix (`com`, `dgn`, `xsd`).
    pub type_prefix: String,
    /// The declared type's local name.
    pub type_name: String,
    /// Whether the type is simple (an XSD built-in or a named simple type): such an element has
    /// no attributes and no child elements.
    pub simple: bool,
    /// The member types of the declared type when it is a union (`xsd:string com:XType`):
    /// `xsi:type` may name one of them.
    pub members: String,
    /// The element's `default` or `fixed` value: an element with no content at all has it.
    pub value: Option<String>,
}

/// Prepares the patched copy in `tmp`.
pub fn prepare(src: &Path, version: &str, roots: &[&str], tmp: &Path) -> Result<SchemaSet> {
    std::fs::create_dir_all(tmp)?;
    let read = |name: &str| {
        std::fs::read_to_string(src.join(name))
            .with_context(|| format!("reading {}", src.join(name).display()))
    };
    let common_name = format!("Common_{version}.xsd");
    let design_name = format!("Design_{version}.xsd");

    let mut common = read(&common_name)?;
    for ty in MIXED_PATCH {
        let needle = format!("<xsd:complexType name=\"{ty}\">");
        if !common.contains(&needle) {
            bail!(
                "mixed-content patch: {needle} not found in {common_name}; the schema changed, \
                 check whether {ty} still needs mixed=\"true\" and update MIXED_PATCH"
            );
        }
        common = common.replace(
            &needle,
            &format!("<xsd:complexType name=\"{ty}\" mixed=\"true\">"),
        );
    }
    let common = strip_attribute_defaults(&common);
    std::fs::write(tmp.join(&common_name), &common)?;
    for f in ["FlattenedMathML3.xsd", "OASISTable_V1_0.xsd"] {
        std::fs::copy(src.join(f), tmp.join(f)).with_context(|| format!("copying {f}"))?;
    }

    let mut element_names: Vec<String> = top_level(&common)?
        .into_iter()
        .filter(|c| c.kind == "xsd:element")
        .map(|c| c.name)
        .collect();
    let mut design = read(&design_name)?;
    let mut known: HashSet<(String, String)> = top_level(&design)?
        .into_iter()
        .map(|c| (c.kind, c.name))
        .collect();
    let mut extra = String::new();
    for root in roots {
        let text = read(&format!("{root}_{version}.xsd"))?;
        for c in top_level(&text)? {
            if known.insert((c.kind.clone(), c.name.clone())) {
                if c.kind == "xsd:element" {
                    element_names.push(c.name.clone());
                }
                extra.push_str("\n\t");
                extra.push_str(&text[c.range.0..c.range.1]);
                extra.push('\n');
            }
        }
    }
    element_names.extend(
        top_level(&design)?
            .into_iter()
            .filter(|c| c.kind == "xsd:element")
            .map(|c| c.name),
    );
    let end = design
        .rfind("</xsd:schema>")
        .with_context(|| format!("{design_name} has no </xsd:schema>"))?;
    design.insert_str(end, &extra);
    std::fs::write(tmp.join(&design_name), &design)?;

    let mut simple_types: HashSet<String> = HashSet::new();
    let mut unions: std::collections::HashMap<String, String> = Default::default();
    for (prefix, text) in [("com", common.as_str()), ("dgn", design.as_str())] {
        for c in top_level(text)? {
            if c.kind == "xsd:simpleType" {
                let body = &text[c.range.0..c.range.1];
                if let Some(at) = body.find("<xsd:union ")
                    && let Some(members) = attribute(&body[at..], "memberTypes")
                {
                    unions.insert(format!("{prefix}:{}", c.name), members.to_owned());
                }
                simple_types.insert(format!("{prefix}:{}", c.name));
            }
        }
    }
    let mut elements = Vec::new();
    for (prefix, text) in [("com", common.as_str()), ("dgn", design.as_str())] {
        for c in top_level(text)? {
            if c.kind != "xsd:element" {
                continue;
            }
            let decl = &text[c.range.0..c.range.1];
            let tag_end = decl.find('>').unwrap_or(decl.len());
            let Some(ty) = attribute(&decl[..tag_end], "type") else {
                bail!(
                    "element {} has no type attribute; the generator expects global elements with named types",
                    c.name
                );
            };
            let (type_prefix, type_name) = ty.split_once(':').unwrap_or(("", ty));
            let simple =
                (type_prefix == "xsd" && type_name != "anyType") || simple_types.contains(ty);
            elements.push(ElementDecl {
                name: c.name.clone(),
                prefix,
                type_prefix: type_prefix.to_owned(),
                type_name: type_name.to_owned(),
                simple,
                members: unions.get(ty).cloned().unwrap_or_default(),
                value: attribute(&decl[..tag_end], "default")
                    .or_else(|| attribute(&decl[..tag_end], "fixed"))
                    .map(str::to_owned),
            });
        }
    }
    elements.sort_by(|a, b| (&a.name, a.prefix).cmp(&(&b.name, b.prefix)));
    elements.dedup_by(|a, b| a.name == b.name && a.prefix == b.prefix);

    let mut positive = PositiveIntegers {
        elements: elements
            .iter()
            .filter(|e| e.type_prefix == "xsd" && e.type_name == "positiveInteger")
            .map(|e| e.name.clone())
            .collect(),
        ..PositiveIntegers::default()
    };
    for text in [common.as_str(), design.as_str()] {
        for c in top_level(text)? {
            let decl = &text[c.range.0..c.range.1];
            let tag_end = decl.find('>').unwrap_or(decl.len());
            if c.kind == "xsd:attribute"
                && attribute(&decl[..tag_end], "type") == Some("xsd:positiveInteger")
            {
                positive.attributes.push(c.name.clone());
            }
            if c.kind == "xsd:complexType"
                && decl.contains("<xsd:extension base=\"xsd:positiveInteger\"")
            {
                positive.contents.push(c.name.clone());
            }
        }
    }

    Ok(SchemaSet {
        files: vec![tmp.join(&common_name), tmp.join(&design_name)],
        element_names,
        elements,
        positive,
    })
}

/// The value of attribute `name` in a start tag's text (`type="com:X"` → `com:X`).
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[at..].find('"')?;
    Some(&tag[at..at + len])
}

/// Removes `default="..."` from `xsd:attribute` declarations and references.
///
/// xsd-parser makes an attribute with a default a plain (non-`Option`) field and always writes
/// it, so `<com:UL>` came back as `<com:UL com:ulStyle="Bullet">`. Without the default the field
/// is an `Option` (`None` = the schema default) and a round trip keeps the document as written.
fn strip_attribute_defaults(xsd: &str) -> String {
    let mut out = String::with_capacity(xsd.len());
    let mut rest = xsd;
    while let Some(at) = rest.find("<xsd:attribute ") {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        match tag.find(" default=\"") {
            Some(d) => {
                let value_end = tag[d + 10..]
                    .find('"')
                    .map_or(tag.len(), |e| d + 10 + e + 1);
                out.push_str(&tag[..d]);
                out.push_str(&tag[value_end..]);
            }
            None => out.push_str(tag),
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

struct Component {
    kind: String,
    name: String,
    range: (usize, usize),
}

/// Top-level named components (`xsd:element`, `xsd:complexType`, ...) with their byte ranges.
fn top_level(text: &str) -> Result<Vec<Component>> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(String, String, usize)> = None;
    loop {
        let before = usize::try_from(reader.buffer_position())?;
        let ev = reader.read_event()?;
        let after = usize::try_from(reader.buffer_position())?;
        match ev {
            Event::Start(s) => {
                depth += 1;
                if depth == 2 {
                    let kind = String::from_utf8_lossy(s.name().as_ref()).into_owned();
                    let name = s
                        .try_get_attribute("name")?
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                    if let Some(name) = name {
                        current = Some((kind, name, before));
                    }
                }
            }
            Event::Empty(s) if depth == 1 => {
                let kind = String::from_utf8_lossy(s.name().as_ref()).into_owned();
                if let Some(a) = s.try_get_attribute("name")? {
                    out.push(Component {
                        kind,
                        name: String::from_utf8_lossy(&a.value).into_owned(),
                        range: (before, after),
                    });
                }
            }
            Event::End(_) => {
                if depth == 2
                    && let Some((kind, name, start)) = current.take()
                {
                    out.push(Component {
                        kind,
                        name,
                        range: (start, after),
                    });
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}
