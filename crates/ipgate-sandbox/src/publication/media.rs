//! The files a publication references: small valid baseline JPEGs for design views and minimal
//! one-page PDFs for decisions, built here byte by byte (a port of `tools/gen-bulletin.py`'s
//! `make_jpeg` and `make_pdf`), so no binary fixture or image library is needed.

use super::rng::Rng;

/// Huffman table of the DC coefficients: the typical luminance DC table of ITU-T T.81 Annex K.3.
const DC_COUNTS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_SYMBOLS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// AC table with one code, `0` = end of block: every 8x8 block holds only its DC coefficient.
const AC_COUNTS: [u8; 16] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_SYMBOLS: [u8; 1] = [0];

/// Canonical Huffman codes (T.81 Annex C) of the DC table, by category: (code, length).
fn dc_code(category: usize) -> (u32, u32) {
    let mut code = 0u32;
    let mut k = 0usize;
    for (i, &count) in DC_COUNTS.iter().enumerate() {
        for _ in 0..count {
            if k == category {
                return (code, i as u32 + 1);
            }
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    (0, 1)
}

struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, length: u32) {
        for i in (0..length).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                let byte = self.acc as u8;
                self.out.push(byte);
                if byte == 0xFF {
                    self.out.push(0); // byte stuffing (T.81 F.1.2.3)
                }
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.put((1 << pad) - 1, pad); // pad with 1-bits
        }
        self.out
    }
}

fn segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Side of the generated images, in pixels.
pub(crate) const JPEG_SIDE: u16 = 64;

/// Appends a baseline greyscale JPEG of 64x64 pixels made of flat 8x8 blocks of grey (levels from
/// `rng`) to `out`. With `pad_to` above its natural size (~300-600 bytes), comment segments after
/// the JFIF header bring it to `pad_to` bytes (to within 3), for bulletins of a realistic size.
pub(crate) fn jpeg(rng: &mut Rng, pad_to: usize, out: &mut Vec<u8>) {
    let blocks = usize::from(JPEG_SIDE / 8);
    let mut bits = BitWriter {
        out: Vec::with_capacity(256),
        acc: 0,
        n: 0,
    };
    let mut previous = 0i64;
    for _ in 0..blocks * blocks {
        let level = rng.range(-100, 100);
        let diff = level - previous;
        previous = level;
        let category = (64 - diff.unsigned_abs().leading_zeros()) as usize;
        let (code, length) = dc_code(category);
        bits.put(code, length);
        if category > 0 {
            let v = if diff > 0 {
                diff
            } else {
                diff + (1 << category) - 1
            };
            bits.put(v as u32, category as u32);
        }
        bits.put(0, 1); // end of block
    }
    let scan = bits.finish();
    // Everything after the JFIF header (~400 bytes), so that the padding goes straight into
    // `out` at its place (a `splice` moved it in byte by byte: most of a big bulletin's cost).
    let mut rest = Vec::with_capacity(160 + scan.len());
    let mut dqt = [16u8; 65];
    dqt[0] = 0; // 8-bit table 0
    dqt[1] = 8; // DC quantiser: a block's level is its DC coefficient
    segment(&mut rest, 0xDB, &dqt);
    let side = JPEG_SIDE.to_be_bytes();
    segment(
        &mut rest,
        0xC0,
        &[8, side[0], side[1], side[0], side[1], 1, 1, 0x11, 0],
    );
    let mut dht = vec![0x00];
    dht.extend_from_slice(&DC_COUNTS);
    dht.extend_from_slice(&DC_SYMBOLS);
    segment(&mut rest, 0xC4, &dht);
    let mut dht = vec![0x10];
    dht.extend_from_slice(&AC_COUNTS);
    dht.extend_from_slice(&AC_SYMBOLS);
    segment(&mut rest, 0xC4, &dht);
    segment(&mut rest, 0xDA, &[1, 1, 0x00, 0, 63, 0]);
    rest.extend_from_slice(&scan);
    rest.extend_from_slice(&[0xFF, 0xD9]);
    let start = out.len();
    out.extend_from_slice(&[0xFF, 0xD8]);
    segment(out, 0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    let natural = out.len() - start + rest.len();
    if pad_to >= natural + 4 {
        let mut missing = pad_to - natural;
        let mut filler = [0u8; 64];
        for b in &mut filler {
            *b = b'a' + rng.below(10) as u8;
        }
        out.reserve(missing + rest.len());
        while missing >= 4 {
            let chunk = (missing - 4).min(65533);
            out.extend_from_slice(&[0xFF, 0xFE]);
            out.extend_from_slice(&((chunk + 2) as u16).to_be_bytes());
            // The filler repeated: its first copy, then the bytes written so far doubled.
            let from = out.len();
            out.extend_from_slice(&filler[..chunk.min(filler.len())]);
            while out.len() - from < chunk {
                let n = (out.len() - from).min(chunk - (out.len() - from));
                out.extend_from_within(from..from + n);
            }
            missing -= chunk + 4;
        }
    }
    out.extend_from_slice(&rest);
}

/// What a file's bytes start with, for the `dgn:ViewFileFormatCategory` of a given view.
pub(crate) fn view_format(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("JPEG")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("PNG")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_is_baseline_with_its_size_and_padding() {
        let mut out = Vec::new();
        jpeg(&mut Rng::keyed(&[7]), 0, &mut out);
        assert!(out.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(out.ends_with(&[0xFF, 0xD9]));
        assert!(out.len() > 200 && out.len() < 1000, "{}", out.len());
        // SOF0 with 64x64, one component.
        let sof = out
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("SOF0");
        assert_eq!(&out[sof + 5..sof + 10], &[0, 64, 0, 64, 1]);
        let mut padded = Vec::new();
        jpeg(&mut Rng::keyed(&[7]), 24 * 1024, &mut padded);
        assert!(padded.len() <= 24 * 1024 && padded.len() > 24 * 1024 - 4);
        assert!(padded.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert_eq!(&padded[20..22], &[0xFF, 0xFE], "comment right after JFIF");
        assert!(
            padded.ends_with(&out[20..]),
            "same image data after the comment"
        );
    }

    /// The bytes of generated views may never change without a `GENERATOR_VERSION` bump (they
    /// are in the CRC-32s of every publication served, and a resumed download mixes versions
    /// otherwise): a digest of many images, padded around every boundary, as generator version 1
    /// made them.
    #[test]
    fn jpeg_bytes_are_those_of_generator_version_1() {
        assert_eq!(super::super::GENERATOR_VERSION, 1, "update this digest");
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for key in 0..40u64 {
            let mut natural = Vec::new();
            jpeg(&mut Rng::keyed(&[key]), 0, &mut natural);
            let n = natural.len();
            for pad in [
                0,
                300,
                n + 3,
                n + 4,
                n + 5,
                n + 64,
                n + 65,
                24 * 1024,
                n + 65_533 + 3,
                n + 65_533 + 4,
                n + 65_533 + 8,
                200_000,
            ] {
                let mut out = b"prefix".to_vec();
                jpeg(&mut Rng::keyed(&[key]), pad, &mut out);
                ctx.update(&(out.len() as u64).to_le_bytes());
                ctx.update(&out);
            }
        }
        let hex: String = ctx
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "6d37d5718499bcedccc000523debe7a63ef49aeb49ebfc9d35b6de39f523d4a7"
        );
    }
}
