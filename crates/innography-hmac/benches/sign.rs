//! Signing cost per request for a 1 KB body, against the floor of the same primitives:
//! raw ring HMAC-SHA1 of a string-to-sign-sized input plus MD5 of the same body.
//!
//! Run with `cargo bench -p innography-hmac`. Prints ns/request and the ratio to the floor.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use innography_hmac::{Algorithm, Credentials, Secret, Signer};
use md5::{Digest, Md5};

const ROUNDS: usize = 15;
const ITERS: u32 = 20_000;

/// Nanoseconds per iteration of one timed batch.
fn batch(f: &mut dyn FnMut(u32)) -> f64 {
    let start = Instant::now();
    for i in 0..ITERS {
        f(i);
    }
    start.elapsed().as_nanos() as f64 / f64::from(ITERS)
}

/// Runs the candidates interleaved (so machine load hits them alike) and returns each one's best
/// batch over ROUNDS.
fn measure(fs: &mut [&mut dyn FnMut(u32)]) -> Vec<f64> {
    for f in fs.iter_mut() {
        batch(*f);
    }
    let mut best = vec![f64::INFINITY; fs.len()];
    for _ in 0..ROUNDS {
        for (b, f) in best.iter_mut().zip(fs.iter_mut()) {
            *b = b.min(batch(*f));
        }
    }
    best
}

fn main() {
    let body: Vec<u8> = (0..1024u32).map(|i| b'a' + (i % 26) as u8).collect();
    let secret = "74f43da743aa47c3a90a9c5ef493bc8d";
    let Ok(creds) = Credentials::new("obiwan", Secret::new(secret)) else {
        eprintln!("bad credentials");
        return;
    };
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_484_237_859);
    let sts_len =
        "Date: Thu, 12 Jan 2017 16:17:39 GMT\nContent-MD5: kumW7r4Mo58KzBliGOerdA==".len();
    let sts: Vec<u8> = vec![b'x'; sts_len];

    for (alg, ring_alg) in [
        (
            Algorithm::HmacSha1,
            ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        ),
        (Algorithm::HmacSha256, ring::hmac::HMAC_SHA256),
    ] {
        let signer = Signer::new(&creds, alg);
        let key = ring::hmac::Key::new(ring_alg, secret.as_bytes());
        let mut md5_only = |_: u32| {
            black_box(Md5::digest(black_box(&body)));
        };
        let mut hmac_only = |_: u32| {
            black_box(ring::hmac::sign(&key, black_box(&sts)));
        };
        let mut floor = |_: u32| {
            let d = Md5::digest(black_box(&body));
            let t = ring::hmac::sign(&key, black_box(&sts));
            black_box((d, t));
        };
        let mut floor_b64 = |_: u32| {
            let d = STANDARD.encode(Md5::digest(black_box(&body)));
            let t = STANDARD.encode(ring::hmac::sign(&key, black_box(&sts)).as_ref());
            black_box((d, t));
        };
        let mut sign = |i: u32| {
            let s = signer.sign(base + Duration::from_secs(u64::from(i)), black_box(&body));
            black_box(s);
        };
        let r = measure(&mut [
            &mut md5_only,
            &mut hmac_only,
            &mut floor,
            &mut floor_b64,
            &mut sign,
        ]);
        let (md5_ns, hmac_ns, floor, floor_b64, sign) = (r[0], r[1], r[2], r[3], r[4]);
        println!(
            "{:<12} parts: MD5(1 KB) {md5_ns:>6.0} ns, HMAC(string to sign) {hmac_ns:>5.0} ns",
            alg.name()
        );
        println!(
            "{:<12} 1 KB body: sign {:>7.0} ns/request | floor (ring HMAC + MD5) {:>7.0} ns | floor+base64 {:>7.0} ns | ratio {:.2}x | target <= 2000 ns: {}",
            alg.name(),
            sign,
            floor,
            floor_b64,
            sign / floor,
            if sign <= 2000.0 { "met" } else { "NOT met" }
        );
    }
}
