//! Seeded property tests of the `Authorization` parser and the negotiation parsers (issue 14; the
//! same parsers have cargo-fuzz targets in `fuzz-parsers/`): what we format parses back to the same
//! values, and no input (mutated headers, random text) panics. The seed is in every failure.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use innography_hmac::{
    Algorithm, ApiVersion, format_authorization, parse_authorization, parse_content_type,
    parse_offered_versions, select_version,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEED: u64 = 0x1d5_0014;
const CASES: usize = 3000;

#[test]
fn formatted_headers_parse_back_to_the_same_values() {
    let mut rng = Rng(SEED);
    for case in 0..CASES {
        // Printable ASCII usernames, quotes and backslashes included (they are escaped).
        let len = 1 + rng.below(40);
        let username: String = (0..len)
            .map(|_| char::from(b' ' + rng.below(95) as u8))
            .collect();
        let username = username.trim().to_owned();
        if username.is_empty() {
            continue;
        }
        let (algorithm, n) = if rng.below(2) == 0 {
            (Algorithm::HmacSha1, 20)
        } else {
            (Algorithm::HmacSha256, 32)
        };
        let signature: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let header = format_authorization(&username, algorithm, &STANDARD.encode(&signature));
        match parse_authorization(&header) {
            Ok(h) => {
                assert_eq!(h.username, username, "seed {SEED:#x} case {case}: {header}");
                assert_eq!(h.algorithm, algorithm, "seed {SEED:#x} case {case}");
                assert_eq!(h.signature, signature, "seed {SEED:#x} case {case}");
            }
            Err(e) => panic!("seed {SEED:#x} case {case}: {header:?} refused: {e}"),
        }
    }
}

#[test]
fn mutated_headers_and_random_text_never_panic() {
    let mut rng = Rng(SEED ^ 1);
    let good = format_authorization("obiwan", Algorithm::HmacSha1, &STANDARD.encode([7u8; 20]));
    let alphabet =
        b" \t,=\"\\\r\nhmacusernamealgorithmheaderssignature-_+/0123456789:;\x00\xc3\xa9";
    let offered = [ApiVersion::new(0, 6), ApiVersion::new(0, 7)];
    for case in 0..CASES {
        let mut b = good.clone().into_bytes();
        for _ in 0..1 + rng.below(6) {
            match rng.below(4) {
                0 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b.remove(i);
                }
                1 => {
                    let i = rng.below(b.len() + 1);
                    b.insert(i, alphabet[rng.below(alphabet.len())]);
                }
                2 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b[i] = alphabet[rng.below(alphabet.len())];
                }
                _ => {
                    let i = rng.below(b.len() + 1);
                    b.truncate(i);
                }
            }
        }
        let text = String::from_utf8_lossy(&b);
        // Must return, Ok or Err, whatever the input; a panic fails the test with the seed.
        let r = std::panic::catch_unwind(|| {
            let _ = parse_authorization(&text);
            let _ = parse_content_type(&text);
            let _ = select_version(Some(&text), &offered);
            let _ = parse_offered_versions(text.split(','));
        });
        assert!(r.is_ok(), "seed {SEED:#x} case {case}: panic on {text:?}");
        // A header that still parses names one of the two algorithms and a signature of its length.
        if let Ok(h) = parse_authorization(&text) {
            let n = match h.algorithm {
                Algorithm::HmacSha1 => 20,
                Algorithm::HmacSha256 => 32,
            };
            assert_eq!(h.signature.len(), n, "seed {SEED:#x} case {case}: {text:?}");
        }
    }
}
