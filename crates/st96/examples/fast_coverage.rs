//! Where the fast path (`st96::fast`) gives up on a Hague bulletin: every record is read alone
//! (wrapped in the bulletin's own root, header and bag) and, when the fast path gives up, the
//! element it was in is printed with the offset, one line per record.
//!
//! `cargo run --release -p st96 --features full --example fast_coverage -- BULLETIN.xml`
//!
//! Prints `records=N fast=M` last; the lines before are `gave-up <element path> @<offset in the record> ...<the bytes before>`.

// The generated root types are deeply nested; proving auto traits needs more than 128 steps.
#![recursion_limit = "512"]

use std::process::ExitCode;

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use st96::v6::hague::dgn::HagueIbToOfficeTransactionType;

/// The open elements (qualified names) at byte `at` of `xml`.
fn path_at(xml: &[u8], at: usize) -> String {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    loop {
        if usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX) >= at {
            break;
        }
        match reader.read_event() {
            Ok(Event::Start(s)) => path.push(String::from_utf8_lossy(s.name().as_ref()).into()),
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // The record and the elements above it are the same for every record: keep the inside.
    path.iter().skip(5).cloned().collect::<Vec<_>>().join("/")
}

fn run(path: &str) -> Result<(u64, u64), String> {
    let xml = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut depth = 0usize;
    let mut prefix_end = 0usize;
    let mut in_records = false;
    let mut bag: Option<(usize, usize, Vec<u8>)> = None;
    let mut record_start = 0usize;
    let (mut records, mut fast) = (0u64, 0u64);
    loop {
        let before = usize::try_from(reader.buffer_position()).map_err(|e| e.to_string())?;
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let after = usize::try_from(reader.buffer_position()).map_err(|e| e.to_string())?;
        match event {
            Event::Start(s) => {
                depth += 1;
                match depth {
                    3 => {
                        in_records = s.local_name().as_ref() == b"HagueBulletinTransactionBag";
                        prefix_end = after;
                    }
                    4 => bag = Some((before, after, s.name().as_ref().to_vec())),
                    5 => record_start = before,
                    _ => {}
                }
            }
            Event::End(_) => {
                if depth == 5 && in_records {
                    let (bag_start, bag_end, name) = bag.clone().ok_or("record outside a bag")?;
                    let mut doc = xml[..prefix_end].to_vec();
                    doc.extend_from_slice(&xml[bag_start..bag_end]);
                    let at = doc.len();
                    doc.extend_from_slice(&xml[record_start..after]);
                    doc.extend_from_slice(b"</");
                    doc.extend_from_slice(&name);
                    doc.extend_from_slice(
                        b"></dgn:HagueBulletinTransactionBag></dgn:HagueBulletin></dgn:HagueIBToOfficeTransaction>",
                    );
                    records += 1;
                    let doc_ref = &doc;
                    let result = std::thread::scope(|s| {
                        std::thread::Builder::new()
                            .stack_size(64 << 20)
                            .spawn_scoped(s, || {
                                st96::fast::read_element_or_offset::<HagueIbToOfficeTransactionType>(
                                    doc_ref,
                                )
                                .map(|_| ())
                            })
                            .map_err(|e| e.to_string())?
                            .join()
                            .map_err(|_| "reader panicked".to_owned())
                    })?;
                    match result {
                        Ok(()) => fast += 1,
                        Err(off) => {
                            let off = usize::try_from(off).map_err(|e| e.to_string())?;
                            if let Some(dir) = std::env::var_os("FAST_COVERAGE_DUMP") {
                                let file =
                                    std::path::Path::new(&dir).join(format!("{records}.xml"));
                                std::fs::write(file, &doc).map_err(|e| e.to_string())?;
                            }
                            let from = off.saturating_sub(60).max(at);
                            println!(
                                "gave-up {} @{} ...{}",
                                path_at(&doc, off),
                                off.saturating_sub(at),
                                String::from_utf8_lossy(&doc[from..off.min(doc.len())])
                            );
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((records, fast))
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: fast_coverage BULLETIN.xml");
        return ExitCode::FAILURE;
    };
    match run(&path) {
        Ok((records, fast)) => {
            println!("records={records} fast={fast}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
