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
    write_stdout(format_args!("{text}\n"));
    Ok(())
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
