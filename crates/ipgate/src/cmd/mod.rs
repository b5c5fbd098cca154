//! One module per top-level command. Each has an `Args` type and an async `run`.

pub mod auth;
pub mod demo;
pub mod doctor;
pub mod generate;
pub mod hague;
pub mod innography;
pub mod keys;
pub mod package;
pub mod sandbox;
pub mod schemas;
pub mod settings;
pub mod st96;
