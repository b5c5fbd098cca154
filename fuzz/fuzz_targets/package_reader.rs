//! hague-package's readers on arbitrary ZIP bytes: `validate_package`, `inspect` and `extract`
//! never panic, whatever the archive holds.
#![no_main]
#![recursion_limit = "512"]

use std::io::Write;

use hague_package::{Limits, Options, Schemas, extract, inspect, validate_package};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempdir();
    let zip = dir.join("p.zip");
    std::fs::File::create(&zip)
        .and_then(|mut f| f.write_all(data))
        .expect("write the archive");
    let schemas = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../xsd/wipo");
    let opts = Options {
        schemas: Schemas::Dirs(vec![schemas]),
        ..Options::default()
    };
    let _ = validate_package(&zip, &opts);
    let _ = inspect(&zip, &Limits::default());
    let out = dir.join("out");
    let _ = extract(&zip, &out, &Limits::default());
    let _ = std::fs::remove_dir_all(&dir);
});

/// A fresh directory per run (under the system's temporary directory).
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "ipgate-fuzz-pkg-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a temporary directory");
    d
}
