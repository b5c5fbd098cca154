//! Fault injection: rules per route, each with a probability drawn from a seeded generator, so
//! every failure sequence reproduces from the seed (printed at start).
//!
//! Modelled on LocalStack's chaos rules (per service and operation, with a probability),
//! Toxiproxy's toxics (latency with jitter, bandwidth, reset peer, limit data) and WireMock's
//! faults (connection reset, truncated body).
//!
//! Syntax (`--faults`, the config, the admin API): rules separated by `;`, each
//! `ROUTE=FAULT[@PROBABILITY][#COUNT]` (probability 0..=1, default 1; COUNT: the rule fires at
//! most that many times, e.g. `#1` for "the first matching request only", like WireMock's
//! scenarios):
//!
//! | FAULT | effect |
//! |---|---|
//! | `reset-before` | the connection is reset after the request head is read; nothing is done |
//! | `reset-after` | the request is handled (a package is recorded) and the connection reset instead of answering |
//! | `500` | 500 with an error document |
//! | `502[:SECS]`, `503[:SECS]` | 502 / 503, with `Retry-After: SECS` when given |
//! | `429[:SECS]` | 429 with `Retry-After: SECS` (default 1) |
//! | `truncate[:BYTES]` | the full `Content-Length` is announced, `BYTES` (default: half) are sent, then the connection closes |
//! | `overlong[:BYTES]` | the body is `BYTES` (default: half of it) longer than the `Content-Length` announced: the client gets the announced bytes only (the rest never leaves hyper), then the connection closes |
//! | `not-xml` | the body is replaced by an HTML error page (a proxy's), status and `Content-Type` kept: a status document that is not XML |
//! | `slow:BYTES_PER_SEC` | the body is sent at that rate |
//! | `latency:MS[~JITTER_MS]` | the answer is delayed MS ± JITTER_MS milliseconds |
//! | `down` | the endpoint is down: every matching request has its connection reset before it is read |
//! | `redirect` | 302 to [`REDIRECT_LOCATION`] instead of an answer (a moved or misconfigured endpoint) |
//! | `version:X.Y` | Innography answers labelled with version X.Y whatever was negotiated (a server ignoring the pin) |
//!
//! Routes: `all`, `discovery`, `token`, `submit` (`POST /request`), `import-status`,
//! `request-status`, `bulletin`, `confidential`, `ping`, `innography` (every Innography route),
//! `cases`, `account` (`/private-pair/account`). Example:
//! `submit=reset-after@0.3;all=latency:200~50;token=503:2@0.1`.

use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where `redirect` sends clients: a host that never resolves (RFC 6761 `.invalid`).
pub const REDIRECT_LOCATION: &str = "https://elsewhere.invalid/";

/// A route fault rules can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// Every route except `/_sandbox/...`.
    All,
    /// `GET {issuer}/.well-known/openid-configuration` (and the JWKS).
    Discovery,
    /// `POST {issuer}/access_token`.
    Token,
    /// `POST /request`.
    Submit,
    /// `GET /request/import/{importId}`.
    ImportStatus,
    /// `GET /request/{serviceRequestId}`.
    RequestStatus,
    /// `GET /publication/bulletin/{weekId}`.
    Bulletin,
    /// `GET /publication/copy/confidential/{weekId}`.
    Confidential,
    /// `GET /pingMe`.
    Ping,
    /// Every Innography route.
    Innography,
    /// Innography's Cases API.
    Cases,
    /// `/private-pair/account`.
    Account,
}

impl Route {
    const NAMES: [(Route, &'static str); 12] = [
        (Route::All, "all"),
        (Route::Discovery, "discovery"),
        (Route::Token, "token"),
        (Route::Submit, "submit"),
        (Route::ImportStatus, "import-status"),
        (Route::RequestStatus, "request-status"),
        (Route::Bulletin, "bulletin"),
        (Route::Confidential, "confidential"),
        (Route::Ping, "ping"),
        (Route::Innography, "innography"),
        (Route::Cases, "cases"),
        (Route::Account, "account"),
    ];

    /// The name in the fault syntax.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("all", |(_, n)| n)
    }

    /// Whether a rule for `self` applies to a request classified as `actual` (with the
    /// Innography family flag).
    pub(crate) fn matches(self, actual: Route) -> bool {
        self == Route::All
            || self == actual
            || (self == Route::Innography
                && matches!(actual, Route::Cases | Route::Account | Route::Innography))
    }
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Reset the connection before handling.
    ResetBefore,
    /// Handle, then reset instead of answering.
    ResetAfter,
    /// 500.
    Status500,
    /// 502, optional `Retry-After`.
    Status502 {
        /// Seconds.
        retry_after: Option<u64>,
    },
    /// 503, optional `Retry-After`.
    Status503 {
        /// Seconds.
        retry_after: Option<u64>,
    },
    /// 429 with `Retry-After`.
    TooManyRequests {
        /// Seconds.
        retry_after: u64,
    },
    /// Send only part of the body.
    Truncate {
        /// Bytes sent (default half of the body).
        bytes: Option<u64>,
    },
    /// Announce a `Content-Length` shorter than the body.
    Overlong {
        /// How many bytes the body is longer than announced (default half of it).
        bytes: Option<u64>,
    },
    /// Replace the body by an HTML page, keeping status and content type.
    NotXml,
    /// Send the body at a rate.
    Slow {
        /// Bytes per second.
        bytes_per_sec: u64,
    },
    /// Delay the answer.
    Latency {
        /// Milliseconds.
        ms: u64,
        /// ± milliseconds.
        jitter_ms: u64,
    },
    /// The endpoint is down.
    Down,
    /// 302 to [`REDIRECT_LOCATION`].
    Redirect,
    /// Innography answers labelled with this version.
    Version {
        /// Major.
        major: u32,
        /// Minor.
        minor: u32,
    },
}

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRule {
    /// Where.
    pub route: Route,
    /// What.
    pub kind: FaultKind,
    /// How often, 0..=1.
    pub probability: f64,
    /// At most this many times (`None`: no limit).
    pub limit: Option<u64>,
}

/// A set of rules (empty: no faults).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// The rules, in the order given.
    pub rules: Vec<FaultRule>,
}

/// Why a fault spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultSpecError {
    /// A rule without `=`.
    #[error(
        "fault rule {rule:?} has no '='; write ROUTE=FAULT[@PROBABILITY], e.g. submit=reset-after@0.5"
    )]
    MissingEquals {
        /// The rule.
        rule: String,
    },
    /// An unknown route.
    #[error(
        "unknown fault route {route:?}; use one of all, discovery, token, submit, import-status, request-status, bulletin, confidential, ping, innography, cases, account"
    )]
    UnknownRoute {
        /// The route.
        route: String,
    },
    /// An unknown fault.
    #[error(
        "unknown fault {fault:?}; use reset-before, reset-after, 500, 502[:S], 503[:S], 429[:S], truncate[:BYTES], overlong[:BYTES], not-xml, slow:BYTES_PER_SEC, latency:MS[~JITTER], down, redirect, version:X.Y"
    )]
    UnknownFault {
        /// The fault.
        fault: String,
    },
    /// A bad number.
    #[error("fault {fault:?}: {what} must be {expected}")]
    BadNumber {
        /// The fault.
        fault: String,
        /// Which number.
        what: &'static str,
        /// What it must be.
        expected: &'static str,
    },
}

fn num(fault: &str, s: &str, what: &'static str) -> Result<u64, FaultSpecError> {
    s.parse::<u64>().map_err(|_| FaultSpecError::BadNumber {
        fault: fault.into(),
        what,
        expected: "a whole number",
    })
}

impl FromStr for FaultKind {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let secs = |a: Option<&str>| a.map(|a| num(s, a, "Retry-After")).transpose();
        let kind = match name {
            "reset-before" if arg.is_none() => FaultKind::ResetBefore,
            "reset-after" if arg.is_none() => FaultKind::ResetAfter,
            "down" if arg.is_none() => FaultKind::Down,
            "redirect" if arg.is_none() => FaultKind::Redirect,
            "not-xml" if arg.is_none() => FaultKind::NotXml,
            "version" => {
                let v: innography_hmac::ApiVersion =
                    arg.unwrap_or("")
                        .parse()
                        .map_err(|_| FaultSpecError::BadNumber {
                            fault: s.into(),
                            what: "the version",
                            expected: "MAJOR.MINOR, e.g. 0.7",
                        })?;
                FaultKind::Version {
                    major: v.major,
                    minor: v.minor,
                }
            }
            "500" if arg.is_none() => FaultKind::Status500,
            "502" => FaultKind::Status502 {
                retry_after: secs(arg)?,
            },
            "503" => FaultKind::Status503 {
                retry_after: secs(arg)?,
            },
            "429" => FaultKind::TooManyRequests {
                retry_after: secs(arg)?.unwrap_or(1),
            },
            "truncate" => FaultKind::Truncate {
                bytes: arg.map(|a| num(s, a, "the byte count")).transpose()?,
            },
            "overlong" => FaultKind::Overlong {
                bytes: arg.map(|a| num(s, a, "the byte count")).transpose()?,
            },
            "slow" => {
                let bps = num(s, arg.unwrap_or(""), "the rate (bytes per second)")?;
                if bps == 0 {
                    return Err(FaultSpecError::BadNumber {
                        fault: s.into(),
                        what: "the rate",
                        expected: "at least 1 byte per second",
                    });
                }
                FaultKind::Slow { bytes_per_sec: bps }
            }
            "latency" => {
                let a = arg.unwrap_or("");
                let (ms, jitter) = match a.split_once('~') {
                    Some((m, j)) => (m, Some(j)),
                    None => (a, None),
                };
                FaultKind::Latency {
                    ms: num(s, ms, "the latency (milliseconds)")?,
                    jitter_ms: jitter
                        .map(|j| num(s, j, "the jitter (milliseconds)"))
                        .transpose()?
                        .unwrap_or(0),
                }
            }
            _ => return Err(FaultSpecError::UnknownFault { fault: s.into() }),
        };
        Ok(kind)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |f: &mut fmt::Formatter<'_>, code: &str, s: &Option<u64>| match s {
            Some(s) => write!(f, "{code}:{s}"),
            None => f.write_str(code),
        };
        match self {
            FaultKind::ResetBefore => f.write_str("reset-before"),
            FaultKind::ResetAfter => f.write_str("reset-after"),
            FaultKind::Down => f.write_str("down"),
            FaultKind::Redirect => f.write_str("redirect"),
            FaultKind::Version { major, minor } => write!(f, "version:{major}.{minor}"),
            FaultKind::Status500 => f.write_str("500"),
            FaultKind::Status502 { retry_after } => opt(f, "502", retry_after),
            FaultKind::Status503 { retry_after } => opt(f, "503", retry_after),
            FaultKind::TooManyRequests { retry_after } => write!(f, "429:{retry_after}"),
            FaultKind::Truncate { bytes } => opt(f, "truncate", bytes),
            FaultKind::Overlong { bytes } => opt(f, "overlong", bytes),
            FaultKind::NotXml => f.write_str("not-xml"),
            FaultKind::Slow { bytes_per_sec } => write!(f, "slow:{bytes_per_sec}"),
            FaultKind::Latency { ms, jitter_ms: 0 } => write!(f, "latency:{ms}"),
            FaultKind::Latency { ms, jitter_ms } => write!(f, "latency:{ms}~{jitter_ms}"),
        }
    }
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rules = Vec::new();
        for raw in s.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            if raw == "none" {
                continue;
            }
            let (route_s, rest) = raw
                .split_once('=')
                .ok_or_else(|| FaultSpecError::MissingEquals { rule: raw.into() })?;
            let route_s = route_s.trim();
            let route = Route::NAMES
                .iter()
                .find(|(_, n)| *n == route_s)
                .map(|(r, _)| *r)
                .ok_or_else(|| FaultSpecError::UnknownRoute {
                    route: route_s.into(),
                })?;
            let (rest, limit) = match rest.rsplit_once('#') {
                Some((r, n)) => match n.trim().parse::<u64>() {
                    Ok(n) if n > 0 => (r, Some(n)),
                    _ => {
                        return Err(FaultSpecError::BadNumber {
                            fault: raw.into(),
                            what: "the count after #",
                            expected: "a whole number of at least 1",
                        });
                    }
                },
                None => (rest, None),
            };
            let (fault_s, prob) = match rest.rsplit_once('@') {
                Some((f, p)) => (f.trim(), Some(p.trim())),
                None => (rest.trim(), None),
            };
            let kind: FaultKind = fault_s.parse()?;
            let probability = match prob {
                None => 1.0,
                Some(p) => match p.parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => v,
                    _ => {
                        return Err(FaultSpecError::BadNumber {
                            fault: raw.into(),
                            what: "the probability",
                            expected: "a number from 0 to 1",
                        });
                    }
                },
            };
            rules.push(FaultRule {
                route,
                kind,
                probability,
                limit,
            });
        }
        Ok(FaultSpec { rules })
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rules.is_empty() {
            return f.write_str("none");
        }
        for (i, r) in self.rules.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{}={}", r.route.name(), r.kind)?;
            if r.probability < 1.0 {
                write!(f, "@{}", r.probability)?;
            }
            if let Some(n) = r.limit {
                write!(f, "#{n}")?;
            }
        }
        Ok(())
    }
}

/// SplitMix64: a tiny, well-mixed, seedable generator (Steele, Lea & Flood 2014). Deterministic:
/// the n-th draw depends only on the seed and n.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What to do to one request, decided before it is handled.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub delay: Duration,
    /// A fault answered instead of handling (reset-before, down, 5xx, 429).
    pub before: Option<FaultKind>,
    /// A fault applied to the handled answer (reset-after, truncate, slow).
    pub after: Option<FaultKind>,
}

/// The live rules and their generator.
#[derive(Debug)]
pub(crate) struct Faults {
    /// The rules and how many times each has fired.
    spec: RwLock<(FaultSpec, Vec<AtomicU64>)>,
    seed: u64,
    draws: AtomicU64,
}

fn counters(spec: &FaultSpec) -> Vec<AtomicU64> {
    spec.rules.iter().map(|_| AtomicU64::new(0)).collect()
}

impl Faults {
    pub fn new(spec: FaultSpec, seed: u64) -> Self {
        Faults {
            spec: RwLock::new({
                let fired = counters(&spec);
                (spec, fired)
            }),
            seed,
            draws: AtomicU64::new(0),
        }
    }

    pub fn spec(&self) -> FaultSpec {
        self.spec
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .clone()
    }

    /// Replaces the rules; the generator restarts from the seed so a test sees the same sequence
    /// after every change.
    pub fn set(&self, spec: FaultSpec) {
        *self
            .spec
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = {
            let fired = counters(&spec);
            (spec, fired)
        };
        self.draws.store(0, Ordering::SeqCst);
    }

    fn draw(&self) -> u64 {
        let n = self.draws.fetch_add(1, Ordering::SeqCst);
        splitmix64(self.seed ^ splitmix64(n))
    }

    fn chance(&self, p: f64) -> bool {
        if p >= 1.0 {
            return true;
        }
        if p <= 0.0 {
            return false;
        }
        // 53 random bits → [0, 1)
        let u = (self.draw() >> 11) as f64 / (1u64 << 53) as f64;
        u < p
    }

    pub fn decide(&self, route: Route) -> Decision {
        let spec = self
            .spec
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (spec, fired) = &*spec;
        let mut d = Decision::default();
        for (rule, fired) in spec
            .rules
            .iter()
            .zip(fired)
            .filter(|(r, _)| r.route.matches(route))
        {
            if !self.chance(rule.probability) {
                continue;
            }
            if let Some(limit) = rule.limit
                && fired.fetch_add(1, Ordering::SeqCst) >= limit
            {
                continue;
            }
            match rule.kind {
                FaultKind::Latency { ms, jitter_ms } => {
                    let jitter = if jitter_ms == 0 {
                        0i64
                    } else {
                        let span = 2 * jitter_ms + 1;
                        (self.draw() % span) as i64 - jitter_ms as i64
                    };
                    let total = (ms as i64 + jitter).max(0) as u64;
                    d.delay += Duration::from_millis(total);
                }
                FaultKind::ResetAfter
                | FaultKind::Truncate { .. }
                | FaultKind::Overlong { .. }
                | FaultKind::NotXml
                | FaultKind::Slow { .. }
                | FaultKind::Version { .. } => {
                    if d.after.is_none() {
                        d.after = Some(rule.kind);
                    }
                }
                other => {
                    if d.before.is_none() {
                        d.before = Some(other);
                    }
                }
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_fault() {
        let s = "submit=reset-after@0.3;all=latency:200~50;token=503:2@0.1#4;ping=500#1;bulletin=truncate:100;confidential=slow:1000;cases=429:3;discovery=502;import-status=reset-before;token=down;request-status=truncate;innography=503;cases=version:0.7;account=redirect#1;bulletin=overlong;confidential=overlong:100;import-status=not-xml@0.5";
        let spec: FaultSpec = s.parse().expect("valid");
        assert_eq!(spec.rules.len(), 17);
        assert_eq!(spec.to_string(), s);
        assert_eq!(spec.to_string().parse::<FaultSpec>().expect("again"), spec);
        assert_eq!("".parse::<FaultSpec>().expect("empty").rules.len(), 0);
        assert_eq!(
            "none".parse::<FaultSpec>().expect("none").to_string(),
            "none"
        );
    }

    #[test]
    fn refuses_bad_specs() {
        assert!(matches!(
            "submit".parse::<FaultSpec>(),
            Err(FaultSpecError::MissingEquals { .. })
        ));
        assert!(matches!(
            "nope=500".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownRoute { .. })
        ));
        assert!(matches!(
            "all=404".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownFault { .. })
        ));
        assert!(matches!(
            "all=500@2".parse::<FaultSpec>(),
            Err(FaultSpecError::BadNumber { .. })
        ));
        assert!(matches!(
            "all=slow:0".parse::<FaultSpec>(),
            Err(FaultSpecError::BadNumber { .. })
        ));
        assert!(matches!(
            "all=latency:x".parse::<FaultSpec>(),
            Err(FaultSpecError::BadNumber { .. })
        ));
        assert!(matches!(
            "all=500#0".parse::<FaultSpec>(),
            Err(FaultSpecError::BadNumber { .. })
        ));
        assert!(matches!(
            "all=500#x".parse::<FaultSpec>(),
            Err(FaultSpecError::BadNumber { .. })
        ));
        assert!(matches!(
            "all=not-xml:3".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownFault { .. })
        ));
        assert!(matches!(
            "all=overlong:x".parse::<FaultSpec>(),
            Err(FaultSpecError::BadNumber { .. })
        ));
        assert!(matches!(
            "all=reset-after:3".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownFault { .. })
        ));
    }

    #[test]
    fn decisions_are_seeded_and_reproducible() {
        let spec: FaultSpec = "ping=500@0.5".parse().expect("valid");
        let run = |seed| {
            let f = Faults::new(spec.clone(), seed);
            (0..64)
                .map(|_| f.decide(Route::Ping).before.is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|b| **b).count();
        assert!((16..=48).contains(&hits), "{hits}");
        let f = Faults::new(spec, 7);
        assert_eq!(f.decide(Route::Token), Decision::default());
        let once = Faults::new("ping=503#2".parse().expect("spec"), 7);
        let fired: Vec<bool> = (0..5)
            .map(|_| once.decide(Route::Ping).before.is_some())
            .collect();
        assert_eq!(fired, [true, true, false, false, false]);
        once.set("ping=503#1".parse().expect("spec"));
        assert!(once.decide(Route::Ping).before.is_some());
        assert!(once.decide(Route::Ping).before.is_none());
    }
}
