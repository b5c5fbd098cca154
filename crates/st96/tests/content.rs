//! Content the generator had to work around: mixed text in types extending mixed types,
//! MathML kept byte-faithfully, decimals kept as written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use st96::Root;
use st96::v6::hague::dgn::HagueOfficeToIbTransaction;

fn application() -> String {
    let p = common::samples_dir().join("hague/indirect_application_minimal.xml");
    common::as_v6(&std::fs::read_to_string(p).unwrap())
}

const STANDARD_NAME: &str =
    "<com:OrganizationStandardName>Example Corp.</com:OrganizationStandardName>";

/// `com:OrganizationOtherNameType` extends the mixed `com:PhraseType` without adding content;
/// xsd-parser 1.5.2 dropped its text until the generator patched it to `mixed="true"`.
#[test]
fn organization_other_name_keeps_its_text() {
    let xml = application().replacen(
        STANDARD_NAME,
        &format!(
            "{STANDARD_NAME}<com:OrganizationOtherName>Example Corporation Ltd.</com:OrganizationOtherName>"
        ),
        1,
    );
    let doc = HagueOfficeToIbTransaction::from_xml_str(&xml).unwrap();
    let out = doc.to_xml().unwrap();
    assert!(
        out.contains(
            "<com:OrganizationOtherName>Example Corporation Ltd.</com:OrganizationOtherName>"
        ),
        "{out}"
    );
    assert_eq!(
        common::canonical(xml.as_bytes()),
        common::canonical(out.as_bytes())
    );
}

/// MathML is kept as the original bytes: character references and prefixes survive.
#[test]
fn mathml_is_kept_byte_for_byte() {
    let math = "<mathml:math><mathml:mi>&#x394;</mathml:mi><mathml:mo>=</mathml:mo>\
                <mathml:mn>2</mathml:mn><!-- delta --></mathml:math>";
    let xml = application()
        .replacen(
            "xmlns:com=",
            "xmlns:mathml=\"http://www.w3.org/1998/Math/MathML3\" xmlns:com=",
            1,
        )
        .replacen(
            STANDARD_NAME,
            &format!(
                "<com:OrganizationStandardName>Example <com:OCRConfidenceData com:ocrConfidenceCode=\"1\">\
                 <com:UL><com:LI><com:Math>{math}</com:Math></com:LI></com:UL>\
                 </com:OCRConfidenceData> Corp.</com:OrganizationStandardName>"
            ),
            1,
        );
    let doc = HagueOfficeToIbTransaction::from_xml_str(&xml).unwrap();
    let out = doc.to_xml().unwrap();
    assert!(out.contains(math), "MathML changed:\n{out}");
    assert!(out.contains("xmlns:mathml=\"http://www.w3.org/1998/Math/MathML3\""));
    assert_eq!(
        common::canonical(xml.as_bytes()),
        common::canonical(out.as_bytes())
    );
    let again = HagueOfficeToIbTransaction::from_xml_str(&out).unwrap();
    assert_eq!(doc.value, again.value);
}
