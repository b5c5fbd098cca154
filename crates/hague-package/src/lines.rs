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

/// Most newline offsets kept ahead of the last located position: every newline of the
/// [`SCAN_AHEAD`] bytes scanned ahead, even of newlines only, so every position is located
/// exactly. 8 bytes each: at most 2 MiB, reached only by such input; a pretty-printed document's
/// 256 KiB hold a few thousand.
pub(crate) const MAX_PENDING: usize = SCAN_AHEAD;

/// Most bytes scanned for newlines ahead of what is consumed (whatever the size of the buffer
/// the inner reader offers: a slice offers all of itself).
const SCAN_AHEAD: usize = 256 * 1024;

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

/// Counts newlines in what is read from `inner`. Each byte is scanned once, when it first
/// appears in a buffer (`fill_buf`) or is read: a streaming parser consumes a buffer in many
/// small pieces (one per event), and scanning piece by piece cost ~9 % of a validation's
/// instructions (callgrind, our generator's bulletin) against ~0.1 instruction a byte for one
/// scan per buffer.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: R,
    /// Bytes consumed (the offset of the start of `inner`'s current buffer).
    consumed: u64,
    /// Bytes scanned for newlines (never less than `consumed`).
    scanned: u64,
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
                scanned: 0,
                lines: lines.clone(),
            },
            lines,
        )
    }
}

/// Notes the newlines of `data`, which starts at byte `at` of the stream, that lie at or past
/// `*scanned`, and moves `*scanned` to the end of `data`.
fn note(lines: &Lines, scanned: &mut u64, at: u64, data: &[u8]) {
    let end = at + data.len() as u64;
    if end <= *scanned {
        return;
    }
    let skip = usize::try_from(scanned.saturating_sub(at)).unwrap_or(data.len());
    let from = at + skip as u64;
    let mut s = lines.0.borrow_mut();
    for i in memchr::memchr_iter(b'\n', &data[skip.min(data.len())..]) {
        if s.pending.len() >= MAX_PENDING
            && let Some(nl) = s.pending.pop_front()
        {
            s.line += 1;
            s.line_start = nl + 1;
        }
        s.pending.push_back(from + i as u64);
    }
    *scanned = end;
}

impl<R: BufRead> Read for LineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        note(&self.lines, &mut self.scanned, self.consumed, &buf[..n]);
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        // In blocks: once less than half of SCAN_AHEAD is scanned ahead, up to SCAN_AHEAD.
        if self.scanned < self.consumed + (SCAN_AHEAD / 2) as u64 {
            let upto = buf.len().min(SCAN_AHEAD);
            note(&self.lines, &mut self.scanned, self.consumed, &buf[..upto]);
        }
        Ok(buf)
    }

    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
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

    /// Reading after a `fill_buf` (which scanned the whole buffer) counts each newline once.
    #[test]
    fn fill_buf_then_read_counts_each_newline_once() {
        let text = b"a\nbb\nccc\ndddd\n";
        let (mut r, lines) = LineReader::new(std::io::BufReader::with_capacity(8, &text[..]));
        assert_eq!(r.fill_buf().unwrap().len(), 8);
        r.consume(2);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &text[2..]);
        assert_eq!(lines.locate(5), (3, 1));
        assert_eq!(lines.locate(9), (4, 1));
        assert_eq!(lines.locate(14), (5, 1));
    }

    /// A reader offering everything at once (a slice) is scanned ahead a block at a time, so
    /// lines far apart are all located exactly.
    #[test]
    fn a_slice_is_scanned_a_block_at_a_time() {
        let n = 3 * SCAN_AHEAD;
        let text = "\n".repeat(n) + "end";
        let (mut r, lines) = LineReader::new(text.as_bytes());
        let mut at = 0u64;
        loop {
            let len = r.fill_buf().unwrap().len();
            if len == 0 {
                break;
            }
            assert!(lines.0.borrow().pending.len() <= MAX_PENDING);
            let step = len.min(1000);
            r.consume(step);
            at += step as u64;
            let probe = at.saturating_sub(1).min(n as u64 - 1);
            assert_eq!(lines.locate(probe), (probe + 1, 1));
        }
        assert_eq!(lines.locate(n as u64 + 2), (n as u64 + 1, 3));
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
