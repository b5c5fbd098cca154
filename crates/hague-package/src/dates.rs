//! Calendar checks for ST.96 dates (`com:DateType`: xsd:date, gYearMonth or gYear) and date-times.

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn strip_zone(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_suffix('Z') {
        return Some(rest);
    }
    if s.len() > 6 {
        let (head, tz) = s.split_at(s.len() - 6);
        let b = tz.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let h = digits(&tz[1..3], 2)?;
            let m = digits(&tz[4..6], 2)?;
            return (h < 14 || (h == 14 && m == 0))
                .then_some(head)
                .filter(|_| m < 60);
        }
    }
    Some(s)
}

fn date_part(s: &str) -> bool {
    let mut it = s.splitn(3, '-');
    let (Some(y), m, d) = (it.next(), it.next(), it.next()) else {
        return false;
    };
    let Some(year) = (y.len() >= 4 && y.bytes().all(|b| b.is_ascii_digit()))
        .then(|| y.parse::<i64>().ok())
        .flatten()
    else {
        return false;
    };
    match (m, d) {
        (None, None) => year > 0,
        (Some(m), None) => digits(m, 2).is_some_and(|m| (1..=12).contains(&m)),
        (Some(m), Some(d)) => match (digits(m, 2), digits(d, 2)) {
            (Some(m), Some(d)) => (1..=12).contains(&m) && d >= 1 && d <= days_in_month(year, m),
            _ => false,
        },
        _ => false,
    }
}

fn time_part(s: &str) -> bool {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
        return false;
    }
    let p: Vec<&str> = hms.split(':').collect();
    if p.len() != 3 {
        return false;
    }
    match (digits(p[0], 2), digits(p[1], 2), digits(p[2], 2)) {
        (Some(h), Some(m), Some(sec)) => {
            (h < 24 && m < 60 && sec < 60) || (h == 24 && m == 0 && sec == 0)
        }
        _ => false,
    }
}

/// `true` if `value` is a real date (`2025-02-28`, `2025-02`, `2025`, with optional time zone) or,
/// with a `T`, a real date-time.
///
/// ```
/// assert!(hague_package::is_real_date("2024-02-29"));
/// assert!(!hague_package::is_real_date("2025-02-29"));
/// assert!(hague_package::is_real_date("2025-01-15T10:00:00Z"));
/// ```
pub fn is_real_date(value: &str) -> bool {
    let v = value.trim();
    let Some(v) = strip_zone(v) else { return false };
    match v.split_once('T') {
        Some((d, t)) => {
            d.len() >= 10 && date_part(d) && d.matches('-').count() == 2 && time_part(t)
        }
        None => date_part(v),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in [
            "2025-01-15",
            "2000-02-29",
            "2025-12",
            "2025",
            "2025-01-15+01:00",
            "2025-01-15Z",
            "2025-01-15T23:59:59.5-05:00",
        ] {
            assert!(is_real_date(ok), "{ok}");
        }
        for bad in [
            "2025-13-01",
            "1900-02-29",
            "2025-04-31",
            "2025-1-1",
            "25-01-01",
            "x",
            "",
            "2025-01-15T25:00:00",
            "2025-00",
            "2025-01-15+15:00",
        ] {
            assert!(!is_real_date(bad), "{bad}");
        }
    }
}
