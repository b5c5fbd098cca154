//! The publication generator: real ZIPs opened with the `zip` crate and `hague_package`, records
//! read with `st96`'s streaming reader, the XML validated against WIPO's official V6_0 schema,
//! determinism, and byte ranges.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use hague_package::{IbPackage, Limits};
use ipgate_sandbox::publication::{
    CorpusSize, Design, Holder, Publication, PublicationError, PublicationKind, PublicationSpec,
    RegisteredDesign,
};
use time::{Date, Month};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// WIPO's official root schema, installed by `tools/install-schemas.py V6_0 ../shared/st96/V6_0`.
fn schema() -> PathBuf {
    let p = repo().join("xsd/wipo/V6_0/HagueIBToOfficeTransaction_V6_0.xsd");
    assert!(
        p.is_file(),
        "{} missing: run python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0",
        p.display()
    );
    p
}

fn date(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).unwrap()
}

fn all_bytes(p: &Publication) -> Vec<u8> {
    let mut out = Vec::new();
    p.reader(0, p.len() - 1)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out.len() as u64, p.len());
    out
}

/// A JPEG as the generator makes them (taken from a generated bulletin), and a tiny PNG.
fn sample_views() -> (Bytes, Bytes) {
    let p = Publication::new(&spec(
        PublicationKind::Bulletin,
        1,
        CorpusSize::Records(1),
        vec![],
    ))
    .unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(all_bytes(&p))).unwrap();
    let name = zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .find(|n| n.ends_with(".jpg"))
        .unwrap();
    let mut jpeg = Vec::new();
    zip.by_name(&name).unwrap().read_to_end(&mut jpeg).unwrap();
    let png = Bytes::from_static(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x00\x00\x00\x00",
    );
    (Bytes::from(jpeg), png)
}

fn registered(irn: &str, designated: &[&str], views: Vec<Bytes>) -> RegisteredDesign {
    RegisteredDesign {
        irn: irn.to_owned(),
        registration_date: date(2026, Month::November, 16),
        filing_date: date(2026, Month::October, 2),
        filing_language: "fr".to_owned(),
        holder: Holder {
            name: "Ateliers <Dupont> & Fils S.A.".to_owned(),
            organization: true,
            contracting_party: "CH".to_owned(),
        },
        designated: designated.iter().map(|s| (*s).to_owned()).collect(),
        designs: vec![
            Design {
                product: "Chaises".to_owned(),
                locarno_class: 6,
                locarno_subclass: 1,
                views,
            },
            Design {
                product: "Lampes".to_owned(),
                locarno_class: 26,
                locarno_subclass: 5,
                views: Vec::new(),
            },
        ],
    }
}

fn spec(
    kind: PublicationKind,
    seed: u64,
    corpus: CorpusSize,
    registered: Vec<RegisteredDesign>,
) -> PublicationSpec {
    PublicationSpec {
        kind,
        iso_year: 2026,
        iso_week: 47,
        seed,
        corpus,
        registered,
    }
}

struct Checked {
    header: hague_package::IbHeader,
    records: Vec<hague_package::Record>,
    files: BTreeSet<String>,
}

/// Opens `bytes` as a ZIP every way we have and checks the package's invariants.
fn check_package(dir: &Path, bytes: &[u8], p: &Publication) -> Checked {
    // 1. The zip crate: every entry stored, CRC checked by reading it whole.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names.len() as u64, p.summary().files + 1);
    let mut files = BTreeSet::new();
    for (i, listed) in names.iter().enumerate() {
        let mut e = zip.by_index(i).unwrap();
        let name = e.name().unwrap().into_owned();
        assert_eq!(&name, listed);
        assert_eq!(e.compression(), zip::CompressionMethod::Stored);
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap(); // fails on a CRC mismatch
        assert_eq!(data.len() as u64, e.size());
        if i == 0 {
            assert_eq!(name, p.summary().xml_name);
            assert_eq!(data.len() as u64, p.summary().xml_len);
        } else {
            let (folder, file) = name.split_once('/').expect("in a folder");
            assert!(!file.contains('/'));
            assert!(file.starts_with(folder), "{name}");
            if file.ends_with(".jpg") {
                assert!(data.starts_with(&[0xFF, 0xD8, 0xFF]) && data.ends_with(&[0xFF, 0xD9]));
                let d = hague_package::jpeg_dimensions(&mut data.as_slice())
                    .expect("a readable JPEG header");
                assert_eq!((d.width, d.height), (64, 64));
            } else if file.ends_with(".pdf") {
                assert!(data.starts_with(b"%PDF-1.4\n") && data.ends_with(b"%%EOF\n"));
            }
            files.insert(name);
        }
    }
    let xml = {
        let mut x = Vec::new();
        zip.by_index(0).unwrap().read_to_end(&mut x).unwrap();
        x
    };

    // 2. WIPO's official schema, with hague-package's streaming validator.
    let outcome =
        hague_package::validate_xml(&schema(), xml.as_slice(), &p.summary().xml_name, 256, 20)
            .unwrap();
    assert!(
        outcome.findings.is_empty(),
        "schema findings: {:#?}",
        outcome.findings
    );

    // 3. st96's streaming reader, directly.
    let mut reader = st96::stream::IbToOfficeReader::new(xml.as_slice()).unwrap();
    let mut n = 0u64;
    for r in reader.by_ref() {
        r.unwrap();
        n += 1;
    }
    let expected: u64 = p.summary().records.iter().map(|(_, n)| n).sum();
    assert_eq!(n, expected);

    // 4. hague-package's IB-to-office reader and extraction.
    let path = dir.join(p.file_name());
    std::fs::write(&path, bytes).unwrap();
    let mut pkg = IbPackage::open(&path, &Limits::default()).unwrap();
    let mut records = Vec::new();
    let header = pkg
        .records(|r| {
            records.push(r);
            true
        })
        .unwrap();
    assert_eq!(records.len() as u64, expected);
    let folders = pkg.folders();
    let mut referenced = BTreeSet::new();
    for r in &records {
        let irn = r.irn.as_deref().expect("every record names an IRN");
        let images = pkg.images_for(irn);
        for f in &r.files {
            assert!(
                images.contains(f),
                "{f} not in the folder of {irn}: {images:?}"
            );
            assert!(files.contains(f));
            referenced.insert(f.clone());
        }
        if !r.files.is_empty() {
            assert!(folders.contains_key(&IbPackage::irn_folder(irn)));
        }
    }
    assert_eq!(
        referenced, files,
        "every file is referenced, every reference exists"
    );
    let out = hague_package::extract(
        &path,
        &dir.join(format!("{}-x", p.file_name())),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(out.files, p.summary().files + 1);
    assert_eq!(out.records.values().sum::<u64>(), expected);
    Checked {
        header,
        records,
        files,
    }
}

#[test]
fn a_bulletin_is_a_valid_package_with_the_registered_designs_first() {
    let t = tempfile::tempdir().unwrap();
    let (jpeg, png) = sample_views();
    let p = Publication::new(&spec(
        PublicationKind::Bulletin,
        7,
        CorpusSize::Records(40),
        vec![
            registered("DM/000101", &["EM", "US"], vec![jpeg.clone(), png.clone()]),
            registered("DM/000102", &["JP"], vec![jpeg.clone()]),
        ],
    ))
    .unwrap();
    assert_eq!(p.file_name(), "bulletin-202647.zip");
    assert_eq!(
        p.summary().records,
        [
            ("Registration", 42),
            ("Renewal", 4),
            ("Refusal", 4),
            ("Grant protection", 4)
        ]
    );
    let bytes = all_bytes(&p);
    let c = check_package(t.path(), &bytes, &p);
    assert_eq!(c.header.content.as_deref(), Some("HagueBulletin"));
    assert_eq!(c.header.bulletin_number.as_deref(), Some("2026/47"));
    assert_eq!(
        c.header.date.as_deref(),
        Some("2026-11-20"),
        "Friday of 2026-W47"
    );
    assert_eq!(c.header.version.as_deref(), Some("V6_0"));
    // The sandbox's registrations come first, with their own views, byte for byte.
    assert_eq!(c.records[0].irn.as_deref(), Some("DM/000101"));
    assert_eq!(c.records[1].irn.as_deref(), Some("DM/000102"));
    assert_eq!(
        c.records[0].files,
        [
            "DM000101/DM000101_D001_V01.jpg",
            "DM000101/DM000101_D001_V02.png",
            "DM000101/DM000101_D002_V01.jpg"
        ]
    );
    let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let mut got = Vec::new();
    zip.by_name("DM000101/DM000101_D001_V02.png")
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, png);
    let kinds: BTreeMap<&str, usize> = c.records.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.kind.as_str()).or_default() += 1;
        m
    });
    assert_eq!(kinds.get("HagueGrantProtection"), Some(&4));
    assert!(
        c.files.iter().any(|f| f.ends_with(".pdf")),
        "grant statements"
    );
    // The holder's name survives the XML escaping.
    let Some(st96::stream::IbToOfficeRecord::Bulletin(st96::stream::BulletinRecord::Registration(
        reg,
    ))) = c.records[0].typed.as_deref()
    else {
        panic!("first record is not a bulletin registration")
    };
    let holder = format!("{:?}", reg.holder_bag);
    assert!(holder.contains("Ateliers <Dupont> & Fils S.A."), "{holder}");
}

#[test]
fn confidential_copies_hold_what_designates_the_office() {
    let t = tempfile::tempdir().unwrap();
    let (jpeg, _) = sample_views();
    let p = Publication::new(&spec(
        PublicationKind::ConfidentialCopies {
            receiving_office: "US".to_owned(),
        },
        7,
        CorpusSize::Records(12),
        vec![
            registered("DM/000101", &["EM", "US"], vec![jpeg.clone()]),
            registered("DM/000102", &["JP"], vec![jpeg]),
        ],
    ))
    .unwrap();
    assert_eq!(p.file_name(), "confidential-copies-US-202647.zip");
    assert_eq!(p.summary().records, [("Registration", 13)]);
    let bytes = all_bytes(&p);
    let c = check_package(t.path(), &bytes, &p);
    assert_eq!(c.header.content.as_deref(), Some("HagueIBToOfficeBag"));
    assert_eq!(c.header.receiving_office.as_deref(), Some("US"));
    assert_eq!(c.header.date.as_deref(), Some("2026-11-20"));
    assert_eq!(c.records[0].irn.as_deref(), Some("DM/000101"));
    assert!(
        c.records
            .iter()
            .all(|r| r.irn.as_deref() != Some("DM/000102"))
    );
    for r in &c.records {
        assert_eq!(r.kind, "HagueRegistration");
        let Some(st96::stream::IbToOfficeRecord::OfficeCopy(
            st96::stream::OfficeCopyRecord::Registration(reg),
        )) = r.typed.as_deref()
        else {
            panic!("not an office copy")
        };
        let designated = format!("{:?}", reg.designated_country_bag);
        assert!(
            designated.contains("Us"),
            "{} does not designate US: {designated}",
            r.irn.as_deref().unwrap()
        );
    }
    // A bulletin of the same week is another document.
    let b = Publication::new(&spec(
        PublicationKind::Bulletin,
        7,
        CorpusSize::Records(12),
        vec![],
    ))
    .unwrap();
    assert_ne!(b.etag(), p.etag());
}

#[test]
fn a_sized_bulletin_is_valid_with_padded_images() {
    let t = tempfile::tempdir().unwrap();
    let p = Publication::new(&spec(
        PublicationKind::Bulletin,
        3,
        CorpusSize::TargetBytes(4 << 20),
        vec![],
    ))
    .unwrap();
    assert!(p.len() >= 4 << 20 && p.len() < 5 << 20, "{}", p.len());
    let bytes = all_bytes(&p);
    check_package(t.path(), &bytes, &p);
}

#[test]
fn the_same_spec_gives_the_same_bytes_and_any_range_is_the_slice() {
    let s = spec(
        PublicationKind::Bulletin,
        11,
        CorpusSize::Records(300),
        vec![],
    );
    let a = Publication::new(&s).unwrap();
    let b = Publication::new(&s).unwrap();
    assert_eq!(a.len(), b.len());
    assert_eq!(a.etag(), b.etag());
    assert!(a.etag().starts_with('"') && a.etag().ends_with('"') && a.etag().len() == 34);
    let whole = all_bytes(&a);
    assert_eq!(whole, all_bytes(&b));
    assert_eq!(whole, all_bytes(&a), "a second read of the same value");
    // Another seed or week: other bytes, other tag.
    let c = Publication::new(&PublicationSpec {
        seed: 12,
        ..s.clone()
    })
    .unwrap();
    assert_ne!(c.etag(), a.etag());
    let d = Publication::new(&PublicationSpec {
        iso_week: 46,
        ..s.clone()
    })
    .unwrap();
    assert_ne!(d.etag(), a.etag());

    // Ranges: every region boundary neighbourhood and a spread of others.
    let len = a.len();
    let mut starts: Vec<u64> = vec![0, 1, 29, 30, len - 1, len - 22, len - 23];
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..150 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        starts.push(x % len);
    }
    for (i, &start) in starts.iter().enumerate() {
        let span = [1u64, 7, 4096, 100_000][i % 4];
        let end = (start + span - 1).min(len - 1);
        let mut got = Vec::new();
        a.reader(start, end).unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(
            got,
            &whole[start as usize..=end as usize],
            "range {start}-{end}"
        );
    }
    // Reading in odd-sized pieces changes nothing.
    let mut r = a.reader(12_345, len - 1).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 777];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, &whole[12_345..]);
    assert!(matches!(
        a.reader(len, len),
        Err(PublicationError::Range { .. })
    ));
    assert!(matches!(
        a.reader(5, 4),
        Err(PublicationError::Range { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_yields_the_same_bytes() {
    use futures_util::StreamExt;
    let p = Publication::new(&spec(
        PublicationKind::Bulletin,
        5,
        CorpusSize::TargetBytes(1 << 20),
        vec![],
    ))
    .unwrap();
    let whole = tokio::task::spawn_blocking({
        let p = p.clone();
        move || all_bytes(&p)
    })
    .await
    .unwrap();
    let mut got = Vec::new();
    let mut s = std::pin::pin!(p.stream());
    while let Some(chunk) = s.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= ipgate_sandbox::publication::CHUNK);
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, whole);
    let (start, end) = (300_001u64, p.len() - 2);
    let mut got = Vec::new();
    let mut s = std::pin::pin!(p.stream_range(start, end).unwrap());
    while let Some(chunk) = s.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, &whole[start as usize..=end as usize]);
}

#[test]
fn bad_specs_are_refused_with_the_reason() {
    let good = registered("DM/000101", &["EM"], vec![]);
    let try_with = |d: RegisteredDesign| {
        Publication::new(&spec(
            PublicationKind::Bulletin,
            1,
            CorpusSize::None,
            vec![d],
        ))
        .map(|_| ())
    };
    assert!(try_with(good.clone()).is_ok());
    let bad = |f: &dyn Fn(&mut RegisteredDesign)| {
        let mut d = good.clone();
        f(&mut d);
        match try_with(d) {
            Err(PublicationError::Design { problem, .. }) => problem.to_string(),
            other => panic!("accepted: {other:?}"),
        }
    };
    assert!(bad(&|d| d.irn = "DM/../1".into()).contains("IRN"));
    assert!(bad(&|d| d.filing_language = "de".into()).contains("de"));
    assert!(bad(&|d| d.designated = vec!["ZZ".into()]).contains("ZZ"));
    assert!(bad(&|d| d.designated.clear()).contains("designated"));
    assert!(bad(&|d| d.holder.contracting_party = "em".into()).contains("em"));
    assert!(bad(&|d| d.holder.name = "a\u{1}b".into()).contains("holder name"));
    assert!(bad(&|d| d.designs.clear()).contains("0 designs"));
    assert!(bad(&|d| d.designs[0].locarno_class = 33).contains("33"));
    assert!(
        bad(&|d| d.designs[0].views = vec![Bytes::from_static(b"GIF89a")])
            .contains("view 1 of design 1")
    );
    assert!(!Design::accepts_view(b"GIF89a"));
    assert!(Design::accepts_view(&sample_views().0));
    let twice = Publication::new(&spec(
        PublicationKind::Bulletin,
        1,
        CorpusSize::None,
        vec![good.clone(), good.clone()],
    ));
    assert!(matches!(
        twice,
        Err(PublicationError::Design {
            problem: ipgate_sandbox::publication::DesignProblem::DuplicateIrn,
            ..
        })
    ));
    // Weeks and offices.
    let mut s = spec(PublicationKind::Bulletin, 1, CorpusSize::Records(1), vec![]);
    s.iso_week = 53;
    s.iso_year = 2025; // 2025 has 52 ISO weeks
    assert!(matches!(
        Publication::new(&s),
        Err(PublicationError::Week { .. })
    ));
    s.iso_year = 2026; // 2026 has 53
    assert!(Publication::new(&s).is_ok());
    s.kind = PublicationKind::ConfidentialCopies {
        receiving_office: "ZZ".into(),
    };
    assert!(matches!(
        Publication::new(&s),
        Err(PublicationError::Office(_))
    ));
    // Nothing to publish.
    let empty = spec(
        PublicationKind::ConfidentialCopies {
            receiving_office: "KR".into(),
        },
        1,
        CorpusSize::None,
        vec![good],
    );
    assert_eq!(
        Publication::new(&empty).unwrap_err(),
        PublicationError::Empty
    );
}

/// More than 65,535 entries: the ZIP64 end records (APPNOTE 4.3.14/4.3.15) are written, and both
/// the `zip` crate and hague-package's own central-directory reader find every entry.
#[test]
fn more_than_65535_entries_use_zip64_end_records() {
    let p = Publication::new(&PublicationSpec {
        kind: PublicationKind::ConfidentialCopies {
            receiving_office: "EM".to_owned(),
        },
        iso_year: 2026,
        iso_week: 11,
        seed: 9,
        corpus: CorpusSize::Records(15_000),
        registered: Vec::new(),
    })
    .unwrap();
    let files = p.summary().files;
    assert!(files >= 65_535, "{files} files: raise the record count");
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join(p.file_name());
    let mut out = std::fs::File::create(&path).unwrap();
    std::io::copy(&mut p.reader(0, p.len() - 1).unwrap(), &mut out).unwrap();
    drop(out);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), p.len());
    let mut f = std::fs::File::open(&path).unwrap();
    let (entries, _) = hague_package::read_central_directory(&mut f, 200_000).unwrap();
    assert_eq!(entries.len() as u64, files + 1);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(zip.len() as u64, files + 1);
    // The last entry reads back with its CRC checked.
    let mut last = zip.by_index(zip.len() - 1).unwrap();
    let mut data = Vec::new();
    last.read_to_end(&mut data).unwrap();
    assert!(data.starts_with(&[0xFF, 0xD8, 0xFF]));
}
