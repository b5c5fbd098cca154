//! Where every byte of a publication's ZIP comes from, and a reader that makes any range of it.
//!
//! The archive is, in order: the XML entry (local header, head, one record after another, tail);
//! the files of every record, in record order (local header, data); the central directory (the
//! XML, then every file); the end records. One counting pass at construction makes every record
//! and file once, keeping only what later passes need: the XML's length and CRC-32, a 12-byte
//! entry per file (CRC-32, length, name length), and a checkpoint every [`BLOCK`] records (where
//! its XML, its first file and its first central-directory entry are). A range is then made from
//! the checkpoint before its start: at most one block is made and thrown away.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::corpus::{Corpus, FileRef, Kind, XmlSink};
use super::zipfmt::{self, DosTime};

/// Records between checkpoints.
const BLOCK: u64 = 32;

/// Approximate bytes of headers per file in the archive (local + central, without the name).
const FILE_OVERHEAD: u64 = 30 + 46;

/// A run of records of one kind (one bag).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group {
    pub(crate) kind: Kind,
    /// Global index of its first record.
    pub(crate) first: u64,
    pub(crate) count: u64,
}

/// How many records of a kind to make.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Quota {
    /// Exactly this many.
    Count(u64),
    /// At least `min`, then until the group's bytes (XML, files and their headers) reach `bytes`.
    Bytes { min: u64, bytes: u64 },
}

#[derive(Debug, Clone, Copy)]
struct FileMeta {
    crc: u32,
    len: u32,
    name_len: u16,
}

#[derive(Debug, Clone, Copy, Default)]
struct Checkpoint {
    /// Global index of the record.
    unit: u64,
    /// Offset of its XML from the start of the records in the XML.
    xml: u64,
    /// Ordinal of its first file.
    file: u64,
    /// Offset of its first file's local header from the start of the files.
    files_at: u64,
    /// Offset of its first file's central header from the first file's central header.
    central_at: u64,
}

/// The layout of one publication. Immutable once built; shared by every reader.
#[derive(Debug)]
pub(crate) struct Layout {
    corpus: Corpus,
    groups: Vec<Group>,
    units: u64,
    xml_name: String,
    dos: DosTime,
    head: Vec<u8>,
    xml_len: u64,
    xml_crc: u32,
    files: Vec<FileMeta>,
    checkpoints: Vec<Checkpoint>,
    /// Start of the records in the XML.
    body_start: u64,
    tail_start: u64,
    files_start: u64,
    central_start: u64,
    central_files_start: u64,
    end_start: u64,
    total: u64,
    /// SHA-256 of everything the bytes depend on.
    digest: [u8; 32],
}

/// Why a layout could not be built.
#[derive(Debug)]
pub(crate) enum LayoutError {
    /// No record at all.
    Empty,
    /// A file of more than 4 GiB.
    FileTooLarge(String),
}

impl Layout {
    /// The counting pass: makes every record and file once.
    pub(crate) fn build(
        corpus: Corpus,
        quotas: &[(Kind, Quota)],
        xml_name: String,
        fingerprint: &[u8],
    ) -> Result<Self, LayoutError> {
        let dos = DosTime::noon(corpus.date);
        let mut sink = XmlSink {
            buf: Vec::with_capacity(16 * 1024),
            on: true,
        };
        let mut refs: Vec<FileRef> = Vec::new();
        let mut data = Vec::with_capacity(64 * 1024);
        let mut body = crc32fast::Hasher::new();
        let mut body_len = 0u64;
        let mut files: Vec<FileMeta> = Vec::new();
        let mut checkpoints = Vec::new();
        let mut groups = Vec::new();
        let mut files_at = 0u64;
        let mut unit = 0u64;
        for &(kind, quota) in quotas {
            let first = unit;
            let mut group_bytes = 0u64;
            let mut local = 0u64;
            loop {
                let more = match quota {
                    Quota::Count(n) => local < n,
                    Quota::Bytes { min, bytes } => local < min || group_bytes < bytes,
                };
                if !more {
                    break;
                }
                if unit.is_multiple_of(BLOCK) {
                    checkpoints.push(Checkpoint {
                        unit,
                        xml: body_len,
                        file: files.len() as u64,
                        files_at,
                        central_at: 0,
                    });
                }
                sink.buf.clear();
                refs.clear();
                if local == 0 {
                    sink.buf
                        .extend_from_slice(Corpus::bag_open(kind).as_bytes());
                }
                corpus.record(kind, local, &mut sink, &mut refs);
                body.update(&sink.buf);
                body_len += sink.buf.len() as u64;
                group_bytes += sink.buf.len() as u64;
                for f in &refs {
                    data.clear();
                    f.write(&mut data);
                    let len = u32::try_from(data.len())
                        .map_err(|_| LayoutError::FileTooLarge(f.name.clone()))?;
                    files.push(FileMeta {
                        crc: crc32fast::hash(&data),
                        len,
                        name_len: f.name.len() as u16,
                    });
                    files_at += zipfmt::local_len(f.name.len(), u64::from(len)) + u64::from(len);
                    group_bytes += u64::from(len) + FILE_OVERHEAD + 2 * f.name.len() as u64;
                }
                local += 1;
                unit += 1;
            }
            if local > 0 {
                let close = Corpus::bag_close(kind);
                body.update(close.as_bytes());
                body_len += close.len() as u64;
                groups.push(Group {
                    kind,
                    first,
                    count: local,
                });
            }
        }
        if unit == 0 {
            return Err(LayoutError::Empty);
        }
        let counts: Vec<(Kind, u64)> = groups.iter().map(|g| (g.kind, g.count)).collect();
        let head = corpus.head(&counts).into_bytes();
        let tail = corpus.tail();
        let mut xml = crc32fast::Hasher::new();
        xml.update(&head);
        xml.combine(&body);
        xml.update(tail.as_bytes());
        let xml_crc = xml.finalize();
        let xml_len = head.len() as u64 + body_len + tail.len() as u64;
        let body_start = zipfmt::local_len(xml_name.len(), xml_len) + head.len() as u64;
        let tail_start = body_start + body_len;
        let files_start = tail_start + tail.len() as u64;
        let central_start = files_start + files_at;

        // Central directory: walk the files once for their headers' lengths and the checkpoints.
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        digest.update(b"ipgate-sandbox publication\0");
        digest.update(&super::GENERATOR_VERSION.to_le_bytes());
        digest.update(fingerprint);
        digest.update(&xml_len.to_le_bytes());
        digest.update(&xml_crc.to_le_bytes());
        let central_files_start = central_start + zipfmt::central_len(xml_name.len(), xml_len, 0);
        let mut central_at = 0u64;
        let mut local_at = files_start;
        let mut cp = 0usize;
        for (ordinal, f) in files.iter().enumerate() {
            while cp < checkpoints.len() && checkpoints[cp].file <= ordinal as u64 {
                checkpoints[cp].central_at = central_at;
                cp += 1;
            }
            digest.update(&f.crc.to_le_bytes());
            digest.update(&f.len.to_le_bytes());
            digest.update(&f.name_len.to_le_bytes());
            central_at += zipfmt::central_len(usize::from(f.name_len), u64::from(f.len), local_at);
            local_at +=
                zipfmt::local_len(usize::from(f.name_len), u64::from(f.len)) + u64::from(f.len);
        }
        for c in &mut checkpoints[cp..] {
            c.central_at = central_at;
        }
        let end_start = central_files_start + central_at;
        let entries = files.len() as u64 + 1;
        let total = end_start + zipfmt::end_len(entries, central_start, end_start - central_start);
        digest.update(&total.to_le_bytes());
        let mut d = [0u8; 32];
        d.copy_from_slice(digest.finish().as_ref());
        Ok(Self {
            corpus,
            groups,
            units: unit,
            xml_name,
            dos,
            head,
            xml_len,
            xml_crc,
            files,
            checkpoints,
            body_start,
            tail_start,
            files_start,
            central_start,
            central_files_start,
            end_start,
            total,
            digest: d,
        })
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    pub(crate) fn xml_name(&self) -> &str {
        &self.xml_name
    }

    pub(crate) fn xml_len(&self) -> u64 {
        self.xml_len
    }

    pub(crate) fn files(&self) -> u64 {
        self.files.len() as u64
    }

    /// Records by kind, in bag order.
    pub(crate) fn counts(&self) -> Vec<(Kind, u64)> {
        self.groups.iter().map(|g| (g.kind, g.count)).collect()
    }

    fn group_of(&self, unit: u64) -> (Group, u64) {
        let g = self
            .groups
            .iter()
            .rev()
            .find(|g| g.first <= unit)
            .copied()
            .unwrap_or(self.groups[0]);
        (g, unit - g.first)
    }

    /// The last checkpoint whose position (by `at`) is at most `pos`.
    fn checkpoint(&self, pos: u64, at: impl Fn(&Checkpoint) -> u64) -> Checkpoint {
        let i = self.checkpoints.partition_point(|c| at(c) <= pos);
        self.checkpoints[i.saturating_sub(1)]
    }

    /// A cursor at the start of the piece holding `pos`, and that piece's start.
    fn seek(&self, pos: u64) -> (Cursor, u64) {
        let at = |piece, file, files_at| Cursor {
            piece,
            file,
            files_at,
        };
        if pos < self.body_start {
            (at(Piece::Head, 0, 0), 0)
        } else if pos < self.tail_start {
            let c = self.checkpoint(pos, |c| self.body_start + c.xml);
            (at(Piece::Xml(c.unit), 0, 0), self.body_start + c.xml)
        } else if pos < self.files_start {
            (at(Piece::Tail, 0, 0), self.tail_start)
        } else if pos < self.central_start {
            let c = self.checkpoint(pos, |c| self.files_start + c.files_at);
            (
                at(Piece::Files(c.unit), c.file, c.files_at),
                self.files_start + c.files_at,
            )
        } else if pos < self.central_files_start {
            (at(Piece::CentralXml, 0, 0), self.central_start)
        } else if pos < self.end_start {
            let c = self.checkpoint(pos, |c| self.central_files_start + c.central_at);
            (
                at(Piece::Central(c.unit), c.file, c.files_at),
                self.central_files_start + c.central_at,
            )
        } else {
            (at(Piece::End, 0, 0), self.end_start)
        }
    }

    /// Record `unit`'s XML (with its bag's opening or closing tag) and files.
    fn unit(&self, unit: u64, sink: &mut XmlSink, refs: &mut Vec<FileRef>) {
        let (g, local) = self.group_of(unit);
        sink.buf.clear();
        refs.clear();
        if sink.on && local == 0 {
            sink.buf
                .extend_from_slice(Corpus::bag_open(g.kind).as_bytes());
        }
        self.corpus.record(g.kind, local, sink, refs);
        if sink.on && local + 1 == g.count {
            sink.buf
                .extend_from_slice(Corpus::bag_close(g.kind).as_bytes());
        }
    }

    /// Appends the bytes of the cursor's piece to `out` and moves the cursor to the next piece.
    fn render(&self, cur: &mut Cursor, out: &mut Vec<u8>, w: &mut Work) {
        let next_unit = |u: u64, then: Piece, more: fn(u64) -> Piece| {
            if u + 1 < self.units {
                more(u + 1)
            } else {
                then
            }
        };
        match cur.piece {
            Piece::Head => {
                zipfmt::local(out, &self.xml_name, self.xml_crc, self.xml_len, self.dos);
                out.extend_from_slice(&self.head);
                cur.piece = Piece::Xml(0);
            }
            Piece::Xml(u) => {
                w.sink.on = true;
                self.unit(u, &mut w.sink, &mut w.refs);
                out.extend_from_slice(&w.sink.buf);
                cur.piece = next_unit(u, Piece::Tail, Piece::Xml);
            }
            Piece::Tail => {
                out.extend_from_slice(self.corpus.tail().as_bytes());
                cur.piece = Piece::Files(0);
                cur.file = 0;
                cur.files_at = 0;
            }
            Piece::Files(u) => {
                w.sink.on = false;
                self.unit(u, &mut w.sink, &mut w.refs);
                for f in &w.refs {
                    let meta = self.files[cur.file as usize];
                    let len = u64::from(meta.len);
                    // Its length is known from the counting pass: the file goes straight after
                    // its header, without a copy.
                    zipfmt::local(out, &f.name, meta.crc, len, self.dos);
                    let at = out.len();
                    f.write(out);
                    debug_assert_eq!(out.len() - at, len as usize, "{} changed", f.name);
                    cur.files_at += zipfmt::local_len(f.name.len(), len) + len;
                    cur.file += 1;
                }
                cur.piece = next_unit(u, Piece::CentralXml, Piece::Files);
            }
            Piece::CentralXml => {
                zipfmt::central(out, &self.xml_name, self.xml_crc, self.xml_len, 0, self.dos);
                cur.piece = Piece::Central(0);
                cur.file = 0;
                cur.files_at = 0;
            }
            Piece::Central(u) => {
                w.sink.on = false;
                self.unit(u, &mut w.sink, &mut w.refs);
                for f in &w.refs {
                    let meta = self.files[cur.file as usize];
                    let len = u64::from(meta.len);
                    let offset = self.files_start + cur.files_at;
                    zipfmt::central(out, &f.name, meta.crc, len, offset, self.dos);
                    cur.files_at += zipfmt::local_len(f.name.len(), len) + len;
                    cur.file += 1;
                }
                cur.piece = next_unit(u, Piece::End, Piece::Central);
            }
            Piece::End => {
                let entries = self.files.len() as u64 + 1;
                zipfmt::end(
                    out,
                    entries,
                    self.central_start,
                    self.end_start - self.central_start,
                );
                cur.piece = Piece::Done;
            }
            Piece::Done => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Head,
    Xml(u64),
    Tail,
    Files(u64),
    CentralXml,
    Central(u64),
    End,
    Done,
}

#[derive(Debug, Clone, Copy)]
struct Cursor {
    piece: Piece,
    /// Ordinal of the next file (in `Files` and `Central`).
    file: u64,
    /// Offset of the next file's local header from the start of the files.
    files_at: u64,
}

/// Reusable buffers of a reader.
struct Work {
    sink: XmlSink,
    refs: Vec<FileRef>,
}

/// A chunk is a slice of one piece when that piece has at least this many bytes left (fewer are
/// gathered with the next pieces' into a new buffer).
const MIN_SLICE: usize = 64 * 1024;

/// Reads bytes `start..end` of a publication, making them as it goes (see [`Layout`]).
pub struct PublicationReader {
    layout: Arc<Layout>,
    cursor: Cursor,
    /// Bytes of the current piece not yet handed out are `buf[pos..]` (handed out by
    /// [`PublicationReader::next_chunk`] as slices of it, without a copy, when they are enough).
    buf: Bytes,
    pos: usize,
    /// Bytes still to hand out.
    remaining: u64,
    /// Bytes of the next pieces to drop (the part of the first piece before the range).
    skip: u64,
    work: Work,
}

impl std::fmt::Debug for PublicationReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicationReader")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl PublicationReader {
    /// A reader of bytes `start..end` (`end` exclusive, both within the archive).
    pub(crate) fn new(layout: Arc<Layout>, start: u64, end: u64) -> Self {
        let (cursor, piece_start) = layout.seek(start);
        Self {
            cursor,
            buf: Bytes::new(),
            pos: 0,
            remaining: end.saturating_sub(start),
            skip: start - piece_start,
            work: Work {
                sink: XmlSink {
                    buf: Vec::with_capacity(16 * 1024),
                    on: true,
                },
                refs: Vec::new(),
            },
            layout,
        }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Makes the next piece(s) until some bytes are available; `false` at the end.
    fn fill(&mut self) -> bool {
        while self.pos >= self.buf.len() {
            if self.remaining == 0 || self.cursor.piece == Piece::Done {
                return false;
            }
            self.pos = 0;
            let mut piece = Vec::with_capacity(self.buf.len().max(64 * 1024));
            self.layout
                .render(&mut self.cursor, &mut piece, &mut self.work);
            self.buf = Bytes::from(piece);
            let len = self.buf.len() as u64;
            if self.skip >= len {
                self.skip -= len;
                self.buf = Bytes::new();
            } else {
                self.pos = self.skip as usize;
                self.skip = 0;
            }
        }
        true
    }

    /// The next chunk of at most `max` bytes (`None` at the end of the range).
    pub fn next_chunk(&mut self, max: usize) -> Option<Bytes> {
        let want = (max as u64).min(self.remaining) as usize;
        if want == 0 || !self.fill() {
            return None;
        }
        let here = self.buf.len() - self.pos;
        if here >= want.min(MIN_SLICE) {
            // A slice of the piece: the bytes are not copied (most of a big publication's pieces
            // are files of many kilobytes).
            let n = here.min(want);
            let chunk = self.buf.slice(self.pos..self.pos + n);
            self.pos += n;
            self.remaining -= n as u64;
            return Some(chunk);
        }
        let mut out = BytesMut::with_capacity(want);
        while out.len() < want && self.fill() {
            let n = (want - out.len()).min(self.buf.len() - self.pos);
            out.extend_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            self.remaining -= n as u64;
        }
        (!out.is_empty()).then(|| out.freeze())
    }
}

impl std::io::Read for PublicationReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() || !self.fill() {
            return Ok(0);
        }
        let n = (out.len() as u64)
            .min(self.remaining)
            .min((self.buf.len() - self.pos) as u64) as usize;
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.remaining -= n as u64;
        Ok(n)
    }
}
