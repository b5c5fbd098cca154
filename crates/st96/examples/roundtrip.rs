//! Reads an ST.96 Hague Office-to-IB transaction and writes it back to stdout.
//!
//! `cargo run -p st96 --example roundtrip -- FILE`

// st96's Common types nest deeply; proving auto traits needs more than 128 steps in release builds.
#![recursion_limit = "512"]

use st96::Root;
use st96::v6::hague::dgn::HagueOfficeToIbTransaction;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: roundtrip FILE (an ST.96 dgn:HagueOfficeToIBTransaction)")?;
    let doc = HagueOfficeToIbTransaction::from_xml(&std::fs::read(&path)?)?;
    for w in &doc.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", doc.to_xml()?);
    Ok(())
}
