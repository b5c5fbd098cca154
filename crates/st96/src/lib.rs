//! WIPO Standard ST.96 XML for Rust.

pub mod detect;
