//! The one clock abstraction of the workspace: everything that depends on "now" (token expiry, JWT
//! `iat`/`exp`, rate-limit windows, `Retry-After` dates, journal timestamps) asks a [`Clock`], so tests
//! and the sandbox can move time exactly instead of sleeping.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
///
/// Production code uses [`SystemClock`]; tests and emulators use [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Whole seconds since 1970-01-01T00:00:00Z: the unit of JWT `iat`/`exp` (RFC 7519 section 2,
    /// "NumericDate"). A time before 1970 (a broken machine) gives 0, so every expiry check fails
    /// loudly instead of panicking.
    fn now_unix(&self) -> u64 {
        unix_secs(self.now())
    }
}

/// Seconds since the Unix epoch of `time`; 0 for a time before 1970.
pub fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to. Clones share one time, so a test keeps a clone and moves
/// the time seen by the code under test.
///
/// ```
/// use ipgate_base::clock::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let seen_by_code = clock.clone();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(seen_by_code.now_unix(), 1_700_000_060);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock stopped at `time`.
    pub fn new(time: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(time)))
    }

    /// A clock stopped at `secs` seconds after the Unix epoch.
    pub fn at_unix(secs: u64) -> Self {
        Self::new(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Sets the time (for every clone).
    pub fn set(&self, time: SystemTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = time;
    }

    /// Moves the time forward by `by` (for every clone).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
    fn now_unix(&self) -> u64 {
        (**self).now_unix()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
    fn now_unix(&self) -> u64 {
        (**self).now_unix()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_one_time() {
        let clock = ManualClock::at_unix(1_000);
        let other = clock.clone();
        clock.advance(Duration::from_secs(5));
        assert_eq!(other.now_unix(), 1_005);
        other.set(UNIX_EPOCH + Duration::from_millis(2_500));
        assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_millis(2_500));
        assert_eq!(clock.now_unix(), 2);
    }

    #[test]
    fn arc_and_dyn_clocks_delegate() {
        let manual = ManualClock::at_unix(42);
        let shared: Arc<dyn Clock> = Arc::new(manual.clone());
        assert_eq!(shared.now_unix(), 42);
        manual.advance(Duration::from_secs(1));
        assert_eq!(shared.now_unix(), 43);
        fn via_ref(c: &dyn Clock) -> u64 {
            let by_ref: &&dyn Clock = &c;
            by_ref.now_unix()
        }
        assert_eq!(via_ref(&manual), 43);
    }

    #[test]
    fn system_clock_is_after_2020_and_before_1970_is_zero() {
        assert!(SystemClock.now_unix() > 1_577_836_800);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
