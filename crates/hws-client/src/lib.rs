//! Client for WIPO's Hague Web Services (HWS).
//!
//! [`wire`] holds the one definition of the HWS wire format (shared with `ipgate-sandbox`, which
//! depends on this crate, never the other way round); [`week`] the `yyyyww` week id.

pub mod week;
pub mod wire;

pub use week::{WeekId, WeekIdError};
