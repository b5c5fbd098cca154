//! Feature gates: one generated tree for every root, each item compiled only for the features
//! whose roots reach it.
//!
//! All roots are generated together, so the Common (and shared Design) types exist once. Which
//! cargo feature needs which type is found by reachability over the generated type definitions
//! (`com/mod.rs`, `dgn/mod.rs`): from each feature's root types, follow every type named in a
//! struct, enum or alias body. Every item that belongs to one type (its definition, its impls,
//! its (de)serializer and their states, its fast-path readers) then gets
//! `#[cfg(feature = "...")]` unless all features reach it. The pass works on rustfmt'ed code:
//! top-level items start in column 0.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;

use anyhow::{Context, Result};

use crate::Feature;

/// The namespace modules of the generated tree.
const MODULES: &[&str] = &["com", "dgn"];

/// A type: (module, name).
type Key = (String, String);

/// Adds the feature gates to the tree under `dir` (which holds `com/`, `dgn/`).
pub fn gate_features(dir: &Path, features: &[Feature]) -> Result<()> {
    let mut bodies: HashMap<Key, String> = HashMap::new();
    for module in MODULES {
        let path = dir.join(module).join("mod.rs");
        let code = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for item in items(&code) {
            if let Some(name) = defined_type(&item.header) {
                bodies
                    .entry(((*module).to_owned(), name))
                    .or_default()
                    .push_str(&item.text);
            }
        }
    }
    let mut needed_by: HashMap<Key, BTreeSet<&'static str>> = HashMap::new();
    for feature in features {
        for key in reachable(&bodies, feature.roots) {
            needed_by.entry(key).or_default().insert(feature.name);
        }
    }
    let all: BTreeSet<&'static str> = features.iter().map(|f| f.name).collect();
    // `ST96_CODEGEN_DEBUG=1` lists types no root reaches (there should be none);
    // `ST96_CODEGEN_DEBUG_TYPE=Name` also prints what the pass read as that type's body.
    if std::env::var_os("ST96_CODEGEN_DEBUG").is_some() {
        let mut unreached: Vec<&Key> = bodies
            .keys()
            .filter(|k| !needed_by.contains_key(*k))
            .collect();
        unreached.sort();
        eprintln!(
            "{} types, {} unreached: {unreached:?}",
            bodies.len(),
            unreached.len()
        );
        if let Ok(t) = std::env::var("ST96_CODEGEN_DEBUG_TYPE") {
            for (k, b) in &bodies {
                if k.1 == t {
                    eprintln!("BODY {k:?}:\n{b}\nREFS {:?}", references(b));
                }
            }
        }
    }
    for module in MODULES {
        for file in [
            "mod.rs",
            "quick_xml_deserialize.rs",
            "quick_xml_serialize.rs",
        ] {
            let path = dir.join(module).join(file);
            if !path.is_file() {
                continue;
            }
            let code = std::fs::read_to_string(&path)?;
            let gated = gate_file(&code, |owner| {
                let set = needed_by.get(&((*module).to_owned(), owner.to_owned()))?;
                Some((*set != all).then(|| {
                    let list: Vec<String> =
                        set.iter().map(|f| format!("feature = \"{f}\"")).collect();
                    if list.len() == 1 {
                        format!("#[cfg({})]", list[0])
                    } else {
                        format!("#[cfg(any({}))]", list.join(", "))
                    }
                }))
            });
            std::fs::write(&path, gated)?;
        }
    }
    Ok(())
}

/// A top-level item: its first line index (attributes and docs included), the header (the
/// lines up to the opening brace or semicolon, joined) and its full text.
struct Item {
    first_line: usize,
    header: String,
    text: String,
}

/// A line without its restricted visibility (`pub(super) enum X` → `enum X`).
fn unrestricted(line: &str) -> &str {
    line.strip_prefix("pub(super) ")
        .or_else(|| line.strip_prefix("pub(crate) "))
        .unwrap_or(line)
}

/// How the definition of a type starts (after [`unrestricted`]).
const DEFINITIONS: &[&str] = &[
    "pub struct ",
    "struct ",
    "pub enum ",
    "enum ",
    "pub type ",
    "type ",
];

fn is_item_start(line: &str) -> bool {
    let line = unrestricted(line);
    line.starts_with("impl") || DEFINITIONS.iter().any(|s| line.starts_with(s))
}

/// Splits rustfmt'ed code into its type-related top-level items.
fn items(code: &str) -> Vec<Item> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_item_start(lines[i]) {
            i += 1;
            continue;
        }
        let mut first = i;
        while first > 0
            && (lines[first - 1].starts_with("#[") || lines[first - 1].starts_with("///"))
        {
            first -= 1;
        }
        // Header: up to the line that opens the body (`{` at the end) or ends the item (`;`, or
        // `}` of a one-line item such as `impl X for Y {}`).
        let mut header = String::new();
        let mut j = i;
        loop {
            header.push_str(lines[j].trim());
            header.push(' ');
            let t = lines[j].trim_end();
            if t.ends_with('{') || t.ends_with(';') || t.ends_with('}') || j + 1 == lines.len() {
                break;
            }
            j += 1;
        }
        // Body: up to the line where the braces opened by the item balance again (rustfmt
        // leaves some very long items on one line, so column 0 alone does not tell).
        let mut end = i;
        let mut depth = 0i64;
        loop {
            depth += brace_balance(lines[end]);
            let t = lines[end].trim_end();
            if end >= j && depth <= 0 && (t.ends_with('}') || t.ends_with(';')) {
                break;
            }
            if end + 1 == lines.len() {
                break;
            }
            end += 1;
        }
        out.push(Item {
            first_line: first,
            header,
            text: lines[i..=end].join("\n"),
        });
        i = end + 1;
    }
    out
}

/// `{` minus `}` on a line, outside string and character literals and `//` comments.
fn brace_balance(line: &str) -> i64 {
    let mut n = 0;
    let mut chars = line.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '\'' => {
                // A char literal such as '{' (lifetimes like 'a are skipped harmlessly).
                let mut look = chars.clone();
                if let (Some(_), Some('\'')) = (look.next(), look.next()) {
                    chars.next();
                    chars.next();
                }
            }
            '/' if chars.peek() == Some(&'/') => break,
            '{' => n += 1,
            '}' => n -= 1,
            _ => {}
        }
    }
    n
}

/// The type a definition header defines (`pub struct X {`, `pub enum X {`, `pub type X = ..;`).
fn defined_type(header: &str) -> Option<String> {
    let header = unrestricted(header);
    let rest = DEFINITIONS.iter().find_map(|p| header.strip_prefix(p))?;
    Some(ident_prefix(rest).to_owned())
}

fn ident_prefix(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The generated types an item may belong to, best first: the type it defines, or the self type
/// of an impl (`Box<XDeserializer>` → `X`, `XSerializerState<'ser>` → `X`), then the trait's
/// generic argument (`impl From<X> for String` → `X`).
fn owners(header: &str) -> Vec<String> {
    if let Some(t) = defined_type(header) {
        return vec![strip_role(&t).to_owned()];
    }
    let Some(rest) = header.strip_prefix("impl") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (trait_part, self_ty) = match rest.rfind(" for ") {
        Some(at) => (Some(&rest[..at]), &rest[at + 5..]),
        None => {
            // `impl X {` or `impl<'a> X<'a> {`: skip the impl's own generics.
            let r = rest.trim_start();
            let r = match r.strip_prefix('<') {
                Some(r2) => r2.find('>').map_or(r2, |close| &r2[close + 1..]),
                None => r,
            };
            (None, r)
        }
    };
    out.extend(type_name(self_ty));
    if let Some(t) = trait_part
        && let Some(open) = t.rfind('<')
    {
        out.extend(type_name(&t[open + 1..]));
    }
    out
}

/// `Box<super::XDeserializer<'a>> {` → `X`.
fn type_name(s: &str) -> Option<String> {
    let t = s.trim_start();
    let t = t.strip_prefix("Box<").unwrap_or(t);
    let t = t.trim_start_matches("super::");
    let t = t.rsplit("::").next().unwrap_or(t);
    let name = ident_prefix(t);
    (!name.is_empty()).then(|| strip_role(name).to_owned())
}

fn strip_role(name: &str) -> &str {
    for suffix in [
        "DeserializerState",
        "Deserializer",
        "SerializerState",
        "Serializer",
    ] {
        if let Some(base) = name.strip_suffix(suffix)
            && !base.is_empty()
        {
            return base;
        }
    }
    name
}

/// Every type reachable from the roots (element names of the Design namespace).
fn reachable(bodies: &HashMap<Key, String>, roots: &[&str]) -> HashSet<Key> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    for root in roots {
        let want = squash(root);
        let want_type = format!("{want}type");
        for key in bodies.keys() {
            let s = squash(&key.1);
            if key.0 == "dgn" && (s == want || s == want_type) {
                queue.push_back(key.clone());
            }
        }
    }
    while let Some(key) = queue.pop_front() {
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(body) = bodies.get(&key) else {
            continue;
        };
        for (module, name) in references(body) {
            let module = module.unwrap_or_else(|| key.0.clone());
            let next = (module, name);
            if bodies.contains_key(&next) && !seen.contains(&next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// Type names in a body: `super::com::X`, `super::dgn::X` or a bare `X` (same module).
fn references(body: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':')
            {
                i += 1;
            }
            let path = &body[start..i];
            let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            if let Some(last) = segments.last()
                && last.starts_with(|c: char| c.is_ascii_uppercase())
            {
                let module = segments
                    .iter()
                    .rev()
                    .nth(1)
                    .filter(|m| MODULES.contains(m))
                    .map(|m| (*m).to_owned());
                out.push((module, (*last).to_owned()));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Inserts the gate line before every item that belongs to a known type `gate_for` gates
/// (`gate_for` gives `None` for unknown types, `Some(None)` for types every feature needs).
fn gate_file(code: &str, gate_for: impl Fn(&str) -> Option<Option<String>>) -> String {
    let mut inserts: HashMap<usize, String> = HashMap::new();
    for item in items(code) {
        if let Some(Some(gate)) = owners(&item.header).iter().find_map(|o| gate_for(o)) {
            inserts.insert(item.first_line, gate);
        }
    }
    let mut out = String::with_capacity(code.len() + inserts.len() * 32);
    for (n, line) in code.lines().enumerate() {
        if let Some(gate) = inserts.get(&n) {
            out.push_str(gate);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_of_impls_and_definitions() {
        let cases = [
            ("pub struct HagueRenewalType {", "HagueRenewalType"),
            ("pub(super) enum XTypeSerializerState<'ser> {", "XType"),
            (
                "impl<'de> Deserializer<'de, super::XType> for Box<XTypeDeserializer> {",
                "XType",
            ),
            ("impl<'ser> XTypeSerializer<'ser> {", "XType"),
            ("impl st96::fast::FastParse for XType {", "XType"),
            ("impl WithDeserializerFromBytes for XType {}", "XType"),
        ];
        for (header, want) in cases {
            assert_eq!(
                owners(header).first().map(String::as_str),
                Some(want),
                "{header}"
            );
        }
        // The self type is std's: the trait's argument names the owner.
        assert_eq!(owners("impl From<XType> for String {"), ["String", "XType"]);
    }

    #[test]
    fn items_end_where_their_braces_balance() {
        let code = "impl A for B {}\n#[derive(Debug)]\nenum C { X, Y(D) , }\nimpl C {\n    fn f() -> &'static str {\n        \"}\"\n    }\n}\npub type E = F;\n";
        let found: Vec<(usize, Vec<String>)> = items(code)
            .iter()
            .map(|i| (i.first_line, owners(&i.header)))
            .collect();
        assert_eq!(
            found,
            [
                (0, vec!["B".to_owned()]),
                (1, vec!["C".to_owned()]),
                (3, vec!["C".to_owned()]),
                (8, vec!["E".to_owned()]),
            ]
        );
    }

    #[test]
    fn references_keep_the_module() {
        let refs = references("pub a: Option<super::com::DateType>, b: Vec<Local>, c: String");
        assert!(refs.contains(&(Some("com".to_owned()), "DateType".to_owned())));
        assert!(refs.contains(&(None, "Local".to_owned())));
    }
}
