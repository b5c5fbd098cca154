//! `ipgate`: the command-line tool. Argument parsing, configuration and output only; the work is done
//! by the library crates (see `docs/architecture.md`).

// st96's generated Common types nest deeply; proving auto traits (`Send`, `Unpin`) of futures that
// hold them needs more than the default 128 steps in release builds (E0275).
#![recursion_limit = "512"]

mod cmd;
mod config;
mod exit;
mod output;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode as ProcessExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::exit::{CliError, CliResult};
use crate::output::{OutputChoice, OutputFormat};

/// Exchange data with WIPO's Hague Web Services and the Innography API; read, write and validate
/// WIPO ST.96 XML.
#[derive(Debug, Parser)]
#[command(name = "ipgate", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options accepted by every command.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global options")]
struct GlobalArgs {
    /// Profile to use from the config file.
    #[arg(long, global = true, env = "IPGATE_PROFILE", default_value = "default")]
    profile: String,
    /// Config file (default: $XDG_CONFIG_HOME/ipgate/config.toml, ~/.config/ipgate/config.toml).
    #[arg(long, global = true, value_name = "PATH", env = "IPGATE_CONFIG",
          value_parser = config::path_or_empty())]
    config: Option<PathBuf>,
    /// Output format: text for people, one JSON document, or NDJSON (one object per record).
    #[arg(long, global = true, value_enum, default_value_t = OutputChoice::Human)]
    output: OutputChoice,
    /// No progress bars (they are drawn only on a terminal and with --output human anyway).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More logging on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect and check WIPO ST.96 XML documents.
    St96(cmd::st96::Args),
    /// Generate and inspect the ES256 keys used to log in to WIPO.
    Keys(cmd::keys::Args),
    /// Log in to WIPO (OAuth2 client credentials with private_key_jwt).
    Auth(cmd::auth::Args),
    /// Call the Innography API (HMAC-signed requests).
    Innography(cmd::innography::Args),
    /// Build, validate, inspect and extract Hague packages (ZIP).
    Package(cmd::package::Args),
    /// Hague Web Services: send packages, follow them, download bulletins (the embedded sandbox
    /// when no profile is configured).
    Hague(cmd::hague::Args),
    /// The whole job end to end on the embedded sandbox, each step timed: keys, login, package,
    /// submit, registration, bulletin, Innography.
    Demo(cmd::demo::Args),
    /// Run the local emulator of HWS, WIPO's login and Innography; register clients; drive its
    /// admin API.
    Sandbox(cmd::sandbox::Args),
    /// Install WIPO's official ST.96 schemas (checked against built-in manifests) and list them.
    Schemas(cmd::schemas::Args),
    /// Write a commented settings template (`config init`) or show the resolved settings and
    /// where each came from (`config show`).
    Config(cmd::settings::Args),
    /// Check the setup (settings, key and certificate, clock, reachability, login, HWS, schemas,
    /// journal): pass/warn/fail with the fix for each; exit 0 only when nothing fails.
    Doctor(cmd::doctor::Args),
    /// Print the shell completion script for bash, zsh, fish or PowerShell.
    Completions(cmd::generate::CompletionsArgs),
    /// Print the manual page (roff): `ipgate man | man -l -`.
    Man(cmd::generate::ManArgs),
}

/// What every command gets besides its own arguments.
#[derive(Debug)]
pub struct Context {
    /// Output format chosen with `--output`.
    pub output: OutputFormat,
    /// Profile name chosen with `--profile` / `IPGATE_PROFILE`.
    pub profile_name: String,
    /// Config file given with `--config` / `IPGATE_CONFIG`.
    pub config_path: Option<PathBuf>,
    /// Where `--config` and `--profile` came from (flag, environment, default), for `config show`.
    pub sources: Sources,
}

/// Where a global option's value came from, as clap saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// The command line.
    Flag,
    /// Its environment variable.
    Environment,
    /// Not given: the default.
    Default,
}

/// Where `--config` and `--profile` came from.
#[derive(Debug, Clone, Copy)]
pub struct Sources {
    /// `--config` / `IPGATE_CONFIG`.
    pub config: Given,
    /// `--profile` / `IPGATE_PROFILE`.
    pub profile: Given,
}

impl Sources {
    fn of(matches: &clap::ArgMatches) -> Self {
        use clap::parser::ValueSource;
        let given = |id: &str| match matches.value_source(id) {
            Some(ValueSource::CommandLine) => Given::Flag,
            Some(ValueSource::EnvVariable) => Given::Environment,
            _ => Given::Default,
        };
        Sources {
            config: given("config"),
            profile: given("profile"),
        }
    }
}

impl Context {
    /// Loads the selected profile from the config file.
    pub fn profile(&self) -> CliResult<config::Profile> {
        config::load_profile(
            self.config_path.as_deref(),
            self.sources.config == Given::Flag,
            &self.profile_name,
        )
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

async fn dispatch(command: Command, ctx: &Context) -> CliResult {
    match command {
        Command::St96(args) => cmd::st96::run(args, ctx).await,
        Command::Keys(args) => cmd::keys::run(args, ctx).await,
        Command::Auth(args) => cmd::auth::run(args, ctx).await,
        Command::Innography(args) => cmd::innography::run(args, ctx).await,
        Command::Package(args) => cmd::package::run(args, ctx).await,
        Command::Hague(args) => cmd::hague::run(args, ctx).await,
        Command::Demo(args) => cmd::demo::run(args, ctx).await,
        Command::Schemas(args) => cmd::schemas::run(args, ctx).await,
        Command::Sandbox(args) => cmd::sandbox::run(args, ctx).await,
        Command::Config(args) => cmd::settings::run(args, ctx).await,
        Command::Doctor(args) => cmd::doctor::run(args, ctx).await,
        Command::Completions(args) => cmd::generate::completions(args, ctx).await,
        Command::Man(args) => cmd::generate::man(args, ctx).await,
    }
}

fn main() -> ProcessExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let sources = Sources::of(&matches);
    init_logging(cli.global.verbose);
    progress::set_quiet(cli.global.quiet);
    let ctx = Context {
        output: cli.global.output.select(),
        profile_name: cli.global.profile,
        // An empty IPGATE_CONFIG counts as unset.
        config_path: cli.global.config.filter(|p| !p.as_os_str().is_empty()),
        sources,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "{}",
                CliError::internal(format!("cannot start the async runtime: {e}"))
            );
            return ProcessExitCode::from(exit::ExitCode::Internal.code());
        }
    };
    match runtime.block_on(dispatch(cli.command, &ctx)) {
        Ok(()) => ProcessExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ProcessExitCode::from(err.code.code())
        }
    }
}
