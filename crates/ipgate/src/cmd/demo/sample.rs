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

/// A valid one-page PDF 1.4 with `text` on it (the legal document every decision carries: Hague
/// packages hold exactly one for a decision). Offsets in the cross-reference table are computed,
/// so any PDF reader opens it.
pub fn pdf(text: &str) -> Vec<u8> {
    let safe: String = text
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control() && !matches!(c, '(' | ')' | '\\'))
        .collect();
    let stream = format!("BT /F1 14 Tf 72 720 Td ({safe}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
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
        pdf(&format!(
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

    #[test]
    fn the_pdf_has_a_correct_cross_reference_table() {
        let pdf = pdf("hello (world)");
        let text = String::from_utf8(pdf.clone()).expect("ascii");
        assert!(text.starts_with("%PDF-1.4\n") && text.ends_with("%%EOF\n"));
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(text[startxref..].starts_with("xref\n0 6\n"));
        // Every in-use entry points at its object.
        for (i, line) in text[startxref..].lines().skip(3).take(5).enumerate() {
            let off: usize = line[..10].parse().expect("offset");
            assert!(
                text[off..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert!(
            !text.contains("(world)"),
            "parentheses are dropped from the text"
        );
    }
}
