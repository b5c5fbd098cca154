//! `st96::by_kind::parse_by_kind`: the model is chosen by the detected kind.

mod common;

use st96::by_kind::{kinds_with_model, parse_by_kind};
use st96::detect::{DocumentKind, detect};

#[test]
fn each_kind_with_a_model_is_read_and_others_have_none() {
    let dir = common::samples_dir();
    let grant = std::fs::read(dir.join("hague/grant_no_prior_refusal.xml")).expect("sample");
    let found = detect(&grant).expect("detect");
    let parsed = parse_by_kind(&grant, &found)
        .expect("a model")
        .expect("valid");
    assert_eq!(parsed.kind, found.kind);
    assert!(kinds_with_model().contains(&parsed.kind));

    // A patent publication is ST.96 but no model here reads it.
    let patent =
        std::fs::read(dir.join("annex-vii/PatentPublication_Example.xml")).expect("sample");
    let found = detect(&patent).expect("detect");
    assert!(!kinds_with_model().contains(&found.kind));
    assert!(parse_by_kind(&patent, &found).is_none());

    // The kind decides: a broken document of a kind with a model gives the typed parse's error.
    let broken = String::from_utf8(grant)
        .expect("utf-8")
        .replacen("</dgn:", "</dgn:X", 1);
    let found = detect(broken.as_bytes()).expect("detect reads the root only");
    assert!(matches!(
        found.kind,
        DocumentKind::HagueIBToOfficeTransaction | DocumentKind::HagueOfficeToIBTransaction
    ));
    assert!(
        parse_by_kind(broken.as_bytes(), &found)
            .expect("a model")
            .is_err()
    );
}
