//! One side of a row of `tools/bench.sh`: reads a Hague bulletin once and prints what it saw, so
//! that the script can time it (wall, CPU, peak RSS with `/usr/bin/time -v`) next to its peers.
//!
//! `cargo run --release -p st96 --features full --example bench_read -- MODE BULLETIN.xml`
//!
//! | MODE    | what it does                                                                        |
//! |---------|-------------------------------------------------------------------------------------|
//! | `floor` | the floor: quick-xml `NsReader` streaming from the file (64 KiB buffer), every event |
//! |         | read and every element's namespace resolved; no typed values                         |
//! | `typed` | `st96::stream::BulletinReader`: every record decoded into its generated type        |
//!
//! The typed mode is the library alone; `ipgate st96 check --no-xsd` (the CLI, with its extra
//! checks) is timed by the script itself. Prints `items=N secs=S` (S: the read, without process
//! start) on stdout.

// The generated root types are deeply nested; proving auto traits needs more than 128 steps.
#![recursion_limit = "512"]

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

fn floor(path: &str) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut reader = NsReader::from_reader(BufReader::with_capacity(64 * 1024, file));
    let mut buf = Vec::with_capacity(4096);
    let mut count = 0u64;
    loop {
        buf.clear();
        match reader.read_resolved_event_into(&mut buf) {
            Ok((ns, Event::Start(_) | Event::Empty(_) | Event::End(_))) => {
                // Make the namespace lookup observable so it is not optimised away.
                count += match ns {
                    ResolveResult::Bound(n) => 1 + u64::from(n.as_ref().len() > 60),
                    ResolveResult::Unbound | ResolveResult::Unknown(_) => 1,
                };
            }
            Ok((_, Event::Eof)) => break,
            Ok(_) => count += 1,
            Err(e) => return Err(format!("at byte {}: {e}", reader.error_position())),
        }
    }
    Ok(count)
}

fn typed(path: &str) -> Result<u64, String> {
    use st96::stream::BulletinReader;
    let file = File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut reader = BulletinReader::new(BufReader::with_capacity(64 * 1024, file))
        .map_err(|e| e.to_string())?;
    let mut records = 0u64;
    for record in &mut reader {
        let record = record.map_err(|e| e.to_string())?;
        std::hint::black_box(&record);
        records += 1;
    }
    Ok(records)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: bench_read floor|typed BULLETIN.xml");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let result = match mode.as_str() {
        "floor" => floor(path),
        "typed" => typed(path),
        other => Err(format!("unknown mode {other}; use floor or typed")),
    };
    match result {
        Ok(items) => {
            println!("items={items} secs={:.6}", start.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_read {mode}: {e}");
            ExitCode::FAILURE
        }
    }
}
