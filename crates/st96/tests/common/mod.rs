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

/// A bulletin made by `tools/gen-bulletin.py` (python3 standard library only) with
/// `registrations` registrations and the generator's `extra` arguments, in a per-process temp
/// folder. The output is deterministic, so a file made earlier in the same process is reused;
/// tests running in parallel make one file at a time.
pub fn bulletin(registrations: u32, extra: &[&str]) -> PathBuf {
    use std::sync::Mutex;
    static GENERATING: Mutex<()> = Mutex::new(());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!("st96-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!(
        "bulletin-{registrations}-{}.xml",
        extra.join("_").replace(['-', '/'], "")
    ));
    let _one_at_a_time = GENERATING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !out.exists() {
        let status = std::process::Command::new("python3")
            .arg(root.join("tools/gen-bulletin.py"))
            .args(["--registrations", &registrations.to_string()])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .status()
            .expect("python3 runs tools/gen-bulletin.py");
        assert!(status.success(), "tools/gen-bulletin.py failed");
    }
    out
}

/// The records of a generated bulletin as the whole-document parse reads them, in order.
pub fn whole_bulletin_records(bytes: &[u8]) -> Vec<st96::stream::BulletinRecord> {
    use st96::Root;
    use st96::stream::BulletinRecord;
    use st96::v6::hague::dgn::{
        HagueBulletinTransactionBagTypeContent as Bag, HagueIbToOfficeTransaction,
        HagueIbToOfficeTransactionTypeContent,
    };
    let whole = HagueIbToOfficeTransaction::from_xml(bytes).unwrap();
    let HagueIbToOfficeTransactionTypeContent::HagueBulletin(b) = &whole.value.content else {
        panic!("not a bulletin");
    };
    let mut out = Vec::new();
    for bag in &b.hague_bulletin_transaction_bag.content {
        match bag {
            Bag::HagueRegistrationBag(x) => out.extend(
                x.hague_registration
                    .iter()
                    .cloned()
                    .map(|r| BulletinRecord::Registration(Box::new(r))),
            ),
            Bag::HagueRenewalBag(x) => out.extend(
                x.hague_renewal
                    .iter()
                    .cloned()
                    .map(|r| BulletinRecord::Renewal(Box::new(r))),
            ),
            Bag::HagueRefusalBag(x) => out.extend(
                x.hague_refusal
                    .iter()
                    .cloned()
                    .map(|r| BulletinRecord::Refusal(Box::new(r))),
            ),
            Bag::HagueGrantProtectionBag(x) => out.extend(
                x.hague_grant_protection
                    .iter()
                    .cloned()
                    .map(|r| BulletinRecord::GrantProtection(Box::new(r))),
            ),
            other => panic!("unexpected bag in the generated bulletin: {other:?}"),
        }
    }
    out
}
