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

/// `xs:decimal` keeps its text: `12345.00` is not turned into `12345` (xsd-parser maps it to f64).
#[test]
fn decimals_keep_their_text() {
    let fragment = std::fs::read_to_string(
        common::samples_dir().join("hague/payment_current_account_v7_fragment.xml"),
    )
    .unwrap();
    let start = fragment.find("<com:Payment ").unwrap();
    let payment = fragment[start..]
        .replacen(
            " xmlns:com=\"http://www.wipo.int/standards/XMLSchema/ST96/Common\"",
            "",
            1,
        )
        .replace("12345.00", "160.70");
    let xml = application().replacen(
        "</dgn:HagueApplication>",
        &format!("<com:PaymentBag>{payment}</com:PaymentBag></dgn:HagueApplication>"),
        1,
    );
    let doc = HagueOfficeToIbTransaction::from_xml_str(&xml).unwrap();
    let out = doc.to_xml().unwrap();
    assert!(out.contains(">160.70</com:FeePayableTotalAmount>"), "{out}");
    assert_eq!(
        common::canonical(xml.as_bytes()),
        common::canonical(out.as_bytes())
    );
    let bad = xml.replace("160.70", "160,70");
    let err = HagueOfficeToIbTransaction::from_xml_str(&bad).unwrap_err();
    assert!(err.to_string().contains("160,70"), "{err}");
}

/// A document declaring V4_0 is read with the V6_0 model and a warning naming both versions.
#[test]
fn v4_document_reads_with_a_warning() {
    let xml = application().replacen("com:st96Version=\"V6_0\"", "com:st96Version=\"V4_0\"", 1);
    let doc = HagueOfficeToIbTransaction::from_xml_str(&xml).unwrap();
    assert_eq!(doc.declared_version.as_deref(), Some("V4_0"));
    let w = doc
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    assert!(w.contains("V4_0") && w.contains("V6_0"), "{w}");
    assert!(doc.to_xml().unwrap().contains("com:st96Version=\"V4_0\""));
}
