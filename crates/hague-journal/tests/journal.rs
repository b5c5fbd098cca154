//! The journal's write-ahead protocol, queries and failure modes, on real SQLite files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use hague_journal::{
    FailureReason, Journal, JournalError, NewPublication, PublicationKind, Resolution,
    ServerUpdate, Sha256Hex, SubmissionMeta, SubmissionState,
};

fn journal_in(dir: &Path) -> (Journal, PathBuf) {
    let path = dir.join("state").join("journal.sqlite");
    (Journal::open(&path).expect("open journal"), path)
}

fn meta(reference: &str) -> SubmissionMeta {
    SubmissionMeta {
        transaction_type: Some("HagueRefusalRequest".into()),
        office_reference: Some(reference.into()),
        irn: Some("DM/200000".into()),
        package_path: Some("refusal.zip".into()),
    }
}

fn sha(seed: &str) -> Sha256Hex {
    Sha256Hex::digest(seed.as_bytes())
}

#[test]
fn sha256_digest_and_parse() {
    // FIPS 180-2 test vector.
    assert_eq!(
        Sha256Hex::digest(b"abc").as_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    assert_eq!(
        Sha256Hex::parse(upper).expect("parse"),
        Sha256Hex::digest(b"abc")
    );
    for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65)] {
        assert!(matches!(
            Sha256Hex::parse(bad),
            Err(JournalError::InvalidSha256 { .. })
        ));
    }
}

#[test]
fn a_sent_package_is_refused_with_its_import_id_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (j, _) = journal_in(dir.path());
    let p = sha("package one");
    let ticket = j
        .begin_submission(&p, 1234, &meta("REF-1"), false)
        .expect("begin");
    let first = j.complete(ticket, "IMP-1").expect("complete");
    assert_eq!(first.state, SubmissionState::Sent);
    assert_eq!(first.import_id.as_deref(), Some("IMP-1"));
    assert_eq!(first.package_size, 1234);
    assert_eq!(first.meta, meta("REF-1"));
    assert!(!first.forced);

    let err = j
        .begin_submission(&p, 1234, &meta("REF-1"), false)
        .expect_err("a duplicate must be refused");
    let JournalError::AlreadySubmitted(previous) = &err else {
        panic!("wrong error: {err}");
    };
    assert_eq!(previous.id, first.id);
    let msg = err.to_string();
    assert!(msg.contains("IMP-1") && msg.contains(p.as_str()), "{msg}");
    assert!(err.hint().expect("hint").contains("force"));
    // The refusal wrote nothing.
    assert_eq!(j.history(None).expect("history").len(), 1);

    let again = j
        .begin_submission(&p, 1234, &meta("REF-1"), true)
        .expect("forced");
    let second = j.complete(again, "IMP-2").expect("complete");
    assert!(second.forced);
    assert_ne!(second.id, first.id);
    assert_eq!(j.submissions_of_package(&p).expect("list").len(), 2);
    let events = j.events(second.id).expect("events");
    assert!(events[0].detail.contains("force"), "{events:?}");
    assert_eq!(
        j.submission_by_import_id("IMP-2")
            .expect("by import id")
            .map(|s| s.id),
        Some(second.id)
    );
}

#[test]
fn a_failed_submission_does_not_block_the_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (j, _) = journal_in(dir.path());
    let p = sha("rejected package");
    let t = j
        .begin_submission(&p, 10, &meta("R"), false)
        .expect("begin");
    let reason = FailureReason::RejectedByServer {
        http_status: Some(400),
        reasons: vec!["HAGUE-R6: no DocumentKindCategory".into(), "second".into()],
    };
    let failed = j.fail(t, &reason).expect("fail");
    assert_eq!(failed.state, SubmissionState::Failed);
    assert_eq!(failed.failure.as_ref(), Some(&reason));
    assert!(!failed.is_open());

    let t = j
        .begin_submission(&p, 10, &meta("R"), false)
        .expect("allowed again");
    let failed = j
        .fail(
            t,
            &FailureReason::NotSent {
                detail: "connection refused".into(),
            },
        )
        .expect("fail");
    assert!(
        failed
            .failure
            .expect("reason")
            .to_string()
            .contains("not sent")
    );
    let t = j
        .begin_submission(&p, 10, &meta("R"), false)
        .expect("allowed again");
    assert!(!j.complete(t, "IMP-9").expect("complete").forced);
}

#[test]
fn a_crash_leaves_sending_which_blocks_until_resolved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = sha("crashed package");
    let path;
    {
        let (j, p2) = journal_in(dir.path());
        path = p2;
        let ticket = j
            .begin_submission(&p, 99, &meta("C"), false)
            .expect("begin");
        // The process dies between the journal write and the POST's answer.
        drop(ticket);
    }
    let j = Journal::open(&path).expect("reopen");
    let left = j.left_sending().expect("left sending");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].state, SubmissionState::Sending);
    assert_eq!(left[0].pid, std::process::id());
    assert!(left[0].is_open());
    assert_eq!(j.open_submissions().expect("open").len(), 1);

    let err = j
        .begin_submission(&p, 99, &meta("C"), false)
        .expect_err("never resent automatically");
    assert!(err.to_string().contains("may have received"), "{err}");
    assert!(err.hint().expect("hint").contains("check with WIPO"));

    // The operator checks with WIPO: it never arrived.
    let resolved = j
        .resolve(
            left[0].id,
            &Resolution::NotReceived {
                note: "hague.it confirmed 2026-12-06".into(),
            },
        )
        .expect("resolve");
    assert_eq!(resolved.state, SubmissionState::Failed);
    let t = j
        .begin_submission(&p, 99, &meta("C"), false)
        .expect("now allowed");
    j.complete(t, "IMP-C").expect("complete");
    assert!(j.left_sending().expect("left").is_empty());
}

#[test]
fn unknown_outcome_blocks_and_resolves_as_received() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (j, _) = journal_in(dir.path());
    let p = sha("lost answer");
    let t = j.begin_submission(&p, 5, &meta("U"), false).expect("begin");
    let id = t.id();
    let u = j
        .mark_unknown(t, "connection reset after the request was sent")
        .expect("unknown");
    assert_eq!(u.state, SubmissionState::Unknown);
    assert!(u.unknown_detail.expect("detail").contains("reset"));
    assert!(matches!(
        j.begin_submission(&p, 5, &meta("U"), false),
        Err(JournalError::AlreadySubmitted(s)) if s.state == SubmissionState::Unknown
    ));
    let sent = j
        .resolve(
            id,
            &Resolution::Received {
                import_id: "IMP-U".into(),
            },
        )
        .expect("resolve");
    assert_eq!(sent.state, SubmissionState::Sent);
    assert_eq!(sent.import_id.as_deref(), Some("IMP-U"));
    // Resolving twice is a state error, not a silent overwrite.
    assert!(matches!(
        j.resolve(id, &Resolution::NotReceived { note: "x".into() }),
        Err(JournalError::WrongState {
            state: SubmissionState::Sent,
            ..
        })
    ));
}

#[test]
fn a_ticket_whose_submission_was_resolved_meanwhile_cannot_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (j, _) = journal_in(dir.path());
    let t = j
        .begin_submission(&sha("slow"), 1, &meta("S"), false)
        .expect("begin");
    j.resolve(t.id(), &Resolution::NotReceived { note: "n".into() })
        .expect("resolve");
    let err = j.complete(t, "IMP-late").expect_err("state changed");
    assert!(matches!(
        err,
        JournalError::WrongState {
            state: SubmissionState::Failed,
            expected: "sending",
            ..
        }
    ));
    assert!(matches!(
        j.resolve(
            hague_journal::SubmissionId(999),
            &Resolution::NotReceived { note: "n".into() }
        ),
        Err(JournalError::NoSuchSubmission(_))
    ));
}

#[test]
fn server_statuses_are_recorded_once_each_and_final_ones_close_tracking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (j, _) = journal_in(dir.path());
    let t = j
        .begin_submission(&sha("tracked"), 1, &meta("T"), false)
        .expect("begin");
    let id = j.complete(t, "IMP-T").expect("complete").id;
    let pending = ServerUpdate {
        status: "Processing".into(),
        ..Default::default()
    };
    j.record_server_status(id, &pending).expect("status");
    j.record_server_status(id, &pending)
        .expect("same status again");
    let with_srn = ServerUpdate {
        status: "Processing".into(),
        srn: Some("SRN-7".into()),
        ..Default::default()
    };
    j.record_server_status(id, &with_srn).expect("srn");
    assert_eq!(j.open_submissions().expect("open").len(), 1);
    let done = j
        .record_server_status(
            id,
            &ServerUpdate {
                status: "Registered".into(),
                is_final: true,
                irn: Some("DM/300001".into()),
                detail: Some("expected publication 2026-12-11".into()),
                ..Default::default()
            },
        )
        .expect("final");
    assert_eq!(
        done.srn.as_deref(),
        Some("SRN-7"),
        "an SRN is kept when a later answer has none"
    );
    assert_eq!(done.meta.irn.as_deref(), Some("DM/300001"));
    assert!(done.server_final && !done.is_open());
    assert!(j.open_submissions().expect("open").is_empty());
    assert_eq!(
        j.submission_by_srn("SRN-7").expect("srn").map(|s| s.id),
        Some(id)
    );
    let events = j.events(id).expect("events");
    let details: Vec<&str> = events.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(details.len(), 5, "{details:?}");
    assert!(details[2] == "server status Processing", "{details:?}");
    assert!(details[3].contains("SRN SRN-7"), "{details:?}");
    assert!(
        details[4].contains("(final)") && details[4].contains("DM/300001"),
        "{details:?}"
    );

    // Only a sent submission has server statuses.
    let t = j
        .begin_submission(&sha("other"), 1, &meta("O"), false)
        .expect("begin");
    let err = j
        .record_server_status(t.id(), &pending)
        .expect_err("not sent");
    assert!(matches!(
        err,
        JournalError::WrongState {
            expected: "sent",
            ..
        }
    ));
    j.fail(t, &FailureReason::NotSent { detail: "x".into() })
        .expect("fail");
}

#[test]
fn injected_clock_times_submissions_and_history_is_newest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = ipgate_base::clock::ManualClock::new(at);
    let j = Journal::open_with_clock(&dir.path().join("j.sqlite"), Arc::new(clock.clone()))
        .expect("open");
    for n in 0..3 {
        let t = j
            .begin_submission(&sha(&format!("p{n}")), 1, &meta(&format!("R{n}")), false)
            .expect("begin");
        j.complete(t, &format!("IMP-{n}")).expect("complete");
    }
    clock.advance(Duration::from_secs(60));
    let last = j.history(Some(1)).expect("history").remove(0);
    j.record_server_status(
        last.id,
        &ServerUpdate {
            status: "Processing".into(),
            ..Default::default()
        },
    )
    .expect("status");
    let h = j.history(Some(2)).expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].import_id.as_deref(), Some("IMP-2"));
    assert_eq!(h[1].import_id.as_deref(), Some("IMP-1"));
    assert!(h.iter().all(|s| s.created_at == at));
    assert_eq!(h[0].updated_at, at + Duration::from_secs(60));
    assert_eq!(h[1].updated_at, at);
    let events = j.events(h[0].id).expect("events");
    assert_eq!(events[0].at, at);
    assert_eq!(events[2].at, at + Duration::from_secs(60));
}

#[test]
fn two_threads_beginning_one_package_at_once_send_it_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    Journal::open(&path).expect("create");
    const THREADS: usize = 8;
    for round in 0..20 {
        let barrier = Arc::new(Barrier::new(THREADS));
        let p = sha(&format!("race {round}"));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (barrier, path, p) = (barrier.clone(), path.clone(), p.clone());
                std::thread::spawn(move || {
                    // One connection per thread, as separate processes would have.
                    let j = Journal::open(&path).expect("open");
                    barrier.wait();
                    match j.begin_submission(&p, 1, &SubmissionMeta::default(), false) {
                        Ok(t) => {
                            j.complete(t, "IMP").expect("complete");
                            true
                        }
                        Err(JournalError::AlreadySubmitted(_)) => false,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                })
            })
            .collect();
        let winners = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .filter(|w| *w)
            .count();
        assert_eq!(winners, 1, "round {round}");
    }
}

/// The child side of [`two_processes_beginning_one_package_at_once_send_it_once`]: does nothing
/// unless started by it.
#[test]
fn child_process_begin() {
    let (Ok(path), Ok(go), Ok(digest)) = (
        std::env::var("HAGUE_JOURNAL_CHILD_DB"),
        std::env::var("HAGUE_JOURNAL_CHILD_GO"),
        std::env::var("HAGUE_JOURNAL_CHILD_SHA"),
    ) else {
        return;
    };
    let j = Journal::open(Path::new(&path)).expect("open");
    while !Path::new(&go).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let p = Sha256Hex::parse(&digest).expect("sha");
    match j.begin_submission(&p, 1, &SubmissionMeta::default(), false) {
        Ok(t) => {
            j.complete(t, &format!("IMP-{}", std::process::id()))
                .expect("complete");
            println!("CHILD-RESULT won");
        }
        Err(JournalError::AlreadySubmitted(_)) => println!("CHILD-RESULT refused"),
        Err(e) => println!("CHILD-RESULT error {e}"),
    }
}

#[test]
fn two_processes_beginning_one_package_at_once_send_it_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    Journal::open(&path).expect("create");
    let exe = std::env::current_exe().expect("test binary");
    const CHILDREN: usize = 4;
    for round in 0..3 {
        let go = dir.path().join(format!("go-{round}"));
        let p = sha(&format!("process race {round}"));
        let children: Vec<_> = (0..CHILDREN)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "--exact",
                        "child_process_begin",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env("HAGUE_JOURNAL_CHILD_DB", &path)
                    .env("HAGUE_JOURNAL_CHILD_GO", &go)
                    .env("HAGUE_JOURNAL_CHILD_SHA", p.as_str())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn child")
            })
            .collect();
        std::fs::write(&go, b"go").expect("start signal");
        let mut won = 0;
        let mut refused = 0;
        for child in children {
            let out = child.wait_with_output().expect("child");
            assert!(out.status.success(), "child failed: {out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains("CHILD-RESULT won") {
                won += 1;
            } else if text.contains("CHILD-RESULT refused") {
                refused += 1;
            } else {
                panic!("child said: {text}");
            }
        }
        assert_eq!((won, refused), (1, CHILDREN - 1), "round {round}");
        let j = Journal::open(&path).expect("open");
        let subs = j.submissions_of_package(&p).expect("list");
        assert_eq!(subs.len(), 1);
        assert_ne!(subs[0].pid, std::process::id(), "a child began it");
    }
}

/// The child side of [`a_process_killed_after_begin_leaves_sending`]: begins, says so, and waits
/// to be killed. Does nothing unless started by it.
#[test]
fn child_process_begin_then_hang() {
    let (Ok(path), Ok(digest)) = (
        std::env::var("HAGUE_JOURNAL_HANG_DB"),
        std::env::var("HAGUE_JOURNAL_HANG_SHA"),
    ) else {
        return;
    };
    let j = Journal::open(Path::new(&path)).expect("open");
    let p = Sha256Hex::parse(&digest).expect("sha");
    let ticket = j.begin_submission(&p, 7, &meta("K"), false).expect("begin");
    println!("\nBEGUN {}", ticket.id());
    // The POST would be in flight here; the process is killed before any answer.
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn a_process_killed_after_begin_leaves_sending() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    let p = sha("killed");
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_process_begin_then_hang",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HAGUE_JOURNAL_HANG_DB", &path)
        .env("HAGUE_JOURNAL_HANG_SHA", p.as_str())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn child");
    let child_pid = child.id();
    let stdout = child.stdout.take().expect("stdout");
    let mut begun = false;
    for line in std::io::BufReader::new(stdout).lines() {
        // libtest prints "test NAME ... " before the child's own output on the same line.
        if line.expect("line").contains("BEGUN") {
            begun = true;
            break;
        }
    }
    assert!(begun, "the child began the submission");
    child.kill().expect("kill");
    child.wait().expect("reap");

    let j = Journal::open(&path).expect("reopen after the crash");
    let left = j.left_sending().expect("left sending");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].pid, child_pid);
    assert_eq!(left[0].package_size, 7);
    let err = j
        .begin_submission(&p, 7, &meta("K"), false)
        .expect_err("never resent automatically");
    assert!(
        matches!(err, JournalError::AlreadySubmitted(ref s) if s.state == SubmissionState::Sending)
    );
}

#[test]
fn a_damaged_file_is_a_clear_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    std::fs::write(&path, vec![0x5a; 8192]).expect("write garbage");
    let err = Journal::open(&path).expect_err("garbage");
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("damaged"), "{err}");
    assert!(err.hint().expect("hint").contains("move"));
    assert_eq!(
        std::fs::read(&path).expect("read").len(),
        8192,
        "left as it was"
    );

    // A real journal whose pages were overwritten past the header.
    let path = dir.path().join("damaged.sqlite");
    {
        let (j, p) = (Journal::open(&path).expect("open"), &path);
        let t = j
            .begin_submission(&sha("x"), 1, &meta("D"), false)
            .expect("begin");
        j.complete(t, "IMP-D").expect("complete");
        drop(j);
        let mut bytes = std::fs::read(p).expect("read");
        for b in bytes.iter_mut().skip(100) {
            *b = 0xa5;
        }
        std::fs::write(p, bytes).expect("damage");
        let _ = std::fs::remove_file(p.with_extension("sqlite-wal"));
        let _ = std::fs::remove_file(p.with_extension("sqlite-shm"));
    }
    let err = Journal::open(&path)
        .and_then(|j| j.history(None).map(|_| ()))
        .expect_err("damaged");
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err:?}");
}

#[test]
fn foreign_and_newer_databases_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let foreign = dir.path().join("other.sqlite");
    foreign_db(&foreign);
    assert!(matches!(
        Journal::open(&foreign),
        Err(JournalError::NotAJournal { .. })
    ));

    let path = dir.path().join("journal.sqlite");
    drop(Journal::open(&path).expect("create"));
    // A newer ipgate bumped the version.
    set_schema_version(&path, 99);
    let err = Journal::open(&path).expect_err("newer");
    assert!(
        matches!(
            err,
            JournalError::NewerSchema {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

/// Makes another application's SQLite database.
fn foreign_db(path: &Path) {
    sql(path, "CREATE TABLE photos (id INTEGER);");
}

fn set_schema_version(path: &Path, v: i64) {
    sql(path, &format!("UPDATE schema_version SET version = {v};"));
}

/// Runs SQL on a file directly, the way another program would.
fn sql(path: &Path, statements: &str) {
    let conn = rusqlite::Connection::open(path).expect("open with rusqlite");
    conn.execute_batch(statements).expect("run SQL");
}

#[test]
fn publications_are_recorded_and_found_by_week() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (j, _) = journal_in(dir.path());
    let rec = |week: &str, kind, data: &str, path: &str| NewPublication {
        week: week.into(),
        kind,
        sha256: Sha256Hex::digest(data.as_bytes()),
        size: data.len() as u64,
        path: dir.path().join(path),
    };
    j.record_publication(&rec(
        "202648",
        PublicationKind::Bulletin,
        "a",
        "bulletin-202648.zip",
    ))
    .expect("record");
    j.record_publication(&rec(
        "202647",
        PublicationKind::Bulletin,
        "b",
        "bulletin-202647.zip",
    ))
    .expect("record");
    j.record_publication(&rec(
        "202648",
        PublicationKind::ConfidentialCopy,
        "c",
        "copy-202648.zip",
    ))
    .expect("record");
    // The same week downloaded again to the same place: one record, the new digest.
    let again = j
        .record_publication(&rec(
            "202648",
            PublicationKind::Bulletin,
            "aa",
            "bulletin-202648.zip",
        ))
        .expect("record");
    let found = j
        .publication("202648", PublicationKind::Bulletin)
        .expect("query")
        .expect("found");
    assert_eq!(found.id, again.id);
    assert_eq!(found.sha256, Sha256Hex::digest(b"aa"));
    assert_eq!(found.size, 2);
    let weeks: Vec<String> = j
        .publications(PublicationKind::Bulletin)
        .expect("list")
        .into_iter()
        .map(|p| p.week)
        .collect();
    assert_eq!(weeks, ["202647", "202648"]);
    assert!(
        j.publication("202601", PublicationKind::Bulletin)
            .expect("query")
            .is_none()
    );
    for bad in ["2026-1", "../x", "", "2026488"] {
        assert!(matches!(
            j.publication(bad, PublicationKind::Bulletin),
            Err(JournalError::InvalidWeek { .. })
        ));
        assert!(matches!(
            j.record_publication(&rec(bad, PublicationKind::Bulletin, "z", "z.zip")),
            Err(JournalError::InvalidWeek { .. })
        ));
    }
}
