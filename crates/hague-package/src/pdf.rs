//! The smallest PDF every reader opens: one page, one line of text.
//!
//! Hague packages carry one PDF per decision (the legal document), so the sandbox's publications,
//! the demo's sample package and every test that builds a package need one. This is the one
//! writer: PDF 1.4 (ISO 32000-1 §7.5: header, numbered objects, a cross-reference table with the
//! byte offset of each object, trailer, `startxref`), with the offsets computed, not typed.

/// Appends a valid one-page PDF 1.4 showing `text` to `out`.
///
/// `text` is written with Helvetica; characters that are not printable ASCII become `?`, and
/// `(`, `)` and `\` are escaped as PDF literal strings require (§7.3.4.2).
///
/// ```
/// let mut out = Vec::new();
/// hague_package::pdf::write_one_page(&mut out, "Decision (DM/1)");
/// assert!(out.starts_with(b"%PDF-1.4\n") && out.ends_with(b"%%EOF\n"));
/// ```
pub fn write_one_page(out: &mut Vec<u8>, text: &str) {
    let mut literal = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                literal.push('\\');
                literal.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => literal.push(c),
            _ => literal.push('?'),
        }
    }
    let stream = format!("BT /F1 14 Tf 72 720 Td ({literal}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let start = out.len();
    out.extend_from_slice(b"%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len() - start);
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len() - start;
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
}

/// A valid one-page PDF 1.4 showing `text` (see [`write_one_page`]).
pub fn one_page(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(700);
    write_one_page(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset in the cross-reference table points at its object, and `startxref` at the
    /// table: what a PDF reader checks first.
    #[test]
    fn offsets_point_at_their_objects() {
        let mut out = b"prefix that is not part of the PDF".to_vec();
        let start = out.len();
        write_one_page(&mut out, "Grant (DM/1) \\ é");
        let pdf = &out[start..];
        let text = std::str::from_utf8(pdf).expect("ASCII only");
        assert!(text.contains("(Grant \\(DM/1\\) \\\\ ?)"), "{text}");
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(text[xref..].starts_with("xref\n0 6\n"));
        for (i, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj\n", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert_eq!(
            crate::FileKind::sniff(pdf),
            crate::FileKind::Pdf,
            "sniffed as a PDF"
        );
    }
}
