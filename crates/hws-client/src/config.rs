//! [`HwsConfig`]: where HWS is and how to talk to it.
//!
//! WIPO's "HWS API guide" is not public (hws-facts §1.2, §9): the base URL per environment and the
//! paths of the publication routes are unknown, so every path is a configurable template. The
//! defaults are the paths the HWS document prints (`POST /request`, `GET /request/import/{importId}`,
//! `GET /request/{serviceRequestId}`, `GET /publication/bulletin/{weekId}`,
//! `GET /publication/copy/confidential/{weekId}`, `GET /pingMe`), which `ipgate-sandbox` serves.

use std::path::PathBuf;
use std::time::Duration;

use ipgate_http::RetryPolicy;

use crate::error::ConfigError;

/// The placeholder of [`PathTemplates::import_status`].
pub const IMPORT_ID_PLACEHOLDER: &str = "{importId}";
/// The placeholder of [`PathTemplates::request_status`].
pub const SRN_PLACEHOLDER: &str = "{serviceRequestId}";
/// The placeholder of the publication templates.
pub const WEEK_PLACEHOLDER: &str = "{weekId}";

/// The path of each HWS operation, relative to [`HwsConfig::base_url`]. Each starts with `/`;
/// those with a parameter contain its placeholder exactly once (checked by [`HwsClient::new`](crate::HwsClient::new)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplates {
    /// `pingMe` (query `name=`), default `/pingMe`.
    pub ping: String,
    /// Package upload, default `/request`.
    pub submit: String,
    /// Import status, default `/request/import/{importId}`.
    pub import_status: String,
    /// Service-request status, default `/request/{serviceRequestId}`.
    pub request_status: String,
    /// Weekly bulletin, default `/publication/bulletin/{weekId}`.
    pub bulletin: String,
    /// Confidential copies, default `/publication/copy/confidential/{weekId}`.
    pub confidential_copy: String,
}

impl Default for PathTemplates {
    fn default() -> Self {
        Self {
            ping: "/pingMe".into(),
            submit: "/request".into(),
            import_status: format!("/request/import/{IMPORT_ID_PLACEHOLDER}"),
            request_status: format!("/request/{SRN_PLACEHOLDER}"),
            bulletin: format!("/publication/bulletin/{WEEK_PLACEHOLDER}"),
            confidential_copy: format!("/publication/copy/confidential/{WEEK_PLACEHOLDER}"),
        }
    }
}

impl PathTemplates {
    /// Checks every template: starts with `/`, no `?`/`#`, no `..` segment, and the right
    /// placeholder exactly once where there is one (and none elsewhere).
    pub fn check(&self) -> Result<(), ConfigError> {
        let all: [(&'static str, &str, Option<&'static str>); 6] = [
            ("ping", &self.ping, None),
            ("submit", &self.submit, None),
            (
                "import_status",
                &self.import_status,
                Some(IMPORT_ID_PLACEHOLDER),
            ),
            (
                "request_status",
                &self.request_status,
                Some(SRN_PLACEHOLDER),
            ),
            ("bulletin", &self.bulletin, Some(WEEK_PLACEHOLDER)),
            (
                "confidential_copy",
                &self.confidential_copy,
                Some(WEEK_PLACEHOLDER),
            ),
        ];
        for (name, template, placeholder) in all {
            let bad = |reason: String| ConfigError::PathTemplate {
                name,
                template: template.to_string(),
                reason,
            };
            if !template.starts_with('/') {
                return Err(bad("it must start with '/'".into()));
            }
            if template.contains(['?', '#', ' ']) {
                return Err(bad("it must not contain '?', '#' or spaces".into()));
            }
            if template.split('/').any(|s| s == ".." || s == ".") {
                return Err(bad("it must not contain '.' or '..' segments".into()));
            }
            let braces = template.matches('{').count();
            match placeholder {
                Some(p) => {
                    if template.matches(p).count() != 1 || braces != 1 {
                        return Err(bad(format!("it must contain {p} exactly once")));
                    }
                }
                None => {
                    if braces != 0 || template.contains('}') {
                        return Err(bad("it takes no parameter".into()));
                    }
                }
            }
        }
        Ok(())
    }

    /// `template` with its placeholder replaced by `value` (a [`WeekId`](crate::WeekId),
    /// [`ImportId`](crate::wire::ImportId) or SRN, which are path-safe by construction).
    pub fn render(template: &str, placeholder: &str, value: &str) -> String {
        template.replacen(placeholder, value, 1)
    }
}

/// Settings of an [`HwsClient`](crate::HwsClient).
#[derive(Debug, Clone)]
pub struct HwsConfig {
    /// Base URL, e.g. `http://127.0.0.1:8080/webservices/api/v1` (the sandbox) or WIPO's (unknown,
    /// ask hague.it@wipo.int). `https`, or `http` to a loopback address only.
    pub base_url: String,
    /// The path of each operation.
    pub paths: PathTemplates,
    /// Time allowed to open a connection (TCP and TLS). Default 15 s.
    pub connect_timeout: Duration,
    /// Longest silence while reading an answer or a download. Default 60 s.
    pub read_timeout: Duration,
    /// Overall limit of one status request (`pingMe`, import and service-request status). Default 60 s.
    pub request_timeout: Duration,
    /// Overall limit of the package upload and its answer. Default 10 min (packages of up to
    /// ~100 MB on slow links).
    pub submit_timeout: Duration,
    /// A PEM file of extra CA certificates to trust (an office's TLS-inspecting proxy, the
    /// sandbox's `--tls` CA). Certificate verification is never turned off.
    pub ca_file: Option<PathBuf>,
    /// `User-Agent`.
    pub user_agent: String,
    /// Retries of the idempotent GETs (never applied to `POST /request`).
    pub retry: RetryPolicy,
}

impl HwsConfig {
    /// Defaults for the service at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            paths: PathTemplates::default(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            submit_timeout: Duration::from_secs(600),
            ca_file: None,
            user_agent: concat!("ipgate-hws-client/", env!("CARGO_PKG_VERSION")).into(),
            retry: RetryPolicy::default(),
        }
    }
}

/// How [`HwsClient::wait_for_srn`](crate::HwsClient::wait_for_srn) and
/// [`HwsClient::wait_until_final`](crate::HwsClient::wait_until_final) poll: the first wait is
/// `initial_interval`, each next one doubles up to `max_interval`, and the whole wait ends after
/// `timeout` (the last sleep is cut short so the deadline is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// Wait before the second request. Default 2 s.
    pub initial_interval: Duration,
    /// Longest wait between two requests. Default 60 s.
    pub max_interval: Duration,
    /// Give up after this long. Default 30 min.
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl PollPolicy {
    /// The wait after poll number `n` (1 for the first): `initial · 2^(n-1)`, at most
    /// `max_interval`, and never zero (at least 1 ms, so a zero policy cannot spin).
    pub fn interval(&self, n: u32) -> Duration {
        let exp = n.saturating_sub(1).min(30);
        self.initial_interval
            .saturating_mul(1u32 << exp)
            .min(self.max_interval)
            .max(Duration::from_millis(1))
    }

    /// How long to sleep after poll `n` when `elapsed` has passed since the wait began: the
    /// interval, cut to what is left before the deadline; `None` once the deadline has passed.
    pub fn next_sleep(&self, n: u32, elapsed: Duration) -> Option<Duration> {
        let left = self.timeout.checked_sub(elapsed)?;
        if left.is_zero() {
            return None;
        }
        Some(self.interval(n).min(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_templates_are_the_hws_document_paths_and_render() {
        let t = PathTemplates::default();
        t.check().expect("defaults are valid");
        assert_eq!(
            PathTemplates::render(&t.import_status, IMPORT_ID_PLACEHOLDER, "IMP-1"),
            "/request/import/IMP-1"
        );
        assert_eq!(
            PathTemplates::render(&t.request_status, SRN_PLACEHOLDER, "SR1"),
            "/request/SR1"
        );
        assert_eq!(
            PathTemplates::render(&t.bulletin, WEEK_PLACEHOLDER, "202614"),
            "/publication/bulletin/202614"
        );
        assert_eq!(
            PathTemplates::render(&t.confidential_copy, WEEK_PLACEHOLDER, "202614"),
            "/publication/copy/confidential/202614"
        );
    }

    #[test]
    fn bad_templates_are_refused_naming_the_template() {
        type Change = fn(&mut PathTemplates);
        let cases: [(Change, &str); 8] = [
            (|t| t.ping = "pingMe".into(), "start with"),
            (|t| t.submit = "/request?x=1".into(), "'?'"),
            (
                |t| t.import_status = "/request/import".into(),
                "exactly once",
            ),
            (
                |t| t.import_status = "/a/{importId}/{importId}".into(),
                "exactly once",
            ),
            (
                |t| t.request_status = "/request/{importId}".into(),
                "exactly once",
            ),
            (|t| t.bulletin = "/../bulletin/{weekId}".into(), "'..'"),
            (|t| t.submit = "/request/{weekId}".into(), "no parameter"),
            (
                |t| t.confidential_copy = "/copy/{weekId}{x}".into(),
                "exactly once",
            ),
        ];
        for (change, expected) in cases {
            let mut t = PathTemplates::default();
            change(&mut t);
            let err = t.check().expect_err("must be refused").to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn poll_intervals_double_up_to_the_cap_and_the_deadline_is_kept() {
        let p = PollPolicy {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(350),
            timeout: Duration::from_secs(1),
        };
        let got: Vec<u128> = (1..=5).map(|n| p.interval(n).as_millis()).collect();
        assert_eq!(got, [100, 200, 350, 350, 350]);
        assert_eq!(p.interval(u32::MAX), Duration::from_millis(350));
        // The last sleep is cut to the deadline; past it, no sleep at all.
        assert_eq!(
            p.next_sleep(4, Duration::from_millis(900)),
            Some(Duration::from_millis(100))
        );
        assert_eq!(p.next_sleep(1, Duration::from_secs(1)), None);
        assert_eq!(p.next_sleep(1, Duration::from_secs(5)), None);
        // Summing the sleeps of a whole wait never exceeds the timeout.
        let mut elapsed = Duration::ZERO;
        let mut n = 0;
        while let Some(d) = p.next_sleep(n + 1, elapsed) {
            n += 1;
            elapsed += d;
        }
        assert_eq!(elapsed, p.timeout);
        assert_eq!(n, 4, "100 + 200 + 350 + 350 ms reach the 1 s deadline");
        // A zero policy cannot spin.
        let zero = PollPolicy {
            initial_interval: Duration::ZERO,
            max_interval: Duration::ZERO,
            timeout: Duration::from_millis(3),
        };
        assert_eq!(zero.interval(1), Duration::from_millis(1));
    }
}
