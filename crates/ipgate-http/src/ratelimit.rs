//! A rate limiter shared by every process on the machine.
//!
//! Each `(api, consumer)` key has a small state file `<key>.state` holding the theoretical arrival
//! time (GCRA) in nanoseconds since the Unix epoch. It is read and replaced only while holding an
//! exclusive advisory lock (`flock`) on `<key>.lock`, so concurrent processes queue up instead of
//! racing. A caller reserves the next slot under the lock, releases it, then sleeps until its slot.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ipgate_base::clock::{Clock, SystemClock};

/// Errors of the rate limiter.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// A rate that is not a positive finite number.
    #[error("rate limit {0} requests/second is not a positive number; configure e.g. 1.0")]
    InvalidRate(f64),
    /// The state directory or a state/lock file could not be used.
    #[error("cannot {action} rate-limit state {}: {source}; check that the directory is writable (or point the cache directory elsewhere)", path.display())]
    Io {
        /// What we tried to do.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The state directory could not be created or the state file not be replaced.
    #[error(
        "cannot write rate-limit state: {0}; check that the directory is writable (or point the cache directory elsewhere)"
    )]
    Write(#[from] ipgate_base::fs::AtomicWriteError),
    /// The blocking task holding the lock failed.
    #[error("the rate-limit worker task failed: {0}; this is a bug, please report it")]
    Task(String),
}

/// A rate: one request per `interval`, with up to `burst` requests at once after a quiet period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    interval: Duration,
    burst: u32,
}

impl RateLimit {
    /// `rps` requests per second (e.g. `1.0` for the Innography Cases API), burst 1.
    pub fn per_second(rps: f64) -> Result<Self, RateLimitError> {
        if !rps.is_finite() || rps <= 0.0 {
            return Err(RateLimitError::InvalidRate(rps));
        }
        let interval =
            Duration::try_from_secs_f64(1.0 / rps).map_err(|_| RateLimitError::InvalidRate(rps))?;
        Ok(Self { interval, burst: 1 })
    }

    /// One request per `interval`, burst 1.
    pub fn every(interval: Duration) -> Self {
        Self { interval, burst: 1 }
    }

    /// Allows `burst` requests back to back after a quiet period (at least 1).
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// The spacing between requests.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// What is limited: an API (or endpoint family) and the consumer (e.g. the username).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateLimitKey {
    /// The API name, e.g. `innography-cases`.
    pub api: String,
    /// The consumer, e.g. the username.
    pub consumer: String,
}

impl RateLimitKey {
    /// A key for `api` and `consumer`.
    pub fn new(api: impl Into<String>, consumer: impl Into<String>) -> Self {
        Self {
            api: api.into(),
            consumer: consumer.into(),
        }
    }

    /// A file-name-safe, unambiguous rendering: `%XX` for everything but `[A-Za-z0-9.-]`.
    fn file_stem(&self) -> String {
        fn esc(s: &str, out: &mut String) {
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
        let mut s = String::from("rl_");
        esc(&self.api, &mut s);
        s.push('_');
        esc(&self.consumer, &mut s);
        s
    }
}

/// The cross-process rate limiter. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("dir", &self.dir)
            .finish()
    }
}

/// State further ahead than this is treated as corrupt (no sane limit or `Retry-After` gets there).
const MAX_AHEAD: Duration = Duration::from_secs(24 * 3600);

fn nanos(t: SystemTime) -> u128 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn from_nanos(n: u128) -> SystemTime {
    let secs = u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX / 2);
    let sub = u32::try_from(n % 1_000_000_000).unwrap_or(0);
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::new(secs, sub))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

impl RateLimiter {
    /// A limiter keeping its state in `dir` (created if missing, mode 0700 on Unix).
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, RateLimitError> {
        let dir = dir.into();
        ipgate_base::fs::create_private_dir_all(&dir)?;
        Ok(Self {
            dir,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Waits until a request under `key` may be sent at `limit`, then returns how long it waited.
    pub async fn acquire(
        &self,
        key: &RateLimitKey,
        limit: RateLimit,
    ) -> Result<Duration, RateLimitError> {
        let slot = self.reserve_async(key, Some(limit), None).await?;
        let wait = slot
            .duration_since(self.clock.now())
            .unwrap_or(Duration::ZERO);
        // The slot is what the limiter guarantees (slots of one key are `interval` apart across
        // processes); logged so that it can be checked against what the server saw.
        tracing::debug!(api = %key.api, slot_unix_ms = u64::try_from(nanos(slot) / 1_000_000).unwrap_or(u64::MAX), "rate limit: slot reserved");
        if !wait.is_zero() {
            tracing::debug!(api = %key.api, wait_ms = wait.as_millis() as u64, "rate limit: waiting for our slot");
            tokio::time::sleep(wait).await;
        }
        Ok(wait)
    }

    /// Pushes the next slot for `key` to at least `until` (e.g. after a 429 with `Retry-After`), so
    /// that other processes wait too.
    pub async fn defer_until(
        &self,
        key: &RateLimitKey,
        until: SystemTime,
    ) -> Result<(), RateLimitError> {
        self.reserve_async(key, None, Some(until)).await.map(|_| ())
    }

    async fn reserve_async(
        &self,
        key: &RateLimitKey,
        limit: Option<RateLimit>,
        defer: Option<SystemTime>,
    ) -> Result<SystemTime, RateLimitError> {
        let this = self.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || this.reserve(&key, limit, defer))
            .await
            .map_err(|e| RateLimitError::Task(e.to_string()))?
    }

    /// Under the lock: reads the state, reserves a slot (or defers), writes the state back.
    /// Returns the reserved slot time. Blocking.
    pub fn reserve(
        &self,
        key: &RateLimitKey,
        limit: Option<RateLimit>,
        defer: Option<SystemTime>,
    ) -> Result<SystemTime, RateLimitError> {
        let stem = key.file_stem();
        let lock_path = self.dir.join(format!("{stem}.lock"));
        let state_path = self.dir.join(format!("{stem}.state"));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| RateLimitError::Io {
                action,
                path,
                source,
            }
        };
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("open the lock file of", &lock_path))?;
        lock.lock().map_err(io("lock", &lock_path))?;
        let result = (|| {
            let mut stored = read_state(&state_path).map_err(io("read", &state_path))?;
            let now = nanos(self.clock.now());
            if stored > now.saturating_add(MAX_AHEAD.as_nanos()) {
                tracing::warn!(path = %state_path.display(), "rate-limit state lies more than a day ahead; starting afresh");
                stored = 0;
            }
            let (slot, tat) = match limit {
                Some(limit) => {
                    let interval = limit.interval.as_nanos();
                    let tolerance = interval * u128::from(limit.burst - 1);
                    let slot = now.max(stored.saturating_sub(tolerance));
                    (slot, stored.max(slot).saturating_add(interval))
                }
                None => (now, stored.max(defer.map_or(0, nanos))),
            };
            if tat != stored {
                ipgate_base::fs::write_atomic(
                    &state_path,
                    format!("{tat}\n").as_bytes(),
                    ipgate_base::fs::FileMode::Private,
                )?;
            }
            Ok(from_nanos(slot))
        })();
        let _ = lock.unlock();
        result
    }
}

fn read_state(path: &Path) -> std::io::Result<u128> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_string(&mut text)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    }
    match text.trim().parse::<u128>() {
        Ok(v) => Ok(v),
        Err(_) => {
            tracing::warn!(path = %path.display(), "rate-limit state file is not a number; starting afresh");
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipgate_base::clock::ManualClock;

    #[test]
    fn reserves_spaced_slots_with_burst_and_defer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let clock = Arc::new(ManualClock::new(t0));
        let rl = RateLimiter::new(dir.path().join("rl"))
            .expect("limiter")
            .with_clock(clock.clone());
        let key = RateLimitKey::new("cases", "obi/wan");
        let one = RateLimit::every(Duration::from_secs(1));
        let slots: Vec<SystemTime> = (0..3)
            .map(|_| rl.reserve(&key, Some(one), None).expect("slot"))
            .collect();
        assert_eq!(
            slots,
            vec![t0, t0 + Duration::from_secs(1), t0 + Duration::from_secs(2)]
        );
        // Other keys are independent.
        let other = RateLimitKey::new("cases", "vader");
        assert_eq!(rl.reserve(&other, Some(one), None).expect("slot"), t0);
        // Defer pushes the next slot.
        rl.reserve(&other, None, Some(t0 + Duration::from_secs(30)))
            .expect("defer");
        assert_eq!(
            rl.reserve(&other, Some(one), None).expect("slot"),
            t0 + Duration::from_secs(30)
        );
        // Burst: after a quiet period, 3 at once, then spaced.
        let burst_key = RateLimitKey::new("etl", "x");
        let burst = RateLimit::every(Duration::from_secs(1)).with_burst(3);
        let s: Vec<SystemTime> = (0..4)
            .map(|_| rl.reserve(&burst_key, Some(burst), None).expect("slot"))
            .collect();
        assert_eq!(s[..3], [t0, t0, t0]);
        assert_eq!(s[3], t0 + Duration::from_secs(1));
        // The key is escaped into the file name.
        assert!(dir.path().join("rl/rl_cases_obi%2Fwan.state").exists());
    }

    #[test]
    fn corrupt_state_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rl = RateLimiter::new(dir.path()).expect("limiter");
        let key = RateLimitKey::new("a", "b");
        std::fs::write(dir.path().join("rl_a_b.state"), "garbage").expect("write");
        let slot = rl
            .reserve(&key, Some(RateLimit::every(Duration::from_secs(1))), None)
            .expect("slot");
        assert!(
            slot.duration_since(SystemTime::now()).unwrap_or_default() < Duration::from_secs(1)
        );
        let text = std::fs::read_to_string(dir.path().join("rl_a_b.state")).expect("state");
        assert!(text.trim().parse::<u128>().is_ok(), "{text}");
        // A state absurdly far ahead is reset instead of blocking (or overflowing) forever.
        std::fs::write(dir.path().join("rl_a_b.state"), u128::MAX.to_string()).expect("write");
        let slot = rl
            .reserve(&key, Some(RateLimit::every(Duration::from_secs(1))), None)
            .expect("slot");
        assert!(
            slot.duration_since(SystemTime::now()).unwrap_or_default() < Duration::from_secs(1)
        );
    }

    #[test]
    fn invalid_rates_are_refused() {
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(RateLimit::per_second(r).is_err(), "{r}");
        }
        assert_eq!(
            RateLimit::per_second(4.0).expect("rate").interval(),
            Duration::from_millis(250)
        );
    }
}
