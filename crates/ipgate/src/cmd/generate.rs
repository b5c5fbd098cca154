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

    /// Every `env` of every argument at every depth of the command line.
    fn clap_env_vars(cmd: &Command, into: &mut std::collections::BTreeSet<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                into.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            clap_env_vars(sub, into);
        }
    }

    /// Every quoted IPGATE_* / INNOGRAPHY_* string literal in the workspace's library and CLI
    /// sources: the variables read by hand below clap (secrets, directories, schemas, HWS).
    fn source_env_vars(dir: &std::path::Path, into: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                source_env_vars(&path, into);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            for prefix in ["\"IPGATE_", "\"INNOGRAPHY_"] {
                for (at, _) in text.match_indices(prefix) {
                    let rest = &text[at + 1..];
                    let len = rest
                        .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                        .unwrap_or(rest.len());
                    let name = &rest[..len];
                    if rest[len..].starts_with('"') && !name.ends_with('_') {
                        into.insert(name.to_string());
                    }
                }
            }
        }
    }

    /// The first column of the "Environment variables" table of docs/cli.md.
    fn documented_env_vars() -> std::collections::BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let doc = std::fs::read_to_string(root.join("docs/cli.md")).expect("read docs/cli.md");
        let section = doc
            .split("### Environment variables")
            .nth(1)
            .expect("docs/cli.md has an Environment variables section");
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn docs_list_every_environment_variable_and_no_other() {
        let mut expected = std::collections::BTreeSet::new();
        clap_env_vars(&command(), &mut expected);
        assert!(
            expected.contains("IPGATE_ISSUER") && expected.contains("INNOGRAPHY_USERNAME"),
            "the clap walk found {expected:?}"
        );
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut by_hand = std::collections::BTreeSet::new();
        for crate_dir in std::fs::read_dir(root.join("crates")).expect("read crates") {
            let src = crate_dir.expect("entry").path().join("src");
            if src.is_dir() {
                source_env_vars(&src, &mut by_hand);
            }
        }
        assert!(
            by_hand.contains("IPGATE_KEY_PASSPHRASE") && by_hand.contains("IPGATE_SCHEMAS"),
            "the source scan found {by_hand:?}"
        );
        expected.extend(by_hand);
        let documented = documented_env_vars();
        let missing: Vec<_> = expected.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&expected).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "docs/cli.md's environment table lacks {missing:?} and names unknown {stale:?}"
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
