//! Progress bars on stderr (indicatif): one mechanism for downloads and `bulletin sync`.
//!
//! Shown only when stderr is a terminal, the output is for people (`--output human`) and not
//! `--quiet`: scripts and logs never get control characters, and stdout is never touched.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::OutputFormat;

static QUIET: AtomicBool = AtomicBool::new(false);

/// Remembers `--quiet`. Called once, by `main`.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether a command printing in `output` may draw progress bars.
pub fn enabled(output: OutputFormat) -> bool {
    output == OutputFormat::Human
        && !is_quiet()
        && !crate::output::is_ndjson()
        && std::io::stderr().is_terminal()
}

/// A progress bar on stderr; cleared by [`Bar::finish`] (or when dropped).
#[derive(Debug, Clone)]
pub struct Bar(ProgressBar);

impl Bar {
    fn new(template: &str, label: String, len: Option<u64>) -> Self {
        let pb = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(label);
        pb.tick();
        Bar(pb)
    }

    /// Bytes of one download: `LABEL [=====>   ] 12.5 MiB/40.0 MiB 8.1 MiB/s`.
    pub fn bytes(label: String) -> Self {
        Self::new(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            label,
            None,
        )
    }

    /// Items of a long run, e.g. the weeks of `bulletin sync`: `LABEL [====>  ] 3/10 weeks`.
    pub fn items(label: String, total: u64, unit: &'static str) -> Self {
        let template = format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed}}");
        Self::new(&template, label, Some(total))
    }

    /// The download callback that moves this bar (`ipgate_http` calls it as bytes arrive).
    pub fn callback(&self) -> ipgate_http::ProgressFn {
        let pb = self.0.clone();
        Arc::new(move |p: ipgate_http::Progress| {
            if let Some(total) = p.total {
                pb.set_length(total);
            }
            pb.set_position(p.received);
        })
    }

    /// One more item done.
    pub fn inc(&self) {
        self.0.inc(1);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
