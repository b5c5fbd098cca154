//! Archive safety: our own reading of the ZIP central directory (so that nothing, not even duplicate
//! names, is hidden by a ZIP library), the checks on every entry, and the limits.

use std::collections::HashMap;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::report::{Finding, Location};
use crate::rules::RuleId;

/// Limits applied to archives and XML, in both directions. All are configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most entries an archive may hold.
    pub max_entries: u64,
    /// Most bytes all entries may hold once decompressed.
    pub max_total_bytes: u64,
    /// Highest ratio of decompressed to compressed size for an entry (ZIP bombs).
    pub max_ratio: u64,
    /// Entries smaller than this (decompressed) are not checked for their ratio.
    pub ratio_min_bytes: u64,
    /// Deepest XML element nesting.
    pub max_xml_depth: usize,
    /// Most findings kept in a report.
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            max_total_bytes: 20 * 1024 * 1024 * 1024,
            max_ratio: 200,
            ratio_min_bytes: 1024 * 1024,
            max_xml_depth: 256,
            max_findings: 1000,
        }
    }
}

/// One entry of a ZIP central directory, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// Position in the central directory.
    pub index: usize,
    /// Name bytes as stored.
    pub name_raw: Vec<u8>,
    /// General-purpose flags (bit 0: encrypted, bit 11: UTF-8 name).
    pub flags: u16,
    /// Compression method (0 stored, 8 deflated).
    pub method: u16,
    /// "Version made by" (high byte: host system; 3 = Unix).
    pub made_by: u16,
    /// External attributes (Unix mode in the high 16 bits for Unix hosts).
    pub external_attrs: u32,
    /// Compressed size in bytes.
    pub compressed_size: u64,
    /// Declared decompressed size in bytes.
    pub size: u64,
    /// CRC-32 of the decompressed data.
    pub crc32: u32,
}

impl RawEntry {
    /// The name as text (lossy for non-UTF-8 names).
    pub fn name_lossy(&self) -> String {
        String::from_utf8_lossy(&self.name_raw).into_owned()
    }

    /// `true` for a directory entry (name ends with `/`).
    pub fn is_dir(&self) -> bool {
        self.name_raw.last() == Some(&b'/')
    }

    /// `true` if the entry is a Unix symbolic link.
    pub fn is_symlink(&self) -> bool {
        let host = self.made_by >> 8;
        let mode = self.external_attrs >> 16;
        host == 3 && (mode & 0o170000) == 0o120000
    }
}

/// Why the central directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CentralDirError {
    /// Reading the file failed.
    #[error("cannot read the archive: {0}")]
    Io(#[from] io::Error),
    /// The bytes are not a ZIP archive we can read.
    #[error("not a readable ZIP archive: {0}")]
    Malformed(String),
}

// Little-endian fields of ZIP headers (APPNOTE 4.4: all values are little-endian). Callers
// read fixed-size headers whole before calling these.
pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Applies the ZIP64 extended information extra field (APPNOTE 4.5.3, header ID 1) of a local or
/// central header's `extra` bytes: the 64-bit sizes, in this order, of the fields the header set
/// to 0xFFFFFFFF. Malformed extra fields are skipped, not trusted.
pub(crate) fn apply_zip64_sizes(extra: &[u8], size: &mut u64, compressed_size: &mut u64) {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = le16(extra, i);
        let n = usize::from(le16(extra, i + 2));
        let body = extra.get(i + 4..i + 4 + n).unwrap_or(&[]);
        if id == 1 {
            let mut at = 0;
            if *size == 0xFFFF_FFFF && body.len() >= at + 8 {
                *size = le64(body, at);
                at += 8;
            }
            if *compressed_size == 0xFFFF_FFFF && body.len() >= at + 8 {
                *compressed_size = le64(body, at);
            }
        }
        i += 4 + n;
    }
}

/// Reads every entry of the central directory (ZIP64 included), duplicates and all. Stops with
/// an error past `max_entries + 1` entries so a hostile directory cannot exhaust memory.
pub fn read_central_directory<R: Read + Seek>(
    file: &mut R,
    max_entries: u64,
) -> Result<(Vec<RawEntry>, u64), CentralDirError> {
    let len = file.seek(SeekFrom::End(0))?;
    if len < 22 {
        return Err(CentralDirError::Malformed(
            "the file is too short to be a ZIP archive".into(),
        ));
    }
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![
        0u8;
        usize::try_from(tail_len)
            .map_err(|_| CentralDirError::Malformed("size".into()))?
    ];
    file.read_exact(&mut tail)?;
    let eocd = (0..=tail.len() - 22)
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or_else(|| CentralDirError::Malformed("no end-of-central-directory record".into()))?;
    let e = &tail[eocd..];
    let mut total = u64::from(le16(e, 10));
    let mut cd_size = u64::from(le32(e, 12));
    let mut cd_offset = u64::from(le32(e, 16));
    if total == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        // ZIP64: the locator sits just before the EOCD record.
        if eocd < 20 || tail[eocd - 20..eocd - 16] != [0x50, 0x4b, 0x06, 0x07] {
            return Err(CentralDirError::Malformed("ZIP64 locator missing".into()));
        }
        let z64_at = le64(&tail, eocd - 20 + 8);
        file.seek(SeekFrom::Start(z64_at))?;
        let mut z = [0u8; 56];
        file.read_exact(&mut z)?;
        if z[..4] != [0x50, 0x4b, 0x06, 0x06] {
            return Err(CentralDirError::Malformed(
                "ZIP64 end record missing".into(),
            ));
        }
        total = le64(&z, 32);
        cd_size = le64(&z, 40);
        cd_offset = le64(&z, 48);
    }
    if cd_offset.checked_add(cd_size).is_none_or(|end| end > len) {
        return Err(CentralDirError::Malformed(
            "the central directory lies outside the file".into(),
        ));
    }
    let declared = total;
    file.seek(SeekFrom::Start(cd_offset))?;
    let mut r = BufReader::with_capacity(64 * 1024, (&mut *file).take(cd_size));
    let mut entries = Vec::new();
    let mut fixed = [0u8; 46];
    loop {
        match r.read_exact(&mut fixed) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.into()),
        }
        if fixed[..4] != [0x50, 0x4b, 0x01, 0x02] {
            return Err(CentralDirError::Malformed(
                "bad central directory header".into(),
            ));
        }
        if entries.len() as u64 > max_entries {
            break;
        }
        let name_len = usize::from(le16(&fixed, 28));
        let extra_len = usize::from(le16(&fixed, 30));
        let comment_len = usize::from(le16(&fixed, 32));
        let mut name_raw = vec![0u8; name_len];
        r.read_exact(&mut name_raw)?;
        let mut extra = vec![0u8; extra_len];
        r.read_exact(&mut extra)?;
        io::copy(&mut (&mut r).take(comment_len as u64), &mut io::sink())?;
        let mut compressed_size = u64::from(le32(&fixed, 20));
        let mut size = u64::from(le32(&fixed, 24));
        apply_zip64_sizes(&extra, &mut size, &mut compressed_size);
        entries.push(RawEntry {
            index: entries.len(),
            name_raw,
            flags: le16(&fixed, 8),
            method: le16(&fixed, 10),
            made_by: le16(&fixed, 4),
            external_attrs: le32(&fixed, 38),
            compressed_size,
            size,
            crc32: le32(&fixed, 16),
        });
    }
    Ok((entries, declared))
}

/// Checks one entry name; returns the rule it breaks and why.
pub fn check_name(raw: &[u8]) -> Result<&str, (RuleId, String)> {
    let name = std::str::from_utf8(raw).map_err(|_| {
        (
            RuleId::ZipNameEncoding,
            format!(
                "entry name {:?} is not UTF-8; rename the file with UTF-8 characters and rebuild the archive",
                String::from_utf8_lossy(raw)
            ),
        )
    })?;
    if name.contains('\\') {
        return Err((
            RuleId::ZipBackslash,
            format!("entry name {name:?} contains a backslash; use '/' as the folder separator"),
        ));
    }
    if name.starts_with('/') {
        return Err((
            RuleId::ZipAbsolute,
            format!("entry name {name:?} is absolute; store paths relative to the archive root"),
        ));
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err((
            RuleId::ZipDrive,
            format!(
                "entry name {name:?} starts with a drive letter; store paths relative to the archive root"
            ),
        ));
    }
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err((
            RuleId::ZipBadName,
            format!("entry name {name:?} is empty or contains control characters; rename the file"),
        ));
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for seg in trimmed.split('/') {
        if seg == ".." {
            return Err((
                RuleId::ZipTraversal,
                format!(
                    "entry name {name:?} climbs out of the archive with '..'; remove the '..' segments"
                ),
            ));
        }
        if seg.is_empty() || seg == "." {
            return Err((
                RuleId::ZipBadName,
                format!(
                    "entry name {name:?} has an empty or '.' segment; use plain relative paths"
                ),
            ));
        }
    }
    Ok(name)
}

/// Every safety check on a central directory: names, links, encryption, methods, duplicates, case
/// collisions and limits. An empty result means the archive may be read.
pub fn check_entries(entries: &[RawEntry], declared_total: u64, limits: &Limits) -> Vec<Finding> {
    let mut out = Vec::new();
    let count = declared_total.max(entries.len() as u64);
    if count > limits.max_entries {
        out.push(Finding::new(
            RuleId::ZipTooManyEntries,
            format!(
                "the archive has {count} entries, more than the limit of {}; split the package or raise the entry limit",
                limits.max_entries
            ),
            Location::default(),
        ));
    }
    let mut total: u64 = 0;
    let mut exact: HashMap<&[u8], usize> = HashMap::new();
    let mut folded: HashMap<String, String> = HashMap::new();
    for e in entries {
        let shown = e.name_lossy();
        let loc = Location::file(shown.clone());
        match check_name(&e.name_raw) {
            Err((rule, msg)) => out.push(Finding::new(rule, msg, loc.clone())),
            Ok(name) => {
                let key = name.strip_suffix('/').unwrap_or(name).to_lowercase();
                if let Some(prev) = folded.get(&key) {
                    if prev != name
                        && prev.strip_suffix('/').unwrap_or(prev)
                            != name.strip_suffix('/').unwrap_or(name)
                    {
                        out.push(Finding::new(
                            RuleId::ZipCaseCollision,
                            format!(
                                "entry names {prev:?} and {name:?} differ only in letter case and would overwrite each other on Windows and macOS; rename one"
                            ),
                            loc.clone(),
                        ));
                    }
                } else {
                    folded.insert(key, name.to_owned());
                }
            }
        }
        if exact.insert(&e.name_raw, e.index).is_some() {
            out.push(Finding::new(
                RuleId::ZipDuplicate,
                format!("entry name {shown:?} appears more than once; keep one entry per file"),
                loc.clone(),
            ));
        }
        if e.is_symlink() {
            out.push(Finding::new(
                RuleId::ZipSymlink,
                format!("entry {shown:?} is a symbolic link; put the file itself in the archive"),
                loc.clone(),
            ));
        }
        if e.flags & 0x0041 != 0 {
            out.push(Finding::new(
                RuleId::ZipEncrypted,
                format!(
                    "entry {shown:?} is encrypted; packages must not be encrypted (HWS uses TLS)"
                ),
                loc.clone(),
            ));
        }
        if e.method != 0 && e.method != 8 {
            out.push(Finding::new(
                RuleId::ZipMethod,
                format!(
                    "entry {shown:?} uses compression method {}; only stored (0) and deflated (8) are accepted",
                    e.method
                ),
                loc.clone(),
            ));
        }
        total = total.saturating_add(e.size);
        if e.size >= limits.ratio_min_bytes {
            let ratio = e.size / e.compressed_size.max(1);
            if ratio > limits.max_ratio {
                out.push(Finding::new(
                    RuleId::ZipRatio,
                    format!(
                        "entry {shown:?} expands {ratio}x ({} bytes from {}), more than the limit of {}x: a possible ZIP bomb",
                        e.size, e.compressed_size, limits.max_ratio
                    ),
                    loc.clone(),
                ));
            }
        }
    }
    if total > limits.max_total_bytes {
        out.push(Finding::new(
            RuleId::ZipTooLarge,
            format!(
                "the archive expands to {total} bytes, more than the limit of {}; raise the size limit if this is expected",
                limits.max_total_bytes
            ),
            Location::default(),
        ));
    }
    out
}

/// A reader that fails once more than `limit` bytes have come through: the check on the actual
/// decompressed size, whatever the archive declares.
#[derive(Debug)]
pub(crate) struct CappedReader<R> {
    pub(crate) inner: R,
    pub(crate) remaining: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the entry decompresses to more bytes than declared or allowed",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name(b"a/b.pdf").is_ok());
        assert!(check_name(b"dir/").is_ok());
        assert_eq!(check_name(b"../x").unwrap_err().0, RuleId::ZipTraversal);
        assert_eq!(
            check_name(b"a/../../x").unwrap_err().0,
            RuleId::ZipTraversal
        );
        assert_eq!(check_name(b"/etc/x").unwrap_err().0, RuleId::ZipAbsolute);
        assert_eq!(check_name(b"a\\b").unwrap_err().0, RuleId::ZipBackslash);
        assert_eq!(check_name(b"C:x").unwrap_err().0, RuleId::ZipDrive);
        assert_eq!(
            check_name(b"a\xffb").unwrap_err().0,
            RuleId::ZipNameEncoding
        );
        assert_eq!(check_name(b"a//b").unwrap_err().0, RuleId::ZipBadName);
        assert_eq!(check_name(b"a\x01").unwrap_err().0, RuleId::ZipBadName);
        assert_eq!(check_name(b"").unwrap_err().0, RuleId::ZipBadName);
    }
}
