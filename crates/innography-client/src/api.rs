//! The Innography APIs, each versioned on its own.

use std::fmt;
use std::str::FromStr;

use ipgate_http::RateLimit;

/// The default spacing of Cases queries: the documented 1 query/second plus a 10 % margin. The
/// server counts the second from each query's arrival, so slots exactly 1 s apart arrive a few
/// milliseconds closer whenever one request is slower on the wire than the next: the fault matrix
/// saw about half of the queries refused with 429 (each then costing another second) at 1.000 s.
pub const CASES_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1100);

/// One of the Innography APIs. Each is versioned independently, so versions are pinned per API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    /// Cases: public documents of an IP ID. Limited to 1 query/second per consumer.
    Cases,
    /// Data Validation: match and verify public case data.
    DataValidation,
    /// PortfolioIQ.
    PortfolioIq,
    /// Private PAIR.
    PrivatePair,
    /// Veritas: documents and status of a case.
    Veritas,
    /// IDS: polling case data.
    Ids,
    /// ETL.
    Etl,
}

/// `--api` named an API that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Innography API `{0}`; use one of: cases, data-validation, portfolioiq, private-pair, veritas, ids, etl"
)]
pub struct UnknownApi(pub String);

impl Api {
    /// Every API.
    pub const ALL: [Api; 7] = [
        Api::Cases,
        Api::DataValidation,
        Api::PortfolioIq,
        Api::PrivatePair,
        Api::Veritas,
        Api::Ids,
        Api::Etl,
    ];

    /// The name used in configuration, on the command line and as the first path segment.
    pub fn slug(self) -> &'static str {
        match self {
            Api::Cases => "cases",
            Api::DataValidation => "data-validation",
            Api::PortfolioIq => "portfolioiq",
            Api::PrivatePair => "private-pair",
            Api::Veritas => "veritas",
            Api::Ids => "ids",
            Api::Etl => "etl",
        }
    }

    /// The API whose slug is the first segment of `path` (`/private-pair/account` → Private PAIR).
    pub fn from_path(path: &str) -> Option<Api> {
        let first = path.trim_start_matches('/').split(['/', '?']).next()?;
        first.parse().ok()
    }

    /// The documented rate limit with a margin: 1 query/second per consumer for Cases, spaced
    /// [`CASES_INTERVAL`] apart; none stated for the others.
    pub fn default_rate_limit(self) -> Option<RateLimit> {
        match self {
            Api::Cases => Some(RateLimit::every(CASES_INTERVAL)),
            _ => None,
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Api {
    type Err = UnknownApi;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let norm = match norm.as_str() {
            "datavalidation" => "data-validation",
            "portfolio-iq" => "portfolioiq",
            "privatepair" => "private-pair",
            other => other,
        };
        Api::ALL
            .into_iter()
            .find(|a| a.slug() == norm)
            .ok_or_else(|| UnknownApi(s.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        for a in Api::ALL {
            assert_eq!(a.slug().parse::<Api>(), Ok(a));
        }
        assert_eq!("Private_PAIR".parse::<Api>(), Ok(Api::PrivatePair));
        assert_eq!(
            Api::from_path("/private-pair/account"),
            Some(Api::PrivatePair)
        );
        assert_eq!(Api::from_path("cases?x=1"), Some(Api::Cases));
        assert_eq!(Api::from_path("/nope/x"), None);
        assert!("patents".parse::<Api>().is_err());
        assert_eq!(
            Api::Cases.default_rate_limit().map(|r| r.interval()),
            Some(CASES_INTERVAL)
        );
        assert!(Api::Etl.default_rate_limit().is_none());
    }
}
