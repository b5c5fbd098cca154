//! The differential test on arbitrary input: st96's typed reader (whole document and, for
//! IB-to-office documents, streaming) against `xsd-schema` with WIPO's official schema. Any
//! disagreement that is not on the documented list (`crates/hague-package/tests/differential/
//! judge.rs`, `exception`) is a crash. Needs the schemas installed (`IPGATE_SCHEMAS`, default
//! `../xsd/wipo`).
#![no_main]
#![recursion_limit = "512"]

#[path = "../../crates/hague-package/tests/differential/judge.rs"]
mod judge;

use std::path::PathBuf;
use std::sync::OnceLock;

use judge::{Kind, exception, judge};
use libfuzzer_sys::fuzz_target;

fn schemas() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("IPGATE_SCHEMAS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../xsd/wipo"));
        assert!(
            dir.join("V6_0/HagueOfficeToIBTransaction_V6_0.xsd").is_file(),
            "install the schemas: python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0"
        );
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    // The document's own root decides which schema and typed root judge it.
    let kind = st96::detect::detect(data)
        .ok()
        .and_then(|d| Kind::of_root(&d.root))
        .unwrap_or(Kind::OfficeToIb);
    let v = judge(kind, schemas(), data);
    if !v.agree() && exception(kind, schemas(), data, &v).is_none() {
        panic!("typed reader and schema disagree ({kind:?}):\n{v:#?}");
    }
    if !v.stream_agrees() {
        panic!("streaming and whole-document readers disagree:\n{v:#?}");
    }
});
