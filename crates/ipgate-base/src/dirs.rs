//! The user's ipgate directories, after the XDG Base Directory Specification
//! (<https://specifications.freedesktop.org/basedir-spec/latest/>), each overridable for ipgate
//! alone. An environment variable set to the empty string counts as unset (as the XDG spec says).

use std::ffi::OsString;
use std::path::PathBuf;

/// No directory could be derived from the environment.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find the ipgate {kind} directory: none of {vars} is set; set {fix} to a directory ipgate may write to"
)]
pub struct DirsError {
    /// `data`, `cache` or `config`.
    pub kind: &'static str,
    /// The variables consulted, in order.
    pub vars: &'static str,
    /// The variable to set.
    pub fix: &'static str,
}

/// Where ipgate keeps data that must survive (the submission journal, sandbox state):
/// `$IPGATE_DATA_DIR`, else `$XDG_DATA_HOME/ipgate`, else `$HOME/.local/share/ipgate`.
pub fn data_dir() -> Result<PathBuf, DirsError> {
    data_dir_from(&env)
}

/// Where ipgate keeps what it can rebuild (token caches, rate-limit state, partial downloads):
/// `$IPGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/ipgate`, else `$HOME/.cache/ipgate`.
pub fn cache_dir() -> Result<PathBuf, DirsError> {
    cache_dir_from(&env)
}

/// Where the user's settings are (`config.toml`): `$XDG_CONFIG_HOME/ipgate`, else
/// `$HOME/.config/ipgate`.
pub fn config_dir() -> Result<PathBuf, DirsError> {
    config_dir_from(&env)
}

/// `$HOME`, when set and not empty (for `~/` in paths the user writes).
pub fn home_dir() -> Option<PathBuf> {
    env("HOME").map(PathBuf::from)
}

/// The value of an environment variable; unset and empty are the same.
fn env(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

fn resolve(env: Env<'_>, own: Option<&str>, xdg: &str, home_rel: &str) -> Option<PathBuf> {
    if let Some(own) = own
        && let Some(p) = env(own)
    {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = env(xdg) {
        return Some(PathBuf::from(p).join("ipgate"));
    }
    env("HOME").map(|h| PathBuf::from(h).join(home_rel).join("ipgate"))
}

fn data_dir_from(env: Env<'_>) -> Result<PathBuf, DirsError> {
    resolve(
        env,
        Some("IPGATE_DATA_DIR"),
        "XDG_DATA_HOME",
        ".local/share",
    )
    .ok_or(DirsError {
        kind: "data",
        vars: "IPGATE_DATA_DIR, XDG_DATA_HOME, HOME",
        fix: "IPGATE_DATA_DIR",
    })
}

fn cache_dir_from(env: Env<'_>) -> Result<PathBuf, DirsError> {
    resolve(env, Some("IPGATE_CACHE_DIR"), "XDG_CACHE_HOME", ".cache").ok_or(DirsError {
        kind: "cache",
        vars: "IPGATE_CACHE_DIR, XDG_CACHE_HOME, HOME",
        fix: "IPGATE_CACHE_DIR",
    })
}

fn config_dir_from(env: Env<'_>) -> Result<PathBuf, DirsError> {
    resolve(env, None, "XDG_CONFIG_HOME", ".config").ok_or(DirsError {
        kind: "config",
        vars: "XDG_CONFIG_HOME, HOME",
        fix: "XDG_CONFIG_HOME",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(*v))
                .filter(|v| !v.is_empty())
        }
    }

    #[test]
    fn own_variable_wins_then_xdg_then_home() {
        let all = fake(&[
            ("IPGATE_DATA_DIR", "/d"),
            ("IPGATE_CACHE_DIR", "/c"),
            ("XDG_DATA_HOME", "/xd"),
            ("XDG_CACHE_HOME", "/xc"),
            ("XDG_CONFIG_HOME", "/xf"),
            ("HOME", "/h"),
        ]);
        assert_eq!(data_dir_from(&all).expect("data"), PathBuf::from("/d"));
        assert_eq!(cache_dir_from(&all).expect("cache"), PathBuf::from("/c"));
        assert_eq!(
            config_dir_from(&all).expect("config"),
            PathBuf::from("/xf/ipgate")
        );

        let xdg = fake(&[
            ("XDG_DATA_HOME", "/xd"),
            ("XDG_CACHE_HOME", "/xc"),
            ("HOME", "/h"),
        ]);
        assert_eq!(
            data_dir_from(&xdg).expect("data"),
            PathBuf::from("/xd/ipgate")
        );
        assert_eq!(
            cache_dir_from(&xdg).expect("cache"),
            PathBuf::from("/xc/ipgate")
        );
        assert_eq!(
            config_dir_from(&xdg).expect("config"),
            PathBuf::from("/h/.config/ipgate")
        );

        let home = fake(&[("HOME", "/h")]);
        assert_eq!(
            data_dir_from(&home).expect("data"),
            PathBuf::from("/h/.local/share/ipgate")
        );
        assert_eq!(
            cache_dir_from(&home).expect("cache"),
            PathBuf::from("/h/.cache/ipgate")
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let empty = fake(&[
            ("IPGATE_DATA_DIR", ""),
            ("IPGATE_CACHE_DIR", ""),
            ("XDG_DATA_HOME", ""),
            ("XDG_CACHE_HOME", ""),
            ("HOME", "/h"),
        ]);
        assert_eq!(
            data_dir_from(&empty).expect("data"),
            PathBuf::from("/h/.local/share/ipgate")
        );
        assert_eq!(
            cache_dir_from(&empty).expect("cache"),
            PathBuf::from("/h/.cache/ipgate")
        );
    }

    #[test]
    fn nothing_set_names_the_variable_to_set() {
        let none = fake(&[("HOME", "")]);
        let err = cache_dir_from(&none).expect_err("no dirs");
        assert!(err.to_string().contains("set IPGATE_CACHE_DIR"), "{err}");
        let err = data_dir_from(&none).expect_err("no dirs");
        assert!(err.to_string().contains("IPGATE_DATA_DIR"), "{err}");
        let err = config_dir_from(&none).expect_err("no dirs");
        assert_eq!(err.kind, "config");
    }
}
