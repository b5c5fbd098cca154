//! `ipgate demo`: the whole job end to end on the embedded sandbox, each step timed.
//!
//! Keys and certificate (WIPO's Appendix A), the client registered as WIPO would, a token
//! (`private_key_jwt`), a package built from the bundled sample and validated, submitted through the
//! journal, followed to its SRN and its registration, this week's bulletin downloaded, extracted and
//! read with `st96`, and an Innography request with a pinned version. Nothing leaves 127.0.0.1.
//! WIPO's schemas come from where `ipgate schemas install` put them; without them the demo says
//! which checks it could not run, and still succeeds.

mod sample;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hague_journal::Sha256Hex;
use hws_client::wire::{ImportState, ServiceRequestNumber};
use hws_client::{HwsError, PollPolicy, WeekId};
use serde::Serialize;

use crate::Context;
use crate::cmd::hague::{Embedded, HwsEnv, embedded, publication, submit};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// Arguments of `ipgate demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the demo's files (package, bulletin); default a new directory under
    /// DATA_DIR/sandbox/demo.
    #[arg(long, value_name = "DIR")]
    work: Option<PathBuf>,
    /// How much faster than nominal the sandbox processes the package (nominal: 2 s to import,
    /// 6 s to register).
    #[arg(long, value_name = "N", default_value_t = 40.0)]
    speed: f64,
}

/// One step done.
#[derive(Debug, Serialize)]
struct Step {
    step: usize,
    name: &'static str,
    millis: u128,
    detail: String,
}

struct Steps {
    output: OutputFormat,
    total: usize,
    done: Vec<Step>,
    not_run: Vec<String>,
    started: Instant,
}

impl Steps {
    fn begin(&self, name: &str) -> Instant {
        if self.output == OutputFormat::Human {
            crate::out!("[{:>2}/{}] {name:<52}", self.done.len() + 1, self.total);
        }
        Instant::now()
    }

    fn end(&mut self, name: &'static str, started: Instant, detail: String) {
        let millis = started.elapsed().as_millis();
        if self.output == OutputFormat::Human {
            crate::outln!("{millis:>6} ms  {detail}");
        }
        self.done.push(Step {
            step: self.done.len() + 1,
            name,
            millis,
            detail,
        });
    }

    fn failed(&self, name: &str, e: CliError) -> CliError {
        if self.output == OutputFormat::Human {
            crate::outln!("FAILED");
        }
        let step = self.done.len() + 1;
        CliError {
            message: format!("demo step {step} ({name}) failed: {}", e.message),
            ..e
        }
    }
}

/// Runs `name`, timing it; its result's detail is printed after the time.
macro_rules! step {
    ($steps:expr, $name:expr, $body:expr) => {{
        let started = $steps.begin($name);
        match $body {
            Ok((value, detail)) => {
                $steps.end($name, started, detail);
                value
            }
            Err(e) => return Err($steps.failed($name, e)),
        }
    }};
}

const STEPS: usize = 12;

/// Runs `ipgate demo`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(
            CliError::new(ExitCode::Usage, "--speed must be a positive number")
                .with_hint("e.g. --speed 40 (a registration in about 0.2 s)"),
        );
    }
    let mut steps = Steps {
        output: ctx.output,
        total: STEPS,
        done: Vec::new(),
        not_run: Vec::new(),
        started: Instant::now(),
    };
    if ctx.output == OutputFormat::Human {
        crate::outln!(
            "ipgate demo: the whole job on the embedded sandbox (nothing is sent to WIPO or Innography)"
        );
    }

    let sandbox = step!(steps, "start the embedded sandbox", {
        Embedded::start(args.speed).map(|s| {
            let d = format!("HWS {}", s.sandbox.urls().hws);
            (s, d)
        })
    });
    eprintln!("{}", sandbox.banner());

    step!(steps, "make the ES256 key and certificate (Appendix A)", {
        sandbox.ensure_keys().map(|made| {
            let d = format!(
                "{} {}",
                if made { "made" } else { "already there:" },
                sandbox.client_dir().display()
            );
            ((), d)
        })
    });
    step!(steps, "register the client with the sandbox's login", {
        sandbox.register().map(|_| {
            (
                (),
                format!(
                    "client id {} (as WIPO registers es256_cert.pem)",
                    embedded::CLIENT_ID
                ),
            )
        })
    });
    let tokens = sandbox.token_source()?;
    step!(steps, "fetch an access token (private_key_jwt, ES256)", {
        match tokens.token().await {
            Ok(t) => Ok((
                (),
                format!(
                    "{} token, scope {}, valid {} s",
                    t.token_type(),
                    t.scope().unwrap_or("-"),
                    t.expires_at().saturating_sub(ipgate_base::clock::unix_secs(
                        std::time::SystemTime::now()
                    ))
                ),
            )),
            Err(e) => Err(CliError::new(ExitCode::Auth, e.to_string())),
        }
    });

    let env = HwsEnv::on_sandbox(sandbox, ctx.output)?;
    let work = match args.work {
        Some(w) => w,
        None => default_work_dir(&env)?,
    };
    // Unique per run (time to the millisecond and the process), so each run sends a new package.
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let reference = format!("DEMO-{millis}-{}", std::process::id());
    let today = time::OffsetDateTime::now_utc().date();
    let package = work.join("refusal.zip");
    let schema_dirs = crate::cmd::hague::schema_dirs(&[]);
    step!(steps, "build a package from the bundled sample", {
        build(&work, &package, &reference, today, schema_dirs.clone())
    });

    let report = step!(steps, "validate it (WIPO's schema and the Hague rules)", {
        submit::validate(&package, schema_dirs.clone(), ctx.output).and_then(|r| {
            if r.is_valid() {
                let xsd = format!("valid; XSD: {}", crate::cmd::package::xsd_text(&r.xsd));
                Ok((r, xsd))
            } else {
                crate::cmd::package::print_report(&r);
                Err(CliError::new(
                    ExitCode::Invalid,
                    "the bundled sample is invalid (a bug in ipgate)",
                ))
            }
        })
    });
    if !report.xsd.ran() {
        steps.not_run.push(format!(
            "XSD validation of the package against WIPO's schema (none installed in {}; run `{}`)",
            schema_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            hague_package::INSTALL_HINT
        ));
    }

    let client = env.client()?;
    let import_id = step!(steps, "submit it (journal first, then POST /request)", {
        send(&env, &package).await
    });
    let policy = PollPolicy {
        initial_interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(500),
        timeout: Duration::from_secs(120),
    };
    let srn: ServiceRequestNumber = step!(steps, "wait for the SRN (import status)", {
        client
            .wait_for_srn(&import_id, &policy, |s| env.record_import(s))
            .await
            .map(|srn| {
                let d = format!("import {import_id}: imported, SRN {srn}");
                (srn, d)
            })
            .map_err(|e| env.hws_error(e))
    });
    let registered = step!(steps, "wait for the registration (service request)", {
        client
            .wait_until_final(&srn, &policy, |s| env.record_request(s))
            .await
            .map_err(|e| env.hws_error(e))
            .and_then(|s| {
                if s.status.as_str() == "Registered" {
                    let d = format!("{}, IRN {}", s.status, s.irn.as_deref().unwrap_or("-"));
                    Ok((s, d))
                } else {
                    Err(CliError::new(
                        ExitCode::Remote,
                        format!("the sandbox ended the request as {}", s.status),
                    ))
                }
            })
    });

    // The registration appears in the issue of its expected publication week: this week's when
    // it was registered before Friday 11:00 UTC (the demo publishes that issue now, through the
    // sandbox's admin API, as the IB does on Friday), else next week's, which cannot be downloaded
    // before it exists: then the demo reads this week's issue and says when the registration
    // appears.
    let this_week = WeekId::current(today);
    let pub_week = registered
        .expected_publication_date
        .map_or(this_week, WeekId::current);
    let week = pub_week.min(this_week);
    let irn = registered.irn.clone().unwrap_or_default();
    let bulletin = step!(steps, "download this week's bulletin", {
        fetch_issue(&env, week, pub_week, &work).await
    });
    let extracted = step!(steps, "extract it and read every record with st96", {
        let dir = work.join(format!("bulletin-{week}"));
        publication::extract(Path::new(&bulletin.path), &dir).and_then(|x| {
            read_bulletin(
                &x,
                &irn,
                (pub_week == week).then_some(()),
                registered.expected_publication_date,
            )
            .map(|d| (x, d))
        })
    });
    check_bulletin_xsd(&extracted, &schema_dirs, &mut steps.not_run);

    step!(steps, "Innography: a request with a pinned version", {
        innography(&env).await
    });

    let total = steps.started.elapsed();
    match ctx.output {
        OutputFormat::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                sandbox: bool,
                steps: &'a [Step],
                checks_not_run: &'a [String],
                total_millis: u128,
                work: String,
                journal: String,
            }
            print_json(&Out {
                sandbox: true,
                steps: &steps.done,
                checks_not_run: &steps.not_run,
                total_millis: total.as_millis(),
                work: work.display().to_string(),
                journal: env.journal().path().display().to_string(),
            })?;
        }
        OutputFormat::Human => {
            for n in &steps.not_run {
                crate::outln!("not run: {n}");
            }
            crate::outln!(
                "All steps passed in {:.1} s. Work files: {}; journal: {} (see `ipgate hague history`).",
                total.as_secs_f64(),
                work.display(),
                env.journal().path().display()
            );
        }
    }
    Ok(())
}

fn default_work_dir(env: &HwsEnv) -> CliResult<PathBuf> {
    let base = env
        .sandbox()
        .map(|s| s.dir.join("demo"))
        .ok_or_else(|| CliError::internal("the demo runs on the embedded sandbox only"))?;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Ok(base.join(format!("run-{millis}-{}", std::process::id())))
}

fn build(
    work: &Path,
    package: &Path,
    reference: &str,
    today: time::Date,
    schema_dirs: Vec<PathBuf>,
) -> CliResult<((), String)> {
    let src = work.join("package");
    let xml = sample::write_sample(&src, reference, &hws_client::wire::format_date(today))
        .map_err(|e| CliError::io("write the sample into", &src, &e))?;
    let options = hague_package::BuildOptions {
        validation: hague_package::Options {
            schemas: hague_package::Schemas::Dirs(schema_dirs),
            ..hague_package::Options::default()
        },
        allow_invalid: false,
        require_schema: false,
    };
    let out =
        hague_package::build(&xml, package, &options).map_err(crate::cmd::package::map_err)?;
    if !out.written {
        crate::cmd::package::print_report(&out.report);
        return Err(CliError::new(
            ExitCode::Invalid,
            "the bundled sample did not build (a bug in ipgate)",
        ));
    }
    Ok((
        (),
        format!(
            "{} ({} entries, office reference {reference})",
            package.display(),
            out.entries.len()
        ),
    ))
}

async fn send(env: &HwsEnv, package: &Path) -> CliResult<(hws_client::wire::ImportId, String)> {
    let bytes = std::fs::read(package).map_err(|e| CliError::io("read", package, &e))?;
    let sha = Sha256Hex::digest(&bytes);
    let meta = submit::meta(package);
    let done = hws_client::submit_journaled(
        env.client()?,
        env.journal(),
        bytes::Bytes::from(bytes),
        &meta,
        false,
    )
    .await
    .map_err(|e| submit::journaled_error(env, e))?;
    let status = done.status;
    if let ImportState::Rejected { reasons } = &status.state {
        return Err(env.hws_error(HwsError::Rejected {
            http_status: 200,
            reasons: reasons.clone(),
        }));
    }
    let detail = format!(
        "submission #{} sha256 {}…, import ID {}",
        done.submission.id.0,
        &sha.as_str()[..12],
        status.import_id
    );
    Ok((status.import_id, detail))
}

/// Publishes `week`'s issue now when it holds the registration (`pub_week == week`) and is not out
/// yet, then downloads it.
async fn fetch_issue(
    env: &HwsEnv,
    week: WeekId,
    pub_week: WeekId,
    work: &Path,
) -> CliResult<(publication::Downloaded, String)> {
    if pub_week == week {
        publish_now(env, week).await?;
    }
    let d = publication::fetch(env, publication::Kind::Bulletin, week, work).await?;
    let detail = format!("{} ({} bytes)", d.path, d.size);
    Ok((d, detail))
}

/// `POST /_sandbox/admin/publish/{week}` on the embedded sandbox (loopback only): the issue
/// appears now instead of on Friday at 11:00 UTC.
async fn publish_now(env: &HwsEnv, week: WeekId) -> CliResult {
    let sandbox = env
        .sandbox()
        .ok_or_else(|| CliError::internal("the demo runs on the embedded sandbox only"))?;
    let http = ipgate_http::ClientOptions::new(concat!("ipgate/", env!("CARGO_PKG_VERSION")))
        .builder()
        .and_then(|b| b.build().map_err(ipgate_http::ClientBuildError::Build))
        .map_err(|e| CliError::internal(e.to_string()))?;
    let url = format!(
        "{}/_sandbox/admin/publish/{week}",
        sandbox.sandbox.urls().base
    );
    let resp = http.post(&url).send().await.map_err(|e| {
        CliError::new(
            ExitCode::Network,
            format!("cannot reach the sandbox's admin API: {e}"),
        )
    })?;
    if !resp.status().is_success() {
        return Err(CliError::new(
            ExitCode::Remote,
            format!(
                "the sandbox refused to publish week {week}: HTTP {}",
                resp.status()
            ),
        ));
    }
    Ok(())
}

/// Reads every record of the extracted bulletin with `st96`'s streaming reader (the typed V6_0
/// model) and, when it is the registration's issue (`ours`), finds the registration's IRN in it.
fn read_bulletin(
    x: &publication::Extracted,
    irn: &str,
    ours: Option<()>,
    expected: Option<time::Date>,
) -> CliResult<String> {
    let xml = x
        .xml
        .first()
        .ok_or_else(|| CliError::new(ExitCode::Remote, "the bulletin holds no XML document"))?;
    let file = std::fs::File::open(xml).map_err(|e| CliError::io("open", Path::new(xml), &e))?;
    let mut reader = st96::stream::IbToOfficeReader::new(std::io::BufReader::new(file))
        .map_err(|e| CliError::new(ExitCode::Invalid, format!("{xml}: {e}")))?;
    for record in reader.by_ref() {
        record.map_err(|e| CliError::new(ExitCode::Invalid, format!("{xml}: {e}")))?;
    }
    let records = reader.records_read();
    let text =
        std::fs::read_to_string(xml).map_err(|e| CliError::io("read", Path::new(xml), &e))?;
    if ours.is_none() {
        return Ok(format!(
            "{records} records read with the typed model; {irn} appears in the issue of {} (registered after this week's issue was out)",
            expected.map_or_else(|| "next week".to_string(), hws_client::wire::format_date)
        ));
    }
    if !text.contains(&format!(">{irn}<")) {
        // The issue was published (by an earlier run, through the admin API) before this
        // registration: the sandbox keeps an issue unchanged once it is out.
        return Ok(format!(
            "{records} records read with the typed model; {irn} is not in it: this issue was out before the registration"
        ));
    }
    Ok(format!(
        "{records} records read with the typed model; {irn} is in it"
    ))
}

/// Validates the bulletin's XML against WIPO's schema when it is installed; otherwise says so.
fn check_bulletin_xsd(x: &publication::Extracted, dirs: &[PathBuf], not_run: &mut Vec<String>) {
    let Some(xml) = x.xml.first() else { return };
    let path = PathBuf::from(xml);
    let limits = hague_package::Limits::default();
    let run = hague_package::schemas::validate_document(
        dirs,
        "HagueIBToOfficeTransaction",
        None,
        || std::fs::File::open(&path).map(std::io::BufReader::new),
        xml,
        limits.max_xml_depth,
        limits.max_findings,
    );
    match run {
        Ok(r) if r.status.ran() => {
            let errors = r
                .findings
                .iter()
                .filter(|f| f.severity == hague_package::Severity::Error)
                .count();
            if errors > 0 {
                not_run.push(format!(
                    "the bulletin has {errors} schema finding(s): run `ipgate st96 check {xml}`"
                ));
            }
        }
        _ => not_run.push(format!(
            "XSD validation of the bulletin (no WIPO schema installed; run `{}`)",
            hague_package::INSTALL_HINT
        )),
    }
}

async fn innography(env: &HwsEnv) -> CliResult<((), String)> {
    let sandbox = env
        .sandbox()
        .ok_or_else(|| CliError::internal("the demo runs on the embedded sandbox only"))?;
    let credentials = sandbox.innography_credentials()?;
    let mut config =
        innography_client::Config::new(sandbox.sandbox.urls().innography.clone(), credentials);
    let version = innography_hmac::ApiVersion::new(0, 6);
    config
        .versions
        .insert(innography_client::Api::PrivatePair, version);
    let client = innography_client::Client::new(config)
        .map_err(|e| CliError::new(ExitCode::Config, e.to_string()))?;
    let response = client
        .get(innography_client::Api::PrivatePair, "/private-pair/account")
        .await
        .map_err(|e| CliError::new(ExitCode::Remote, e.to_string()))?;
    let answered = response
        .version()
        .map_or_else(|| "no version".to_string(), |v| v.to_string());
    if response.version() != Some(version) {
        return Err(CliError::new(
            ExitCode::Remote,
            format!("asked for private-pair {version}, the sandbox answered {answered}"),
        ));
    }
    Ok((
        (),
        format!(
            "GET /private-pair/account: HTTP {}, version {answered} as pinned, {} bytes",
            response.status,
            response.body.len()
        ),
    ))
}
