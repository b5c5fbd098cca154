//! A huge text node (issue 14, hostile inputs: "a 1 GB text node, streamed, bounded"), generated on
//! the fly by a reader (nothing written to disk) and given to the streaming reader of bulletins and
//! office copies: it must end in a clear error or a clean pass, without a panic, and memory must
//! stay bounded whatever the size of the node. Its own test binary, so the peak resident size
//! (`VmHWM`) is this test's. `IPGATE_HUGE_TEXT_BYTES` sets the size (default 64 MiB in the suite;
//! `tools/huge-text-node.sh` runs 1 GiB in release).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufReader, Read};

use st96::stream::IbToOfficeReader;

/// The office-copy bag of `tests/data`, with `len` bytes of `A` as the text of the first
/// registration's international registration number, produced as it is read.
struct HugeText {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Bytes of the text node still to produce.
    left: u64,
    /// Position in `head`, then in `tail`.
    at: usize,
    in_tail: bool,
}

impl HugeText {
    fn new(len: u64) -> Self {
        let xml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/ib_office_bag.xml"
        ))
        .expect("the office-copy sample");
        let at = xml
            .find("DM/201000")
            .expect("the first registration number");
        HugeText {
            head: xml.as_bytes()[..at].to_vec(),
            tail: xml.as_bytes()[at + "DM/201000".len()..].to_vec(),
            left: len,
            at: 0,
            in_tail: false,
        }
    }
}

impl Read for HugeText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.in_tail && self.at < self.head.len() {
            let n = buf.len().min(self.head.len() - self.at);
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        if self.left > 0 {
            let n = (buf.len() as u64).min(self.left) as usize;
            buf[..n].fill(b'A');
            self.left -= n as u64;
            return Ok(n);
        }
        if !self.in_tail {
            self.in_tail = true;
            self.at = 0;
        }
        let n = buf.len().min(self.tail.len() - self.at);
        buf[..n].copy_from_slice(&self.tail[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Peak resident size of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
#[cfg(target_os = "linux")]
fn a_huge_text_node_is_streamed_in_bounded_memory() {
    let len: u64 = std::env::var("IPGATE_HUGE_TEXT_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64 << 20);
    let before = peak_rss_kib();
    let input = BufReader::with_capacity(64 * 1024, HugeText::new(len));
    let outcome = match IbToOfficeReader::new(input) {
        Err(e) => Err(e.to_string()),
        Ok(mut reader) => {
            let mut result = Ok(0u64);
            for record in &mut reader {
                match record {
                    Ok(_) => *result.as_mut().expect("ok") += 1,
                    Err(e) => {
                        result = Err(e.to_string());
                        break;
                    }
                }
            }
            result
        }
    };
    let grew_mib = peak_rss_kib().saturating_sub(before) / 1024;
    eprintln!("{len} bytes of text: {outcome:?}; peak RSS grew {grew_mib} MiB");
    // Past the record limit: refused with the error naming it, having read no more than the limit;
    // memory independent of the node's size.
    if len > st96::detect::Limits::DEFAULT_MAX_RECORD_BYTES {
        let e = outcome.expect_err("a record longer than the limit is refused");
        assert!(e.contains("longer than the limit of 16777216 bytes"), "{e}");
        assert!(e.contains("Limits::max_record_bytes"), "{e}");
    }
    assert!(
        grew_mib < 48,
        "peak RSS grew {grew_mib} MiB for a text node of {len} bytes"
    );
}
