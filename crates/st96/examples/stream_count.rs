//! Counts the records of a Hague bulletin with the streaming reader and prints the kinds.
//!
//! `cargo run --release -p st96 --example stream_count -- BULLETIN.xml`

// st96's Common types nest deeply; proving auto traits needs more than 128 steps in release builds.
#![recursion_limit = "512"]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;

use st96::stream::BulletinReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: stream_count BULLETIN.xml (a dgn:HagueIBToOfficeTransaction bulletin)")?;
    let start = std::time::Instant::now();
    let reader = BulletinReader::new(BufReader::with_capacity(64 << 10, File::open(&path)?))?;
    for w in reader.warnings() {
        eprintln!("warning: {w}");
    }
    println!("bulletin {}", reader.header().hague_bulletin_number);
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    for record in reader {
        *kinds.entry(record?.element_name()).or_default() += 1;
    }
    for (kind, n) in &kinds {
        println!("{kind}: {n}");
    }
    println!("{:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
