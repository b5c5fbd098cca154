//! Version negotiation: `Accept: application/vnd.innography+json; version=0.6` on requests,
//! `Content-Type: ...; version=0.6; patch=17` on responses, and the server-side choice (or
//! `300 Multiple Choices`).

use std::fmt;
use std::str::FromStr;

/// The vendor media type carrying the version parameter.
pub const MEDIA_TYPE: &str = "application/vnd.innography+json";

/// Errors of version parsing and negotiation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// Not `MAJOR.MINOR`.
    #[error(
        "`{0}` is not an API version; write MAJOR.MINOR, e.g. 0.6 (patches cannot be requested)"
    )]
    InvalidVersion(String),
    /// A q-value outside 0.0–1.0.
    #[error("q-value {0} is outside 0.0-1.0; use a preference between 0.0 and 1.0")]
    InvalidQuality(String),
    /// A `Content-Type` that is not parseable.
    #[error(
        "Content-Type `{0}` cannot be parsed; expected `application/vnd.innography+json; version=X.Y[; patch=N]`"
    )]
    InvalidContentType(String),
    /// A version list (`0.6,0.5;q=0.9`) with no version in it.
    #[error("no API version given; write a version like 0.6, or fallbacks like 0.6,0.5,0.4;q=0.9")]
    EmptyVersionList,
    /// A parameter in a version list other than `q=N`.
    #[error("`{0}` is not a q-value; only `q=N` (0 to 1) may follow a version, e.g. 0.4;q=0.9")]
    InvalidVersionParameter(String),
    /// A 300 body entry that is not `Content-Type: ...;version=X.Y`.
    #[error(
        "offered version entry `{0}` is not `Content-Type: application/vnd.innography+json;version=X.Y`"
    )]
    InvalidOffer(String),
}

/// An API version `MAJOR.MINOR`. Ordered numerically (0.10 > 0.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl ApiVersion {
    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Decimal digits only, at most `u32::MAX` (10 digits: whatever `content_type_for` writes reads
/// back; the property tests found the 9-digit cap this used to have refusing `patch=1000000000`).
fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for ApiVersion {
    type Err = NegotiationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || NegotiationError::InvalidVersion(s.chars().take(32).collect());
        let (ma, mi) = s.trim().split_once('.').ok_or_else(bad)?;
        Ok(Self {
            major: parse_u32(ma).ok_or_else(bad)?,
            minor: parse_u32(mi).ok_or_else(bad)?,
        })
    }
}

/// A q-value in thousandths (0–1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quality(u16);

impl Quality {
    /// q=1 (the default).
    pub const ONE: Quality = Quality(1000);

    /// From a number in 0.0–1.0 (rounded to thousandths).
    pub fn new(q: f32) -> Result<Self, NegotiationError> {
        if !(0.0..=1.0).contains(&q) {
            return Err(NegotiationError::InvalidQuality(q.to_string()));
        }
        Ok(Self((q * 1000.0).round() as u16))
    }

    /// The value in thousandths.
    pub fn thousandths(self) -> u16 {
        self.0
    }

    fn parse(s: &str) -> Option<Self> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut thousandths: u16 = match int {
            "0" => 0,
            "1" => 1000,
            _ => return None,
        };
        let mut scale = 100;
        for d in frac.bytes() {
            thousandths += u16::from(d - b'0') * scale;
            scale /= 10;
        }
        (thousandths <= 1000).then_some(Self(thousandths))
    }
}

impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 1000 {
            return f.write_str("1");
        }
        let s = format!("0.{:03}", self.0);
        f.write_str(s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Builds the request `Accept` header: a preferred version and optional fallbacks, each with an
/// optional q-value.
///
/// ```
/// use innography_hmac::{Accept, ApiVersion, Quality};
/// let accept = Accept::version(ApiVersion::new(0, 6))
///     .or(ApiVersion::new(0, 5))
///     .or_q(ApiVersion::new(0, 4), Quality::new(0.9)?);
/// assert_eq!(
///     accept.to_string(),
///     "application/vnd.innography+json; version=0.6, application/vnd.innography+json; version=0.5, \
///      application/vnd.innography+json; version=0.4; q=0.9"
/// );
/// # Ok::<(), innography_hmac::NegotiationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    entries: Vec<(Option<ApiVersion>, Option<Quality>)>,
}

impl Accept {
    /// Asks for exactly `version`.
    pub fn version(version: ApiVersion) -> Self {
        Self {
            entries: vec![(Some(version), None)],
        }
    }

    /// Asks for `version` with an explicit q-value.
    pub fn version_q(version: ApiVersion, q: Quality) -> Self {
        Self {
            entries: vec![(Some(version), Some(q))],
        }
    }

    /// Asks for the server's latest version (`application/vnd.innography+json` without a version).
    /// Dangerous in production: pin a version instead.
    pub fn latest() -> Self {
        Self {
            entries: vec![(None, None)],
        }
    }

    /// Adds a fallback with the default q=1 (order decides among equal q-values).
    pub fn or(mut self, version: ApiVersion) -> Self {
        self.entries.push((Some(version), None));
        self
    }

    /// Adds a fallback with an explicit q-value.
    pub fn or_q(mut self, version: ApiVersion, q: Quality) -> Self {
        self.entries.push((Some(version), Some(q)));
        self
    }

    /// The versions asked for, in order.
    pub fn versions(&self) -> impl Iterator<Item = ApiVersion> + '_ {
        self.entries.iter().filter_map(|(v, _)| *v)
    }
}

/// The short form people type (`ipgate innography request --api-version`, settings files): a
/// comma-separated list of versions, each optionally with `;q=N`, e.g. `0.6` or
/// `0.6,0.5,0.4;q=0.9`. The full header form is what [`Accept`]'s `Display` writes.
///
/// ```
/// use innography_hmac::{Accept, ApiVersion};
/// let a: Accept = "0.6, 0.5;q=0.9".parse()?;
/// assert_eq!(a.versions().collect::<Vec<_>>(), [ApiVersion::new(0, 6), ApiVersion::new(0, 5)]);
/// assert!(a.to_string().ends_with("version=0.5; q=0.9"));
/// # Ok::<(), innography_hmac::NegotiationError>(())
/// ```
impl FromStr for Accept {
    type Err = NegotiationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut entries = Vec::new();
        if text.trim().is_empty() {
            return Err(NegotiationError::EmptyVersionList);
        }
        for item in text.split(',') {
            let mut parts = item.split(';');
            let version = ApiVersion::from_str(parts.next().unwrap_or("").trim())?;
            let mut q = None;
            for p in parts {
                let bad = || {
                    NegotiationError::InvalidVersionParameter(p.trim().chars().take(32).collect())
                };
                let (n, v) = p.split_once('=').ok_or_else(bad)?;
                if n.trim() != "q" {
                    return Err(bad());
                }
                q = Some(Quality::parse(v.trim()).ok_or_else(|| {
                    NegotiationError::InvalidQuality(v.trim().chars().take(32).collect())
                })?);
            }
            entries.push((Some(version), q));
        }
        Ok(Self { entries })
    }
}

impl fmt::Display for Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (v, q)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(MEDIA_TYPE)?;
            if let Some(v) = v {
                write!(f, "; version={v}")?;
            }
            if let Some(q) = q {
                write!(f, "; q={q}")?;
            }
        }
        Ok(())
    }
}

/// A parsed response `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseType {
    /// The media type, lower-cased, e.g. `application/vnd.innography+json`.
    pub media_type: String,
    /// The `version` parameter, if any.
    pub version: Option<ApiVersion>,
    /// The `patch` parameter, if any.
    pub patch: Option<u32>,
}

/// Splits `a; b=c; d="e"` into the first item and its parameters (names lower-cased, quotes removed).
fn split_params(s: &str) -> (String, Vec<(String, String)>) {
    let mut parts = s.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (n, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((n.trim().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    (media, params)
}

/// Parses a response `Content-Type` such as `application/vnd.innography+json; version=0.6; patch=17`.
pub fn parse_content_type(value: &str) -> Result<ResponseType, NegotiationError> {
    let bad = || NegotiationError::InvalidContentType(value.chars().take(80).collect());
    let (media_type, params) = split_params(value);
    if !media_type.contains('/') || media_type.contains(' ') {
        return Err(bad());
    }
    let mut out = ResponseType {
        media_type,
        version: None,
        patch: None,
    };
    for (n, v) in params {
        match n.as_str() {
            "version" => out.version = Some(v.parse().map_err(|_| bad())?),
            "patch" => out.patch = Some(parse_u32(&v).ok_or_else(bad)?),
            _ => {}
        }
    }
    Ok(out)
}

/// The `Content-Type` a server sends for `version` (and optional `patch`).
pub fn content_type_for(version: ApiVersion, patch: Option<u32>) -> String {
    match patch {
        Some(p) => format!("{MEDIA_TYPE}; version={version}; patch={p}"),
        None => format!("{MEDIA_TYPE}; version={version}"),
    }
}

/// The server's answer to an `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Respond with this version.
    Version(ApiVersion),
    /// None of the requested versions is offered: respond `300 Multiple Choices` with
    /// [`multiple_choices_body`].
    MultipleChoices,
}

/// Server side: picks the version to serve for `accept` among `offered`.
///
/// The best entry wins by q-value (default 1), then by order. An entry naming a version the
/// server does not offer is skipped; an entry without a version (`*/*`, `application/json`,
/// `application/vnd.innography+json`) means the latest offered version. No `Accept` header means
/// the latest too. When nothing is acceptable the answer is [`Selection::MultipleChoices`].
///
/// ```
/// use innography_hmac::{select_version, ApiVersion, Selection};
/// let offered = [ApiVersion::new(0, 4), ApiVersion::new(0, 5)];
/// let accept = "application/vnd.innography+json; version=0.3; q=0.8, \
///     application/vnd.innography+json; version=0.6, \
///     application/vnd.innography+json; version=0.4; q=0.9, \
///     application/vnd.innography+json; version=0.5";
/// assert_eq!(select_version(Some(accept), &offered), Selection::Version(ApiVersion::new(0, 5)));
/// ```
pub fn select_version(accept: Option<&str>, offered: &[ApiVersion]) -> Selection {
    let Some(latest) = offered.iter().max().copied() else {
        return Selection::MultipleChoices;
    };
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Selection::Version(latest);
    };
    let mut best: Option<(Quality, ApiVersion)> = None;
    for item in accept.split(',') {
        let (media, params) = split_params(item);
        let mut q = Quality::ONE;
        let mut version = None;
        let mut valid = true;
        for (n, v) in &params {
            match n.as_str() {
                "q" => match Quality::parse(v) {
                    Some(parsed) => q = parsed,
                    None => valid = false,
                },
                "version" => match v.parse::<ApiVersion>() {
                    Ok(parsed) => version = Some(parsed),
                    Err(_) => valid = false,
                },
                _ => {}
            }
        }
        let media_ok = matches!(
            media.as_str(),
            "*/*" | "application/*" | "application/json" | MEDIA_TYPE
        );
        if !valid || !media_ok || q.0 == 0 {
            continue;
        }
        let candidate = match version {
            Some(v) if offered.contains(&v) => v,
            Some(_) => continue,
            None => latest,
        };
        // Strictly greater: earlier entries win ties.
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, candidate));
        }
    }
    best.map_or(Selection::MultipleChoices, |(_, v)| Selection::Version(v))
}

/// The JSON body of a `300 Multiple Choices` answer, in the document's shape.
pub fn multiple_choices_body(offered: &[ApiVersion]) -> String {
    let mut sorted = offered.to_vec();
    sorted.sort();
    sorted.dedup();
    let items: Vec<String> = sorted
        .iter()
        .map(|v| format!("    \"Content-Type: {MEDIA_TYPE};version={v}\""))
        .collect();
    format!(
        "{{\n  \"status\": \"error\",\n  \"message\": \"Multiple Choices\",\n  \"result\": [\n{}\n  ]\n}}",
        items.join(",\n")
    )
}

/// Parses the `result` entries of a 300 body (`Content-Type: application/vnd.innography+json;version=0.6`).
pub fn parse_offered_versions<'a, I>(entries: I) -> Result<Vec<ApiVersion>, NegotiationError>
where
    I: IntoIterator<Item = &'a str>,
{
    entries
        .into_iter()
        .map(|e| {
            let bad = || NegotiationError::InvalidOffer(e.chars().take(80).collect());
            let (name, value) = e.split_once(':').ok_or_else(bad)?;
            if !name.trim().eq_ignore_ascii_case("content-type") {
                return Err(bad());
            }
            parse_content_type(value)
                .ok()
                .and_then(|t| t.version)
                .ok_or_else(bad)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ApiVersion {
        s.parse().expect("version")
    }

    const CASCADE: &str = "application/vnd.innography+json; version=0.6, application/vnd.innography+json; version=0.5, application/vnd.innography+json; version=0.4; q=0.9, application/vnd.innography+json; version=0.3; q=0.8";
    const SHUFFLED: &str = "application/vnd.innography+json; version=0.3; q=0.8, application/vnd.innography+json; version=0.6, application/vnd.innography+json; version=0.4; q=0.9, application/vnd.innography+json; version=0.5";

    #[test]
    fn document_examples_cascade() {
        for accept in [CASCADE, SHUFFLED] {
            let cases: [(&[&str], Option<&str>); 6] = [
                (&["0.3", "0.4", "0.5", "0.6", "0.7"], Some("0.6")),
                (&["0.3", "0.4", "0.5"], Some("0.5")),
                (&["0.3", "0.4"], Some("0.4")),
                (&["0.3", "0.7"], Some("0.3")),
                (&["0.7", "0.8"], None),
                (&[], None),
            ];
            for (offered, want) in cases {
                let offered: Vec<ApiVersion> = offered.iter().map(|s| v(s)).collect();
                let got = select_version(Some(accept), &offered);
                let want = want.map_or(Selection::MultipleChoices, |w| Selection::Version(v(w)));
                assert_eq!(got, want, "accept={accept} offered={offered:?}");
            }
        }
    }

    #[test]
    fn built_accept_matches_the_documents_cascade() {
        let a = Accept::version(v("0.6"))
            .or(v("0.5"))
            .or_q(v("0.4"), Quality::new(0.9).expect("q"))
            .or_q(v("0.3"), Quality::new(0.8).expect("q"));
        assert_eq!(a.to_string(), CASCADE);
        assert_eq!(Accept::latest().to_string(), MEDIA_TYPE);
        assert!(Quality::new(1.5).is_err());
        assert!(Quality::new(f32::NAN).is_err());
    }

    #[test]
    fn unversioned_accept_gets_latest() {
        let offered = [v("0.6"), v("0.10"), v("0.7")];
        for a in ["*/*", "application/json", MEDIA_TYPE, ""] {
            assert_eq!(
                select_version(Some(a), &offered),
                Selection::Version(v("0.10"))
            );
        }
        assert_eq!(
            select_version(None, &offered),
            Selection::Version(v("0.10"))
        );
        assert_eq!(
            select_version(Some("text/html"), &offered),
            Selection::MultipleChoices
        );
        assert_eq!(
            select_version(
                Some("application/vnd.innography+json; version=0.6; q=0"),
                &offered
            ),
            Selection::MultipleChoices
        );
    }

    #[test]
    fn content_type_parses_version_and_patch() {
        let t = parse_content_type("application/vnd.innography+json; version=0.6; patch=17")
            .expect("parses");
        assert_eq!(t.version, Some(v("0.6")));
        assert_eq!(t.patch, Some(17));
        let t = parse_content_type("application/vnd.innography+json;version=0.7").expect("parses");
        assert_eq!((t.version, t.patch), (Some(v("0.7")), None));
        assert!(parse_content_type("application/vnd.innography+json; version=abc").is_err());
        assert!(
            parse_content_type("application/vnd.innography+json; version=0.6; patch=x").is_err()
        );
        assert_eq!(
            content_type_for(v("0.6"), Some(17)),
            "application/vnd.innography+json; version=0.6; patch=17"
        );
    }

    #[test]
    fn multiple_choices_body_is_the_documents() {
        let body = multiple_choices_body(&[v("0.7"), v("0.6")]);
        let expected = "{\n  \"status\": \"error\",\n  \"message\": \"Multiple Choices\",\n  \"result\": [\n    \"Content-Type: application/vnd.innography+json;version=0.6\",\n    \"Content-Type: application/vnd.innography+json;version=0.7\"\n  ]\n}";
        assert_eq!(body, expected);
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        let entries: Vec<&str> = json["result"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|e| e.as_str())
            .collect();
        assert_eq!(
            parse_offered_versions(entries),
            Ok(vec![v("0.6"), v("0.7")])
        );
        assert!(parse_offered_versions(["Accept: x"]).is_err());
    }

    #[test]
    fn versions_parse_strictly_and_order_numerically() {
        assert!(v("0.10") > v("0.9"));
        for bad in ["", "1", "1.", ".1", "0.6.1", "a.b", "-1.0", "1.+2"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad}");
        }
        assert_eq!(Quality::new(0.9).expect("q").to_string(), "0.9");
        assert_eq!(Quality::new(0.125).expect("q").to_string(), "0.125");
        assert_eq!(Quality::parse("0.95"), Some(Quality(950)));
        assert_eq!(Quality::parse("1.001"), None);
    }

    #[test]
    fn accept_short_form_parses_and_refuses_precisely() {
        let a: Accept = "0.6,0.5,0.4;q=0.9".parse().expect("parse");
        assert_eq!(
            a,
            Accept::version(ApiVersion::new(0, 6))
                .or(ApiVersion::new(0, 5))
                .or_q(ApiVersion::new(0, 4), Quality::new(0.9).expect("q"))
        );
        assert_eq!(
            " 0.6 ".parse::<Accept>().expect("one"),
            Accept::version(ApiVersion::new(0, 6))
        );
        assert_eq!(
            "".parse::<Accept>(),
            Err(NegotiationError::EmptyVersionList)
        );
        assert!(
            matches!("0.6;x=1".parse::<Accept>(), Err(NegotiationError::InvalidVersionParameter(p)) if p == "x=1")
        );
        assert!(matches!(
            "0.6;q".parse::<Accept>(),
            Err(NegotiationError::InvalidVersionParameter(_))
        ));
        assert!(
            matches!("0.6;q=2".parse::<Accept>(), Err(NegotiationError::InvalidQuality(q)) if q == "2")
        );
        assert!(matches!(
            "0.6,,0.5".parse::<Accept>(),
            Err(NegotiationError::InvalidVersion(_))
        ));
        assert!(matches!(
            "latest".parse::<Accept>(),
            Err(NegotiationError::InvalidVersion(_))
        ));
    }
}
