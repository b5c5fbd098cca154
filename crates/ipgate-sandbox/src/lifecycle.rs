//! The simulated life of a package: pending → imported (or rejected) → Processing → Registered,
//! and the weekly publication calendar.
//!
//! Nothing runs in the background: every state is computed from the time a package was received,
//! the configured [`Timing`], a deterministic jitter (from the seed and the import ID) and "now"
//! from the sandbox's clock. So a restart, a slow machine or a paused test never changes an
//! outcome, and a forced status (admin API) simply overrides the computed one.

use hws_client::WeekId;
use hws_client::wire::{ImportState, ServiceRequestStatusCategory};
use time::{Date, OffsetDateTime, Time};

use crate::config::Timing;
use crate::faults::splitmix64;
use crate::store::{ImportRecord, SrRecord};

/// The hour (UTC) of the Friday the week's issue appears: "typically Fridays at noon CET"
/// (hws-facts §6.1); 11:00 UTC is noon in CET.
pub const PUBLICATION_HOUR_UTC: u8 = 11;

/// Computes states from times.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    seed: u64,
    timing: Timing,
}

fn hash_str(seed: u64, s: &str) -> u64 {
    s.bytes()
        .fold(splitmix64(seed), |h, b| splitmix64(h ^ u64::from(b)))
}

/// Milliseconds → a UTC date-time (clamped into `time`'s range).
pub fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The UTC date of `ms`.
pub fn date(ms: i64) -> Date {
    datetime(ms).date()
}

/// When the issue of `week` appears: its Friday at [`PUBLICATION_HOUR_UTC`].
pub fn publication_ms(week: WeekId) -> i64 {
    let t = Time::from_hms(PUBLICATION_HOUR_UTC, 0, 0).unwrap_or(Time::MIDNIGHT);
    let odt = week.friday().with_time(t).assume_utc();
    (odt.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The issue a registration made at `ms` appears in: that week's, if before its publication
/// moment, else the next week's.
pub fn publication_week(ms: i64) -> WeekId {
    let w = WeekId::current(date(ms));
    if ms < publication_ms(w) {
        w
    } else {
        w.next().unwrap_or(w)
    }
}

/// What a service request looks like at some moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrView {
    /// The status.
    pub status: ServiceRequestStatusCategory,
    /// The IRN, once registered.
    pub irn: Option<String>,
    /// When registered (ms), if it is.
    pub registered_ms: Option<i64>,
    /// The issue it appears in, once registered.
    pub publication_week: Option<WeekId>,
}

impl Lifecycle {
    /// For `seed` and `timing`.
    pub fn new(seed: u64, timing: Timing) -> Self {
        Lifecycle { seed, timing }
    }

    fn scaled(&self, nominal: std::time::Duration, key: &str, salt: u64) -> i64 {
        // jitter in [0.75, 1.25)
        let j = 0.75 + (hash_str(self.seed ^ salt, key) % 1000) as f64 / 2000.0;
        let speed = if self.timing.speed > 0.0 {
            self.timing.speed
        } else {
            1.0
        };
        (nominal.as_secs_f64() * 1000.0 * j / speed).round() as i64
    }

    /// When the import of `rec` completes (ms).
    pub fn imported_ms(&self, rec: &ImportRecord) -> i64 {
        rec.received_ms + self.scaled(self.timing.import, &rec.import_id, 1)
    }

    /// When the service request of `rec` is registered, unless forced otherwise (ms).
    pub fn registered_ms(&self, rec: &ImportRecord) -> i64 {
        self.imported_ms(rec) + self.scaled(self.timing.registration, &rec.import_id, 2)
    }

    /// The import's state at `now_ms`, with the SRN once imported.
    pub fn import_state(&self, rec: &ImportRecord, now_ms: i64) -> ImportState {
        if now_ms < self.imported_ms(rec) {
            return ImportState::Pending;
        }
        match (&rec.srn, rec.valid) {
            (Some(srn), true) => match srn.parse() {
                Ok(srn) => ImportState::Imported { srn },
                Err(_) => ImportState::Pending,
            },
            _ => ImportState::Rejected {
                reasons: rec.reasons.iter().map(Into::into).collect(),
            },
        }
    }

    /// The service request's view at `now_ms`; `None` while its import is still pending (the
    /// SRN does not exist yet for the outside world).
    pub fn sr_view(&self, sr: &SrRecord, rec: &ImportRecord, now_ms: i64) -> Option<SrView> {
        if now_ms < self.imported_ms(rec) {
            return None;
        }
        if let Some((forced, at)) = &sr.forced {
            let Ok(status) = forced.parse::<ServiceRequestStatusCategory>();
            let registered = status == ServiceRequestStatusCategory::Registered;
            return Some(SrView {
                irn: registered.then(|| sr.irn.clone()),
                registered_ms: registered.then_some(*at),
                publication_week: registered.then(|| publication_week(*at)),
                status,
            });
        }
        let reg = self.registered_ms(rec);
        if now_ms < reg {
            return Some(SrView {
                status: ServiceRequestStatusCategory::Processing,
                irn: None,
                registered_ms: None,
                publication_week: None,
            });
        }
        Some(SrView {
            status: ServiceRequestStatusCategory::Registered,
            irn: Some(sr.irn.clone()),
            registered_ms: Some(reg),
            publication_week: Some(publication_week(reg)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(valid: bool) -> ImportRecord {
        ImportRecord {
            seq: 1,
            import_id: "IMP1".into(),
            client_id: "c".into(),
            sha256: "00".into(),
            size: 1,
            received_ms: 1_000_000,
            valid,
            reasons: vec![crate::store::StoredReason {
                rule: "r".into(),
                message: "m".into(),
                location: None,
            }],
            duplicate_of: None,
            srn: valid.then(|| "SR1".into()),
        }
    }

    #[test]
    fn states_follow_the_timing() {
        let lc = Lifecycle::new(3, Timing::default());
        let r = rec(true);
        let sr = SrRecord {
            srn: "SR1".into(),
            import_id: "IMP1".into(),
            record_id: "9".into(),
            irn: "DM/1".into(),
            forced: None,
        };
        let t_imp = lc.imported_ms(&r);
        assert!(
            (1_000_000 + 1500..=1_000_000 + 2500).contains(&t_imp),
            "{t_imp}"
        );
        assert_eq!(lc.import_state(&r, t_imp - 1), ImportState::Pending);
        assert!(matches!(
            lc.import_state(&r, t_imp),
            ImportState::Imported { .. }
        ));
        assert_eq!(lc.sr_view(&sr, &r, t_imp - 1), None);
        assert_eq!(
            lc.sr_view(&sr, &r, t_imp).map(|v| v.status),
            Some(ServiceRequestStatusCategory::Processing)
        );
        let reg = lc.registered_ms(&r);
        let v = lc.sr_view(&sr, &r, reg).expect("visible");
        assert_eq!(v.status, ServiceRequestStatusCategory::Registered);
        assert_eq!(v.irn.as_deref(), Some("DM/1"));
        assert!(matches!(
            lc.import_state(&rec(false), t_imp),
            ImportState::Rejected { .. }
        ));
        let forced = SrRecord {
            forced: Some(("Abandoned".into(), reg)),
            ..sr
        };
        assert_eq!(
            lc.sr_view(&forced, &r, reg).map(|v| v.status),
            Some(ServiceRequestStatusCategory::Abandoned)
        );
    }

    #[test]
    fn publication_calendar() {
        let w: WeekId = "202649".parse().expect("valid");
        let p = publication_ms(w);
        assert_eq!(datetime(p).to_string(), "2026-12-04 11:00:00.0 +00:00:00");
        assert_eq!(publication_week(p - 1), w);
        assert_eq!(publication_week(p).to_string(), "202650");
    }
}
