//! Calendar dates as days since 1970-01-01: four bytes per transaction, exact day arithmetic.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A calendar date (proleptic Gregorian), stored as the number of days since 1970-01-01.
///
/// Years 1 to 9999 are supported. Ordering and subtraction are day-exact, which is all
/// recency and tenure need; times of day are not kept.
///
/// ```
/// use segcore::data::Date;
/// let d = Date::parse("2025-03-01")?;
/// assert_eq!(d.to_ymd(), (2025, 3, 1));
/// assert_eq!(d.days_since(Date::from_ymd(2024, 3, 1)?), 365);
/// assert_eq!(Date::parse("20240229")?.to_string(), "2024-02-29");
/// assert!(Date::parse("2025-02-29").is_err()); // not a leap year
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i32,
}

/// First and last supported year: four-digit years keep parsing and printing unambiguous.
const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Why a date is not valid, in words; `None` when it is.
fn ymd_problem(year: i32, month: u32, day: u32) -> Option<String> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Some(format!("year {year} is outside 1..=9999"));
    }
    if !(1..=12).contains(&month) {
        return Some(format!("month {month} is outside 1..=12"));
    }
    let last = days_in_month(year, month);
    if day == 0 || day > last {
        return Some(format!(
            "day {day} does not exist in {year}-{month:02} (1..={last})"
        ));
    }
    None
}

impl Date {
    /// The Unix epoch, 1970-01-01.
    pub const EPOCH: Date = Date { days: 0 };

    /// Builds a date from year, month (1-12) and day (1-31), checking that the day exists
    /// (29 February only in leap years).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date> {
        match ymd_problem(year, month, day) {
            Some(problem) => Err(Error::invalid_parameter(
                "date",
                format!("{year:04}-{month:02}-{day:02}"),
                format!("an existing calendar date ({problem})"),
            )),
            None => Ok(Date::from_valid_ymd(year, month, day)),
        }
    }

    /// Days-from-civil (H. Hinnant's algorithm); the caller has checked the date exists.
    fn from_valid_ymd(year: i32, month: u32, day: u32) -> Date {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400; // [0, 399]
        let m = month as i32;
        let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
        let doy = (153 * mp + 2) / 5 + day as i32 - 1; // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
        Date {
            days: era * 146_097 + doe - 719_468,
        }
    }

    /// The date given as the parameter `name` in days since 1970-01-01 (how the bindings pass
    /// dates), or [`Error::InvalidParameter`] naming `name` when it falls outside years 1..=9999.
    ///
    /// ```
    /// use segcore::data::Date;
    /// assert_eq!(Date::parameter("as_of", 0).unwrap().to_string(), "1970-01-01");
    /// assert!(Date::parameter("as_of", i64::MAX).unwrap_err().to_string().contains("as_of"));
    /// ```
    pub fn parameter(name: &'static str, days: i64) -> Result<Date> {
        i32::try_from(days)
            .ok()
            .and_then(|d| Date::from_days_since_epoch(d).ok())
            .ok_or_else(|| Error::invalid_parameter(name, days, "a date in years 1..=9999"))
    }

    /// Builds a date from days since 1970-01-01.
    ///
    /// Fails when the result would fall outside years 1..=9999.
    pub fn from_days_since_epoch(days: i32) -> Result<Date> {
        let min = Date::from_valid_ymd(MIN_YEAR, 1, 1).days;
        let max = Date::from_valid_ymd(MAX_YEAR, 12, 31).days;
        if !(min..=max).contains(&days) {
            return Err(Error::invalid_parameter(
                "days",
                days,
                format!("days since 1970-01-01 within {min}..={max} (years 1 to 9999)"),
            ));
        }
        Ok(Date { days })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i32 {
        self.days
    }

    /// Year, month (1-12) and day (1-31).
    pub fn to_ymd(self) -> (i32, u32, u32) {
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// Whole days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i32 {
        self.days - earlier.days
    }

    /// The date `days` days later (earlier when negative); `None` outside years 1..=9999.
    pub fn checked_add_days(self, days: i32) -> Option<Date> {
        self.days
            .checked_add(days)
            .and_then(|d| Date::from_days_since_epoch(d).ok())
    }

    /// Parses a date written as
    /// - ISO `YYYY-MM-DD`, optionally followed by a time after `T` or a space
    ///   (`2011-12-09T12:50:00`, `2011-12-09 12:50`), which is ignored;
    /// - compact `YYYYMMDD` (the CDNOW raw file);
    /// - German `DD.MM.YYYY` and day-first `DD-MM-YYYY`, optionally followed by a space and a
    ///   time (a month above 12 with a day up to 12, `12-31-2025`, is month-first and refused).
    ///
    /// Slashed dates (`12/01/2010`) are rejected on purpose: `MM/DD` and `DD/MM` cannot be told
    /// apart, and a silently swapped day and month would corrupt recency.
    pub fn parse(text: &str) -> Result<Date> {
        parse_date(text).map_err(|message| Error::Parse {
            source_name: "<input>".into(),
            line: 1,
            column: "date".into(),
            message,
        })
    }
}

/// Parses the formats of [`Date::parse`]; the error is a message naming the text and the problem.
pub(crate) fn parse_date(text: &str) -> std::result::Result<Date, String> {
    let s = text.trim();
    let bytes = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0u32, |acc, &b| {
            acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
        })
    };
    // A trailing time must be separated by 'T' or a space and start with a digit; its value is
    // not used (dates are day-exact), but stray text after a date is an error, not ignored.
    let time_ok = |rest: &[u8], allow_t: bool| -> bool {
        rest.is_empty()
            || (rest.len() >= 2
                && (rest[0] == b' ' || (allow_t && rest[0] == b'T'))
                && rest[1].is_ascii_digit())
    };
    let fields = if bytes.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        if !time_ok(&bytes[10..], true) {
            None
        } else {
            digits(0..4).zip(digits(5..7)).zip(digits(8..10))
        }
        .map(|((y, m), d)| (y, m, d))
    } else if bytes.len() == 8 {
        digits(0..4)
            .zip(digits(4..6))
            .zip(digits(6..8))
            .map(|((y, m), d)| (y, m, d))
    } else if bytes.len() >= 10
        && ((bytes[2] == b'.' && bytes[5] == b'.') || (bytes[2] == b'-' && bytes[5] == b'-'))
    {
        if !time_ok(&bytes[10..], false) {
            None
        } else {
            digits(6..10).zip(digits(3..5)).zip(digits(0..2))
        }
        .map(|((y, m), d)| (y, m, d))
    } else {
        None
    };
    let Some((year, month, day)) = fields else {
        return Err(format!(
            "cannot read `{text}` as a date; expected YYYY-MM-DD (optionally followed by a time), \
             YYYYMMDD, DD.MM.YYYY or DD-MM-YYYY"
        ));
    };
    let year = year as i32; // at most 4 digits
    let day_first = bytes.len() >= 10 && (bytes[2] == b'.' || bytes[2] == b'-');
    match ymd_problem(year, month, day) {
        // 12-31-2025: the American month-first order, which DD-MM-YYYY cannot be told from
        // when both are <= 12; refused rather than guessed.
        Some(_) if day_first && month > 12 && day <= 12 => Err(format!(
            "`{text}` is not a day-first date (DD-MM-YYYY or DD.MM.YYYY): month {month} does \
             not exist; month-first dates (MM-DD-YYYY) are not read, since 03-04-2025 would be \
             ambiguous: write dates as YYYY-MM-DD"
        )),
        Some(problem) => Err(format!("`{text}` is not a calendar date: {problem}")),
        None => Ok(Date::from_valid_ymd(year, month, day)),
    }
}

impl FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Date> {
        Date::parse(s)
    }
}

impl fmt::Display for Date {
    /// ISO 8601 `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Serialised as an ISO `YYYY-MM-DD` string, so saved documents stay readable.
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_date(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        let start = Date::from_ymd(1900, 1, 1).unwrap();
        let mut expected = (1900, 1, 1);
        for offset in 0..146_097 + 365 {
            let d = Date {
                days: start.days + offset,
            };
            assert_eq!(d.to_ymd(), expected, "offset {offset}");
            assert_eq!(
                Date::from_ymd(expected.0, expected.1, expected.2).unwrap(),
                d
            );
            let (y, m, day) = expected;
            expected = if day < days_in_month(y, m) {
                (y, m, day + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn known_anchors() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap(), Date::EPOCH);
        assert_eq!(
            Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch(),
            11_017
        );
        assert_eq!(Date::from_ymd(1969, 12, 31).unwrap().days_since_epoch(), -1);
        let a = Date::from_ymd(1997, 1, 1).unwrap();
        let b = Date::from_ymd(1998, 6, 30).unwrap();
        assert_eq!(b.days_since(a), 545);
        assert_eq!(a.days_since(b), -545);
        assert_eq!(a.checked_add_days(545), Some(b));
        assert_eq!(
            Date::from_ymd(9999, 12, 31).unwrap().checked_add_days(1),
            None
        );
    }

    #[test]
    fn parses_supported_formats() {
        let d = Date::from_ymd(2011, 12, 9).unwrap();
        for text in [
            "2011-12-09",
            " 2011-12-09 ",
            "2011-12-09T12:50:00",
            "2011-12-09 12:50",
            "20111209",
            "09.12.2011",
            "09.12.2011 08:26",
            "09-12-2011",
            "09-12-2011 08:26",
        ] {
            assert_eq!(Date::parse(text).unwrap(), d, "{text}");
        }
        assert_eq!(
            "2024-02-29".parse::<Date>().unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(Date::parse("2000-02-29").unwrap().to_ymd(), (2000, 2, 29));
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        for text in [
            "2025-02-29",
            "1900-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-01-00",
            "20250230",
            "12/01/2010",
            "2025-1-5",
            "2025-01-05x",
            "2025-01-05T",
            "+2025-01-05",
            "",
            "0000-01-01",
            "32.01.2025",
            "12-31-2025",
            "31-02-2025",
        ] {
            let err = Date::parse(text).unwrap_err();
            assert!(matches!(err, Error::Parse { .. }), "{text}: {err}");
        }
        let msg = Date::parse("2025-02-29").unwrap_err().to_string();
        assert!(msg.contains("day 29 does not exist in 2025-02"), "{msg}");
        let msg = Date::parse("12-31-2025").unwrap_err().to_string();
        assert!(msg.contains("month-first"), "{msg}");
        assert!(matches!(
            Date::from_ymd(2023, 2, 29),
            Err(Error::InvalidParameter { name: "date", .. })
        ));
        assert!(Date::from_days_since_epoch(i32::MAX).is_err());
    }

    #[test]
    fn serde_uses_iso_text() {
        let d = Date::from_ymd(2025, 12, 31).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"2025-12-31\"");
        assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Date>("\"2025-02-30\"").is_err());
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Date>();
    }
}
