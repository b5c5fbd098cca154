//! The ZIP records a publication is made of (PKWARE APPNOTE 6.3.10): stored entries whose sizes
//! and CRC-32 are known before their data, so every header is written ahead of its data (no data
//! descriptors) and the archive's length is known before the first byte is sent. ZIP64 records
//! (APPNOTE 4.3.14, 4.5.3) appear only when a size, an offset or the entry count needs them.

/// DOS date and time of every entry (APPNOTE 4.4.6): noon of the publication date.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DosTime {
    pub(crate) time: u16,
    pub(crate) date: u16,
}

impl DosTime {
    pub(crate) fn noon(d: time::Date) -> Self {
        let year = (d.year() - 1980).clamp(0, 127) as u16;
        Self {
            time: 12 << 11,
            date: (year << 9) | (u16::from(u8::from(d.month())) << 5) | u16::from(d.day()),
        }
    }
}

const U32_MAX: u64 = 0xFFFF_FFFF;
/// UTF-8 names (APPNOTE appendix D); ours are ASCII anyway.
const FLAGS: u16 = 0x0800;
/// Made by: Unix (3), version 4.5.
const MADE_BY: u16 = (3 << 8) | 45;
/// Regular file, mode 0644, in the high half of the external attributes (Unix hosts).
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

fn needed(zip64: bool) -> u16 {
    if zip64 { 45 } else { 20 }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn clamp32(v: u64) -> u32 {
    v.min(U32_MAX) as u32
}

/// Length of the local header of an entry of `size` bytes named with `name_len` bytes.
pub(crate) fn local_len(name_len: usize, size: u64) -> u64 {
    30 + name_len as u64 + if size >= U32_MAX { 20 } else { 0 }
}

/// The fields the local and the central header of a stored entry have in common, in the same
/// order: flags, method (0, stored), time, date, CRC-32, compressed and uncompressed size (clamped;
/// a ZIP64 extra field holds the real size) and the name's length.
fn shared_fields(out: &mut Vec<u8>, name: &str, crc: u32, size: u64, t: DosTime) {
    u16le(out, FLAGS);
    u16le(out, 0); // stored
    u16le(out, t.time);
    u16le(out, t.date);
    u32le(out, crc);
    u32le(out, clamp32(size));
    u32le(out, clamp32(size));
    u16le(out, name.len() as u16);
}

/// Appends the local file header of a stored entry.
pub(crate) fn local(out: &mut Vec<u8>, name: &str, crc: u32, size: u64, t: DosTime) {
    let zip64 = size >= U32_MAX;
    u32le(out, 0x0403_4b50);
    u16le(out, needed(zip64));
    shared_fields(out, name, crc, size, t);
    u16le(out, if zip64 { 20 } else { 0 });
    out.extend_from_slice(name.as_bytes());
    if zip64 {
        u16le(out, 0x0001);
        u16le(out, 16);
        u64le(out, size);
        u64le(out, size);
    }
}

fn central_extra_len(size: u64, offset: u64) -> usize {
    let n = if size >= U32_MAX { 16 } else { 0 } + if offset >= U32_MAX { 8 } else { 0 };
    if n == 0 { 0 } else { 4 + n }
}

/// Length of the central directory header of an entry.
pub(crate) fn central_len(name_len: usize, size: u64, offset: u64) -> u64 {
    (46 + name_len + central_extra_len(size, offset)) as u64
}

/// Appends the central directory header of a stored entry whose local header is at `offset`.
pub(crate) fn central(out: &mut Vec<u8>, name: &str, crc: u32, size: u64, offset: u64, t: DosTime) {
    let extra = central_extra_len(size, offset);
    u32le(out, 0x0201_4b50);
    u16le(out, MADE_BY);
    u16le(out, needed(extra > 0));
    shared_fields(out, name, crc, size, t);
    u16le(out, extra as u16);
    u16le(out, 0); // comment
    u16le(out, 0); // disk
    u16le(out, 0); // internal attributes
    u32le(out, EXTERNAL_ATTRS);
    u32le(out, clamp32(offset));
    out.extend_from_slice(name.as_bytes());
    if extra > 0 {
        u16le(out, 0x0001);
        u16le(out, (extra - 4) as u16);
        if size >= U32_MAX {
            u64le(out, size);
            u64le(out, size);
        }
        if offset >= U32_MAX {
            u64le(out, offset);
        }
    }
}

fn end_zip64(entries: u64, cd_offset: u64, cd_size: u64) -> bool {
    entries >= 0xFFFF || cd_offset >= U32_MAX || cd_size >= U32_MAX
}

/// Length of the end records (with the ZIP64 end record and locator when needed).
pub(crate) fn end_len(entries: u64, cd_offset: u64, cd_size: u64) -> u64 {
    22 + if end_zip64(entries, cd_offset, cd_size) {
        56 + 20
    } else {
        0
    }
}

/// Appends the end records of an archive whose central directory of `entries` entries starts at
/// `cd_offset` and is `cd_size` bytes long.
pub(crate) fn end(out: &mut Vec<u8>, entries: u64, cd_offset: u64, cd_size: u64) {
    if end_zip64(entries, cd_offset, cd_size) {
        let record_at = cd_offset + cd_size;
        u32le(out, 0x0606_4b50);
        u64le(out, 44);
        u16le(out, MADE_BY);
        u16le(out, 45);
        u32le(out, 0);
        u32le(out, 0);
        u64le(out, entries);
        u64le(out, entries);
        u64le(out, cd_size);
        u64le(out, cd_offset);
        u32le(out, 0x0706_4b50);
        u32le(out, 0);
        u64le(out, record_at);
        u32le(out, 1);
    }
    u32le(out, 0x0605_4b50);
    u16le(out, 0);
    u16le(out, 0);
    u16le(out, entries.min(0xFFFF) as u16);
    u16le(out, entries.min(0xFFFF) as u16);
    u32le(out, clamp32(cd_size));
    u32le(out, clamp32(cd_offset));
    u16le(out, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_what_is_written() {
        let t = DosTime { time: 0, date: 0 };
        for (size, offset) in [
            (10, 0),
            (U32_MAX, 0),
            (10, U32_MAX + 5),
            (U32_MAX + 1, U32_MAX),
        ] {
            let mut out = Vec::new();
            local(&mut out, "a/b.jpg", 1, size, t);
            assert_eq!(out.len() as u64, local_len(7, size));
            out.clear();
            central(&mut out, "a/b.jpg", 1, size, offset, t);
            assert_eq!(out.len() as u64, central_len(7, size, offset));
        }
        for (n, off, size) in [(3, 10, 10), (70_000, 10, 10), (3, U32_MAX, 10)] {
            let mut out = Vec::new();
            end(&mut out, n, off, size);
            assert_eq!(out.len() as u64, end_len(n, off, size));
        }
    }
}
