//! A 200 MB bulletin streams in constant memory. Alone in its test binary, so the peak resident
//! size (`VmHWM`) is this test's and not the schema compiler's of the other publication tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;

use ipgate_sandbox::publication::{CorpusSize, Publication, PublicationKind, PublicationSpec};

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn a_200_mb_bulletin_streams_in_flat_memory() {
    let target = 200u64 << 20;
    let p = Publication::new(&PublicationSpec {
        kind: PublicationKind::Bulletin,
        iso_year: 2026,
        iso_week: 10,
        seed: 42,
        corpus: CorpusSize::TargetBytes(target),
        registered: Vec::new(),
    })
    .unwrap();
    assert!(
        p.len() >= target && p.len() < target + (8 << 20),
        "{}",
        p.len()
    );
    let files = p.summary().files;
    assert!(files > 5_000 && files < 65_535, "{files} files");
    let mut r = p.reader(0, p.len() - 1).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let mut head = Vec::new();
    let mut tail = Vec::new();
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        if head.len() < 4 {
            head.extend_from_slice(&buf[..n.min(4)]);
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 64 {
            tail.drain(..tail.len() - 64);
        }
        total += n as u64;
    }
    assert_eq!(total, p.len());
    assert_eq!(&head[..4], b"PK\x03\x04", "a local header first");
    assert_eq!(
        &tail[tail.len() - 22..tail.len() - 18],
        b"PK\x05\x06",
        "the end record last"
    );
    let entries = u16::from_le_bytes([tail[tail.len() - 12], tail[tail.len() - 11]]);
    assert_eq!(u64::from(entries), files + 1);
    let peak = peak_rss_kib();
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB for a {total}-byte bulletin"
    );
}
