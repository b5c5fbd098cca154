//! The soak with two OS processes at once (issue 14), checked like Jepsen: two streams of
//! `ipgate hague submit` processes run side by side on one journal (some of the same packages in
//! both), against the sandbox with injected faults; then the histories: the sandbox accepted no
//! package twice, no journal submission is left `sending`, everything the journal calls sent is on
//! the server, and everything on the server is sent or unknown in the journal. Seeded; the seed and
//! the fault rules are in every failure message. `IPGATE_SOAK_SEED`, `IPGATE_SOAK_CLI_SUBMISSIONS`
//! (per process) size it; `tools/soak.sh` runs the long version.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use common::hws::{ServeOptions, Served, arg, package, received};

/// Exit codes a submission may end with under these faults (docs/cli.md): done, network,
/// remote, rate limited, server, already submitted (the other process has it, or its answer was
/// lost).
const ALLOWED_EXITS: [i32; 6] = [0, 6, 7, 11, 12, 13];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SplitMix64.
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn two_processes_submitting_at_once_file_nothing_twice() {
    let seed = env_or("IPGATE_SOAK_SEED", 0x14);
    let per_process = env_or("IPGATE_SOAK_CLI_SUBMISSIONS", 10) as usize;
    let faults = "submit=reset-after@0.1;submit=reset-before@0.05;submit=500@0.05;\
                  submit=429:0@0.05;token=500@0.05";
    let seed_arg = seed.to_string();
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", faults, "--seed", &seed_arg],
        examining_office: false,
        tls: false,
    });
    let ctx = format!("seed {seed} ({per_process} submissions per process, faults {faults})");
    // A pool smaller than the submissions, shared by both processes: the same package is
    // submitted by both, at once or one after the other.
    let pool_size = per_process.max(2);
    let pool: Vec<PathBuf> = (0..pool_size)
        .map(|i| package(&s, &format!("SOAK-{seed}-{i}")))
        .collect();
    let mut state = seed;
    let plans: Vec<Vec<usize>> = (0..2)
        .map(|_| {
            (0..per_process)
                .map(|_| (splitmix(&mut state) % pool_size as u64) as usize)
                .collect()
        })
        .collect();
    let exits: Vec<Vec<(usize, Option<i32>, String)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .iter()
            .map(|plan| {
                let (s, pool) = (&s, &pool);
                scope.spawn(move || {
                    plan.iter()
                        .map(|&p| {
                            let (code, stderr) = s.fails(&["hague", "submit", arg(&pool[p])]);
                            (p, code, stderr)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a submitting thread"))
            .collect()
    });
    s.admin(&["faults", "none"]);
    let mut counts: HashMap<Option<i32>, usize> = HashMap::new();
    for (p, code, stderr) in exits.iter().flatten() {
        *counts.entry(*code).or_default() += 1;
        assert!(
            code.is_some_and(|c| ALLOWED_EXITS.contains(&c)),
            "{ctx}: package {p} ended with {code:?}:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{ctx}: {stderr}");
    }

    // The server's history: no package accepted twice.
    let got = received(&s);
    let mut on_server = HashSet::new();
    for r in &got {
        let sha = r["sha256"].as_str().expect("sha256").to_owned();
        assert!(
            on_server.insert(sha.clone()),
            "{ctx}: {sha} filed twice: {got:?}"
        );
        assert!(r["duplicate_of"].is_null(), "{ctx}: {r}");
    }
    // The client's history against it.
    let history = s.json(&["hague", "history"], 0);
    let subs = history["submissions"].as_array().expect("submissions");
    let mut known = HashSet::new();
    for sub in subs {
        let sha = sub["package_sha256"].as_str().expect("sha").to_owned();
        match sub["state"].as_str() {
            Some("sent") => {
                assert!(
                    sub["import_id"].is_string(),
                    "{ctx}: sent without an import id: {sub}"
                );
                assert!(
                    on_server.contains(&sha),
                    "{ctx}: sent but not on the server: {sub}"
                );
                known.insert(sha);
            }
            Some("unknown") => {
                known.insert(sha);
            }
            Some("failed") => {}
            other => panic!("{ctx}: a submission left {other:?}: {sub}"),
        }
    }
    for sha in &on_server {
        assert!(
            known.contains(sha),
            "{ctx}: {sha} is on the server but the journal says neither sent nor unknown: {history}"
        );
    }
    eprintln!(
        "soak-cli {ctx}: exits {counts:?}, {} journal submissions, {} packages on the server, 0 duplicates",
        subs.len(),
        on_server.len()
    );
}
