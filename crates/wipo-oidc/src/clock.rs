//! Injected time: everything in this crate that depends on "now" asks a [`Clock`]. The clock is the
//! workspace's one clock abstraction, [`ipgate_base::clock`], re-exported here so users of this
//! crate need not name `ipgate-base`.

pub use ipgate_base::clock::{Clock, ManualClock, SystemClock};
