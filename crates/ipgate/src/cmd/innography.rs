//! `ipgate innography`. PLACEHOLDER: replaced by the crate that implements it.

use crate::Context;
use crate::exit::{CliError, CliResult, ExitCode};

/// Arguments of `ipgate innography`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `ipgate innography`.
pub async fn run(_args: Args, _ctx: &Context) -> CliResult {
    Err(CliError::new(ExitCode::Internal, "not built yet"))
}
