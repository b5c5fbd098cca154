//! [`HwsClient`]: the typed async transport to Hague Web Services.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hague_journal::{NewPublication, PublicationKind, Sha256Hex};
use ipgate_base::clock::{Clock, SystemClock};
use ipgate_http::{ProgressFn, RetryPolicy, SendError};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use wipo_oidc::{AccessToken, TokenSource};

use crate::config::{
    HwsConfig, IMPORT_ID_PLACEHOLDER, PathTemplates, PollPolicy, SRN_PLACEHOLDER, WEEK_PLACEHOLDER,
};
use crate::error::{ConfigError, Delivery, HwsError, Operation};
use crate::week::WeekId;
use crate::wire::{
    ErrorDocument, HelloMessage, ImportId, ImportState, ImportStatus, RejectionReason,
    ServiceRequestNumber, ServiceRequestStatus, WireError,
};

/// The largest status or error document read (HWS status documents are a few hundred bytes).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The media type of `POST /request` (the package ZIP as the raw body).
pub const PACKAGE_CONTENT_TYPE: &str = "application/zip";

/// Bytes of an upload handed to the connection at a time (each a progress report).
const UPLOAD_CHUNK: usize = 64 * 1024;

/// A request body: the package of `POST /request`, with who to tell as it is sent.
#[derive(Clone)]
struct Upload {
    bytes: Bytes,
    progress: Option<ProgressFn>,
}

impl Upload {
    /// `request` with the body of one attempt. With a progress callback the bytes are streamed
    /// in [`UPLOAD_CHUNK`]s, each reported (`received`: bytes handed to the connection so far) as
    /// the connection takes it; the length is still announced (`Content-Length`).
    fn attach(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let Some(progress) = self.progress.clone() else {
            return request.body(self.bytes.clone());
        };
        let chunks = upload_chunks(self.bytes.clone(), progress);
        request
            .header(CONTENT_LENGTH, self.bytes.len())
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
    }
}

/// `bytes` in [`UPLOAD_CHUNK`]s, reporting to `progress` first 0 of the total, then as each chunk
/// is taken the bytes taken so far.
fn upload_chunks(
    bytes: Bytes,
    progress: ProgressFn,
) -> impl Iterator<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let total = Some(bytes.len() as u64);
    progress(ipgate_http::Progress { received: 0, total });
    (0..bytes.len()).step_by(UPLOAD_CHUNK).map(move |start| {
        let end = (start + UPLOAD_CHUNK).min(bytes.len());
        progress(ipgate_http::Progress {
            received: end as u64,
            total,
        });
        Ok(bytes.slice(start..end))
    })
}

/// A file written by [`HwsClient::bulletin`] or [`HwsClient::confidential_copy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The week.
    pub week: WeekId,
    /// Where it was written (complete: never a partial file).
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: Sha256Hex,
    /// Bytes taken over from an earlier interrupted download (0 when it started from scratch).
    pub resumed_from: u64,
}

impl Downloaded {
    /// The journal record of this download ([`hague_journal::Journal::record_publication`]).
    pub fn to_publication(&self, kind: PublicationKind) -> NewPublication {
        NewPublication {
            week: self.week.to_string(),
            kind,
            sha256: self.sha256.clone(),
            size: self.size,
            path: self.path.clone(),
        }
    }
}

struct Inner {
    http: reqwest::Client,
    base: String,
    config: HwsConfig,
    tokens: TokenSource,
    clock: Arc<dyn Clock>,
}

/// The HWS client: one per profile, cheap to clone (clones share the HTTP connection pool and the
/// token source, so concurrent calls share one access token).
///
/// Every call sends `Authorization: Bearer` with a token from the [`TokenSource`] (refreshed before
/// expiry); an HTTP 401 drops the token, gets a new one and repeats the request once.
///
/// GETs are retried on network errors and 5xx per [`HwsConfig::retry`]. **`POST /request` is never
/// repeated** once it may have reached the server (not even on 429 or 5xx): a second POST could
/// file the same decision twice. Use [`submit_journaled`](crate::submit_journaled) to send a
/// package; it records the submission in the journal before the POST.
///
/// ```no_run
/// # async fn demo(tokens: wipo_oidc::TokenSource) -> Result<(), Box<dyn std::error::Error>> {
/// use hws_client::{HwsClient, HwsConfig, PollPolicy, WeekId};
/// let client = HwsClient::new(HwsConfig::new("http://127.0.0.1:8080/webservices/api/v1"), tokens)?;
/// println!("{}", client.ping(Some("office")).await?.message);
/// let week: WeekId = "202648".parse()?;
/// let file = client.bulletin(week, "bulletin-202648.zip".as_ref()).await?;
/// println!("{} bytes, sha256 {}", file.size, file.sha256);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HwsClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HwsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HwsClient")
            .field("base", &self.inner.base)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

/// The HTTP client HWS calls use: `ipgate_http`'s (rustls, redirects never followed) with the
/// configured timeouts and the extra CA file if any (added to the platform's roots; verification
/// is never turned off).
pub fn http_client(config: &HwsConfig) -> Result<reqwest::Client, ConfigError> {
    let options = ipgate_http::ClientOptions {
        user_agent: config.user_agent.clone(),
        connect_timeout: config.connect_timeout,
        read_timeout: config.read_timeout,
        extra_ca_file: config.ca_file.clone(),
    };
    Ok(options.build()?)
}

/// Why the request did not produce a response: sent or not.
fn transport_error(operation: Operation, e: SendError) -> HwsError {
    match e {
        SendError::Transport { source, .. } => HwsError::Network {
            operation,
            // A connect error (DNS, TCP, TLS handshake, proxy) means no byte of the request left.
            delivery: if source.is_connect() {
                Delivery::NotSent
            } else {
                Delivery::MaybeReceived
            },
            detail: error_detail(&source),
        },
        SendError::Build(source) => HwsError::Network {
            operation,
            delivery: Delivery::NotSent,
            detail: format!("cannot build the request: {source}"),
        },
        other => HwsError::Network {
            operation,
            delivery: Delivery::NotSent,
            detail: other.to_string(),
        },
    }
}

/// reqwest's error with its causes (its own message only says "error sending request").
fn error_detail(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = c.source();
    }
    parts.join(": ")
}

impl HwsClient {
    /// A client for the service `config` describes, authenticating with `tokens`.
    pub fn new(config: HwsConfig, tokens: TokenSource) -> Result<Self, HwsError> {
        Self::with_clock(config, tokens, Arc::new(SystemClock))
    }

    /// Like [`new`](Self::new) with an injected clock (used for "is this week in the future" and
    /// `Retry-After` dates).
    pub fn with_clock(
        config: HwsConfig,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, HwsError> {
        wipo_oidc::check_url("HWS base URL", &config.base_url).map_err(ConfigError::BaseUrl)?;
        config.paths.check()?;
        let http = http_client(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base: config.base_url.trim_end_matches('/').to_string(),
                config,
                tokens,
                clock,
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &HwsConfig {
        &self.inner.config
    }

    /// The token source (shared by every call).
    pub fn tokens(&self) -> &TokenSource {
        &self.inner.tokens
    }

    /// The full URL of a path (a rendered template).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    /// The current ISO week by the client's clock (UTC).
    pub fn current_week(&self) -> WeekId {
        WeekId::current(time::OffsetDateTime::from(self.inner.clock.now()).date())
    }

    /// Refuses a week in the future before any request is made.
    pub fn check_week(&self, week: WeekId) -> Result<(), HwsError> {
        let current = self.current_week();
        if week > current {
            return Err(HwsError::FutureWeek { week, current });
        }
        Ok(())
    }

    async fn send_once(
        &self,
        operation: Operation,
        method: &Method,
        url: &str,
        body: Option<&Upload>,
        timeout: Option<Duration>,
        token: &AccessToken,
    ) -> Result<reqwest::Response, HwsError> {
        let policy = if *method == Method::POST {
            RetryPolicy::none()
        } else {
            self.inner.config.retry.clone()
        };
        let sent = ipgate_http::send(
            &self.inner.http,
            &policy,
            None,
            self.inner.clock.as_ref(),
            |_| {
                let mut b = self
                    .inner
                    .http
                    .request(method.clone(), url)
                    .bearer_auth(token.secret());
                if let Some(t) = timeout {
                    b = b.timeout(t);
                }
                if let Some(upload) = body {
                    b = upload.attach(b.header(CONTENT_TYPE, PACKAGE_CONTENT_TYPE));
                }
                b
            },
        )
        .await
        .map_err(|e| transport_error(operation, e))?;
        Ok(sent.response)
    }

    /// Sends with a token; on 401 gets a new token and sends once more.
    async fn call(
        &self,
        operation: Operation,
        method: Method,
        url: &str,
        body: Option<Upload>,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, HwsError> {
        let tokens = &self.inner.tokens;
        let token = tokens.token().await.map_err(HwsError::Token)?;
        let response = self
            .send_once(operation, &method, url, body.as_ref(), timeout, &token)
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // A 401 means the request was not processed: repeating it, even a POST, is safe.
        tracing::debug!(%operation, "HWS answered 401; retrying once with a new token");
        tokens.invalidate(&token);
        let token = tokens.token().await.map_err(HwsError::Token)?;
        self.send_once(operation, &method, url, body.as_ref(), timeout, &token)
            .await
    }

    /// Reads a document body, at most [`MAX_DOCUMENT_BYTES`].
    async fn read_body(
        operation: Operation,
        mut response: reqwest::Response,
    ) -> Result<Bytes, HwsError> {
        let mut buf = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                        return Err(HwsError::ResponseTooLarge {
                            operation,
                            limit: MAX_DOCUMENT_BYTES,
                        });
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(Bytes::from(buf)),
                Err(e) => {
                    return Err(HwsError::Network {
                        operation,
                        delivery: Delivery::MaybeReceived,
                        detail: format!("the answer broke off: {}", error_detail(&e)),
                    });
                }
            }
        }
    }

    /// The typed error for a non-success answer.
    async fn error_for(
        &self,
        operation: Operation,
        response: reqwest::Response,
        not_found: (&'static str, String),
    ) -> HwsError {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| ipgate_http::parse_retry_after(v, self.inner.clock.now()));
        let body = Self::read_body(operation, response)
            .await
            .unwrap_or_default();
        self.status_error(operation, status, retry_after, &body, not_found)
    }

    /// The typed error for HTTP `status` with `body`.
    fn status_error(
        &self,
        operation: Operation,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
        not_found: (&'static str, String),
    ) -> HwsError {
        status_error(operation, status, retry_after, body, not_found)
    }
}

impl HwsClient {
    /// A GET (or the POST) answered by a status document: checks the status, reads the body and
    /// parses it with `parse` (a wire document's `from_xml`); a body that does not parse is a
    /// [`HwsError::BadResponse`] carrying the status.
    #[allow(clippy::too_many_arguments)]
    async fn document<T>(
        &self,
        operation: Operation,
        method: Method,
        url: &str,
        body: Option<Upload>,
        timeout: Duration,
        not_found: (&'static str, String),
        parse: fn(&[u8]) -> Result<T, WireError>,
    ) -> Result<T, HwsError> {
        // An answer that breaks off mid-body is asked again for idempotent GETs, as a failed
        // connection is (`ipgate_http::send` retries those before any body is read); the POST
        // never is.
        let policy = &self.inner.config.retry;
        let mut retry = 0;
        let (status, body) = loop {
            let response = self
                .call(operation, method.clone(), url, body.clone(), Some(timeout))
                .await?;
            let status = response.status();
            if !status.is_success() {
                return Err(self.error_for(operation, response, not_found).await);
            }
            match Self::read_body(operation, response).await {
                Ok(bytes) => break (status, bytes),
                Err(e @ HwsError::Network { .. })
                    if ipgate_http::is_idempotent(&method) && retry + 1 < policy.max_attempts =>
                {
                    retry += 1;
                    tracing::debug!(%operation, retry, "HWS answer broke off; asking again: {e}");
                    tokio::time::sleep(policy.jittered_backoff(retry)).await;
                }
                Err(e) => return Err(e),
            }
        };
        parse(&body).map_err(|source| HwsError::BadResponse {
            operation,
            status: status.as_u16(),
            source,
        })
    }

    /// A GET of a path template with one id put in (`{importId}`, `{serviceRequestId}`), answered
    /// by a status document; `kind` names the id in a 404.
    async fn templated_document<T>(
        &self,
        operation: Operation,
        template: &str,
        placeholder: &str,
        id: &str,
        kind: &'static str,
        parse: fn(&[u8]) -> Result<T, WireError>,
    ) -> Result<T, HwsError> {
        let path = PathTemplates::render(template, placeholder, id);
        self.document(
            operation,
            Method::GET,
            &self.url(&path),
            None,
            self.inner.config.request_timeout,
            (kind, id.to_string()),
            parse,
        )
        .await
    }

    /// `GET /pingMe?name=NAME`: checks the base URL, the network and the token together.
    pub async fn ping(&self, name: Option<&str>) -> Result<HelloMessage, HwsError> {
        let mut url =
            reqwest::Url::parse(&self.url(&self.inner.config.paths.ping)).map_err(|e| {
                HwsError::Network {
                    operation: Operation::Ping,
                    delivery: Delivery::NotSent,
                    detail: format!("cannot build the URL: {e}"),
                }
            })?;
        if let Some(n) = name {
            url.query_pairs_mut().append_pair("name", n);
        }
        self.document(
            Operation::Ping,
            Method::GET,
            url.as_str(),
            None,
            self.inner.config.request_timeout,
            ("route", url.to_string()),
            HelloMessage::from_xml,
        )
        .await
    }

    /// `POST /request` with the package ZIP as the body (`application/zip`). Returns the import
    /// status HWS answers with (its import id; usually `Pending`).
    ///
    /// Sent exactly once: never retried after the request may have reached the server. On failure,
    /// [`HwsError::delivery`] says whether WIPO may have it. Prefer
    /// [`submit_journaled`](crate::submit_journaled), which records the attempt first.
    pub async fn submit(&self, package: Bytes) -> Result<ImportStatus, HwsError> {
        self.submit_with_progress(package, None).await
    }

    /// [`submit`](Self::submit), telling `progress` how many bytes of the package have been handed
    /// to the connection (`received`) of how many (`total`) as they go (an upload progress bar).
    pub async fn submit_with_progress(
        &self,
        package: Bytes,
        progress: Option<ProgressFn>,
    ) -> Result<ImportStatus, HwsError> {
        let url = self.url(&self.inner.config.paths.submit);
        self.document(
            Operation::Submit,
            Method::POST,
            &url,
            Some(Upload {
                bytes: package,
                progress,
            }),
            self.inner.config.submit_timeout,
            ("route", url.clone()),
            ImportStatus::from_xml,
        )
        .await
    }

    /// Reads the package file and [`submit`](Self::submit)s it.
    pub async fn submit_file(&self, path: &Path) -> Result<ImportStatus, HwsError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| HwsError::ReadPackage {
                path: path.to_path_buf(),
                source,
            })?;
        self.submit(Bytes::from(bytes)).await
    }

    /// `GET /request/import/{importId}`: pending, imported (with the SRN) or rejected (with reasons).
    pub async fn import_status(&self, import_id: &ImportId) -> Result<ImportStatus, HwsError> {
        self.templated_document(
            Operation::ImportStatus,
            &self.inner.config.paths.import_status,
            IMPORT_ID_PLACEHOLDER,
            import_id.as_str(),
            "import",
            ImportStatus::from_xml,
        )
        .await
    }

    /// `GET /request/{serviceRequestId}`: the processing status, SRN, IRN, expected publication.
    pub async fn request_status(
        &self,
        srn: &ServiceRequestNumber,
    ) -> Result<ServiceRequestStatus, HwsError> {
        self.templated_document(
            Operation::RequestStatus,
            &self.inner.config.paths.request_status,
            SRN_PLACEHOLDER,
            srn.as_str(),
            "service request",
            ServiceRequestStatus::from_xml,
        )
        .await
    }

    /// `GET /publication/bulletin/{weekId}` streamed to `dest` (see [`download`](Self::download)).
    pub async fn bulletin(&self, week: WeekId, dest: &Path) -> Result<Downloaded, HwsError> {
        self.download(Operation::Bulletin, week, dest, None, None)
            .await
    }

    /// [`bulletin`](Self::bulletin) reporting progress after every chunk written.
    pub async fn bulletin_with_progress(
        &self,
        week: WeekId,
        dest: &Path,
        progress: ProgressFn,
    ) -> Result<Downloaded, HwsError> {
        self.download(Operation::Bulletin, week, dest, Some(progress), None)
            .await
    }

    /// `GET /publication/copy/confidential/{weekId}` streamed to `dest` (examining offices only:
    /// others get [`HwsError::Forbidden`]).
    pub async fn confidential_copy(
        &self,
        week: WeekId,
        dest: &Path,
    ) -> Result<Downloaded, HwsError> {
        self.download(Operation::ConfidentialCopy, week, dest, None, None)
            .await
    }

    /// [`confidential_copy`](Self::confidential_copy) reporting progress after every chunk.
    pub async fn confidential_copy_with_progress(
        &self,
        week: WeekId,
        dest: &Path,
        progress: ProgressFn,
    ) -> Result<Downloaded, HwsError> {
        self.download(
            Operation::ConfidentialCopy,
            week,
            dest,
            Some(progress),
            None,
        )
        .await
    }

    /// Streams a publication to `dest` with `ipgate_http::download`: the week is checked first
    /// (not in the future); the body goes to `dest.part` with SHA-256 computed on the way and is
    /// renamed into place only when complete; an interrupted download is resumed (`Range` +
    /// `If-Range`) by the retries and by a later call, when the server gave a strong `ETag`.
    /// `tee` also receives the bytes as they are written ([`ipgate_http::Tee`]).
    pub(crate) async fn download(
        &self,
        operation: Operation,
        week: WeekId,
        dest: &Path,
        progress: Option<ProgressFn>,
        tee: Option<tokio::sync::mpsc::Sender<ipgate_http::Tee>>,
    ) -> Result<Downloaded, HwsError> {
        self.check_week(week)?;
        let (template, what) = match operation {
            Operation::ConfidentialCopy => (
                &self.inner.config.paths.confidential_copy,
                "confidential copies for week",
            ),
            _ => (&self.inner.config.paths.bulletin, "bulletin for week"),
        };
        let url = self.url(&PathTemplates::render(
            template,
            WEEK_PLACEHOLDER,
            &week.to_string(),
        ));
        let tokens = &self.inner.tokens;
        let mut token = tokens.token().await.map_err(HwsError::Token)?;
        let mut refreshed = false;
        loop {
            let mut options = ipgate_http::DownloadOptions {
                retry: self.inner.config.retry.clone(),
                clock: self.inner.clock.clone(),
                ..Default::default()
            };
            if let Some(p) = &progress {
                options.progress = Some(p.clone());
            }
            options.tee = tee.clone();
            // A publication is a ZIP: one that is not complete (a body cut short at a lying
            // Content-Length, an HTML page) is refused before it is put at `dest`.
            options.verify = Some(Arc::new(check_zip));
            let result = ipgate_http::download(&self.inner.http, dest, &options, |_| {
                self.inner.http.get(&url).bearer_auth(token.secret())
            })
            .await;
            match result {
                Ok(done) => {
                    let sha256 =
                        Sha256Hex::parse(&done.sha256).map_err(|_| HwsError::Download {
                            operation,
                            source: ipgate_http::DownloadError::Io {
                                action: "hash",
                                path: dest.to_path_buf(),
                                source: std::io::Error::other("not a SHA-256"),
                            },
                        })?;
                    return Ok(Downloaded {
                        week,
                        path: done.path,
                        size: done.size,
                        sha256,
                        resumed_from: done.resumed_from,
                    });
                }
                Err(ipgate_http::DownloadError::Status(answer))
                    if answer.status == StatusCode::UNAUTHORIZED && !refreshed =>
                {
                    tracing::debug!(%operation, "HWS answered 401; retrying once with a new token");
                    tokens.invalidate(&token);
                    token = tokens.token().await.map_err(HwsError::Token)?;
                    refreshed = true;
                }
                Err(ipgate_http::DownloadError::Status(answer)) => {
                    let retry_after = answer
                        .headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| ipgate_http::parse_retry_after(v, self.inner.clock.now()));
                    return Err(self.status_error(
                        operation,
                        answer.status.as_u16(),
                        retry_after,
                        &answer.body,
                        (what, week.to_string()),
                    ));
                }
                Err(ipgate_http::DownloadError::Send(e)) => {
                    return Err(transport_error(operation, e));
                }
                Err(ipgate_http::DownloadError::Refused { size, detail, .. }) => {
                    return Err(HwsError::NotAZip {
                        operation,
                        size,
                        detail,
                    });
                }
                Err(source) => return Err(HwsError::Download { operation, source }),
            }
        }
    }

    /// Polls the import status until it has an SRN (returned) or is rejected
    /// ([`HwsError::Rejected`]), waiting as `policy` says; `on_status` sees every answer (print
    /// it, record it in the journal). [`HwsError::WaitTimeout`] after `policy.timeout`.
    pub async fn wait_for_srn(
        &self,
        import_id: &ImportId,
        policy: &PollPolicy,
        mut on_status: impl FnMut(&ImportStatus),
    ) -> Result<ServiceRequestNumber, HwsError> {
        poll(
            policy,
            "the SRN",
            import_id.to_string(),
            async || {
                let status = self.import_status(import_id).await?;
                on_status(&status);
                Ok(status)
            },
            |status| match &status.state {
                ImportState::Imported { srn } => Some(Ok(srn.clone())),
                ImportState::Rejected { reasons } => Some(Err(HwsError::Rejected {
                    http_status: 200,
                    reasons: reasons.clone(),
                })),
                ImportState::Pending => None,
            },
            |_| "Pending".into(),
        )
        .await
    }

    /// Polls the service-request status until it is final (Registered, Abandoned, Cancelled),
    /// waiting as `policy` says; `on_status` sees every answer. [`HwsError::WaitTimeout`] after
    /// `policy.timeout`.
    pub async fn wait_until_final(
        &self,
        srn: &ServiceRequestNumber,
        policy: &PollPolicy,
        mut on_status: impl FnMut(&ServiceRequestStatus),
    ) -> Result<ServiceRequestStatus, HwsError> {
        poll(
            policy,
            "a final status",
            srn.to_string(),
            async || {
                let status = self.request_status(srn).await?;
                on_status(&status);
                Ok(status)
            },
            |status| status.status.is_final().then(|| Ok(status.clone())),
            |status| status.status.to_string(),
        )
        .await
    }
}

/// The one polling loop behind [`HwsClient::wait_for_srn`] and [`HwsClient::wait_until_final`]:
/// `ask` for the status, let `settle` say whether it is the end (a value or an error) or not yet,
/// sleep as `policy` says, and give up with [`HwsError::WaitTimeout`] naming `what`, `id` and the
/// last status (`describe`) once the policy's time is spent.
async fn poll<S, T>(
    policy: &PollPolicy,
    what: &'static str,
    id: String,
    mut ask: impl AsyncFnMut() -> Result<S, HwsError>,
    mut settle: impl FnMut(&S) -> Option<Result<T, HwsError>>,
    describe: impl Fn(&S) -> String,
) -> Result<T, HwsError> {
    let start = tokio::time::Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        let status = ask().await?;
        if let Some(end) = settle(&status) {
            return end;
        }
        match policy.next_sleep(n, start.elapsed()) {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                return Err(HwsError::WaitTimeout {
                    what,
                    id,
                    last_status: describe(&status),
                    waited: start.elapsed(),
                });
            }
        }
    }
}

/// The typed error for an HWS answer with HTTP `status` and `body` (an `hws:Error` document, an
/// `hws:ImportStatus` with the rejection reasons, or anything else).
fn status_error(
    operation: Operation,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    not_found: (&'static str, String),
) -> HwsError {
    let error = ErrorDocument::from_xml(body).ok();
    match status {
        401 => HwsError::Unauthorized { operation, error },
        403 => HwsError::Forbidden { operation, error },
        404 if operation != Operation::Submit => HwsError::NotFound {
            what: not_found.0,
            id: not_found.1,
            error,
        },
        429 => HwsError::RateLimited {
            operation,
            retry_after,
        },
        400..=499 if operation == Operation::Submit && status != 404 => {
            let reasons = match ImportStatus::from_xml(body) {
                Ok(ImportStatus {
                    state: ImportState::Rejected { reasons },
                    ..
                }) => reasons,
                _ => vec![match error {
                    Some(d) => RejectionReason {
                        rule: d.code,
                        message: d.message,
                        location: None,
                    },
                    None => RejectionReason {
                        rule: format!("http-{status}"),
                        message: String::from_utf8_lossy(&body[..body.len().min(300)])
                            .trim()
                            .to_string(),
                        location: None,
                    },
                }],
            };
            HwsError::Rejected {
                http_status: status,
                reasons,
            }
        }
        400..=499 => HwsError::BadRequest {
            operation,
            status,
            error,
        },
        500..=599 => HwsError::Server {
            operation,
            status,
            error,
        },
        _ => HwsError::UnexpectedStatus { operation, status },
    }
}

/// Whether `path` is a complete ZIP: its end of central directory and the directory itself read.
/// HTTP alone cannot tell a body cut short at a `Content-Length` smaller than the file (it looks
/// complete), nor an HTML page sent as the archive; the archive's own end can (issue 14, lying
/// servers).
fn check_zip(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    zip::ZipArchive::new(std::io::BufReader::new(file))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::error_codes;

    fn doc(code: &str) -> Vec<u8> {
        ErrorDocument {
            code: code.into(),
            message: format!("{code} happened"),
            hint: Some("do this".into()),
        }
        .to_xml()
        .into_bytes()
    }

    fn nf() -> (&'static str, String) {
        ("import", "IMP-1".into())
    }

    #[test]
    fn statuses_map_to_typed_errors_with_the_server_document() {
        let e = status_error(
            Operation::Ping,
            401,
            None,
            &doc(error_codes::UNAUTHORIZED),
            nf(),
        );
        assert!(matches!(e, HwsError::Unauthorized { error: Some(_), .. }));
        assert_eq!(e.hint().as_deref(), Some("do this"));
        let e = status_error(Operation::ConfidentialCopy, 403, None, b"", nf());
        assert!(e.hint().expect("hint").contains("examining offices"));
        let e = status_error(
            Operation::ImportStatus,
            404,
            None,
            &doc(error_codes::NOT_FOUND),
            nf(),
        );
        assert!(
            matches!(&e, HwsError::NotFound { what: "import", id, .. } if id == "IMP-1"),
            "{e:?}"
        );
        let e = status_error(
            Operation::Bulletin,
            429,
            Some(Duration::from_secs(7)),
            b"",
            nf(),
        );
        assert!(e.to_string().contains("wait 7 s"), "{e}");
        let e = status_error(Operation::RequestStatus, 503, None, b"<html/>", nf());
        assert!(matches!(
            e,
            HwsError::Server {
                status: 503,
                error: None,
                ..
            }
        ));
        let e = status_error(Operation::Ping, 302, None, b"", nf());
        assert!(matches!(e, HwsError::UnexpectedStatus { status: 302, .. }));
        let e = status_error(
            Operation::Ping,
            400,
            None,
            &doc(error_codes::BAD_REQUEST),
            nf(),
        );
        assert!(matches!(e, HwsError::BadRequest { status: 400, .. }));
    }

    #[test]
    fn upload_refusals_carry_the_servers_reasons() {
        let rejected = ImportStatus {
            import_id: "IMP-9".parse().expect("id"),
            state: ImportState::Rejected {
                reasons: vec![RejectionReason {
                    rule: "one-xml".into(),
                    message: "two XML files".into(),
                    location: Some("b.xml".into()),
                }],
            },
        };
        let e = status_error(
            Operation::Submit,
            422,
            None,
            rejected.to_xml().as_bytes(),
            nf(),
        );
        assert!(
            e.to_string().contains("[one-xml] two XML files (b.xml)"),
            "{e}"
        );
        let e = status_error(
            Operation::Submit,
            415,
            None,
            &doc(error_codes::UNSUPPORTED_MEDIA_TYPE),
            nf(),
        );
        let HwsError::Rejected {
            reasons,
            http_status,
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!(*http_status, 415);
        assert_eq!(reasons[0].rule, error_codes::UNSUPPORTED_MEDIA_TYPE);
        let e = status_error(Operation::Submit, 413, None, b"too big", nf());
        assert!(e.to_string().contains("too big"), "{e}");
        // A 404 on upload is a wrong path, not a rejected package.
        let e = status_error(Operation::Submit, 404, None, b"", nf());
        assert!(
            matches!(e, HwsError::BadRequest { status: 404, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn delivery_says_whether_an_upload_may_have_arrived() {
        let maybe = [
            status_error(Operation::Submit, 500, None, b"", nf()),
            status_error(Operation::Submit, 502, None, b"", nf()),
            HwsError::Network {
                operation: Operation::Submit,
                delivery: Delivery::MaybeReceived,
                detail: "reset".into(),
            },
            HwsError::BadResponse {
                operation: Operation::Submit,
                status: 202,
                source: crate::wire::WireError::NoRoot,
            },
        ];
        for e in &maybe {
            assert_eq!(e.delivery(), Delivery::MaybeReceived, "{e:?}");
            assert!(e.hint().expect("hint").contains("WIPO"), "{:?}", e.hint());
        }
        let answered = [
            status_error(Operation::Submit, 400, None, b"", nf()),
            status_error(Operation::Submit, 401, None, b"", nf()),
            status_error(Operation::Submit, 429, None, b"", nf()),
        ];
        for e in &answered {
            assert_eq!(e.delivery(), Delivery::Answered, "{e:?}");
        }
        let e = HwsError::Network {
            operation: Operation::Submit,
            delivery: Delivery::NotSent,
            detail: "connection refused".into(),
        };
        assert_eq!(e.delivery(), Delivery::NotSent);
        assert!(e.to_string().starts_with("the package was not sent"), "{e}");
    }

    #[test]
    fn an_upload_is_handed_over_in_chunks_each_reported() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let progress: ProgressFn = Arc::new(move |p: ipgate_http::Progress| {
            log.lock().expect("lock").push((p.received, p.total));
        });
        let package: Vec<u8> = (0..(2 * UPLOAD_CHUNK + 100)).map(|i| i as u8).collect();
        let chunks = upload_chunks(Bytes::from(package.clone()), progress);
        // Nothing but the start is reported before the connection takes a chunk.
        let total = Some(package.len() as u64);
        assert_eq!(*seen.lock().expect("lock"), vec![(0, total)]);
        let mut sent = Vec::new();
        for chunk in chunks {
            sent.extend_from_slice(&chunk.expect("chunk"));
            let last = *seen.lock().expect("lock").last().expect("a report");
            assert_eq!(last, (sent.len() as u64, total), "reported as taken");
        }
        assert_eq!(sent, package, "every byte, in order");
        assert_eq!(seen.lock().expect("lock").len(), 4, "0, then 3 chunks");
    }
}
