//! The fast path (`st96::fast`, generated recursive-descent readers) must agree with the generated
//! deserializer: whenever it returns a value, that value equals the deserializer's.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "512"]

mod common;

use st96::Root;
use st96::fast::{FastParse, read_element};
use st96::v6::hague::dgn::{HagueIbToOfficeTransactionType, HagueOfficeToIbTransactionType};

/// Runs `f` with a big stack, as the library does for typed parsing.
fn big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(s, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

/// Both paths on one document; returns whether the fast path read it.
fn agree<T: Root + FastParse + PartialEq + std::fmt::Debug + Send>(bytes: &[u8]) -> bool {
    let slow = T::from_xml(bytes).map(|d| d.value);
    let fast = big_stack(|| read_element::<T>(bytes));
    match (fast, slow) {
        (Some(f), Ok(s)) => {
            assert_eq!(f, s, "fast path and deserializer disagree");
            true
        }
        (Some(f), Err(e)) => {
            panic!("fast path accepted what the deserializer rejects ({e}): {f:?}")
        }
        (None, _) => false,
    }
}

#[test]
fn samples_agree() {
    let dir = common::samples_dir().join("hague");
    let mut read = 0;
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let fast = if text.contains("HagueOfficeToIBTransaction") {
            agree::<HagueOfficeToIbTransactionType>(&bytes)
        } else if text.contains("HagueIBToOfficeTransaction") {
            agree::<HagueIbToOfficeTransactionType>(&bytes)
        } else {
            continue;
        };
        eprintln!(
            "{}: fast path {}",
            path.display(),
            if fast { "read it" } else { "gave up" }
        );
        total += 1;
        read += usize::from(fast);
    }
    assert!(total >= 8, "expected the Hague samples, found {total}");
    eprintln!("fast path read {read} of {total} samples");
}

#[test]
fn generated_bulletin_agrees() {
    let bytes = std::fs::read(common::bulletin(60, &[])).unwrap();
    if let Err(at) =
        big_stack(|| st96::fast::read_element_or_offset::<HagueIbToOfficeTransactionType>(&bytes))
    {
        let at = usize::try_from(at).unwrap();
        panic!(
            "the fast path gave up on a generated bulletin at byte {at}: ...{}",
            String::from_utf8_lossy(&bytes[at.saturating_sub(300)..at])
        );
    }
    assert!(agree::<HagueIbToOfficeTransactionType>(&bytes));
}

/// Records of a schema-rich bulletin (`tools/bench/gen-rich-bulletin.py`, seed 1, 2 MiB; the 22
/// records chosen for the most kinds of mixed content: `com:B`, `com:Br`, `com:Sub`,
/// `com:OCRConfidenceData`... inside `com:P`, `com:ContactText`, `com:EntityName`,
/// `dgn:Amendment`..., one with a `com:IPOASISTable`, kept as opaque XML), and the smallest records
/// of the 50 MiB one (seed 1) with MathML (`com:Math`) and with integers inside an IPOASIS table:
/// the fast path reads them whole, and as the deserializer does.
#[test]
fn rich_mixed_bulletin_agrees() {
    let bytes = std::fs::read(rich_mixed_bulletin()).unwrap();
    if let Err(at) =
        big_stack(|| st96::fast::read_element_or_offset::<HagueIbToOfficeTransactionType>(&bytes))
    {
        let at = usize::try_from(at).unwrap();
        panic!(
            "the fast path gave up on the rich bulletin at byte {at}: ...{}",
            String::from_utf8_lossy(&bytes[at.saturating_sub(300)..at])
        );
    }
    assert!(agree::<HagueIbToOfficeTransactionType>(&bytes));
}

/// The rich records mutated (elements removed, duplicated, their text replaced; text, entity
/// and character references, CDATA and comments put between elements, where mixed content takes
/// them, opaque XML keeps them and element-only content does not): both paths agree whenever the fast path reads one.
#[test]
fn mutated_rich_mixed_bulletin_agrees() {
    let bytes = std::fs::read(rich_mixed_bulletin()).unwrap();
    let (read, tried) = mutate_and_compare(&bytes, 11);
    eprintln!("fast path read {read} of {tried} mutated rich bulletins");
    assert!(
        tried > 300 && read > 30,
        "too few mutations exercised: {read}/{tried}"
    );
}

fn rich_mixed_bulletin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rich-mixed-bulletin.xml")
}

/// A byte range `(start, end)` of the document.
type Span = (usize, usize);

/// Byte spans of every element of `xml`, plus the span of its text content when it holds text
/// only.
fn element_spans(xml: &[u8]) -> Vec<(Span, Option<Span>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut open: Vec<(usize, usize, bool)> = Vec::new();
    let mut out = Vec::new();
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap();
        let ev = reader.read_event().unwrap();
        let after = usize::try_from(reader.buffer_position()).unwrap();
        match ev {
            Event::Start(_) => open.push((before, after, true)),
            Event::Empty(_) => out.push(((before, after), None)),
            Event::End(_) => {
                let (start, content, text_only) = open.pop().unwrap();
                let text = text_only.then_some((content, before));
                out.push(((start, after), text));
                if let Some(parent) = open.last_mut() {
                    parent.2 = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Mutated documents (an element removed, duplicated, or its text replaced): whenever the fast
/// path reads one, the deserializer must read it too and give the same value.
#[test]
fn mutated_documents_agree() {
    let dir = common::samples_dir().join("hague");
    let mut fast_read = 0;
    let mut tried = 0;
    for name in [
        "grant_after_refusal.xml",
        "refusal_partial.xml",
        "indirect_application_minimal.xml",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let (read, n) = mutate_and_compare(&bytes, 1);
        fast_read += read;
        tried += n;
    }
    eprintln!("fast path read {fast_read} of {tried} mutated documents");
    assert!(
        tried > 500 && fast_read > 50,
        "too few mutations exercised: {fast_read}/{tried}"
    );
}

/// The same on a small generated bulletin (registrations, renewals, refusals, grants: the record
/// types the streaming reader reads on the fast path), mutating every third element.
#[test]
fn mutated_bulletin_agrees() {
    let bytes = std::fs::read(common::bulletin(2, &[])).unwrap();
    let (read, tried) = mutate_and_compare(&bytes, 3);
    eprintln!("fast path read {read} of {tried} mutated bulletins");
    assert!(
        tried > 300 && read > 30,
        "too few mutations exercised: {read}/{tried}"
    );
}

/// Mutates every `step`-th element of `bytes` (removed, duplicated, its text replaced) and
/// checks that both paths agree; gives (documents the fast path read, documents tried).
fn mutate_and_compare(bytes: &[u8], step: usize) -> (usize, usize) {
    let office_to_ib = String::from_utf8_lossy(bytes).contains("HagueOfficeToIBTransaction");
    let mut fast_read = 0;
    let mut tried = 0;
    for ((start, end), text) in element_spans(bytes).into_iter().step_by(step) {
        let mut variants: Vec<Vec<u8>> = vec![
            [&bytes[..start], &bytes[end..]].concat(),
            [&bytes[..end], &bytes[start..]].concat(),
        ];
        if let Some((ts, te)) = text {
            for junk in [
                "",
                "  x  ",
                "2024-13-45",
                "-1",
                "&amp;&lt;",
                "<![CDATA[a]]>",
            ] {
                variants.push([&bytes[..ts], junk.as_bytes(), &bytes[te..]].concat());
            }
        }
        // Between elements: mixed content keeps this as text (with the element before it),
        // element-only content takes whitespace and comments only.
        for junk in [
            " ",
            "t&amp;x",
            "&#32;",
            "<![CDATA[c]]>",
            "<![CDATA[ ]]>",
            "<!--c-->",
        ] {
            variants.push([&bytes[..end], junk.as_bytes(), &bytes[end..]].concat());
        }
        for doc in variants {
            tried += 1;
            let read = if office_to_ib {
                agree::<HagueOfficeToIbTransactionType>(&doc)
            } else {
                agree::<HagueIbToOfficeTransactionType>(&doc)
            };
            fast_read += usize::from(read);
        }
    }
    (fast_read, tried)
}

/// The Annex VII `dgn:DesignApplication` sample (feature `design`).
#[cfg(feature = "design")]
#[test]
fn design_application_sample_agrees() {
    use st96::v6::design::dgn::DesignApplicationType;
    let dir = common::samples_dir().join("annex-vii");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if !String::from_utf8_lossy(&bytes).contains("DesignApplication") {
            continue;
        }
        total += 1;
        let read = agree::<DesignApplicationType>(&bytes);
        eprintln!(
            "{}: fast path {}",
            path.display(),
            if read { "read it" } else { "gave up" }
        );
    }
    assert!(total >= 1);
}
