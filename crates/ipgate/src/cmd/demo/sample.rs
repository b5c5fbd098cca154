//! The demo's bundled sample, compiled into the binary so `ipgate demo` needs no file of ours: a
//! Hague refusal decision in ST.96 V7_0 (the skeleton from `shared/st96/samples/hague`, derived
//! from the ST.96 schema, not a WIPO sample) and a one-page PDF made here.

use std::path::Path;

/// The decision: a total refusal of `DM/200000` (ST.96 V7_0 header, as the HEC "Office to IB"
/// page prints it).
const REFUSAL_XML: &str = include_str!("refusal_total.xml");
/// The office reference in [`REFUSAL_XML`], replaced by one unique to each demo run.
const SAMPLE_REFERENCE: &str = "<com:OfficeReferenceIdentifier>OFFICE-REF-0001<";
/// The request date in [`REFUSAL_XML`], replaced by today.
const SAMPLE_REQUEST_DATE: &str = "<com:RequestDate>2025-01-15<";
/// The file name the XML's `com:DocumentIncluded/com:FileName` references.
pub const PDF_NAME: &str = "refusal.pdf";
/// The XML's file name in the package.
pub const XML_NAME: &str = "refusal_total.xml";

/// The decision with `reference` as `com:OfficeReferenceIdentifier` and `date` (`YYYY-MM-DD`) as
/// `com:RequestDate`. Each demo run sends a package of its own: the journal refuses to send the
/// same package twice, rightly.
pub fn refusal_xml(reference: &str, date: &str) -> String {
    REFUSAL_XML
        .replace(
            SAMPLE_REFERENCE,
            &format!("<com:OfficeReferenceIdentifier>{reference}<"),
        )
        .replace(SAMPLE_REQUEST_DATE, &format!("<com:RequestDate>{date}<"))
}

/// Writes the decision and its PDF into `dir` (created), returning the XML's path.
pub fn write_sample(
    dir: &Path,
    reference: &str,
    date: &str,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let xml = dir.join(XML_NAME);
    std::fs::write(&xml, refusal_xml(reference, date))?;
    std::fs::write(
        dir.join(PDF_NAME),
        hague_package::pdf::one_page(&format!(
            "Notification of refusal - {reference} (ipgate demo, sandbox only)"
        )),
    )?;
    Ok(xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_and_date_are_replaced() {
        let xml = refusal_xml("DEMO-42", "2026-12-05");
        assert!(
            xml.contains("<com:OfficeReferenceIdentifier>DEMO-42</"),
            "{xml}"
        );
        assert!(xml.contains("<com:RequestDate>2026-12-05</"), "{xml}");
        assert!(!xml.contains("OFFICE-REF-0001"));
        assert!(xml.contains(&format!("<com:FileName>{PDF_NAME}</")));
    }
}
