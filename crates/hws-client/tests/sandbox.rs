//! The HWS transport and the journal protocol against the real emulator (`ipgate-sandbox`) over
//! HTTP on 127.0.0.1: every endpoint, the 401 refresh, the POST-never-resent rule under injected
//! faults, downloads with resume, TLS with an extra CA file, and the waits' timeouts.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{meta, now_unix, pdf, valid_package, zip_of};

use bytes::Bytes;
use hague_journal::{FailureReason, Journal, JournalError, PublicationKind, SubmissionState};
use hws_client::wire::{ImportState, ServiceRequestStatusCategory};
use hws_client::{
    Delivery, HwsClient, HwsConfig, HwsError, PollPolicy, PublicationRequest, Refreshed,
    SubmitError, WeekId, refresh_submission, submit_journaled,
};
use ipgate_http::RetryPolicy;
use ipgate_sandbox::{
    ClientRegistration, DEFAULT_HWS_SCOPE, FaultSpec, Sandbox, SandboxConfig, Timing,
};
use wipo_oidc::{AccessToken, Endpoint, SigningKey, TokenSource, TokenSourceConfig};

const CLIENT: &str = "office-1";

struct Env {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    key: Arc<SigningKey>,
}

/// A sandbox with one registered client (`examining`: may fetch confidential copies).
fn start(examining: bool, configure: impl FnOnce(SandboxConfig) -> SandboxConfig) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SandboxConfig::new(dir.path().join("sandbox"))
        .with_seed(7)
        .with_timing(Timing {
            import: Duration::from_secs(2),
            registration: Duration::from_secs(6),
            speed: 400.0,
        });
    let sandbox = Sandbox::start(configure(config)).expect("sandbox starts");
    let key = Arc::new(SigningKey::generate().expect("key"));
    let cert = wipo_oidc::cert::self_signed_certificate(&key, "test office", now_unix() - 60, 30)
        .expect("certificate");
    let mut reg = ClientRegistration::new(CLIENT, cert.pem);
    reg.examining_office = examining;
    sandbox.register_client(&reg).expect("register");
    Env { sandbox, dir, key }
}

impl Env {
    fn http(&self) -> reqwest::Client {
        let mut o = ipgate_http::ClientOptions::new("hws-client-tests");
        o.extra_ca_file = self.sandbox.ca_file().map(Path::to_path_buf);
        o.build().expect("http client")
    }

    fn tokens_for_scope(&self, scope: &str) -> TokenSource {
        let config = TokenSourceConfig::new(
            Endpoint::Discover {
                issuer: self.sandbox.urls().issuer.clone(),
            },
            CLIENT,
        )
        .with_scope(scope);
        TokenSource::new(self.http(), config, self.key.clone()).expect("token source")
    }

    fn config(&self) -> HwsConfig {
        let mut c = HwsConfig::new(self.sandbox.urls().hws.clone());
        c.ca_file = self.sandbox.ca_file().map(Path::to_path_buf);
        c.retry = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(2),
        };
        c
    }

    fn client(&self) -> HwsClient {
        HwsClient::new(self.config(), self.tokens_for_scope(DEFAULT_HWS_SCOPE)).expect("client")
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.dir.path().join("journal.sqlite")).expect("journal")
    }

    fn set_faults(&self, spec: &str) {
        self.sandbox
            .set_faults(spec.parse::<FaultSpec>().expect("fault spec"));
    }

    /// The sandbox's own list of every package it received.
    async fn received(&self) -> Vec<serde_json::Value> {
        let url = format!("{}/_sandbox/admin/received", self.sandbox.urls().base);
        let v: serde_json::Value = self
            .http()
            .get(url)
            .send()
            .await
            .expect("admin")
            .json()
            .await
            .expect("json");
        v["received"].as_array().expect("list").clone()
    }
}

fn fast_poll() -> PollPolicy {
    PollPolicy {
        initial_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(50),
        timeout: Duration::from_secs(30),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_answers_hello_and_a_refused_token_is_refreshed_once() {
    let env = start(false, |c| c);
    let client = env.client();
    // A token the sandbox never issued: the first call gets 401, the client fetches a new token
    // and repeats the call once.
    let now = now_unix();
    client.tokens().seed(AccessToken::new(
        "not-a-sandbox-token",
        "Bearer",
        None,
        now,
        now + 3600,
    ));
    let hello = client.ping(Some("Office One")).await.expect("ping");
    assert_eq!(hello.name.as_deref(), Some("Office One"));
    assert_eq!(hello.message, "Hello Office One");
    assert_eq!(client.tokens().token_requests(), 1);
    // Concurrent calls share the one token.
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.ping(None).await })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.expect("task").expect("ping").message, "Hello");
    }
    assert_eq!(client.tokens().token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_refused_twice_is_an_auth_error_after_one_refresh() {
    // The client is registered for a scope the HWS routes do not accept.
    let env = start(false, |c| c);
    let cert = wipo_oidc::cert::self_signed_certificate(&env.key, "other", now_unix() - 60, 30)
        .expect("cert");
    let mut reg = ClientRegistration::new(CLIENT, cert.pem);
    reg.scopes = vec!["other-api/access".into()];
    env.sandbox.register_client(&reg).expect("re-register");
    let client =
        HwsClient::new(env.config(), env.tokens_for_scope("other-api/access")).expect("client");
    let err = client.ping(None).await.expect_err("wrong scope");
    assert!(matches!(err, HwsError::Unauthorized { .. }), "{err:?}");
    assert_eq!(client.tokens().token_requests(), 2, "one refresh, no more");
    assert!(err.hint().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_goes_from_upload_to_registration_and_is_never_sent_twice() {
    let env = start(false, |c| c);
    let client = env.client();
    let journal = env.journal();
    let package = valid_package("flow");
    let sent = submit_journaled(&client, &journal, package.clone(), &meta(), false)
        .await
        .expect("submitted");
    assert_eq!(sent.status.state, ImportState::Pending);
    assert_eq!(sent.submission.state, SubmissionState::Sent);
    assert_eq!(
        sent.submission.import_id.as_deref(),
        Some(sent.status.import_id.as_str())
    );

    // Sending the same bytes again is refused by the journal before any request.
    let err = submit_journaled(&client, &journal, package.clone(), &meta(), false)
        .await
        .expect_err("duplicate");
    let SubmitError::Journal(JournalError::AlreadySubmitted(previous)) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(previous.import_id, sent.submission.import_id);
    assert!(err.to_string().contains(sent.status.import_id.as_str()));
    assert_eq!(env.received().await.len(), 1, "the duplicate never left");

    let mut seen = Vec::new();
    let srn = client
        .wait_for_srn(&sent.status.import_id, &fast_poll(), |s| {
            seen.push(s.state.category());
            journal
                .record_server_status(sent.submission.id, &hws_client::import_update(s))
                .expect("record");
        })
        .await
        .expect("imported");
    assert_eq!(seen.last(), Some(&"Imported"));
    let status = client
        .import_status(&sent.status.import_id)
        .await
        .expect("status");
    assert_eq!(status.state, ImportState::Imported { srn: srn.clone() });

    let done = client
        .wait_until_final(&srn, &fast_poll(), |_| {})
        .await
        .expect("final");
    assert_eq!(done.status, ServiceRequestStatusCategory::Registered);
    assert!(
        done.irn.as_deref().is_some_and(|i| i.starts_with("DM/")),
        "{done:?}"
    );
    let again = client.request_status(&srn).await.expect("request status");
    assert_eq!(again.srn, srn);

    // track: one refresh records the final status, SRN and IRN; then nothing is left open.
    let sub = journal
        .submission(sent.submission.id)
        .expect("read")
        .expect("row");
    let Refreshed::Updated(updated) = refresh_submission(&client, &journal, &sub)
        .await
        .expect("refresh")
    else {
        panic!("a sent submission is refreshed");
    };
    assert_eq!(updated.srn.as_deref(), Some(srn.as_str()));
    assert_eq!(updated.server_status.as_deref(), Some("Registered"));
    assert_eq!(updated.meta.irn, done.irn);
    assert!(updated.server_final);
    assert!(journal.open_submissions().expect("open").is_empty());
    assert!(matches!(
        refresh_submission(&client, &journal, &updated)
            .await
            .expect("refresh"),
        Refreshed::NeedsNothing(_)
    ));

    // Forced, it is sent again (and the sandbox sees it twice).
    let forced = submit_journaled(&client, &journal, package, &meta(), true)
        .await
        .expect("forced");
    assert!(forced.submission.forced);
    assert_eq!(env.received().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_submitting_one_package_at_once_send_it_once() {
    let env = start(false, |c| c);
    let package = valid_package("race");
    let path = env.dir.path().join("journal.sqlite");
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            // Each task has its own client and its own journal connection, as processes would.
            let (client, journal, package) = (
                env.client(),
                Journal::open(&path).expect("journal"),
                package.clone(),
            );
            tokio::spawn(async move {
                submit_journaled(&client, &journal, package, &meta(), false).await
            })
        })
        .collect();
    let mut sent = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => sent += 1,
            Err(SubmitError::Journal(JournalError::AlreadySubmitted(_))) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(sent, 1);
    assert_eq!(env.received().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rejections_at_upload_and_at_import_carry_the_reasons() {
    let env = start(false, |c| c);
    let client = env.client();
    let journal = env.journal();

    // No XML in the package: accepted for processing, then rejected with reasons.
    let sent = submit_journaled(
        &client,
        &journal,
        zip_of(&[("only.pdf", pdf())]),
        &meta(),
        false,
    )
    .await
    .expect("uploaded");
    let err = client
        .wait_for_srn(&sent.status.import_id, &fast_poll(), |_| {})
        .await
        .expect_err("rejected");
    let HwsError::Rejected { reasons, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(!reasons.is_empty());
    let sub = journal
        .submission(sent.submission.id)
        .expect("read")
        .expect("row");
    let Refreshed::Updated(sub) = refresh_submission(&client, &journal, &sub)
        .await
        .expect("refresh")
    else {
        panic!("refreshed");
    };
    assert_eq!(sub.server_status.as_deref(), Some("import Rejected"));
    assert!(sub.server_final);

    // An empty upload is refused by HWS at once: failed in the journal, resend allowed.
    let err = submit_journaled(&client, &journal, Bytes::new(), &meta(), false)
        .await
        .expect_err("empty upload");
    let SubmitError::Hws { error, submission } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(
            error,
            HwsError::Rejected {
                http_status: 400,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.delivery(), Delivery::Answered);
    assert_eq!(submission.state, SubmissionState::Failed);
    assert!(matches!(
        submission.failure,
        Some(FailureReason::RejectedByServer {
            http_status: Some(400),
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_after_the_server_acted_is_maybe_received_and_never_resent() {
    let env = start(false, |c| c);
    let client = env.client();
    client.ping(None).await.expect("token first");
    env.set_faults("submit=reset-after");
    let journal = env.journal();
    let package = valid_package("reset");
    let err = submit_journaled(&client, &journal, package.clone(), &meta(), false)
        .await
        .expect_err("connection reset");
    let SubmitError::Hws { error, submission } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(error.delivery(), Delivery::MaybeReceived, "{error:?}");
    assert!(
        error.to_string().contains("may have reached WIPO"),
        "{error}"
    );
    assert!(error.hint().expect("hint").contains("do not send"));
    assert_eq!(submission.state, SubmissionState::Unknown);
    // The server acted once, and the client did not repeat the POST.
    let received = env.received().await;
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(
        received[0]["sha256"].as_str(),
        Some(submission.package_sha256.as_str())
    );

    // A 5xx answer is not retried either, and may mean the package was stored.
    env.set_faults("submit=500");
    let err = submit_journaled(
        &client,
        &journal,
        valid_package("five-hundred"),
        &meta(),
        false,
    )
    .await
    .expect_err("500");
    let SubmitError::Hws { error, submission } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(error, HwsError::Server { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(submission.state, SubmissionState::Unknown);

    // The unknown submission blocks the package until an operator resolves it.
    env.set_faults("");
    let err = submit_journaled(&client, &journal, package, &meta(), false)
        .await
        .expect_err("blocked");
    assert!(matches!(
        err,
        SubmitError::Journal(JournalError::AlreadySubmitted(ref s)) if s.state == SubmissionState::Unknown
    ));
    assert!(env.received().await.len() <= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_is_not_sent_and_may_be_sent_again() {
    let env = start(false, |c| c);
    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut config = env.config();
    config.base_url = format!("http://127.0.0.1:{port}/webservices/api/v1");
    let client = HwsClient::new(config, env.tokens_for_scope(DEFAULT_HWS_SCOPE)).expect("client");
    let journal = env.journal();
    let package = valid_package("refused");
    let err = submit_journaled(&client, &journal, package.clone(), &meta(), false)
        .await
        .expect_err("refused");
    let SubmitError::Hws { error, submission } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(error.delivery(), Delivery::NotSent, "{error:?}");
    assert_eq!(submission.state, SubmissionState::Failed);
    // Not sent, so the same package goes through the journal again at once.
    let ok = submit_journaled(&env.client(), &journal, package, &meta(), false)
        .await
        .expect("sent now");
    assert_eq!(ok.submission.state, SubmissionState::Sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_are_not_found_and_gets_are_retried_then_reported() {
    let env = start(false, |c| c);
    let client = env.client();
    let err = client
        .import_status(&"IMP-404".parse().expect("id"))
        .await
        .expect_err("unknown import");
    assert!(
        matches!(err, HwsError::NotFound { what: "import", .. }),
        "{err:?}"
    );
    let err = client
        .request_status(&"SR404".parse().expect("srn"))
        .await
        .expect_err("unknown srn");
    assert!(
        matches!(
            err,
            HwsError::NotFound {
                what: "service request",
                ..
            }
        ),
        "{err:?}"
    );
    env.set_faults("ping=503:0");
    let err = client.ping(None).await.expect_err("503");
    assert!(
        matches!(err, HwsError::Server { status: 503, .. }),
        "{err:?}"
    );
    env.set_faults("ping=429:1");
    let err = client.ping(None).await.expect_err("429");
    assert!(
        matches!(err, HwsError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(1)),
        "{err:?}"
    );
    env.set_faults("");
    client.ping(None).await.expect("healthy again");
}

#[tokio::test(flavor = "multi_thread")]
async fn waits_end_at_their_timeout_with_the_last_status() {
    // Imports take a simulated hour here: nothing changes during the test.
    let env = start(false, |c| {
        c.with_timing(Timing {
            import: Duration::from_secs(3600),
            registration: Duration::from_secs(3600),
            speed: 1.0,
        })
    });
    let client = env.client();
    let journal = env.journal();
    let sent = submit_journaled(&client, &journal, valid_package("slow"), &meta(), false)
        .await
        .expect("sent");
    let policy = PollPolicy {
        initial_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
        timeout: Duration::from_millis(150),
    };
    let mut polls = 0;
    let err = client
        .wait_for_srn(&sent.status.import_id, &policy, |_| polls += 1)
        .await
        .expect_err("times out");
    let HwsError::WaitTimeout {
        last_status, what, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((last_status.as_str(), *what), ("Pending", "the SRN"));
    assert!(polls >= 2, "it polled more than once ({polls})");
}

#[tokio::test(flavor = "multi_thread")]
async fn bulletins_download_resume_and_refuse_bad_weeks() {
    let env = start(true, |c| c);
    let client = env.client();
    let journal = env.journal();
    let out = env.dir.path().join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let week: WeekId = "202410".parse().expect("week");
    let dest = out.join("bulletin-202410.zip");
    let got = client.bulletin(week, &dest).await.expect("bulletin");
    let bytes = std::fs::read(&dest).expect("read");
    assert_eq!(got.size, bytes.len() as u64);
    assert_eq!(got.sha256, hague_journal::Sha256Hex::digest(&bytes));
    assert_eq!(&bytes[..2], b"PK", "a ZIP");
    let rec = journal
        .record_publication(&got.to_publication(PublicationKind::Bulletin))
        .expect("record");
    assert_eq!(rec.week, "202410");

    // Broken off half way (no retries), the part file stays; the next call resumes it and ends
    // with the same bytes.
    let dest2 = out.join("again.zip");
    let mut config = env.config();
    config.retry = RetryPolicy::none();
    let once = HwsClient::new(config, env.tokens_for_scope(DEFAULT_HWS_SCOPE)).expect("client");
    env.set_faults("bulletin=truncate");
    let err = once.bulletin(week, &dest2).await.expect_err("truncated");
    assert!(matches!(err, HwsError::Download { .. }), "{err:?}");
    assert!(!dest2.exists(), "never a partial file at the target");
    env.set_faults("");
    let resumed = once.bulletin(week, &dest2).await.expect("resumed");
    assert!(resumed.resumed_from > 0, "{resumed:?}");
    assert_eq!(std::fs::read(&dest2).expect("read"), bytes);

    // Confidential copies for this examining office.
    let copy = client
        .confidential_copy(week, &out.join("copy.zip"))
        .await
        .expect("copy");
    assert!(copy.size > 0);

    // A week before the corpus has no issue; a future week is refused before any request.
    let err = client
        .bulletin("202301".parse().expect("week"), &out.join("none.zip"))
        .await
        .expect_err("no issue");
    assert!(matches!(err, HwsError::NotFound { .. }), "{err:?}");
    let future = client.current_week().next().expect("next week");
    let err = client
        .bulletin(future, &out.join("future.zip"))
        .await
        .expect_err("future");
    assert!(matches!(err, HwsError::FutureWeek { .. }), "{err:?}");
    assert!(!out.join("none.zip").exists() && !out.join("future.zip").exists());
}

/// Every file of an extracted directory with its bytes, by relative path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").display().to_string();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulletin_is_extracted_while_it_downloads_or_from_the_file_after_a_resume() {
    let env = start(true, |c| c);
    let client = env.client();
    let out = env.dir.path().join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let week: WeekId = "202410".parse().expect("week");
    let limits = hague_package::Limits::default();
    let got = client
        .publication_extracted(
            PublicationRequest::Bulletin,
            week,
            &out.join("a.zip"),
            &out.join("a"),
            &limits,
            None,
        )
        .await
        .expect("download");
    let x = got.extracted.expect("extracted");
    assert!(x.from_stream, "extracted as it arrived");
    assert!(x.outcome.files > 1, "{:?}", x.outcome);
    let want = out.join("want");
    hague_package::extract(&out.join("a.zip"), &want, &limits).expect("extract the file");
    assert_eq!(tree(&out.join("a")), tree(&want));

    // Broken off half way once: the retry resumes with a range, so the stream did not start at
    // byte 0 and the completed file is extracted instead, with the same result.
    env.set_faults("bulletin=truncate#1");
    let got = client
        .publication_extracted(
            PublicationRequest::Bulletin,
            week,
            &out.join("b.zip"),
            &out.join("b"),
            &limits,
            None,
        )
        .await
        .expect("resumed download");
    assert!(got.downloaded.resumed_from > 0, "{:?}", got.downloaded);
    let x = got.extracted.expect("extracted");
    assert!(!x.from_stream);
    assert_eq!(tree(&out.join("b")), tree(&want));

    // An existing directory is refused; the download itself is done.
    env.set_faults("");
    let got = client
        .publication_extracted(
            PublicationRequest::Bulletin,
            week,
            &out.join("c.zip"),
            &out.join("a"),
            &limits,
            None,
        )
        .await
        .expect("download");
    assert!(matches!(
        got.extracted,
        Err(hague_package::PackageError::Input(_))
    ));
    assert!(out.join("c.zip").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn confidential_copies_are_forbidden_to_other_offices_and_tls_needs_the_ca() {
    let env = start(false, |c| c.with_tls(true));
    let client = env.client();
    let week: WeekId = "202410".parse().expect("week");
    let err = client
        .confidential_copy(week, &env.dir.path().join("c.zip"))
        .await
        .expect_err("not an examining office");
    assert!(matches!(err, HwsError::Forbidden { .. }), "{err:?}");
    assert!(err.hint().expect("hint").contains("examining"));

    // Without the sandbox's CA the TLS handshake fails: nothing was sent.
    let mut config = env.config();
    config.ca_file = None;
    let untrusting =
        HwsClient::new(config, env.tokens_for_scope(DEFAULT_HWS_SCOPE)).expect("client");
    let journal = env.journal();
    let err = submit_journaled(&untrusting, &journal, valid_package("tls"), &meta(), false)
        .await
        .expect_err("untrusted");
    let SubmitError::Hws { error, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(error.delivery(), Delivery::NotSent, "{error:?}");
}
