//! `st96::checks::FIXED_ELEMENTS` lists every fixed-valued element of the schemas the models are
//! generated from (checked against the installed WIPO files, so a new schema version cannot add
//! one unnoticed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use st96::checks::FIXED_ELEMENTS;
use st96::detect::{COMMON_NS, DESIGN_NS};

/// The installed V6_0 schemas (`tools/install-schemas.py`), or WIPO's files in
/// `../shared/st96/V6_0` (`IPGATE_ST96_SOURCE`, as `tools/test.sh`).
fn schema_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let installed = manifest.join("../../xsd/wipo/V6_0");
    if installed.is_dir() {
        return installed;
    }
    let source = std::env::var_os("IPGATE_ST96_SOURCE")
        .map_or_else(|| manifest.join("../../../shared/st96/V6_0"), PathBuf::from);
    assert!(
        source.is_dir(),
        "ST.96 V6_0 schemas not found in xsd/wipo/V6_0 nor {}; run \
         `python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0`",
        source.display()
    );
    source
}

/// `(namespace, name, fixed value)` of every `<xsd:element name=".." fixed="..">` in `file`.
fn fixed_elements(file: &str, namespace: &'static str) -> BTreeSet<(&'static str, String, String)> {
    let path = schema_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let tag = regex::Regex::new(r"<xsd:element\s[^>]*>").unwrap();
    let name = regex::Regex::new(r#"\sname="([^"]*)""#).unwrap();
    let fixed = regex::Regex::new(r#"\sfixed="([^"]*)""#).unwrap();
    let attr = |re: &regex::Regex, t: &str| re.captures(t).map(|c| c[1].to_owned());
    tag.find_iter(&text)
        .filter_map(|m| {
            let t = m.as_str();
            Some((namespace, attr(&name, t)?, attr(&fixed, t)?))
        })
        .collect()
}

#[test]
fn table_lists_every_fixed_element_of_the_generated_roots() {
    // The files the generator reads (tools/st96-codegen/src/schema_set.rs): Common, Design and
    // the root files of the `hague` and `design` features.
    let mut in_schemas = fixed_elements("Common_V6_0.xsd", COMMON_NS);
    for file in [
        "Design_V6_0.xsd",
        "HagueOfficeToIBTransaction_V6_0.xsd",
        "HagueIBToOfficeTransaction_V6_0.xsd",
        "DesignApplication_V6_0.xsd",
        "DesignTransaction_V6_0.xsd",
    ] {
        in_schemas.extend(fixed_elements(file, DESIGN_NS));
    }
    let in_table: BTreeSet<_> = FIXED_ELEMENTS
        .iter()
        .map(|f| (f.namespace, f.local_name().to_owned(), f.value.to_owned()))
        .collect();
    assert_eq!(
        in_table, in_schemas,
        "st96::checks::FIXED_ELEMENTS differs from the fixed-valued elements of the schemas"
    );
    assert!(
        in_schemas.len() >= 2,
        "the V6_0 Design schemas fix at least two elements"
    );
    for f in FIXED_ELEMENTS {
        let prefix = if f.namespace == DESIGN_NS {
            "dgn"
        } else {
            "com"
        };
        assert_eq!(f.qname, format!("{prefix}:{}", f.local_name()));
        assert!(!f.fix.is_empty());
    }
}
