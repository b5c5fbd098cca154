//! Output format shared by all commands: human-readable text, one JSON document, or NDJSON (one
//! JSON object per line: each record of a list, then a summary) for scripts and log pipelines.
//! Commands with long lists or long runs stream their records through [`Records`].

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

fn json_error(e: serde_json::Error) -> CliError {
    CliError::internal(format!("cannot serialise output as JSON: {e}"))
}

/// Prints `value` as pretty JSON on stdout, or as NDJSON lines ([`ndjson_lines`]) with
/// `--output ndjson`.
pub fn print_json<T: Serialize>(value: &T) -> CliResult {
    print_document(value, &[])
}

/// Prints a command's result document: pretty JSON, or with `--output ndjson` its lines
/// ([`ndjson_lines`]) without the fields named in `streamed`, whose records a [`Records`] already
/// wrote as they came.
pub fn print_document<T: Serialize>(value: &T, streamed: &[&str]) -> CliResult {
    if is_ndjson() {
        let mut value = serde_json::to_value(value).map_err(json_error)?;
        if let serde_json::Value::Object(map) = &mut value {
            for field in streamed {
                map.remove(*field);
            }
        }
        for line in ndjson_lines(value) {
            write_stdout(format_args!("{line}\n"));
        }
        return Ok(());
    }
    let text = serde_json::to_string_pretty(value).map_err(json_error)?;
    write_stdout(format_args!("{text}\n"));
    Ok(())
}

/// One list of a command's result, filled while the command runs: the one streaming mechanism of
/// every command with records (`hague history`, `hague track`, `hague bulletin sync`, `package
/// inspect` of a bulletin).
///
/// With `--output ndjson` each record is written the moment it is [`push`](Self::push)ed, as one
/// line `{"record": LIST, ...fields}` flushed at once (a reader sees it while the command still
/// runs; nothing is kept, so memory stays flat however many records there are). Otherwise the
/// record is kept, for the one JSON document or the text the command prints at its end; the
/// document is then printed with [`print_document`] naming this list as streamed.
#[derive(Debug)]
pub struct Records<T> {
    list: &'static str,
    streaming: bool,
    kept: Vec<T>,
    count: usize,
    /// Where streamed lines go: [`write_stdout`] (a test's buffer in unit tests).
    write: fn(&str),
}

fn write_line(line: &str) {
    write_stdout(format_args!("{line}\n"));
}

impl<T: Serialize> Records<T> {
    /// The list `list` (its field name in the JSON document), streamed with `--output ndjson`.
    pub fn new(list: &'static str) -> Self {
        Self::with_streaming(list, is_ndjson())
    }

    fn with_streaming(list: &'static str, streaming: bool) -> Self {
        Records {
            list,
            streaming,
            kept: Vec::new(),
            count: 0,
            write: write_line,
        }
    }

    /// Adds a record: written now as an NDJSON line, or kept.
    pub fn push(&mut self, record: T) -> CliResult {
        self.count += 1;
        if self.streaming {
            (self.write)(&record_line(self.list, &record)?);
        } else {
            self.kept.push(record);
        }
        Ok(())
    }

    /// The records kept (none when they were streamed).
    pub fn kept(&self) -> &[T] {
        &self.kept
    }

    /// The records kept, to sort or map them for the document (none when they were streamed).
    pub fn kept_mut(&mut self) -> &mut Vec<T> {
        &mut self.kept
    }

    /// Records pushed, streamed or kept.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The list's field name.
    pub fn list(&self) -> &'static str {
        self.list
    }
}

/// With `--output ndjson`, writes `record` of list `list` at once as a line of its own (see
/// [`Records`]); otherwise does nothing. For records a command never keeps: those only NDJSON
/// lists one by one (e.g. each record of a bulletin, which JSON and text only count).
pub fn stream_record<T: Serialize>(list: &'static str, record: &T) -> CliResult {
    if is_ndjson() {
        write_line(&record_line(list, record)?);
    }
    Ok(())
}

/// `{"record": LIST, ...record}` on one line; a record that is not an object is `"value"`.
fn record_line<T: Serialize>(list: &str, record: &T) -> CliResult<String> {
    use serde_json::Value;
    let mut line = serde_json::Map::new();
    line.insert("record".into(), Value::String(list.to_string()));
    match serde_json::to_value(record).map_err(json_error)? {
        Value::Object(fields) => line.extend(fields),
        other => {
            line.insert("value".into(), other);
        }
    }
    Ok(Value::Object(line).to_string())
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

    #[test]
    fn records_stream_as_lines_or_are_kept_for_the_document() {
        #[derive(Serialize)]
        struct Week {
            week: &'static str,
        }
        thread_local! {
            static WRITTEN: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let mut streamed = Records::with_streaming("downloaded", true);
        streamed.write = |line| WRITTEN.with(|w| w.borrow_mut().push(line.to_string()));
        streamed.push(Week { week: "202614" }).expect("push");
        assert_eq!(
            WRITTEN.with(|w| w.borrow().clone()),
            vec![r#"{"record":"downloaded","week":"202614"}"#.to_string()],
            "written at once, as one line"
        );
        assert_eq!(streamed.count(), 1);
        assert!(streamed.kept().is_empty(), "a streamed record is not kept");
        assert_eq!(
            record_line("missing", &"202615").expect("line"),
            r#"{"record":"missing","value":"202615"}"#
        );

        let mut kept = Records::with_streaming("downloaded", false);
        kept.push(Week { week: "202614" }).expect("push");
        kept.push(Week { week: "202615" }).expect("push");
        assert_eq!(kept.count(), 2);
        assert_eq!(kept.kept().len(), 2);
        assert_eq!(kept.list(), "downloaded");
    }
}
