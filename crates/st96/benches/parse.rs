//! `cargo bench -p st96 --bench parse`: throughput and peak memory of reading a large Hague
//! bulletin, as ratios against a floor measured in the same run.
//!
//! The bulletin (`dgn:HagueIBToOfficeTransaction` with a `dgn:HagueBulletin` of valid records) is
//! made by `tools/gen-bulletin.py` and kept under `<target>/st96-bench/` for the next runs.
//!
//! Modes (each run in a child process of this binary, so that its peak RSS, read from `VmHWM` in
//! `/proc/self/status`, is its own):
//!
//! | mode           | what it does                                                                   |
//! |----------------|--------------------------------------------------------------------------------|
//! | `floor`        | the FLOOR: quick-xml `NsReader` over the bytes in memory, every event read and  |
//! |                | every element's namespace resolved; no typed values                             |
//! | `floor-stream` | the same loop streaming from the file through a 64 KiB buffer (memory floor)   |
//! | `guard`        | `st96::detect::check_input` (DOCTYPE/entity/depth guards) over the bytes        |
//! | `typed-whole`  | `Root::from_xml` of the whole document into the generated types (feature hague) |
//! | `typed-stream` | `st96::stream::BulletinReader`: records one at a time, typed (see `typed_stream`) |
//!
//! MB/s counts file bytes (1 MB = 10^6 bytes) over the best of `ST96_BENCH_RUNS` runs (default 3);
//! "ratio" is a mode's throughput divided by the floor's. In-memory modes include the file's bytes
//! in their RSS; streaming modes must stay flat (target: typed streaming ≥ 1/4 of the floor and
//! ≤ 16 MiB peak RSS at any size).
//!
//! Environment: `ST96_BENCH_MB` (bulletin size in MiB, default 50), `ST96_BENCH_RUNS` (default 3),
//! `ST96_BENCH_MODES` (comma-separated subset), `ST96_BENCH_FILE` (use this XML file instead of
//! generating one).

#![allow(clippy::unwrap_used)]
// The generated root types are deeply nested; proving auto traits (`Send`, `Unpin`) for them
// needs more than the default recursion limit of 128 in a crate that uses them.
#![recursion_limit = "512"]

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// Environment variable that makes this binary run one mode as a child.
const CHILD_ENV: &str = "ST96_BENCH_CHILD";
/// Streaming target: peak RSS of the typed streaming mode.
const STREAM_RSS_TARGET_KIB: u64 = 16 * 1024;
/// Streaming target: throughput ratio against the floor.
const STREAM_RATIO_TARGET: f64 = 0.25;

/// Runs one mode on a file; returns a count of what it saw.
type ModeFn = fn(&Path) -> Result<u64, String>;

/// A benchmark mode: reads the file, returns a count of what it saw (events, records) so the work
/// cannot be optimised away.
struct Mode {
    name: &'static str,
    what: &'static str,
    run: Option<ModeFn>,
}

fn modes() -> Vec<Mode> {
    vec![
        Mode {
            name: "floor",
            what: "NsReader over bytes in memory, all events, namespaces resolved",
            run: Some(floor),
        },
        Mode {
            name: "floor-stream",
            what: "same loop streaming from the file (64 KiB buffer)",
            run: Some(floor_stream),
        },
        Mode {
            name: "guard",
            what: "st96::detect::check_input over bytes in memory",
            run: Some(guard),
        },
        Mode {
            name: "typed-whole",
            what: "whole document into the generated types",
            run: typed_whole(),
        },
        Mode {
            name: "typed-stream",
            what: "records one at a time into the generated types",
            run: typed_stream(),
        },
    ]
}

// ---- the modes ----------------------------------------------------------------------------------

/// The floor: every event of the document, every element namespace resolved, from memory.
fn floor(path: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let start = Instant::now();
    let mut reader = NsReader::from_reader(&bytes[..]);
    let mut count = 0u64;
    loop {
        match reader.read_resolved_event() {
            Ok((ns, Event::Start(_) | Event::Empty(_) | Event::End(_))) => {
                count += resolved_weight(&ns);
            }
            Ok((_, Event::Eof)) => break,
            Ok(_) => count += 1,
            Err(e) => return Err(format!("at byte {}: {e}", reader.error_position())),
        }
    }
    report_parse_time(start);
    Ok(count)
}

/// The floor loop, streaming from the file with a reused buffer.
fn floor_stream(path: &Path) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let start = Instant::now();
    let mut reader = NsReader::from_reader(BufReader::with_capacity(64 * 1024, file));
    let mut buf = Vec::with_capacity(4096);
    let mut count = 0u64;
    loop {
        buf.clear();
        match reader.read_resolved_event_into(&mut buf) {
            Ok((ns, Event::Start(_) | Event::Empty(_) | Event::End(_))) => {
                count += resolved_weight(&ns);
            }
            Ok((_, Event::Eof)) => break,
            Ok(_) => count += 1,
            Err(e) => return Err(format!("at byte {}: {e}", reader.error_position())),
        }
    }
    report_parse_time(start);
    Ok(count)
}

/// Counts an element event and makes the namespace lookup observable.
fn resolved_weight(ns: &ResolveResult<'_>) -> u64 {
    match ns {
        ResolveResult::Bound(n) => 1 + u64::from(n.as_ref().len() > 60),
        ResolveResult::Unbound | ResolveResult::Unknown(_) => 1,
    }
}

/// The input guards every reader of the project runs first.
fn guard(path: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let start = Instant::now();
    let summary = st96::detect::check_input(&bytes, &st96::detect::Limits::default())
        .map_err(|e| e.to_string())?;
    report_parse_time(start);
    Ok(summary.elements)
}

/// Typed parse of the whole document: plugs in the codegen's `Root::from_xml` for the bulletin's
/// root when the `hague` models are built.
fn typed_whole() -> Option<ModeFn> {
    #[cfg(feature = "hague")]
    {
        fn run(path: &Path) -> Result<u64, String> {
            use st96::Root;
            use st96::v6::hague::dgn::HagueIbToOfficeTransactionType;
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let start = Instant::now();
            let doc =
                HagueIbToOfficeTransactionType::from_xml(&bytes).map_err(|e| e.to_string())?;
            report_parse_time(start);
            std::hint::black_box(&doc);
            Ok(1)
        }
        Some(run)
    }
    #[cfg(not(feature = "hague"))]
    {
        None
    }
}

/// Typed streaming parse, record by record: the codegen's `st96::stream::BulletinReader` over a
/// 64 KiB `BufReader` of the file, every record decoded into its generated type and dropped.
fn typed_stream() -> Option<ModeFn> {
    #[cfg(feature = "hague")]
    {
        fn run(path: &Path) -> Result<u64, String> {
            use st96::stream::BulletinReader;
            let file =
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            let start = Instant::now();
            let mut reader = BulletinReader::new(BufReader::with_capacity(64 * 1024, file))
                .map_err(|e| e.to_string())?;
            let mut records = 0u64;
            for record in &mut reader {
                let record = record.map_err(|e| e.to_string())?;
                std::hint::black_box(&record);
                records += 1;
            }
            report_parse_time(start);
            Ok(records)
        }
        Some(run)
    }
    #[cfg(not(feature = "hague"))]
    {
        None
    }
}

// ---- harness ------------------------------------------------------------------------------------

/// Lets the child report the time of the parse itself (without reading the file into memory).
fn report_parse_time(start: Instant) {
    println!("secs={}", start.elapsed().as_secs_f64());
}

/// Peak resident set size of this process in KiB (`VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn child(mode: &str, path: &Path) -> ExitCode {
    let Some(run) = modes()
        .into_iter()
        .find(|m| m.name == mode)
        .and_then(|m| m.run)
    else {
        eprintln!("unknown or unavailable mode {mode}");
        return ExitCode::FAILURE;
    };
    match run(path) {
        Ok(items) => {
            println!("items={items}");
            println!("hwm_kib={}", peak_rss_kib().unwrap_or(0));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mode {mode} failed on {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

struct Measure {
    secs: f64,
    hwm_kib: u64,
    items: u64,
}

fn run_child(mode: &str, path: &Path) -> Result<Measure, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let out = Command::new(exe)
        .env(CHILD_ENV, mode)
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run child for {mode}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "mode {mode} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::to_owned)
            .ok_or_else(|| format!("mode {mode}: child printed no {key}"))
    };
    Ok(Measure {
        secs: field("secs=")?.parse().map_err(|e| format!("{e}"))?,
        hwm_kib: field("hwm_kib=")?.parse().map_err(|e| format!("{e}"))?,
        items: field("items=")?.parse().map_err(|e| format!("{e}"))?,
    })
}

fn env_number(key: &str, default: f64) -> f64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `<target>/st96-bench/bulletin-<mb>mb-seed1.xml`, generated if missing or older than the
/// generator.
fn bulletin(mb: f64) -> Result<PathBuf, String> {
    if let Ok(file) = std::env::var("ST96_BENCH_FILE") {
        return Ok(PathBuf::from(file));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = workspace.join("tools/gen-bulletin.py");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
            .unwrap_or_else(|| workspace.join("target")),
    };
    let path = target
        .join("st96-bench")
        .join(format!("bulletin-{mb}mb-seed1.xml"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = match (modified(&path), modified(&script)) {
        (Some(out), Some(gen_time)) => out >= gen_time,
        (Some(_), None) => true,
        _ => false,
    };
    if !fresh {
        eprintln!("generating {} with {}", path.display(), script.display());
        let status = Command::new("python3")
            .arg(&script)
            .args(["--size-mb", &mb.to_string(), "--seed", "1", "--out"])
            .arg(&path)
            .status()
            .map_err(|e| {
                format!(
                    "cannot run python3 {}: {e}; install python3",
                    script.display()
                )
            })?;
        if !status.success() {
            return Err(format!("{} failed ({status})", script.display()));
        }
    }
    Ok(path)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        let Some(path) = args.first() else {
            eprintln!("child mode {mode} needs a file argument");
            return ExitCode::FAILURE;
        };
        return child(&mode, Path::new(path));
    }
    // `cargo test --benches` runs bench targets with `--test`-like arguments: do nothing then.
    if !args.iter().any(|a| a == "--bench") {
        println!("parse bench: run with `cargo bench -p st96 --bench parse`");
        return ExitCode::SUCCESS;
    }

    let mb = env_number("ST96_BENCH_MB", 50.0);
    let runs = env_number("ST96_BENCH_RUNS", 3.0).max(1.0) as usize;
    let only: Option<Vec<String>> = std::env::var("ST96_BENCH_MODES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let path = match bulletin(mb) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let size = match std::fs::read(&path) {
        // Reading it once also warms the page cache for every mode.
        Ok(bytes) => bytes.len() as f64,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    println!(
        "st96 parse bench: {} ({:.1} MB), best of {runs} round-robin runs per mode, each run in its own process",
        path.display(),
        size / 1e6
    );
    println!(
        "{:<14} {:>9} {:>9} {:>12} {:>12}  what",
        "mode", "MB/s", "ratio", "peak RSS", "items"
    );
    // Runs go round-robin over the modes, so that load from other processes on the machine
    // affects every mode alike; each mode keeps its best time and its highest peak RSS.
    let selected: Vec<Mode> = modes()
        .into_iter()
        .filter(|m| only.as_ref().is_none_or(|o| o.iter().any(|n| n == m.name)))
        .collect();
    let mut best: Vec<Option<Measure>> = selected.iter().map(|_| None).collect();
    let mut failed = false;
    for _ in 0..runs {
        for (mode, slot) in selected.iter().zip(best.iter_mut()) {
            if mode.run.is_none() {
                continue;
            }
            match run_child(mode.name, &path) {
                Ok(m) => {
                    *slot = Some(match slot.take() {
                        Some(b) => Measure {
                            secs: b.secs.min(m.secs),
                            hwm_kib: b.hwm_kib.max(m.hwm_kib),
                            items: m.items,
                        },
                        None => m,
                    });
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
        }
    }
    let floor_mbs = selected
        .iter()
        .zip(&best)
        .find(|(mode, _)| mode.name == "floor")
        .and_then(|(_, m)| m.as_ref())
        .map(|m| size / 1e6 / m.secs.max(1e-9));
    let mut stream_verdict = None;
    for (mode, measure) in selected.iter().zip(&best) {
        let Some(m) = measure else {
            let why = if mode.run.is_none() {
                "not available in this build"
            } else {
                "failed"
            };
            println!(
                "{:<14} {:>9} {:>9} {:>12} {:>12}  {} ({why})",
                mode.name, "n/a", "n/a", "n/a", "n/a", mode.what
            );
            continue;
        };
        let mbs = size / 1e6 / m.secs.max(1e-9);
        let ratio = floor_mbs.map_or("n/a".to_owned(), |f| format!("{:.3}", mbs / f));
        println!(
            "{:<14} {:>9.1} {:>9} {:>9.1} MiB {:>12}  {}",
            mode.name,
            mbs,
            ratio,
            m.hwm_kib as f64 / 1024.0,
            m.items,
            mode.what
        );
        if mode.name == "typed-stream" {
            stream_verdict = floor_mbs
                .map(|f| mbs / f >= STREAM_RATIO_TARGET && m.hwm_kib <= STREAM_RSS_TARGET_KIB);
        }
    }
    match stream_verdict {
        Some(true) => println!(
            "target (typed-stream >= {STREAM_RATIO_TARGET} x floor and <= 16 MiB peak RSS): met"
        ),
        Some(false) => println!(
            "target (typed-stream >= {STREAM_RATIO_TARGET} x floor and <= 16 MiB peak RSS): NOT met"
        ),
        None => println!("target (typed-stream): not measured in this run"),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
