//! `ipgate hague`: WIPO Hague Web Services, every endpoint, with the submission journal.
//!
//! The work is done by `hws-client` (transport, waits, the journaled submit), `hague-journal`
//! (the write-ahead record) and `hague-package` (the local validation before a submit); this
//! module parses arguments, resolves the profile (or the embedded sandbox, see [`env`]) and
//! prints.

pub(crate) mod embedded;
mod env;
pub(crate) mod publication;
mod show;
pub(crate) mod submit;

use std::path::PathBuf;

use hws_client::WeekId;

use crate::Context;
use crate::exit::{CliError, CliResult, ExitCode};

pub use embedded::Embedded;
pub(crate) use env::DEFAULT_CONCURRENCY;
pub use env::{HwsEnv, HwsFlags};
pub(crate) use env::{is_unconfigured, journal_error};

/// Arguments of `ipgate hague`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    hws: HwsFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check the connection and the login: `GET /pingMe?name=NAME` with a token.
    Ping {
        /// Name echoed in the hello message.
        #[arg(long, default_value = "ipgate")]
        name: String,
    },
    /// Send a package (a decision or an indirect application) to WIPO: validated locally first
    /// (refused if invalid), recorded in the journal before the POST, never sent twice.
    Submit(SubmitArgs),
    /// Ask where an import stands: pending, imported (with its SRN) or rejected (with reasons).
    ImportStatus {
        /// The import ID `submit` printed.
        #[arg(value_name = "IMPORT_ID")]
        import_id: String,
    },
    /// Ask the processing status of a service request (Processing, Registered, ...).
    Status {
        /// The Service Request Number.
        #[arg(value_name = "SRN")]
        srn: String,
    },
    /// Follow every open submission in the journal: asks HWS for each one's status and records it;
    /// lists submissions an interrupted run left `sending` (never resent) with how to check them.
    Track,
    /// The journal: every submission with its state, import ID, SRN and last status, and the
    /// publications downloaded.
    History {
        /// Show at most this many submissions (newest first).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Show the status history of each submission too.
        #[arg(long)]
        events: bool,
    },
    /// Record what WIPO said about a submission left `sending` or `unknown` (a crash, a lost
    /// answer): it arrived under an import ID (`track` then follows it), or it never arrived (the
    /// package may then be sent again without --force).
    Resolve(ResolveArgs),
    /// Download a week's International Designs Bulletin (`bulletin WEEK`), or every missing week
    /// of a range (`bulletin sync --from WEEK`).
    Bulletin(BulletinArgs),
    /// Download a week's confidential copies (examining offices only).
    ConfidentialCopy(DownloadArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct SubmitArgs {
    /// The package (ZIP) to send.
    #[arg(value_name = "PKG")]
    package: PathBuf,
    /// Wait for the SRN and then for a final status (Registered, Abandoned, Cancelled, rejected).
    #[arg(long)]
    wait: bool,
    /// Longest wait in seconds with --wait (default: the profile's wait_timeout_secs, else 3600).
    #[arg(long, value_name = "SECS", requires = "wait")]
    wait_timeout: Option<u64>,
    /// Send although the journal has this package already (a second filing of the same
    /// decision: only when WIPO confirmed the first never arrived, or asked for it again).
    #[arg(long)]
    force: bool,
    /// Directory holding WIPO's schema files for the local validation (repeatable). Default:
    /// $IPGATE_SCHEMAS, else where `ipgate schemas install` put them.
    #[arg(long, value_name = "DIR")]
    schemas: Vec<PathBuf>,
    #[command(flatten)]
    xsd: crate::cmd::package::AlwaysXsd,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("outcome").required(true).args(["received", "not_received"])))]
struct ResolveArgs {
    /// The submission number (`#N` in `track` and `history`).
    #[arg(value_name = "SUBMISSION")]
    submission: i64,
    /// WIPO has it, under this import ID.
    #[arg(long, value_name = "IMPORT_ID")]
    received: Option<String>,
    /// WIPO confirms it never arrived; say who confirmed and when.
    #[arg(long, value_name = "NOTE")]
    not_received: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct BulletinArgs {
    #[command(subcommand)]
    sync: Option<BulletinCommand>,
    #[command(flatten)]
    download: Option<DownloadArgs>,
}

#[derive(Debug, clap::Subcommand)]
enum BulletinCommand {
    /// Download every week from --from to --to (default: the current week) not yet in the journal
    /// and in --out; interrupted downloads resume; a few weeks at a time.
    Sync(SyncArgs),
}

#[derive(Debug, clap::Args)]
struct DownloadArgs {
    /// The week, `yyyyww` (ISO year and week, e.g. 202614).
    #[arg(value_name = "WEEK")]
    week: String,
    /// Directory the ZIP is written into (`bulletin-YYYYWW.zip`, `confidential-YYYYWW.zip`);
    /// default the current directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Also extract the ZIP (safely) into DIR/bulletin-YYYYWW/ (or confidential-YYYYWW/).
    #[arg(long)]
    extract: bool,
}

#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// First week, `yyyyww`.
    #[arg(long, value_name = "WEEK")]
    from: String,
    /// Last week, `yyyyww` (default: the current week).
    #[arg(long, value_name = "WEEK")]
    to: Option<String>,
    /// Directory the ZIPs are written into (default the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Weeks downloaded at the same time (default: the profile's download_concurrency, else 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=8))]
    concurrency: Option<u16>,
}

/// Runs `ipgate hague`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    // Everything the user typed is checked before a sandbox is started or a file is touched.
    match args.command {
        Command::Ping { name } => {
            let env = HwsEnv::open(ctx, &args.hws).await?;
            show::ping(&env, &name).await
        }
        Command::Submit(a) => {
            if !a.package.is_file() {
                return Err(CliError::new(
                    ExitCode::Io,
                    format!("{} is not a file", a.package.display()),
                )
                .with_hint(
                    "name the package ZIP to send, e.g. one made by `ipgate package build`",
                ));
            }
            let env = HwsEnv::open(ctx, &args.hws).await?;
            submit::submit(&env, a).await
        }
        Command::ImportStatus { import_id } => {
            let id = import_id
                .parse()
                .map_err(|e| bad_id("import ID", &import_id, e))?;
            let env = HwsEnv::open(ctx, &args.hws).await?;
            show::import_status(&env, &id).await
        }
        Command::Status { srn } => {
            let id = srn.parse().map_err(|e| bad_id("SRN", &srn, e))?;
            let env = HwsEnv::open(ctx, &args.hws).await?;
            show::request_status(&env, &id).await
        }
        Command::Track => {
            let env = HwsEnv::open(ctx, &args.hws).await?;
            show::track(&env).await
        }
        Command::Resolve(a) => {
            let resolution = match (a.received, a.not_received) {
                (Some(id), _) => {
                    let id: hws_client::wire::ImportId =
                        id.parse().map_err(|e| bad_id("import ID", &id, e))?;
                    hague_journal::Resolution::Received {
                        import_id: id.to_string(),
                    }
                }
                (None, Some(note)) if !note.trim().is_empty() => {
                    hague_journal::Resolution::NotReceived { note }
                }
                _ => {
                    return Err(CliError::new(
                        ExitCode::Usage,
                        "--not-received needs a note: who at WIPO confirmed it, and when",
                    )
                    .with_hint(
                        "e.g. --not-received \"hague.it@wipo.int, 2026-12-07: not received\"",
                    ));
                }
            };
            let env = HwsEnv::open_journal_only(ctx, &args.hws)?;
            show::resolve(&env, hague_journal::SubmissionId(a.submission), &resolution)
        }
        Command::History { limit, events } => {
            let env = HwsEnv::open_journal_only(ctx, &args.hws)?;
            show::history(&env, limit, events)
        }
        Command::Bulletin(BulletinArgs {
            sync: Some(BulletinCommand::Sync(a)),
            ..
        }) => {
            let today = today();
            let from = parse_week(&a.from, "--from", today)?;
            let to = match &a.to {
                Some(t) => parse_week(t, "--to", today)?,
                None => WeekId::current(today),
            };
            if from > to {
                return Err(CliError::new(
                    ExitCode::Usage,
                    format!("--from {from} is after --to {to}"),
                )
                .with_hint("give the earlier week with --from and the later one with --to"));
            }
            let env = HwsEnv::open(ctx, &args.hws).await?;
            publication::sync(&env, from, to, &a.out, a.concurrency).await
        }
        Command::Bulletin(BulletinArgs {
            download: Some(a), ..
        }) => {
            let week = parse_week(&a.week, "WEEK", today())?;
            let env = HwsEnv::open(ctx, &args.hws).await?;
            publication::download_one(&env, publication::Kind::Bulletin, week, &a.out, a.extract)
                .await
        }
        Command::Bulletin(BulletinArgs { .. }) => Err(CliError::new(
            ExitCode::Usage,
            "name a week (`ipgate hague bulletin 202614`) or a range (`ipgate hague bulletin sync --from 202601`)",
        )),
        Command::ConfidentialCopy(a) => {
            let week = parse_week(&a.week, "WEEK", today())?;
            let env = HwsEnv::open(ctx, &args.hws).await?;
            publication::download_one(
                &env,
                publication::Kind::ConfidentialCopy,
                week,
                &a.out,
                a.extract,
            )
            .await
        }
    }
}

/// Today's date (UTC), for "a week in the future has no issue yet".
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Reads a week id as typed by the user: a real ISO week `yyyyww`, not after the current week.
pub(crate) fn parse_week(text: &str, what: &str, today: time::Date) -> CliResult<WeekId> {
    let week: WeekId = text.parse().map_err(|e: hws_client::WeekIdError| {
        CliError::new(ExitCode::Usage, format!("{what}: {e}")).with_hint(format!(
            "write the week as yyyyww, the ISO year and week number, e.g. {} for this week",
            WeekId::current(today)
        ))
    })?;
    if week.is_future(today) {
        return Err(CliError::new(
            ExitCode::Usage,
            format!(
                "{what}: week {week} is in the future (this is week {}); it has no issue yet",
                WeekId::current(today)
            ),
        )
        .with_hint("name this week or an earlier one"));
    }
    Ok(week)
}

fn bad_id(what: &str, value: &str, e: hws_client::wire::IdError) -> CliError {
    CliError::new(ExitCode::Usage, format!("{value:?} is not an {what}: {e}")).with_hint(format!(
        "copy the {what} exactly as `ipgate hague submit` or `ipgate hague history` printed it"
    ))
}

/// The schema folders a validation searches: `--schemas DIR` when given, else `$IPGATE_SCHEMAS`,
/// else where `ipgate schemas install` put them (`hague_package::schemas::default_search_path`).
pub(crate) fn schema_dirs(explicit: &[PathBuf]) -> Vec<PathBuf> {
    hague_package::schemas::default_search_path(explicit).dirs
}
