//! A wide-area network between the client and the sandbox, for publication downloads: a round
//! trip before each answer starts, and a bandwidth per connection. Over loopback a download runs
//! at hundreds of MB/s and nothing a client does with several connections at once shows; WIPO's
//! server is far away, and each connection gets a share of a long path (TCP's window over a long
//! round trip), so a few parallel downloads finish sooner than one after the other. Benchmarks
//! measure both ways (`ipgate sandbox serve --latency-ms N --bandwidth-per-connection BYTES`).
//!
//! Unlike the fault rules (`slow`, `latency`: injected failures, drawn per request), this is a
//! property of the server's network, applied to every publication download.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};

/// The emulated network. The default is none (loopback as it is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wan {
    /// Waited before each answer starts (one round trip on an open connection).
    pub latency: Duration,
    /// Bytes per second of one answer's body (one connection: HTTP/1.1 sends one answer at a
    /// time on it). `None`: unlimited.
    pub bytes_per_connection: Option<u64>,
}

impl Wan {
    /// Whether anything is emulated.
    pub fn is_none(&self) -> bool {
        self.latency.is_zero() && self.bytes_per_connection.is_none()
    }
}

/// Pieces are at most this long in time (smooth pacing, as a network delivers).
const PIECE: Duration = Duration::from_millis(20);

/// `body` sent at `bytes_per_sec` on average: cut into pieces of [`PIECE`]'s worth of bytes, each
/// sent when the bytes before it have had their time (measured from the first byte, so sleeps
/// that run long are caught up, not accumulated).
pub(crate) fn pace<S>(
    body: S,
    bytes_per_sec: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static
where
    S: Stream<Item = io::Result<Bytes>> + Send + 'static,
{
    let rate = bytes_per_sec.max(1);
    let piece =
        usize::try_from((rate as u128 * PIECE.as_millis() / 1000).max(1)).unwrap_or(usize::MAX);
    let mut start: Option<tokio::time::Instant> = None;
    let mut sent: u64 = 0;
    body.flat_map(move |chunk| {
        let pieces: Vec<io::Result<Bytes>> = match chunk {
            Ok(c) => (0..c.len())
                .step_by(piece)
                .map(|i| Ok(c.slice(i..(i + piece).min(c.len()))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(pieces)
    })
    .then(move |piece| {
        let t0 = *start.get_or_insert_with(tokio::time::Instant::now);
        let due = t0 + Duration::from_secs_f64(sent as f64 / rate as f64);
        if let Ok(p) = &piece {
            sent += p.len() as u64;
        }
        async move {
            tokio::time::sleep_until(due).await;
            piece
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_body_arrives_at_the_rate_whole_and_in_order() {
        let chunks: Vec<io::Result<Bytes>> = (0u8..10)
            .map(|i| Ok(Bytes::from(vec![i; 100_000])))
            .collect();
        let t0 = tokio::time::Instant::now();
        let out: Vec<Bytes> = pace(futures_util::stream::iter(chunks), 500_000)
            .map(|r| r.expect("piece"))
            .collect()
            .await;
        let elapsed = t0.elapsed();
        let all: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(all.len(), 1_000_000);
        assert!(all.windows(2).all(|w| w[0] <= w[1]), "in order");
        // 1 MB at 0.5 MB/s: the last piece (10 kB) is due at 1.98 s.
        assert!(
            elapsed >= Duration::from_millis(1970) && elapsed <= Duration::from_millis(2000),
            "{elapsed:?}"
        );
        assert!(out.iter().all(|b| b.len() <= 10_000), "20 ms pieces");
    }
}
