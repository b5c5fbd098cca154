//! Exit codes and the CLI's error type.
//!
//! Every failure the CLI reports is a [`CliError`]: a message that names the problem, an optional hint
//! that names the fix, and a distinct [`ExitCode`]. The table is documented in `docs/cli.md`.

use std::fmt;

/// The process exit codes of `ipgate`. Stable: scripts depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The command did what was asked (and, for checks, the input is valid).
    Ok = 0,
    /// A check ran and found the input invalid (`st96 check`, `package validate`, ...).
    Invalid = 1,
    /// The command line is wrong (unknown flag, missing argument). clap uses this code too.
    Usage = 2,
    /// A file could not be read or written.
    Io = 3,
    /// Configuration is missing or wrong (profile, settings, key file permissions).
    Config = 4,
    /// The server refused our credentials (OAuth error, 401, 403, bad HMAC signature).
    Auth = 5,
    /// The network failed (connection refused, timeout, TLS).
    Network = 6,
    /// The server answered with something we cannot use (unexpected status, 300 Multiple Choices, bad body).
    Remote = 7,
    /// A bug in ipgate.
    Internal = 8,
    /// The server has no such thing (HWS 404: unknown import ID or SRN, no issue that week).
    NotFound = 9,
    /// The server refused the request itself (HWS rejected the package, with its reasons).
    Rejected = 10,
    /// The server asked us to slow down (429); `Retry-After` is in the message.
    RateLimited = 11,
    /// The server failed (5xx) or is unavailable; try again later.
    Server = 12,
    /// Not sent: the journal already has this package (sent, or left `sending`/`unknown` by an
    /// earlier run); the message names the earlier submission.
    AlreadySubmitted = 13,
    /// Gave up waiting (`--wait`): the request is still being processed; ask again later.
    StillPending = 14,
}

impl ExitCode {
    /// The numeric code passed to the operating system.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// An error reported to the user: what went wrong, how to fix it, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code for the process.
    pub code: ExitCode,
    /// What went wrong, naming the thing that was wrong.
    pub message: String,
    /// How to fix it, when we know.
    pub hint: Option<String>,
}

impl CliError {
    /// A new error with the given exit code and message.
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint that names the fix.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// An I/O error on `path`, with the operation that failed.
    pub fn io(action: &str, path: &std::path::Path, err: &std::io::Error) -> Self {
        Self::new(
            ExitCode::Io,
            format!("cannot {action} {}: {err}", path.display()),
        )
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Config, message)
    }

    /// A bug: something that should not happen.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Internal, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

/// Result type of every CLI command.
pub type CliResult<T = ()> = Result<T, CliError>;
