//! The `weekId` of HWS publication routes: `yyyyww`, an ISO 8601 week.
//!
//! The HWS document (`GET /publication/bulletin/{weekId}`, `GET /publication/copy/confidential/{weekId}`)
//! says only "the weekId parameter format is yyyyww"; WIPO's FTP image archives are named
//! `iyyyyww.zip` (hws-facts §6.1). We read it as an ISO 8601 week-numbering year and week, because
//! the Bulletin is issued weekly (typically on Friday) and the ISO calendar is the one where every
//! week has exactly one Friday. Week 53 exists only in ISO years that have one (2020, 2026...).
//!
//! There is no clock in here: "the current week" and "in the future" take the date from the caller,
//! so tests and the sandbox's simulated clock decide what "today" is.

use std::fmt;
use std::str::FromStr;

use time::{Date, Weekday};

/// The first ISO year a [`WeekId`] may name. The Hague Agreement dates from 1925 and the
/// International Designs Bulletin from long after; a year before 1900 is a typo, not a bulletin.
pub const MIN_YEAR: i32 = 1900;
/// The last ISO year a [`WeekId`] may name (four digits).
pub const MAX_YEAR: i32 = 9999;

/// An ISO 8601 week, written `yyyyww` (e.g. `202614`), as used in HWS publication paths.
///
/// Only valid weeks can be built: `FromStr` refuses anything that is not six ASCII digits naming a
/// real ISO week of a year in [`MIN_YEAR`]..=[`MAX_YEAR`], so the `Display` form is always safe in a
/// URL path or a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeekId {
    // Field order matters: the derived Ord compares the year first.
    year: i32,
    week: u8,
}

/// Why a string is not a week id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekIdError {
    /// Nothing was given.
    #[error("the week id is empty; expected yyyyww, an ISO year and week such as 202614")]
    Empty,
    /// Not six characters long.
    #[error(
        "the week id {shown:?} has {len} characters; expected exactly six digits yyyyww (ISO year and week, e.g. 202614)"
    )]
    WrongLength {
        /// The input, shortened for display.
        shown: String,
        /// Its length in characters.
        len: usize,
    },
    /// A character that is not an ASCII digit.
    #[error(
        "the week id {shown:?} has {found:?} at position {position}; expected only digits yyyyww (e.g. 202614)"
    )]
    NotDigit {
        /// The input.
        shown: String,
        /// The offending character.
        found: char,
        /// Its position (0-based, in characters).
        position: usize,
    },
    /// The year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("the year {year} of the week id is out of range; expected {MIN_YEAR}..={MAX_YEAR}")]
    YearOutOfRange {
        /// The year read.
        year: i32,
    },
    /// Week `00`.
    #[error("week 00 does not exist; ISO weeks are numbered from 01")]
    WeekZero,
    /// A week past the last one of its ISO year (54 and up always; 53 in years with 52 weeks).
    #[error("ISO year {year} has {weeks} weeks; week {week} does not exist")]
    WeekOutOfRange {
        /// The year read.
        year: i32,
        /// The week read.
        week: u8,
        /// How many weeks that ISO year has (52 or 53).
        weeks: u8,
    },
}

impl WeekId {
    /// The week `week` of ISO year `year`, if it exists.
    pub fn new(year: i32, week: u8) -> Result<Self, WeekIdError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(WeekIdError::YearOutOfRange { year });
        }
        if week == 0 {
            return Err(WeekIdError::WeekZero);
        }
        let weeks = time::util::weeks_in_year(year);
        if week > weeks {
            return Err(WeekIdError::WeekOutOfRange { year, week, weeks });
        }
        Ok(WeekId { year, week })
    }

    /// The ISO week that contains `date`.
    ///
    /// Panics never; a date whose ISO year is outside [`MIN_YEAR`]..=[`MAX_YEAR`] is clamped to the
    /// nearest valid week (no HWS client runs in such a year).
    pub fn current(date: Date) -> Self {
        let (year, week, _) = date.to_iso_week_date();
        if year < MIN_YEAR {
            WeekId {
                year: MIN_YEAR,
                week: 1,
            }
        } else if year > MAX_YEAR {
            WeekId {
                year: MAX_YEAR,
                week: time::util::weeks_in_year(MAX_YEAR),
            }
        } else {
            WeekId { year, week }
        }
    }

    /// The ISO week-numbering year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The week number, 1..=53.
    pub fn week(self) -> u8 {
        self.week
    }

    /// `true` when this week starts after the week containing `today`: no issue can exist yet.
    /// The current week is not in the future (its issue may already be out, on Friday).
    pub fn is_future(self, today: Date) -> bool {
        self > WeekId::current(today)
    }

    /// The day of this week (`Monday`..`Sunday`).
    pub fn day(self, weekday: Weekday) -> Date {
        // The constructor only admits weeks that exist, in years `time` supports.
        Date::from_iso_week_date(self.year, self.week, weekday).unwrap_or(Date::MIN)
    }

    /// The Monday this week starts on.
    pub fn monday(self) -> Date {
        self.day(Weekday::Monday)
    }

    /// The Friday of this week: the usual publication day of the International Designs Bulletin
    /// (WIPO news "In Focus – The International Designs Bulletin", hws-facts §6.1).
    pub fn friday(self) -> Date {
        self.day(Weekday::Friday)
    }

    /// The week after this one, if it is still in range.
    pub fn next(self) -> Option<WeekId> {
        if self.week < time::util::weeks_in_year(self.year) {
            Some(WeekId {
                year: self.year,
                week: self.week + 1,
            })
        } else if self.year < MAX_YEAR {
            Some(WeekId {
                year: self.year + 1,
                week: 1,
            })
        } else {
            None
        }
    }

    /// The week before this one, if it is still in range.
    pub fn previous(self) -> Option<WeekId> {
        if self.week > 1 {
            Some(WeekId {
                year: self.year,
                week: self.week - 1,
            })
        } else if self.year > MIN_YEAR {
            let year = self.year - 1;
            Some(WeekId {
                year,
                week: time::util::weeks_in_year(year),
            })
        } else {
            None
        }
    }
}

impl fmt::Display for WeekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.week)
    }
}

fn shown(s: &str) -> String {
    const MAX: usize = 32;
    if s.chars().count() > MAX {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    } else {
        s.to_owned()
    }
}

impl FromStr for WeekId {
    type Err = WeekIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(WeekIdError::Empty);
        }
        let len = s.chars().count();
        if let Some((position, found)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            // A six-character input with a separator (`2025-1`) or a path (`../x`) gets the
            // character named; a long input gets its length named first only if all digits.
            return Err(WeekIdError::NotDigit {
                shown: shown(s),
                found,
                position,
            });
        }
        if len != 6 {
            return Err(WeekIdError::WrongLength {
                shown: shown(s),
                len,
            });
        }
        let digits = s.as_bytes();
        let num = |r: std::ops::Range<usize>| {
            digits[r]
                .iter()
                .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'))
        };
        let year = num(0..4);
        let week = u8::try_from(num(4..6)).unwrap_or(u8::MAX);
        WeekId::new(year, week)
    }
}

impl serde::Serialize for WeekId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for WeekId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    fn date(y: i32, m: Month, d: u8) -> Date {
        Date::from_calendar_date(y, m, d).expect("valid date")
    }

    #[test]
    fn parses_and_displays_real_weeks() {
        for s in [
            "202001", "202053", "202614", "202653", "202552", "190001", "999952",
        ] {
            let w: WeekId = s.parse().expect(s);
            assert_eq!(w.to_string(), s);
        }
        let w: WeekId = "202614".parse().expect("valid");
        assert_eq!((w.year(), w.week()), (2026, 14));
    }

    #[test]
    fn refuses_the_documented_bad_ids() {
        assert_eq!("".parse::<WeekId>(), Err(WeekIdError::Empty));
        assert_eq!(
            "202699".parse::<WeekId>(),
            Err(WeekIdError::WeekOutOfRange {
                year: 2026,
                week: 99,
                weeks: 53
            })
        );
        assert!(matches!(
            "2025-01".parse::<WeekId>(),
            Err(WeekIdError::NotDigit {
                found: '-',
                position: 4,
                ..
            })
        ));
        assert!(matches!(
            "../x".parse::<WeekId>(),
            Err(WeekIdError::NotDigit {
                found: '.',
                position: 0,
                ..
            })
        ));
        assert_eq!(
            "000000".parse::<WeekId>(),
            Err(WeekIdError::YearOutOfRange { year: 0 })
        );
        assert_eq!("202600".parse::<WeekId>(), Err(WeekIdError::WeekZero));
        assert_eq!(
            "202654".parse::<WeekId>(),
            Err(WeekIdError::WeekOutOfRange {
                year: 2026,
                week: 54,
                weeks: 53
            })
        );
        // 2025 has 52 ISO weeks, 2026 has 53.
        assert_eq!(
            "202553".parse::<WeekId>(),
            Err(WeekIdError::WeekOutOfRange {
                year: 2025,
                week: 53,
                weeks: 52
            })
        );
        assert!(matches!(
            "20261".parse::<WeekId>(),
            Err(WeekIdError::WrongLength { len: 5, .. })
        ));
        assert!(matches!(
            "2026014".parse::<WeekId>(),
            Err(WeekIdError::WrongLength { len: 7, .. })
        ));
        assert!(matches!(
            " 202614".parse::<WeekId>(),
            Err(WeekIdError::NotDigit { found: ' ', .. })
        ));
        assert!(matches!(
            "２０２６１４".parse::<WeekId>(),
            Err(WeekIdError::NotDigit { position: 0, .. })
        ));
    }

    #[test]
    fn current_week_follows_iso_rules() {
        // 1 January 2027 is a Friday in ISO week 53 of 2026.
        assert_eq!(
            WeekId::current(date(2027, Month::January, 1)).to_string(),
            "202653"
        );
        // 29 December 2025 is the Monday of ISO week 1 of 2026.
        assert_eq!(
            WeekId::current(date(2025, Month::December, 29)).to_string(),
            "202601"
        );
        let w: WeekId = "202614".parse().expect("valid");
        assert_eq!(w.monday(), date(2026, Month::March, 30));
        assert_eq!(w.friday(), date(2026, Month::April, 3));
    }

    #[test]
    fn future_is_after_the_current_week() {
        let today = date(2026, Month::December, 5); // Saturday of week 49
        let this: WeekId = "202649".parse().expect("valid");
        assert!(!this.is_future(today));
        assert!(this.next().expect("next").is_future(today));
        assert!(!this.previous().expect("prev").is_future(today));
        assert!("202701".parse::<WeekId>().expect("valid").is_future(today));
    }

    #[test]
    fn next_and_previous_cross_years() {
        let last: WeekId = "202653".parse().expect("valid");
        assert_eq!(last.next().expect("next").to_string(), "202701");
        let first: WeekId = "202701".parse().expect("valid");
        assert_eq!(first.previous().expect("prev").to_string(), "202653");
        let first25: WeekId = "202601".parse().expect("valid");
        assert_eq!(first25.previous().expect("prev").to_string(), "202552");
        assert_eq!(WeekId::new(MIN_YEAR, 1).expect("valid").previous(), None);
    }

    #[test]
    fn serde_round_trip_refuses_bad_ids() {
        let w: WeekId = "202614".parse().expect("valid");
        let json = serde_json::to_string(&w).expect("ser");
        assert_eq!(json, "\"202614\"");
        assert_eq!(serde_json::from_str::<WeekId>(&json).expect("de"), w);
        assert!(serde_json::from_str::<WeekId>("\"202699\"").is_err());
    }
}
