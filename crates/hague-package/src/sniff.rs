//! File kinds from magic numbers, and image dimensions read from headers (JPEG SOF, PNG IHDR)
//! without decoding the image.

use std::io::{self, Read};

use serde::Serialize;

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FileKind {
    /// `%PDF-`
    Pdf,
    /// `FF D8 FF`
    Jpeg,
    /// `89 PNG`
    Png,
    /// `II*\0` or `MM\0*`
    Tiff,
    /// `GIF87a` / `GIF89a`
    Gif,
    /// `<?xml` or `<`
    Xml,
    /// Anything else.
    Other,
}

impl FileKind {
    /// The ST.96 format category name (`PDF`, `JPEG`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Jpeg => "JPEG",
            FileKind::Png => "PNG",
            FileKind::Tiff => "TIFF",
            FileKind::Gif => "GIF",
            FileKind::Xml => "XML",
            FileKind::Other => "OTHER",
        }
    }

    /// The kind named by an ST.96 format category (`PDF`, `JPEG`, `JPG`, ...), case-insensitively.
    pub fn from_category(category: &str) -> Option<FileKind> {
        match category.trim().to_ascii_uppercase().as_str() {
            "PDF" => Some(FileKind::Pdf),
            "JPEG" | "JPG" => Some(FileKind::Jpeg),
            "PNG" => Some(FileKind::Png),
            "TIFF" | "TIF" => Some(FileKind::Tiff),
            "GIF" => Some(FileKind::Gif),
            "XML" => Some(FileKind::Xml),
            _ => None,
        }
    }

    /// The kind suggested by a file name's extension.
    pub fn from_extension(name: &str) -> Option<FileKind> {
        let ext = name.rsplit_once('.')?.1;
        FileKind::from_category(ext)
    }

    /// Identifies a file from its first bytes (16 are enough).
    pub fn sniff(head: &[u8]) -> FileKind {
        let head_no_bom = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
        if head.starts_with(b"%PDF-") {
            FileKind::Pdf
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            FileKind::Jpeg
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            FileKind::Png
        } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
            FileKind::Tiff
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            FileKind::Gif
        } else if head_no_bom.starts_with(b"<?xml") || head_no_bom.starts_with(b"<") {
            FileKind::Xml
        } else {
            FileKind::Other
        }
    }
}

/// Width and height of an image in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dimensions {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
}

/// Why an image header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// The stream could not be read.
    #[error("cannot read the image: {0}")]
    Io(#[from] io::Error),
    /// The header is malformed or truncated.
    #[error("{0}")]
    Malformed(&'static str),
}

/// The most header bytes scanned for a JPEG frame header (EXIF and ICC segments come first).
pub const MAX_JPEG_HEADER_SCAN: u64 = 4 * 1024 * 1024;

fn read_u8(r: &mut impl Read) -> Result<u8, HeaderError> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            HeaderError::Malformed("the JPEG ends before its frame header (SOF)")
        } else {
            HeaderError::Io(e)
        }
    })?;
    Ok(b[0])
}

fn read_u16(r: &mut impl Read) -> Result<u16, HeaderError> {
    let hi = read_u8(r)?;
    let lo = read_u8(r)?;
    Ok(u16::from_be_bytes([hi, lo]))
}

/// Reads a JPEG's dimensions from its frame header (SOF0..SOF15), skipping other segments;
/// the compressed image data is never read.
///
/// ```
/// let jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 30, 1, 1, 0x11, 0];
/// let d = hague_package::jpeg_dimensions(&mut &jpeg[..]).unwrap();
/// assert_eq!((d.width, d.height), (30, 20));
/// ```
pub fn jpeg_dimensions(r: &mut impl Read) -> Result<Dimensions, HeaderError> {
    let mut r = r.take(MAX_JPEG_HEADER_SCAN);
    if read_u8(&mut r)? != 0xFF || read_u8(&mut r)? != 0xD8 {
        return Err(HeaderError::Malformed("not a JPEG (no SOI marker)"));
    }
    loop {
        let mut b = read_u8(&mut r)?;
        if b != 0xFF {
            return Err(HeaderError::Malformed("JPEG marker expected"));
        }
        while b == 0xFF {
            b = read_u8(&mut r)?;
        }
        let marker = b;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 => {
                return Err(HeaderError::Malformed(
                    "the JPEG ends (EOI) before any frame header",
                ));
            }
            0xDA => {
                return Err(HeaderError::Malformed(
                    "the JPEG image data (SOS) starts before any frame header",
                ));
            }
            _ => {}
        }
        let len = read_u16(&mut r)?;
        if len < 2 {
            return Err(HeaderError::Malformed("JPEG segment length below 2"));
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            if len < 7 {
                return Err(HeaderError::Malformed("JPEG frame header too short"));
            }
            let _precision = read_u8(&mut r)?;
            let height = read_u16(&mut r)?;
            let width = read_u16(&mut r)?;
            return Ok(Dimensions {
                width: u32::from(width),
                height: u32::from(height),
            });
        }
        let skip = u64::from(len - 2);
        let skipped = io::copy(&mut (&mut r).take(skip), &mut io::sink())?;
        if skipped != skip {
            return Err(HeaderError::Malformed(
                "the JPEG ends inside a header segment",
            ));
        }
    }
}

/// Reads a PNG's dimensions from its IHDR chunk.
///
/// ```
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
/// png.extend_from_slice(&[0, 0, 0, 40, 0, 0, 0, 50]);
/// let d = hague_package::png_dimensions(&mut &png[..]).unwrap();
/// assert_eq!((d.width, d.height), (40, 50));
/// ```
pub fn png_dimensions(r: &mut impl Read) -> Result<Dimensions, HeaderError> {
    let mut head = [0u8; 24];
    r.read_exact(&mut head).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            HeaderError::Malformed("the PNG ends before its IHDR chunk")
        } else {
            HeaderError::Io(e)
        }
    })?;
    if &head[..8] != b"\x89PNG\r\n\x1a\n" {
        return Err(HeaderError::Malformed("not a PNG (bad signature)"));
    }
    if &head[12..16] != b"IHDR" {
        return Err(HeaderError::Malformed(
            "the PNG does not start with an IHDR chunk",
        ));
    }
    let width = u32::from_be_bytes([head[16], head[17], head[18], head[19]]);
    let height = u32::from_be_bytes([head[20], head[21], head[22], head[23]]);
    if width == 0 || height == 0 {
        return Err(HeaderError::Malformed(
            "the PNG declares a zero width or height",
        ));
    }
    Ok(Dimensions { width, height })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_kinds() {
        assert_eq!(FileKind::sniff(b"%PDF-1.4\n"), FileKind::Pdf);
        assert_eq!(FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), FileKind::Jpeg);
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n"), FileKind::Png);
        assert_eq!(FileKind::sniff(b"\xEF\xBB\xBF<?xml"), FileKind::Xml);
        assert_eq!(FileKind::sniff(b"PK\x03\x04"), FileKind::Other);
    }

    #[test]
    fn jpeg_skips_app_segments_and_restart_markers() {
        let mut j = vec![
            0xFF, 0xD8, 0xFF, 0xE1, 0, 6, 1, 2, 3, 4, 0xFF, 0xFF, 0xC2, 0, 11, 8, 7, 0x62, 3, 0x20,
        ];
        j.extend_from_slice(&[3, 1, 0x11, 0]);
        let d = jpeg_dimensions(&mut &j[..]).unwrap();
        assert_eq!((d.width, d.height), (800, 1890));
    }

    #[test]
    fn jpeg_without_sof_is_refused() {
        let j = [0xFF, 0xD8, 0xFF, 0xDA, 0, 2];
        assert!(jpeg_dimensions(&mut &j[..]).is_err());
        let j = [0xFF, 0xD8, 0xFF, 0xE0, 0, 20, 1];
        assert!(jpeg_dimensions(&mut &j[..]).is_err());
        let j = [0xFF, 0xD8, 0xFF, 0xC4, 0, 1];
        assert!(jpeg_dimensions(&mut &j[..]).is_err());
    }

    #[test]
    fn png_header() {
        assert!(png_dimensions(&mut &b"\x89PNG\r\n\x1a\n"[..]).is_err());
    }
}
