//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// `../shared/st96/samples` next to the repository.
pub fn samples_dir() -> PathBuf {
    let dir = std::env::var_os("IPGATE_ST96_SAMPLES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/st96/samples"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "ST.96 samples not found at {}; set IPGATE_ST96_SAMPLES",
        dir.display()
    );
    dir
}

/// A namespace-resolved, whitespace-insensitive view of a document: one line per event.
/// Namespace declarations are not listed (prefixes may change), `xsi:schemaLocation` is.
pub fn canonical(xml: &[u8]) -> Vec<String> {
    let mut r = NsReader::from_reader(xml);
    let mut out = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut Vec<String>| {
        let t = text.trim();
        if !t.is_empty() {
            out.push(format!("text {t}"));
        }
        text.clear();
    };
    loop {
        let (ns, ev) = r.read_resolved_event().unwrap();
        let ns = match ns {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
            _ => String::new(),
        };
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                flush(&mut text, &mut out);
                let mut attrs: Vec<String> = Vec::new();
                for a in s.attributes() {
                    let a = a.unwrap();
                    let key = a.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (ans, local) = r.resolve_attribute(key);
                    let ans = match ans {
                        ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
                        _ => String::new(),
                    };
                    attrs.push(format!(
                        "{{{ans}}}{}={}",
                        String::from_utf8_lossy(local.as_ref()),
                        a.decode_and_unescape_value(r.decoder()).unwrap()
                    ));
                }
                attrs.sort();
                out.push(format!(
                    "start {{{ns}}}{} {}",
                    String::from_utf8_lossy(s.local_name().as_ref()),
                    attrs.join(" ")
                ));
                if matches!(ev, Event::Empty(_)) {
                    out.push("end".into());
                }
            }
            Event::End(_) => {
                flush(&mut text, &mut out);
                out.push("end".into());
            }
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(g) => match g.resolve_char_ref().unwrap() {
                Some(c) => text.push(c),
                None => text.push_str(match g.as_ref() {
                    b"amp" => "&",
                    b"lt" => "<",
                    b"gt" => ">",
                    b"quot" => "\"",
                    b"apos" => "'",
                    other => panic!("unknown entity {}", String::from_utf8_lossy(other)),
                }),
            },
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Sets `com:st96Version="V7_0"` to `V6_0` (the samples' README says they validate so).
pub fn as_v6(xml: &str) -> String {
    xml.replacen("com:st96Version=\"V7_0\"", "com:st96Version=\"V6_0\"", 1)
}
