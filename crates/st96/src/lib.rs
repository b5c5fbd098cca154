//! WIPO Standard ST.96 XML for Rust.
//!
#![doc = include_str!("../README.md")]
// The Common types are deeply recursive (lists inside paragraphs inside lists ...): proving
// `Send` for a root type needs more than the default 128 steps, and rustdoc listing the auto traits
// of the generated (de)serializer states needs more than 512.
#![recursion_limit = "1024"]
// Without a model feature only `detect` and the guards are usable; the parsing plumbing idles.
#![cfg_attr(
    not(any(feature = "hague", feature = "design")),
    allow(dead_code, unused_macros, unused_imports)
)]

// The generated models name this crate by its own name (xsd-parser's `crate::` include paths
// break inside modules).
extern crate self as st96;

pub mod by_kind;
pub mod checks;
pub mod detect;
pub mod document;
pub mod fast;
mod roots;
#[cfg(feature = "hague")]
pub mod stream;
pub mod strict;
pub mod types;

pub use document::{Document, Error, Root};

/// Models generated from the ST.96 V6_0 schemas (`st96::v6::hague::dgn::...`).
#[path = "generated/v6/mod.rs"]
pub mod v6;
