//! Extracting a package while its bytes arrive (`StreamExtract`): the same result and the same
//! refusals as `extract` on the completed file, whichever way it went.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{self, Read};
use std::path::Path;

use common::*;
use hague_package::{Limits, PackageError, RuleId, StreamExtract, extract};

/// Hands out `data` a few bytes at a time (as a network does), then fails if `fail_at` is set.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    fail_at: Option<usize>,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fail_at.is_some_and(|f| self.at >= f) {
            return Err(io::Error::other("connection reset"));
        }
        let end = (self.at + 1000)
            .min(self.data.len())
            .min(self.at + buf.len());
        let n = end - self.at;
        buf[..n].copy_from_slice(&self.data[self.at..end]);
        self.at = end;
        Ok(n)
    }
}

fn trickle(path: &Path, fail_at: Option<usize>) -> Trickle {
    Trickle {
        data: std::fs::read(path).unwrap(),
        at: 0,
        fail_at,
    }
}

/// Every file under `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn leftovers(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n == name || n.starts_with(&format!(".{name}.")))
        .collect()
}

#[test]
fn a_bulletin_extracted_as_it_arrives_is_what_extract_writes() {
    let t = tempfile::tempdir().unwrap();
    let zip = bulletin(t.path(), 12);
    let limits = Limits::default();
    let want = extract(&zip, &t.path().join("file"), &limits).unwrap();

    let target = t.path().join("stream");
    let x = StreamExtract::start(trickle(&zip, None), &target, &limits).unwrap();
    let got = x.finish(&zip).unwrap();
    assert!(got.from_stream, "extracted from the stream, not the file");
    assert_eq!(got.outcome.files, want.files);
    assert_eq!(got.outcome.bytes, want.bytes);
    assert_eq!(got.outcome.records, want.records);
    assert_eq!(got.outcome.records.get("HagueRegistration"), Some(&12));
    assert_eq!(
        got.outcome.header.bulletin_number,
        want.header.bulletin_number
    );
    assert_eq!(tree(&target), tree(&t.path().join("file")));
    // An existing target is refused before anything is read.
    let e = StreamExtract::start(trickle(&zip, None), &target, &limits).unwrap_err();
    assert!(matches!(e, PackageError::Input(_)), "{e}");
}

#[test]
fn deflated_entries_are_inflated_on_the_way() {
    let t = tempfile::tempdir().unwrap();
    let xml =
        std::fs::read_to_string(repo().join("crates/st96/tests/data/ib_office_bag.xml")).unwrap();
    let zip = t.path().join("copies.zip");
    let mut entries = vec![("copies.xml".to_owned(), xml.as_bytes().to_vec())];
    entries.extend(files_for(&xml));
    zip_of(&zip, &entries); // the `zip` crate: deflated, sizes in the local headers
    let target = t.path().join("out");
    let got = StreamExtract::start(trickle(&zip, None), &target, &Limits::default())
        .unwrap()
        .finish(&zip)
        .unwrap();
    assert!(got.from_stream);
    assert_eq!(
        got.outcome.records.get("HagueAcknowledgementReceipt"),
        Some(&1)
    );
    for (name, data) in &entries {
        assert_eq!(&std::fs::read(target.join(name)).unwrap(), data, "{name}");
    }
}

#[test]
fn a_stream_that_breaks_off_or_differs_is_extracted_from_the_file() {
    let t = tempfile::tempdir().unwrap();
    let zip = bulletin(t.path(), 4);
    let limits = Limits::default();
    let want = tree(&{
        let d = t.path().join("want");
        extract(&zip, &d, &limits).unwrap();
        d
    });
    // Broken off half way (a download that resumed later): the file is extracted instead.
    let half = std::fs::metadata(&zip).unwrap().len() as usize / 2;
    let target = t.path().join("broken");
    let got = StreamExtract::start(trickle(&zip, Some(half)), &target, &limits)
        .unwrap()
        .finish(&zip)
        .unwrap();
    assert!(!got.from_stream);
    assert_eq!(tree(&target), want);
    // The stream was another archive than the completed file: the file wins.
    let other = t.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let other_zip = bulletin(&other, 2);
    let target = t.path().join("differs");
    let got = StreamExtract::start(trickle(&other_zip, None), &target, &limits)
        .unwrap()
        .finish(&zip)
        .unwrap();
    assert!(!got.from_stream);
    assert_eq!(tree(&target), want);
    assert!(leftovers(t.path(), "differs") == ["differs"]);
}

#[test]
fn unsafe_archives_are_refused_as_extract_refuses_them_and_leave_nothing() {
    let t = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    for (i, (entries, rule)) in [
        (
            vec![Raw::new(b"b.xml", b"<x/>"), Raw::new(b"../evil", b"x")],
            RuleId::ZipTraversal,
        ),
        (
            vec![Raw::new(b"b.xml", b"<x/>"), {
                let mut link = Raw::new(b"link", b"/etc/passwd");
                link.ext_attrs = 0o120777 << 16;
                link
            }],
            RuleId::ZipSymlink,
        ),
        (
            vec![
                Raw::new(b"b.xml", b"<x/>"),
                Raw::new(b"a.jpg", b"1"),
                Raw::new(b"a.jpg", b"2"),
            ],
            RuleId::ZipDuplicate,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let zip = t.path().join(format!("bad{i}.zip"));
        raw_zip(&zip, &entries);
        let name = format!("out{i}");
        let e = StreamExtract::start(trickle(&zip, None), &t.path().join(&name), &limits)
            .unwrap()
            .finish(&zip)
            .unwrap_err();
        assert!(
            matches!(&e, PackageError::Unsafe { findings, .. } if findings.iter().any(|f| f.rule == rule)),
            "{i}: {e}"
        );
        assert!(leftovers(t.path(), &name).is_empty(), "{i}");
    }
}

#[test]
fn a_hostile_xml_is_refused_as_extract_refuses_it_and_leaves_nothing() {
    let t = tempfile::tempdir().unwrap();
    let zip = bulletin(t.path(), 2);
    let xml = std::fs::read_to_string(t.path().join("bulletin.xml")).unwrap();
    let xml = xml.replacen(
        "<dgn:HagueIBToOfficeTransaction",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<dgn:HagueIBToOfficeTransaction",
        1,
    );
    let evil = t.path().join("evil.zip");
    zip_of(&evil, &[("bulletin.xml".into(), xml.into_bytes())]);
    let e = StreamExtract::start(
        trickle(&evil, None),
        &t.path().join("out"),
        &Limits::default(),
    )
    .unwrap()
    .finish(&evil)
    .unwrap_err();
    assert!(
        matches!(&e, PackageError::Unsafe { findings, .. } if findings[0].rule == RuleId::Doctype),
        "{e}"
    );
    assert!(leftovers(t.path(), "out").is_empty());
    drop(zip);
}
