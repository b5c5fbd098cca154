//! `ipgate completions SHELL` and `ipgate man`: shell completions and the manual page, generated
//! from the one clap definition of the command line (as ripgrep does), so `--help`, the man page
//! and the completions never disagree.

use std::io::Write;

use clap::{Command, CommandFactory};

use crate::Context;
use crate::exit::{CliError, CliResult};

/// Shells `ipgate completions` writes a script for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    /// Bash: `source <(ipgate completions bash)`, or save it in
    /// `~/.local/share/bash-completion/completions/ipgate`.
    Bash,
    /// Zsh: save it as `_ipgate` in a directory of `$fpath`.
    Zsh,
    /// Fish: save it in `~/.config/fish/completions/ipgate.fish`.
    Fish,
    /// PowerShell: `ipgate completions powershell | Out-String | Invoke-Expression` in `$PROFILE`.
    Powershell,
}

/// `ipgate completions SHELL`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    shell: Shell,
}

/// `ipgate man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// The whole command line as clap knows it.
fn command() -> Command {
    crate::Cli::command()
}

/// Writes the completion script for `shell` on stdout.
pub async fn completions(args: CompletionsArgs, _ctx: &Context) -> CliResult {
    use clap_complete::Shell as S;
    let shell = match args.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command(), "ipgate", &mut buf);
    write_stdout_bytes(&buf)
}

/// Writes the ipgate(1) manual page (roff) on stdout: `ipgate man > ipgate.1`, or
/// `ipgate man | man -l -`.
pub async fn man(_args: ManArgs, _ctx: &Context) -> CliResult {
    let page = render_man(command())
        .map_err(|e| CliError::internal(format!("cannot render the manual page: {e}")))?;
    write_stdout_bytes(&page)
}

/// The manual page: clap_mangen's page of the root command, then a COMMANDS section that names
/// every command at every depth (`ipgate hague bulletin sync`) with its summary and options, so one
/// page documents the whole tool.
fn render_man(cmd: Command) -> std::io::Result<Vec<u8>> {
    let mut cmd = cmd;
    cmd.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    writeln!(out, ".SH \"ALL COMMANDS\"")?;
    for sub in cmd.get_subcommands() {
        render_command(&mut out, sub, "ipgate")?;
    }
    Ok(out)
}

fn render_command(out: &mut Vec<u8>, cmd: &Command, parent: &str) -> std::io::Result<()> {
    if cmd.get_name() == "help" {
        return Ok(());
    }
    let path = format!("{parent} {}", cmd.get_name());
    writeln!(out, ".TP\n\\fB{}\\fR", roff_escape(&path))?;
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        writeln!(out, "{}", roff_escape(&about.to_string()))?;
    }
    let flags: Vec<String> = cmd
        .get_arguments()
        .filter(|a| !a.is_global_set() && !a.is_hide_set())
        .filter_map(|a| {
            a.get_long()
                .map(|l| format!("--{l}"))
                .or_else(|| a.get_value_names().map(|v| v.join(" ")))
        })
        .collect();
    if !flags.is_empty() {
        writeln!(out, ".br\n{}", roff_escape(&flags.join(", ")))?;
    }
    for sub in cmd.get_subcommands() {
        render_command(out, sub, &path)?;
    }
    Ok(())
}

/// Escapes text for a roff line: backslashes, hyphens (so `--flag` stays two ASCII hyphens) and
/// a leading control character.
fn roff_escape(text: &str) -> String {
    let body = text
        .replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('\n', " ");
    if body.starts_with('.') || body.starts_with('\'') {
        format!("\\&{body}")
    } else {
        body
    }
}

fn write_stdout_bytes(bytes: &[u8]) -> CliResult {
    crate::output::write_stdout(format_args!("{}", String::from_utf8_lossy(bytes)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command path at every depth, e.g. `ipgate hague bulletin sync`.
    fn all_paths(cmd: &Command, parent: &str, into: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = format!("{parent} {}", sub.get_name());
            into.push(path.clone());
            all_paths(sub, &path, into);
        }
    }

    #[test]
    fn man_page_names_every_command_at_every_depth() {
        let mut paths = Vec::new();
        all_paths(&command(), "ipgate", &mut paths);
        // The walk itself must find the tree (a broken walk would check nothing).
        assert!(paths.len() > 30, "only {} commands found", paths.len());
        assert!(
            paths.iter().any(|p| p == "ipgate hague bulletin sync"),
            "{paths:?}"
        );
        let page = String::from_utf8(render_man(command()).expect("render")).expect("utf-8");
        for path in &paths {
            let needle = format!("\\fB{}\\fR", roff_escape(path));
            assert!(
                page.contains(&needle),
                "the man page does not name `{path}`"
            );
        }
        assert!(
            page.starts_with(".ie") || page.contains(".TH ipgate"),
            "{}",
            &page[..200]
        );
    }

    #[test]
    fn man_page_leaves_out_a_command_that_is_not_in_the_tree() {
        // The check above can fail: a command added after rendering is not on the page.
        let page = String::from_utf8(render_man(command()).expect("render")).expect("utf-8");
        let extended = command().subcommand(Command::new("frobnicate"));
        let mut paths = Vec::new();
        all_paths(&extended, "ipgate", &mut paths);
        let missing: Vec<_> = paths
            .iter()
            .filter(|p| !page.contains(&format!("\\fB{}\\fR", roff_escape(p))))
            .collect();
        assert_eq!(missing, vec!["ipgate frobnicate"]);
    }
}
