//! Progress bars on stderr (indicatif): one mechanism for downloads, uploads (`hague submit`),
//! `bulletin sync` and long validations (`package validate`, `st96 check`, the check before a
//! submit).
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

    /// Sets the length (e.g. once it is known how many passes read the file).
    pub fn set_length(&self, len: u64) {
        self.0.set_length(len);
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

    /// The validation callback that moves this bar (`hague_package` calls it as it reads each
    /// entry of a package): the message names the entry, the bar its bytes read in this pass.
    pub fn read_progress(&self, verb: &'static str) -> hague_package::ReadProgress {
        let pb = self.0.clone();
        let current = std::sync::Mutex::new(String::new());
        hague_package::ReadProgress::new(move |entry, read, size| {
            if let Ok(mut c) = current.lock()
                && *c != entry
            {
                entry.clone_into(&mut c);
                pb.set_message(format!("{verb} {entry}"));
                pb.set_length(size);
            }
            pb.set_position(read);
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

/// A reader that moves a bar by the bytes read through it (none without a bar): the progress of
/// a pass over a large file.
#[derive(Debug)]
pub struct Counted<R> {
    inner: R,
    bar: Option<ProgressBar>,
}

/// `inner`, counted on `bar` when there is one.
pub fn counted<R>(bar: Option<&Bar>, inner: R) -> Counted<R> {
    Counted {
        inner,
        bar: bar.map(|b| b.0.clone()),
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}
