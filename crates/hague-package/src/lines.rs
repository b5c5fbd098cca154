//! A reader wrapper that maps byte offsets to line and column while a document streams through it,
//! keeping only the newlines of the read-ahead window in memory.
//!
//! Memory is bounded whatever the document: at most [`MAX_PENDING`] newline offsets are kept
//! ahead of the last position located; past that the oldest are folded into the line count.
//! The callers locate every element start and end, so the window normally holds only the
//! newlines of the read-ahead buffer; a position asked for more than [`MAX_PENDING`] lines behind
//! what was read (one event spanning that many lines) is located at the oldest line still known.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Most newline offsets kept ahead of the last located position (8 bytes each: 128 KiB; a
/// 256 KiB read-ahead buffer of a pretty-printed document holds a few thousand).
pub(crate) const MAX_PENDING: usize = 16 * 1024;

#[derive(Debug)]
struct LineState {
    line: u64,
    line_start: u64,
    pending: VecDeque<u64>,
}

/// Shared handle answering "which line and column is byte offset N" for offsets that only grow.
#[derive(Debug, Clone)]
pub(crate) struct Lines(Rc<RefCell<LineState>>);

impl Lines {
    /// Line and column (both 1-based) of byte offset `pos`. Offsets must not decrease between calls.
    pub(crate) fn locate(&self, pos: u64) -> (u64, u64) {
        let mut s = self.0.borrow_mut();
        while let Some(&nl) = s.pending.front() {
            if nl < pos {
                s.pending.pop_front();
                s.line += 1;
                s.line_start = nl + 1;
            } else {
                break;
            }
        }
        (s.line, pos.saturating_sub(s.line_start) + 1)
    }
}

/// Counts newlines in what is consumed from `inner`.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: R,
    consumed: u64,
    lines: Lines,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(inner: R) -> (Self, Lines) {
        let lines = Lines(Rc::new(RefCell::new(LineState {
            line: 1,
            line_start: 0,
            pending: VecDeque::new(),
        })));
        (
            Self {
                inner,
                consumed: 0,
                lines: lines.clone(),
            },
            lines,
        )
    }
}

fn note(lines: &Lines, consumed: &mut u64, data: &[u8]) {
    let mut s = lines.0.borrow_mut();
    for i in memchr::memchr_iter(b'\n', data) {
        if s.pending.len() >= MAX_PENDING
            && let Some(nl) = s.pending.pop_front()
        {
            s.line += 1;
            s.line_start = nl + 1;
        }
        s.pending.push_back(*consumed + i as u64);
    }
    *consumed += data.len() as u64;
}

impl<R: BufRead> Read for LineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        note(&self.lines, &mut self.consumed, &buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            note(&self.lines, &mut self.consumed, &buf[..amt.min(buf.len())]);
        }
        self.inner.consume(amt);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let text = b"ab\ncd\n\nefg";
        let (mut r, lines) = LineReader::new(&text[..]);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(lines.locate(0), (1, 1));
        assert_eq!(lines.locate(4), (2, 2));
        assert_eq!(lines.locate(7), (4, 1));
        assert_eq!(lines.locate(9), (4, 3));
    }

    #[test]
    fn memory_stays_bounded_without_locating() {
        // Three windows' worth of lines, nothing located until the end.
        let n = 3 * MAX_PENDING + 5;
        let text = "x\n".repeat(n) + "end";
        let (mut r, lines) = LineReader::new(text.as_bytes());
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert!(lines.0.borrow().pending.len() <= MAX_PENDING);
        // Positions after the folded newlines are still located exactly.
        let end = (2 * n) as u64;
        assert_eq!(lines.locate(end), (n as u64 + 1, 1));
        assert_eq!(lines.locate(end + 2), (n as u64 + 1, 3));
    }

    #[test]
    fn consume_counts_like_read() {
        let text = b"a\nbb\nccc\n";
        let (mut r, lines) = LineReader::new(std::io::BufReader::with_capacity(4, &text[..]));
        loop {
            let n = r.fill_buf().unwrap().len();
            if n == 0 {
                break;
            }
            r.consume(n.min(3));
        }
        assert_eq!(lines.locate(5), (3, 1));
        assert_eq!(lines.locate(8), (3, 4));
    }
}
