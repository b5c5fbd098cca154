//! The XML 1.0 well-formedness rules `quick_xml` does not check, applied by the input guards
//! ([`super::guard`]) to the bytes every reader sees.
//!
//! `quick_xml` is a lenient tokenizer: it reads bytes that are not UTF-8, characters XML forbids,
//! any text after `<?xml`, comments holding `--`, names that are not XML names. A document that is
//! not well-formed XML is not XML at all (XML 1.0 §1.2: a "fatal error"), so the typed reader must
//! refuse it whatever its content, as WIPO's schema tools (and `xmllint`, `lxml`) do. References:
//! XML 1.0 (Fifth Edition) §2.2 `Char`, §2.3 `Name`, §2.4 `CharData`, §2.5 `Comment`, §2.6 `PI`,
//! §2.8 `XMLDecl`, §4.1 `CharRef`, and Namespaces in XML 1.0 §3 (`QName`, reserved prefixes).

/// Whether `c` is an XML 1.0 `Char` (§2.2).
#[inline]
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `b` is XML white space (§2.3 `S`).
#[inline]
pub(crate) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Why some bytes are not XML characters: the offset (in the slice) and the message.
pub(crate) type CharProblem = (usize, String);

/// Whether `bytes` hold a C0 control XML forbids (anything below U+0020 but tab, newline and
/// carriage return) and whether they hold a non-ASCII byte: one branch-free pass over 64-byte
/// chunks, so that it vectorises; callers look for the exact place only when needed.
fn control_and_high(bytes: &[u8]) -> (bool, bool) {
    let mut bad = false;
    let mut high = false;
    for chunk in bytes.chunks(64) {
        let mut b_acc = 0u8;
        let mut h_acc = 0u8;
        for &b in chunk {
            b_acc |= u8::from(b < 0x20)
                & u8::from(b != b'\t')
                & u8::from(b != b'\n')
                & u8::from(b != b'\r');
            h_acc |= b & 0x80;
        }
        bad |= b_acc != 0;
        high |= h_acc != 0;
    }
    (bad, high)
}

/// Checks that `bytes` are UTF-8 and hold only XML characters (no C0 controls other than tab,
/// newline and carriage return, no U+FFFE or U+FFFF; UTF-8 already excludes surrogates).
///
/// Fast on the common case: one branch-free pass over ASCII text.
pub(crate) fn check_chars(bytes: &[u8]) -> Result<(), CharProblem> {
    let (bad, high) = control_and_high(bytes);
    if bad
        && let Some(at) = bytes
            .iter()
            .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Err((
            at,
            format!(
                "U+{:04X} is a control character that XML 1.0 does not allow anywhere in a \
                 document",
                bytes[at]
            ),
        ));
    }
    if high {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.valid_up_to();
                return Err((
                    at,
                    format!(
                        "byte 0x{:02X} is not UTF-8 (ST.96 documents are UTF-8; a byte that is \
                         not UTF-8 is a fatal error in XML 1.0 §4.3.3)",
                        bytes[at]
                    ),
                ));
            }
        };
        // U+FFFE and U+FFFF (single-character searches are memchr-fast).
        for (c, name) in [('\u{FFFE}', "U+FFFE"), ('\u{FFFF}', "U+FFFF")] {
            if let Some(at) = text.find(c) {
                return Err((at, format!("{name} is not a character XML 1.0 allows")));
            }
        }
    }
    Ok(())
}

/// A piece of a stream checked by [`scan_chars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The first `n` bytes are UTF-8 XML characters; the rest (at most 3 bytes) starts a UTF-8
    /// sequence that the next piece may complete.
    Clean(usize),
    /// Something [`check_chars`] refuses is in the piece (or it may be: the caller checks again
    /// closely).
    Problem,
}

/// [`check_chars`] for a piece of a stream that may end inside a UTF-8 sequence: one
/// branch-free pass over 64-byte chunks, then UTF-8 validation only for pieces that hold
/// non-ASCII bytes, and U+FFFE / U+FFFF (`EF BF BE`, `EF BF BF`) looked for only in the 64-byte
/// chunks that hold a byte 0xEF.
pub(crate) fn scan_chars(bytes: &[u8]) -> Scan {
    let (bad, high) = control_and_high(bytes);
    if bad {
        return Scan::Problem;
    }
    if !high {
        return Scan::Clean(bytes.len());
    }
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => return Scan::Problem,
    };
    let text = &bytes[..valid];
    for (n, chunk) in text.chunks(64).enumerate() {
        if chunk.iter().fold(0u8, |acc, &b| acc | u8::from(b == 0xEF)) == 0 {
            continue;
        }
        for (i, _) in chunk.iter().enumerate().filter(|&(_, &b)| b == 0xEF) {
            let at = n * 64 + i;
            if text.get(at + 1) == Some(&0xBF) && matches!(text.get(at + 2), Some(0xBE | 0xBF)) {
                return Scan::Problem;
            }
        }
    }
    Scan::Clean(valid)
}

/// Names: bit [`NAME_START`] for ASCII `NameStartChar`s (colon excluded), bit [`NAME_CHAR`] for
/// ASCII `NameChar`s; non-ASCII bytes have neither (the full rules judge them).
const NAME_START: u8 = 1;
const NAME_CHAR: u8 = 2;
/// Bit for the colon (between a prefix and a local name).
const COLON: u8 = 4;
static NAME_TABLE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let start = c.is_ascii_alphabetic() || c == b'_';
        let name = start || c.is_ascii_digit() || c == b'-' || c == b'.';
        t[b] = if start {
            NAME_START | NAME_CHAR
        } else if name {
            NAME_CHAR
        } else if c == b':' {
            COLON
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Whether `name` is an ASCII namespace `QName` (one table look-up a byte, no branch); `false`
/// sends it to the full rules.
#[inline]
fn is_ascii_qname(name: &[u8]) -> bool {
    let mut all = 1u8;
    let mut colons = 0usize;
    for &b in name {
        all &= u8::from(NAME_TABLE[usize::from(b)] & (NAME_CHAR | COLON) != 0);
        colons += usize::from(b == b':');
    }
    let starts = |at: usize| {
        name.get(at)
            .is_some_and(|&b| NAME_TABLE[usize::from(b)] & NAME_START != 0)
    };
    if all == 0 || !starts(0) {
        return false;
    }
    match colons {
        0 => true,
        1 => name
            .iter()
            .position(|&b| b == b':')
            .is_some_and(|at| starts(at + 1)),
        _ => false,
    }
}

/// XML 1.0 §2.3 `NameStartChar` (the colon excluded: names are checked as namespace QNames).
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 §2.3 `NameChar` (the colon excluded).
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `name` is an `NCName` (a name without a colon).
fn is_ncname(name: &[u8]) -> bool {
    // ASCII fast path.
    if name.is_ascii() {
        return match name.split_first() {
            Some((first, rest)) => {
                (first.is_ascii_alphabetic() || *first == b'_')
                    && rest
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            }
            None => false,
        };
    }
    let Ok(s) = std::str::from_utf8(name) else {
        return false;
    };
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Checks an element or attribute name: an XML `Name` that is also a namespace `QName`
/// (`prefix:local` or `local`).
pub(crate) fn check_qname(name: &[u8]) -> Result<(), String> {
    if is_ascii_qname(name) {
        return Ok(());
    }
    let ok = match name.iter().position(|&b| b == b':') {
        None => is_ncname(name),
        Some(at) => is_ncname(&name[..at]) && is_ncname(&name[at + 1..]),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an XML name (a name starts with a letter or `_`, holds letters, digits, \
             `-`, `.`, `_`, and at most one `:` between a prefix and a local name)",
            String::from_utf8_lossy(name)
        ))
    }
}

/// Checks the content of a comment (between `<!--` and `-->`): no `--`, no `-` at the end.
pub(crate) fn check_comment(content: &[u8]) -> Result<(), String> {
    if content.windows(2).any(|w| w == b"--") {
        return Err(
            "a comment holds `--`, which XML 1.0 §2.5 does not allow inside comments".into(),
        );
    }
    if content.last() == Some(&b'-') {
        return Err(
            "a comment ends with `--->`; XML 1.0 §2.5 does not allow `-` before `-->`".into(),
        );
    }
    Ok(())
}

/// Checks a processing instruction (between `<?` and `?>`, not the XML declaration): its target
/// is a name other than `xml` in any case, followed by white space or the end.
pub(crate) fn check_pi(content: &[u8]) -> Result<(), String> {
    let end = content
        .iter()
        .position(|&b| is_xml_space(b))
        .unwrap_or(content.len());
    let target = &content[..end];
    if target.eq_ignore_ascii_case(b"xml") {
        return Err(
            "`<?xml` is allowed only as the XML declaration at the very start of the document \
             (remove it, or move it to the first line with nothing before it)"
                .into(),
        );
    }
    if !is_ncname(target) {
        return Err(format!(
            "the processing instruction target `{}` is not an XML name",
            String::from_utf8_lossy(target)
        ));
    }
    Ok(())
}

/// Checks the XML declaration (`content` is what lies between `<?` and `?>`):
/// `xml version="1.x" [encoding="EncName"] [standalone="yes|no"]`, in that order (§2.8).
pub(crate) fn check_decl(content: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(content);
    let bad = |why: &str| {
        Err(format!(
            "the XML declaration `<?{text}?>` is malformed: {why}; write <?xml version=\"1.0\" \
             encoding=\"UTF-8\"?>"
        ))
    };
    let Some(mut rest) = content.strip_prefix(b"xml") else {
        return bad("it must start with `<?xml`");
    };
    let mut seen_version = false;
    let mut order = 0;
    loop {
        let ws = rest.iter().take_while(|&&b| is_xml_space(b)).count();
        rest = &rest[ws..];
        if rest.is_empty() {
            break;
        }
        if ws == 0 {
            return bad("white space is needed before each pseudo-attribute");
        }
        let name_len = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let (name, after) = rest.split_at(name_len);
        let after = trim_start(after);
        let Some(after) = after.strip_prefix(b"=") else {
            return bad("a pseudo-attribute needs `=` and a quoted value");
        };
        let after = trim_start(after);
        let Some((&quote, after)) = after.split_first() else {
            return bad("a pseudo-attribute value is missing");
        };
        if quote != b'"' && quote != b'\'' {
            return bad("pseudo-attribute values are quoted");
        }
        let Some(close) = after.iter().position(|&b| b == quote) else {
            return bad("a quote is not closed");
        };
        let value = &after[..close];
        rest = &after[close + 1..];
        let (rank, ok) = match name {
            b"version" => (
                1,
                value.len() > 2
                    && value.starts_with(b"1.")
                    && value[2..].iter().all(u8::is_ascii_digit),
            ),
            b"encoding" => (
                2,
                value.first().is_some_and(u8::is_ascii_alphabetic)
                    && value
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')),
            ),
            b"standalone" => (3, value == b"yes" || value == b"no"),
            _ => return bad("only version, encoding and standalone may appear"),
        };
        if rank <= order {
            return bad("version, encoding and standalone come once each, in this order");
        }
        if rank > 1 && !seen_version {
            return bad("version comes first");
        }
        if !ok {
            return bad(match rank {
                1 => "version is 1.0",
                2 => "the encoding name is not valid",
                _ => "standalone is yes or no",
            });
        }
        seen_version |= rank == 1;
        order = rank;
    }
    if !seen_version {
        return bad("version is required");
    }
    Ok(())
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| is_xml_space(x)).count();
    &b[n..]
}

/// Checks the references in an attribute value (raw, as written): each `&` starts a predefined
/// entity or a character reference to an XML character, and no `<` appears (§3.1 `AttValue`).
pub(crate) fn check_attribute_value(raw: &[u8]) -> Result<(), String> {
    if raw.contains(&b'<') {
        return Err("`<` in an attribute value; write it as &lt;".into());
    }
    let mut from = 0;
    while let Some(p) = raw[from..].iter().position(|&b| b == b'&') {
        let at = from + p;
        let Some(len) = raw[at..].iter().position(|&b| b == b';') else {
            return Err(
                "`&` in an attribute value that starts no reference; write it as &amp;".into(),
            );
        };
        check_reference(&raw[at + 1..at + len])?;
        from = at + len + 1;
    }
    Ok(())
}

/// Checks a reference's name (between `&` and `;`): a predefined entity, or a character
/// reference to an XML character.
pub(crate) fn check_reference(name: &[u8]) -> Result<(), String> {
    if matches!(name, b"lt" | b"gt" | b"amp" | b"apos" | b"quot") {
        return Ok(());
    }
    let Some(num) = name.strip_prefix(b"#") else {
        return Err(format!(
            "reference to undeclared entity `&{};` (only &lt; &gt; &amp; &apos; &quot; and \
             character references are allowed)",
            String::from_utf8_lossy(name)
        ));
    };
    let code = match num.strip_prefix(b"x") {
        Some(hex) if !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit) => {
            std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        }
        Some(_) => None,
        None if !num.is_empty() && num.iter().all(u8::is_ascii_digit) => {
            std::str::from_utf8(num).ok().and_then(|d| d.parse().ok())
        }
        None => None,
    };
    match code.map(char::from_u32) {
        Some(Some(c)) if is_xml_char(c) => Ok(()),
        Some(_) => Err(format!(
            "`&{};` refers to a character XML 1.0 does not allow (§2.2)",
            String::from_utf8_lossy(name)
        )),
        None => Err(format!(
            "`&{};` is not a character reference (&#DDD; or &#xHHH;)",
            String::from_utf8_lossy(name)
        )),
    }
}

/// Checks a namespace declaration (Namespaces in XML 1.0 §3): `xmlns:p=""` is not allowed, the
/// `xml` prefix is bound to its namespace only, `xmlns` is never declared, and neither namespace
/// is bound to another prefix.
pub(crate) fn check_namespace_declaration(key: &[u8], value: &[u8]) -> Result<(), String> {
    const XML_NS: &[u8] = b"http://www.w3.org/XML/1998/namespace";
    const XMLNS_NS: &[u8] = b"http://www.w3.org/2000/xmlns/";
    let prefix = key.strip_prefix(b"xmlns:");
    let bad = |why: &str| {
        Err(format!(
            "namespace declaration {}=\"{}\": {why}",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(value)
        ))
    };
    match prefix {
        Some(b"xmlns") => bad("the xmlns prefix cannot be declared"),
        Some(b"xml") if value != XML_NS => bad("the xml prefix is bound to its own namespace only"),
        Some(b"xml") => Ok(()),
        Some(_) if value.is_empty() => bad("a prefix cannot be undeclared in XML 1.0"),
        _ if value == XML_NS || value == XMLNS_NS => {
            bad("this namespace is reserved for the xml and xmlns prefixes")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chars() {
        assert!(check_chars(b"plain\ttext\r\n").is_ok());
        assert!(check_chars("Δ \u{a0} \u{1F600}".as_bytes()).is_ok());
        for bad in [
            &b"a\x00"[..],
            b"\x07",
            b"x\x19",
            b"\x1A",
            b"\xFF",
            b"\xC3",
            b"\xEF\xBF\xBE",
        ] {
            assert!(check_chars(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_chars(b"0123\x07").map_err(|e| e.0), Err(4));
    }

    #[test]
    fn stream_pieces() {
        assert_eq!(scan_chars(b"plain\ttext\r\n"), Scan::Clean(12));
        assert_eq!(scan_chars("Δ \u{a0} \u{1F600}".as_bytes()), Scan::Clean(10));
        // A sequence cut at the end of the piece is left for the next one.
        assert_eq!(scan_chars(b"ab\xE2\x82"), Scan::Clean(2));
        assert_eq!(scan_chars(b"ab\xEF\xBF"), Scan::Clean(2));
        for bad in [
            &b"a\x00"[..],
            b"\x07",
            b"\xFF",
            b"x\xEF\xBF\xBEy",
            b"x\xEF\xBF\xBF",
        ] {
            assert_eq!(scan_chars(bad), Scan::Problem, "{bad:?}");
        }
        let long = [&[b'a'; 63][..], "\u{FFFE}".as_bytes()].concat();
        assert_eq!(scan_chars(&long), Scan::Problem);
    }

    #[test]
    fn ascii_names_agree_with_the_full_rules() {
        for name in [
            &b"com:P"[..],
            b"a",
            b"_x.y-z9",
            b"a:b",
            b"1x",
            b"a:b:c",
            b":a",
            b"a:",
            b"",
            b"a b",
            b"-a",
            b"a:1",
            b"a:_",
            b"xml:lang",
            b"a.",
            b".a",
            b"a::b",
        ] {
            let full = match name.iter().position(|&b| b == b':') {
                None => is_ncname(name),
                Some(at) => is_ncname(&name[..at]) && is_ncname(&name[at + 1..]),
            };
            assert!(!is_ascii_qname(name) || full, "{name:?}");
            assert_eq!(check_qname(name).is_ok(), full, "{name:?}");
        }
    }

    #[test]
    fn declarations() {
        for ok in [
            "xml version=\"1.0\"",
            "xml version='1.0' encoding='utf-8'",
            "xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"",
            "xml  version = \"1.0\" standalone=\"no\" ",
            "xml version=\"1.1\"",
        ] {
            assert!(check_decl(ok.as_bytes()).is_ok(), "{ok}");
        }
        for bad in [
            "xml",
            "xml encoding=\"UTF-8\"",
            "xml encoding=\"UTF-8\" version=\"1.0\"",
            "xml version=\"2.0\"",
            "xml version=\"1\"",
            "xml version=\"1.0\" standalone=\"maybe\"",
            "xml version=\"1.0\"encoding=\"UTF-8\"",
            "xml version=\"1.0\" foo=\"bar\"",
            "xml version=\"1.0\" encoding=\"8BIT\"",
            "xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"",
            "xml version=\"1.0' encoding=\"UTF-8\"",
        ] {
            assert!(check_decl(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_comments_pis_references() {
        assert!(check_qname(b"com:P").is_ok());
        assert!(check_qname("dgn:Désign".as_bytes()).is_ok());
        for bad in [&b"1x"[..], b"a:b:c", b":a", b"a:", b"", b"a b"] {
            assert!(check_qname(bad).is_err(), "{bad:?}");
        }
        assert!(check_comment(b" fine ").is_ok());
        assert!(check_comment(b" a -- b ").is_err());
        assert!(check_comment(b" x -").is_err());
        assert!(check_pi(b"pi data").is_ok());
        assert!(check_pi(b"xml-stylesheet href='a'").is_ok());
        for bad in [&b"XmL x"[..], b"1pi", b" pi", b""] {
            assert!(check_pi(bad).is_err(), "{bad:?}");
        }
        assert!(check_reference(b"#x394").is_ok());
        for bad in [
            &b"#0"[..],
            b"#x7",
            b"#xFFFE",
            b"#xD800",
            b"#x110000",
            b"#",
            b"#x",
            b"foo",
        ] {
            assert!(check_reference(bad).is_err(), "{bad:?}");
        }
        assert!(check_attribute_value(b"a &amp; b &#65;").is_ok());
        assert!(check_attribute_value(b"a < b").is_err());
        assert!(check_attribute_value(b"a & b").is_err());
    }
}
