//! Output format shared by all commands: human-readable text, one JSON document, or NDJSON (one
//! JSON object per line: each record of a list, then a summary) for scripts and log pipelines.

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

/// What `--output` accepts. Commands see [`OutputFormat`]: NDJSON is JSON to them, and
/// [`print_json`] writes it as lines (one place, so every command has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputChoice {
    /// Text for people.
    #[default]
    Human,
    /// One JSON document on stdout, for scripts.
    Json,
    /// One JSON object per line: each record of every list (with `"record": "<list>"`), then
    /// a `"record": "summary"` line with the rest.
    Ndjson,
}

static NDJSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl OutputChoice {
    /// The format commands use; remembers NDJSON for [`print_json`]. Called once, by `main`.
    pub fn select(self) -> OutputFormat {
        match self {
            OutputChoice::Human => OutputFormat::Human,
            OutputChoice::Json => OutputFormat::Json,
            OutputChoice::Ndjson => {
                NDJSON.store(true, std::sync::atomic::Ordering::Relaxed);
                OutputFormat::Json
            }
        }
    }
}

/// Whether `--output ndjson` was chosen.
pub fn is_ndjson() -> bool {
    NDJSON.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prints `value` as pretty JSON on stdout, or as NDJSON lines ([`ndjson_lines`]) with
/// `--output ndjson`.
pub fn print_json<T: Serialize>(value: &T) -> CliResult {
    let fail =
        |e: serde_json::Error| CliError::internal(format!("cannot serialise output as JSON: {e}"));
    if is_ndjson() {
        let value = serde_json::to_value(value).map_err(fail)?;
        for line in ndjson_lines(value) {
            write_stdout(format_args!("{line}\n"));
        }
        return Ok(());
    }
    let text = serde_json::to_string_pretty(value).map_err(fail)?;
    write_stdout(format_args!("{text}\n"));
    Ok(())
}

/// A JSON document as NDJSON lines: every element of every top-level array of objects becomes a
/// line of its own tagged `"record": "<field>"` (lists in field-name order, each in its own order);
/// the other fields follow as one `"record": "summary"` line (also when there was no list at
/// all). Any other value is one line.
pub fn ndjson_lines(value: serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let Value::Object(map) = value else {
        return vec![value.to_string()];
    };
    let mut lines = Vec::new();
    let mut summary = serde_json::Map::new();
    for (key, field) in map {
        match field {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                for item in items {
                    let mut record = serde_json::Map::new();
                    record.insert("record".into(), Value::String(key.clone()));
                    if let Value::Object(fields) = item {
                        record.extend(fields);
                    }
                    lines.push(Value::Object(record).to_string());
                }
            }
            other => {
                summary.insert(key, other);
            }
        }
    }
    let mut last = serde_json::Map::new();
    last.insert("record".into(), Value::String("summary".into()));
    last.extend(summary);
    lines.push(Value::Object(last).to_string());
    lines
}

/// Writes to stdout. A reader that went away (`ipgate ... | head`) ends the process quietly with
/// success, as Unix tools do; any other write failure ends it with the I/O exit code. Use it through
/// [`outln!`](crate::outln) and [`out!`](crate::out), never `println!`, which panics on a closed pipe.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(i32::from(crate::exit::ExitCode::Io.code()));
    }
}

/// `println!` for command output: see [`write_stdout`].
#[macro_export]
macro_rules! outln {
    () => { $crate::output::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for command output: see [`write_stdout`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_puts_each_record_on_a_line_and_the_rest_in_a_summary() {
        let doc = serde_json::json!({
            "sandbox": true,
            "submissions": [{"id": 1}, {"id": 2}],
            "publications": [],
            "weeks": ["202614"],
            "journal": "/j"
        });
        let lines = ndjson_lines(doc);
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert!(lines.iter().all(|l| !l.contains('\n')));
        assert_eq!(parsed.len(), 3, "{lines:?}");
        assert_eq!(
            parsed[0],
            serde_json::json!({"record": "submissions", "id": 1})
        );
        assert_eq!(
            parsed[1],
            serde_json::json!({"record": "submissions", "id": 2})
        );
        assert_eq!(parsed[2]["record"], "summary");
        assert_eq!(parsed[2]["sandbox"], true);
        assert_eq!(parsed[2]["publications"], serde_json::json!([]));
        assert_eq!(parsed[2]["weeks"], serde_json::json!(["202614"]));
        assert_eq!(
            ndjson_lines(serde_json::json!([1, 2])),
            vec!["[1,2]".to_string()]
        );
    }
}
