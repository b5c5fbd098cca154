//! Round trip of every whole-document sample in `../shared/st96/samples/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use st96::detect::Warning;
use st96::v6::hague::dgn::HagueOfficeToIbTransaction;
use st96::{Document, Root};

/// Whole Office-to-IB documents among the Hague samples (the others are fragments).
fn hague_documents() -> Vec<(String, String)> {
    let dir = common::samples_dir().join("hague");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".xml")
            || name.contains("fragment")
            || name.starts_with("root_start_tag")
        {
            continue;
        }
        let xml = std::fs::read_to_string(&p).unwrap();
        if xml.contains("</dgn:HagueOfficeToIBTransaction>") {
            out.push((name, xml));
        }
    }
    out.sort();
    assert!(
        out.len() >= 7,
        "expected the Hague skeletons, found {}",
        out.len()
    );
    out
}

fn round_trip(name: &str, xml: &str) -> Document<HagueOfficeToIbTransaction> {
    let doc =
        HagueOfficeToIbTransaction::from_xml_str(xml).unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = doc.to_xml().unwrap();
    assert!(
        out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{name}: {out}"
    );
    assert_eq!(
        common::canonical(xml.as_bytes()),
        common::canonical(out.as_bytes()),
        "{name}: canonical XML differs after a round trip:\n{out}"
    );
    let again = HagueOfficeToIbTransaction::from_xml_str(&out).unwrap();
    assert_eq!(doc.value, again.value, "{name}: typed values differ");
    assert_eq!(doc.schema_location(), again.schema_location());
    let decls: Vec<_> = doc.namespace_declarations().collect();
    let decls_again: Vec<_> = again.namespace_declarations().collect();
    assert_eq!(decls, decls_again, "{name}: namespace declarations");
    doc
}

#[test]
fn hague_samples_round_trip_as_v6() {
    for (name, xml) in hague_documents() {
        let xml = common::as_v6(&xml);
        let doc = round_trip(&name, &xml);
        assert!(doc.warnings.is_empty(), "{name}: {:?}", doc.warnings);
        assert_eq!(doc.value.st96_version(), "V6_0");
        assert!(
            doc.schema_location().is_some(),
            "{name}: schemaLocation kept"
        );
    }
}

#[test]
fn hague_samples_as_published_v7_parse_with_a_warning() {
    for (name, xml) in hague_documents() {
        let doc = round_trip(&name, &xml);
        assert_eq!(doc.declared_version.as_deref(), Some("V7_0"));
        assert_eq!(
            doc.warnings,
            vec![Warning::VersionDiffers {
                declared: "V7_0".into(),
                model: "V6_0"
            }],
            "{name}"
        );
        assert!(doc.warnings[0].to_string().contains("V7_0"));
    }
}

/// WIPO's Annex VII design application example round-trips through the `design` models.
#[cfg(feature = "design")]
#[test]
fn annex_vii_design_application_round_trips() {
    use st96::v6::design::dgn::DesignApplication;
    let path = common::samples_dir().join("annex-vii/DesignApplication_Example.xml");
    let xml = std::fs::read(&path).unwrap();
    let doc = DesignApplication::from_xml(&xml).unwrap();
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
    let out = doc.to_xml().unwrap();
    assert_eq!(
        common::canonical(&xml),
        common::canonical(out.as_bytes()),
        "{out}"
    );
    let again = DesignApplication::from_xml_str(&out).unwrap();
    assert_eq!(doc.value, again.value);
    assert_eq!(doc.schema_location(), again.schema_location());
}

/// A value written without its original document gets the standard declarations and reads back
/// equal.
#[test]
fn value_written_alone_reads_back_equal() {
    for (name, xml) in hague_documents() {
        let doc = HagueOfficeToIbTransaction::from_xml_str(&common::as_v6(&xml)).unwrap();
        let out = doc.value.to_xml().unwrap();
        assert!(
            out.contains("xmlns:com=\"http://www.wipo.int/standards/XMLSchema/ST96/Common\"")
                && out
                    .contains("xmlns:dgn=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\""),
            "{name}: {out}"
        );
        let again = HagueOfficeToIbTransaction::from_xml_str(&out).unwrap();
        assert_eq!(again.value, doc.value, "{name}");
        assert_eq!(again.schema_location(), None);
        assert_eq!(Document::new(doc.value.clone()).to_xml().unwrap(), out);
    }
}
