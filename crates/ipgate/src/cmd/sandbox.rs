//! `ipgate sandbox`: run the local emulator of HWS, WIPO's login and Innography, register clients
//! and consumers in its state, and drive its admin API. The work is `ipgate-sandbox`'s.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use ipgate_sandbox::{ClientRegistration, FaultSpec, Sandbox, SandboxConfig, Timing};
use serde_json::json;

use crate::Context;
use crate::exit::{CliError, CliResult, ExitCode};
use crate::outln;
use crate::output::{OutputFormat, print_json};

/// `ipgate sandbox ...`
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Serve the sandbox until interrupted (SIGINT/SIGTERM); prints its URLs first.
    Serve(ServeArgs),
    /// Register a client for the WIPO login (what sending Appendix A's certificate to WIPO does).
    RegisterClient(RegisterClientArgs),
    /// Register an Innography consumer; prints the generated secret once (or takes --secret-file).
    RegisterInnographyConsumer(ConsumerArgs),
    /// Call a running sandbox's admin API (loopback only).
    Admin(AdminArgs),
}

#[derive(Debug, clap::Args)]
struct StateArg {
    /// State directory (default: the data directory's `sandbox` folder, as the embedded sandbox uses).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
}

impl StateArg {
    fn dir(&self) -> CliResult<PathBuf> {
        match &self.state {
            Some(d) => Ok(d.clone()),
            None => ipgate_sandbox::default_state_dir().map_err(|e| {
                CliError::config(format!(
                    "cannot find a data directory for the sandbox state: {e}"
                ))
                .with_hint("pass --state DIR")
            }),
        }
    }
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    #[command(flatten)]
    state: StateArg,
    /// Serve HTTPS with a generated certificate; its CA file is printed (`ca-file:`).
    #[arg(long)]
    tls: bool,
    /// Fault rules, e.g. `submit=reset-after@0.3;all=latency:200~50` (see docs/sandbox.md).
    #[arg(long, value_name = "SPEC")]
    faults: Option<String>,
    /// Seed of every generated value and injected fault (default: from the clock; printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated seconds per real second for imports and registrations (default 1).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Lifetime of issued access tokens, seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Send every answer's `Date` header this many seconds off the sandbox's clock (negative:
    /// behind): a server with a wrong clock, for `ipgate doctor`'s clock check. Only the header.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    date_offset: i64,
    /// Folder of WIPO's ST.96 schemas for checking uploaded packages (repeatable; default: where
    /// `ipgate schemas install` puts them).
    #[arg(long = "schemas", value_name = "DIR")]
    schemas: Vec<PathBuf>,
    /// Target size of each bulletin and confidential copy, bytes (benchmarks).
    #[arg(long, value_name = "BYTES")]
    publication_size: Option<u64>,
    /// Emulate a wide-area network for publication downloads: wait this long before each answer
    /// starts (one round trip).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Emulate a wide-area network for publication downloads: at most this many bytes per second
    /// on each connection (default: unlimited).
    #[arg(long, value_name = "BYTES_PER_SEC", value_parser = clap::value_parser!(u64).range(1..))]
    bandwidth_per_connection: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct RegisterClientArgs {
    #[command(flatten)]
    state: StateArg,
    /// The X.509 certificate holding the client's ES256 public key (es256_cert.pem).
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// The client ID.
    #[arg(long)]
    client_id: String,
    /// A scope the client may request (repeatable; default: the sandbox's HWS scope).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// An address the client may log in from (repeatable; default 127.0.0.1 and ::1).
    #[arg(long = "allow-ip")]
    allow_ips: Vec<IpAddr>,
    /// The client is an examining office: it may download confidential copies.
    #[arg(long)]
    examining_office: bool,
    /// The office's WIPO ST.3 code (receiving office of its confidential copies).
    #[arg(long, default_value = "US")]
    office: String,
}

#[derive(Debug, clap::Args)]
struct ConsumerArgs {
    #[command(flatten)]
    state: StateArg,
    /// The consumer's username.
    #[arg(long)]
    username: String,
    /// Take the secret from this file (owner-only permissions) instead of generating one.
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct AdminArgs {
    /// The sandbox's base URL (`http://127.0.0.1:PORT`, as `serve` printed it without a path).
    #[arg(long, value_name = "URL")]
    url: String,
    /// CA file to trust (for a sandbox served with --tls).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    #[command(subcommand)]
    op: AdminOp,
}

#[derive(Debug, Subcommand)]
enum AdminOp {
    /// Is it up? (seed, URLs, fault rules)
    Health,
    /// Forget imports, service requests, tokens and published weeks.
    Reset {
        /// Forget the registered clients and consumers too.
        #[arg(long)]
        registrations: bool,
    },
    /// Every package received (SHA-256, duplicates, state now).
    Received,
    /// Registered clients and consumers.
    Clients,
    /// The most recent requests the sandbox answered (method, target, route, status, headers).
    Requests {
        /// Only this fault route (ping, submit, cases, ...).
        #[arg(long)]
        route: Option<String>,
    },
    /// Force a service request into a status (Undefined, Processing, Pending Regularization,
    /// Registered, Abandoned, Cancelled, or any other value).
    Force {
        /// The SRN.
        srn: String,
        /// The status.
        status: String,
    },
    /// Publish a week's issue now.
    Publish {
        /// The week, yyyyww.
        week: String,
    },
    /// Show the fault rules, or replace them with SPEC (`none` clears them).
    Faults {
        /// The new rules.
        spec: Option<String>,
    },
}

/// Runs `ipgate sandbox`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        Sub::Serve(a) => serve(a, ctx).await,
        Sub::RegisterClient(a) => register_client(a, ctx),
        Sub::RegisterInnographyConsumer(a) => register_consumer(a, ctx),
        Sub::Admin(a) => admin(a, ctx).await,
    }
}

async fn serve(a: ServeArgs, ctx: &Context) -> CliResult {
    let faults: FaultSpec = match &a.faults {
        Some(s) => s.parse().map_err(|e| {
            CliError::new(ExitCode::Usage, format!("--faults: {e}"))
                .with_hint("see docs/sandbox.md, \"Fault injection\"")
        })?,
        None => FaultSpec::default(),
    };
    if !(a.speed > 0.0 && a.speed.is_finite()) {
        return Err(CliError::new(
            ExitCode::Usage,
            format!("--speed {} must be a positive number", a.speed),
        ));
    }
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let schemas = if a.schemas.is_empty() {
        hague_package::schemas::default_search_path(&[]).dirs
    } else {
        a.schemas.clone()
    };
    let state = a.state.dir()?;
    let mut config = SandboxConfig::new(&state)
        .with_addr(a.addr)
        .with_seed(seed)
        .with_tls(a.tls)
        .with_faults(faults)
        .with_token_lifetime(Duration::from_secs(a.token_lifetime))
        .with_date_offset(a.date_offset)
        .with_schema_dirs(schemas)
        .with_publication_size(a.publication_size)
        .with_wan(ipgate_sandbox::wan::Wan {
            latency: Duration::from_millis(a.latency_ms),
            bytes_per_connection: a.bandwidth_per_connection,
        });
    config.timing = Timing {
        speed: a.speed,
        ..Timing::default()
    };
    let sandbox = tokio::task::spawn_blocking(move || Sandbox::start(config))
        .await
        .map_err(|e| CliError::internal(format!("the sandbox did not start: {e}")))?
        .map_err(|e| {
            CliError::new(ExitCode::Config, e.to_string()).with_hint("check --addr and --state")
        })?;
    let sandbox = Arc::new(sandbox);
    let u = sandbox.urls();
    match ctx.output {
        OutputFormat::Json => print_json(&json!({
            "issuer": u.issuer, "hws": u.hws, "innography": u.innography, "base": u.base,
            "ca_file": sandbox.ca_file(), "seed": sandbox.seed(), "state": state, "faults": sandbox.faults().to_string(),
        }))?,
        OutputFormat::Human => {
            outln!("issuer: {}", u.issuer);
            outln!("hws: {}", u.hws);
            outln!("innography: {}", u.innography);
            if let Some(ca) = sandbox.ca_file() {
                outln!("ca-file: {}", ca.display());
            }
            outln!("seed: {}", sandbox.seed());
            outln!("admin: {}/_sandbox/admin", u.base);
        }
    }
    eprintln!(
        "sandbox: serving (state {}); stop with Ctrl-C",
        state.display()
    );
    wait_for_signal().await?;
    eprintln!("sandbox: stopping");
    let sandbox =
        Arc::try_unwrap(sandbox).map_err(|_| CliError::internal("the sandbox is still in use"))?;
    tokio::task::spawn_blocking(move || sandbox.stop())
        .await
        .map_err(|e| CliError::internal(format!("the sandbox did not stop cleanly: {e}")))?;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> CliResult {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| CliError::internal(format!("cannot watch SIGTERM: {e}")))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| CliError::internal(format!("cannot watch SIGINT: {e}")))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> CliResult {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::internal(format!("cannot watch Ctrl-C: {e}")))
}

fn register_error(e: ipgate_sandbox::RegisterError) -> CliError {
    match e {
        ipgate_sandbox::RegisterError::Store(s) => CliError::new(ExitCode::Io, s.to_string()),
        other => CliError::new(ExitCode::Usage, other.to_string()),
    }
}

fn register_client(a: RegisterClientArgs, ctx: &Context) -> CliResult {
    let pem = std::fs::read_to_string(&a.cert).map_err(|e| CliError::io("read", &a.cert, &e))?;
    let mut reg = ClientRegistration::new(&a.client_id, pem);
    if !a.scopes.is_empty() {
        reg.scopes = a.scopes;
    }
    if !a.allow_ips.is_empty() {
        reg.allowed_ips = a.allow_ips;
    }
    reg.examining_office = a.examining_office;
    reg.office_code = a.office;
    let state = a.state.dir()?;
    let info = ipgate_sandbox::register_client(&state, &reg).map_err(register_error)?;
    match ctx.output {
        OutputFormat::Json => print_json(&json!({
            "client_id": reg.client_id, "scopes": reg.scopes, "allowed_ips": reg.allowed_ips,
            "examining_office": reg.examining_office, "office": reg.office_code,
            "certificate_subject": info.subject, "certificate_sha256": info.sha256_fingerprint, "state": state,
        })),
        OutputFormat::Human => {
            outln!(
                "registered client {} (certificate {}, scopes {})",
                reg.client_id,
                info.subject,
                reg.scopes.join(" ")
            );
            Ok(())
        }
    }
}

fn register_consumer(a: ConsumerArgs, ctx: &Context) -> CliResult {
    let given = match &a.secret_file {
        Some(path) => {
            ipgate_base::fs::check_secret_file(path).map_err(|e| {
                CliError::config(e.to_string()).with_hint(format!("chmod 600 {}", path.display()))
            })?;
            let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, &e))?;
            Some(zeroize::Zeroizing::new(text))
        }
        None => None,
    };
    let state = a.state.dir()?;
    let secret = ipgate_sandbox::register_innography_consumer(
        &state,
        &a.username,
        given.as_ref().map(|s| s.as_str()),
    )
    .map_err(register_error)?;
    let shown = if given.is_some() {
        None
    } else {
        Some(secret.expose())
    };
    match ctx.output {
        OutputFormat::Json => {
            print_json(&json!({"username": a.username, "secret": shown, "state": state}))
        }
        OutputFormat::Human => {
            outln!("registered Innography consumer {}", a.username);
            if let Some(s) = shown {
                outln!("secret: {s}");
                eprintln!("note: the secret is shown once; keep it in a file only you can read");
            }
            Ok(())
        }
    }
}

async fn admin(a: AdminArgs, ctx: &Context) -> CliResult {
    let mut opts = ipgate_http::ClientOptions::new(concat!("ipgate/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = &a.ca_file {
        opts = opts.with_extra_ca_file(ca);
    }
    let client = opts
        .builder()
        .and_then(|b| b.build().map_err(ipgate_http::ClientBuildError::Build))
        .map_err(|e| CliError::config(e.to_string()))?;
    let base = a.url.trim_end_matches('/');
    let admin = format!("{base}/_sandbox/admin");
    let req = match &a.op {
        AdminOp::Health => client.get(format!("{base}/_sandbox/health")),
        AdminOp::Reset { registrations } => {
            client.post(format!("{admin}/reset?registrations={registrations}"))
        }
        AdminOp::Received => client.get(format!("{admin}/received")),
        AdminOp::Clients => client.get(format!("{admin}/clients")),
        AdminOp::Requests { route: None } => client.get(format!("{admin}/requests")),
        AdminOp::Requests { route: Some(r) } => client
            .get(format!("{admin}/requests"))
            .query(&[("route", r)]),
        AdminOp::Force { srn, status } => client
            .post(format!("{admin}/requests/{srn}/status"))
            .header("content-type", "application/json")
            .body(json!({"status": status}).to_string()),
        AdminOp::Publish { week } => client.post(format!("{admin}/publish/{week}")),
        AdminOp::Faults { spec: None } => client.get(format!("{admin}/faults")),
        AdminOp::Faults { spec: Some(s) } => client.put(format!("{admin}/faults")).body(s.clone()),
    };
    let resp = req.send().await.map_err(|e| {
        CliError::new(
            ExitCode::Network,
            format!("cannot reach the sandbox at {base}: {e}"),
        )
        .with_hint("check --url (the base URL `serve` printed) and that the sandbox is running")
    })?;
    let status = resp.status();
    let body = resp
        .text()
        .await
        .map_err(|e| CliError::new(ExitCode::Network, format!("the answer broke off: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
        CliError::new(
            ExitCode::Remote,
            format!("the sandbox answered {status} with a body that is not JSON"),
        )
    })?;
    if !status.is_success() {
        let msg = value
            .get("error")
            .and_then(|v| v.as_str())
            .unwrap_or("no details")
            .to_owned();
        let code = match status.as_u16() {
            404 => ExitCode::NotFound,
            403 => ExitCode::Auth,
            400 => ExitCode::Usage,
            _ => ExitCode::Remote,
        };
        return Err(CliError::new(
            code,
            format!("the sandbox refused: {msg} ({status})"),
        ));
    }
    match ctx.output {
        OutputFormat::Json => print_json(&value),
        OutputFormat::Human => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.clone())
            );
            Ok(())
        }
    }
}
