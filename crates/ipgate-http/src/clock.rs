//! Injected time.

use std::fmt::Debug;
use std::time::SystemTime;

/// A source of wall-clock time. Tests inject a fixed or shifted clock.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
