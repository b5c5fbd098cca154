//! Measures the publication generator: `cargo run --release -p ipgate-sandbox --example
//! publication_bench -- [MB]` (default 500). Prints the time of the counting pass
//! (`Publication::new`) and of streaming every byte, in MB/s, and the peak resident size.
//! Numbers depend on the machine: compare them, do not assert them.

use std::io::Read;
use std::time::Instant;

use ipgate_sandbox::publication::{CorpusSize, Publication, PublicationKind, PublicationSpec};

fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(500);
    let spec = PublicationSpec {
        kind: PublicationKind::Bulletin,
        iso_year: 2026,
        iso_week: 10,
        seed: 42,
        corpus: CorpusSize::TargetBytes(mb * 1_000_000),
        registered: Vec::new(),
    };
    let t = Instant::now();
    let p = Publication::new(&spec)?;
    let counting = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut r = p.reader(0, p.len() - 1)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let streaming = t.elapsed().as_secs_f64();
    let mbs = |s: f64| total as f64 / 1e6 / s;
    println!(
        "{} bytes ({} files, xml {} bytes)",
        total,
        p.summary().files,
        p.summary().xml_len
    );
    println!("counting pass: {counting:.2} s ({:.0} MB/s)", mbs(counting));
    println!(
        "streaming:     {streaming:.2} s ({:.0} MB/s)",
        mbs(streaming)
    );
    println!(
        "first byte to last, new + stream: {:.2} s",
        counting + streaming
    );
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}
