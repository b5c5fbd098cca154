//! Output format shared by all commands: human-readable text or JSON for scripts.

use clap::ValueEnum;
use serde::Serialize;

use crate::exit::{CliError, CliResult};

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Text for people.
    #[default]
    Human,
    /// One JSON document on stdout, for scripts.
    Json,
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::internal(format!("cannot serialise output as JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
