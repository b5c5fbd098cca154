//! Foundations every ipgate crate shares, each defined once: the clock ([`clock`]), the atomic
//! file write and the secret-file permission check ([`fs`]), and the user's ipgate directories
//! ([`dirs`]).

pub mod clock;
pub mod dirs;
pub mod fs;

pub use clock::{Clock, ManualClock, SystemClock};
