//! Dates as people give them and as sessions keep them: the stored form is
//! `YYYY-MM-DDTHH:MM:SSZ` (UTC); a day given alone is stored as its midnight. Which sessions a
//! recording may join, and the order of before and after, hang on these.

use super::StoreError;

/// A date a person gave that is not one (see [`parse_session_date`]), or not one a recording
/// can have (see [`parse_recording_date`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DateError {
    #[error("`{text}` is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), e.g. 2026-11-30")]
    NotADate { text: String },
    #[error("`{text}` is after today ({today}, UTC): a typo? sessions are compared in date order, so a session dated in the future would count as the latest")]
    Future { text: String, today: String },
    #[error("`{text}` is before 1970: a typo? sessions are compared in date order")]
    TooEarly { text: String },
}

/// Parses a session date given by a person: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]` (UTC, a
/// trailing `Z` allowed), into the stored form `YYYY-MM-DDTHH:MM:SSZ`. Returns what is wrong.
pub fn parse_session_date(text: &str) -> Result<String, DateError> {
    let wrong = || DateError::NotADate {
        text: text.to_string(),
    };
    let text_trimmed = text.trim().trim_end_matches('Z');
    let (date, time) = match text_trimmed.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text_trimmed, None),
    };
    let numbers = |part: &str, sep: char, widths: &[usize]| -> Option<Vec<u32>> {
        let fields: Vec<&str> = part.split(sep).collect();
        (fields.len() == widths.len()
            && fields
                .iter()
                .zip(widths)
                .all(|(f, &w)| f.len() == w && f.bytes().all(|b| b.is_ascii_digit())))
        .then(|| fields.iter().filter_map(|f| f.parse().ok()).collect())
    };
    let ymd = numbers(date, '-', &[4, 2, 2]).ok_or_else(wrong)?;
    let (y, mo, d) = (ymd[0], ymd[1], ymd[2]);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(wrong()),
    };
    if !(1900..=2999).contains(&y) || d == 0 || d > days {
        return Err(wrong());
    }
    let (h, mi, sec) = match time {
        None => (0, 0, 0),
        Some(t) => {
            let hms = numbers(t, ':', &[2, 2, 2])
                .or_else(|| {
                    numbers(t, ':', &[2, 2]).map(|mut v| {
                        v.push(0);
                        v
                    })
                })
                .ok_or_else(wrong)?;
            (hms[0], hms[1], hms[2])
        }
    };
    if h > 23 || mi > 59 || sec > 59 {
        return Err(wrong());
    }
    Ok(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}Z"))
}

/// A recording's date given by a person (see [`parse_session_date`]), in the stored form: it
/// must lie between 1970 and tomorrow (UTC; a clinic ahead of UTC is already in tomorrow). A
/// typed year off by one digit would otherwise make a "before" session the latest and turn the
/// before/after verdict round.
pub fn parse_recording_date(text: &str) -> Result<String, DateError> {
    let at = parse_session_date(text)?;
    let day = day_of(&at);
    if day < "1970-01-01" {
        return Err(DateError::TooEarly {
            text: text.trim().to_string(),
        });
    }
    if *day > *day_utc(1) {
        return Err(DateError::Future {
            text: text.trim().to_string(),
            today: today_utc(),
        });
    }
    Ok(at)
}

/// Whether `stored` (a stored session time, `YYYY-MM-DDTHH:MM:SSZ`, UTC) falls on `day`
/// (`YYYY-MM-DD`) in some time zone, UTC−12 to UTC+14: a day a person gives is their own
/// calendar's, the store's times are UTC. A clinic east of UTC starts its day on UTC's day
/// before, and a session made then must take that morning's recordings.
pub fn on_day_somewhere(stored: &str, day: &str) -> bool {
    let number = |text: &str, from: usize, to: usize| -> Option<i64> {
        text.get(from..to).and_then(|t| t.parse().ok())
    };
    let seconds = (|| {
        let days = days_from_civil(
            number(stored, 0, 4)?,
            number(stored, 5, 7)?,
            number(stored, 8, 10)?,
        );
        let time = number(stored, 11, 13).unwrap_or(0) * 3600
            + number(stored, 14, 16).unwrap_or(0) * 60
            + number(stored, 17, 19).unwrap_or(0);
        Some(days * 86_400 + time)
    })();
    let start = number(day, 0, 4)
        .zip(number(day, 5, 7))
        .zip(number(day, 8, 10))
        .map(|((y, m), d)| days_from_civil(y, m, d) * 86_400);
    match (seconds, start) {
        (Some(t), Some(start)) => (start - 14 * 3600..start + 86_400 + 12 * 3600).contains(&t),
        _ => stored.get(..10) == day.get(..10),
    }
}

/// Whole days between the days of two stored dates (`YYYY-MM-DD...`), None when one is not a
/// date.
pub(super) fn days_apart(a: &str, b: &str) -> Option<i64> {
    let days = |at: &str| -> Option<i64> {
        let number = |from: usize, to: usize| at.get(from..to)?.parse::<i64>().ok();
        Some(days_from_civil(
            number(0, 4)?,
            number(5, 7)?,
            number(8, 10)?,
        ))
    };
    Some((days(a)? - days(b)?).abs())
}

/// A stored date as people read it: a day alone as its day (`2026-11-20`: its midnight UTC is
/// the previous evening in the Americas), a time as `2026-11-20 09:15 UTC`.
pub fn date_shown(stored: &str) -> String {
    match (is_day_alone(stored), stored.get(..10), stored.get(11..16)) {
        (true, Some(day), _) => day.to_string(),
        (false, Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => stored.to_string(),
    }
}

/// The day of a stored date (`YYYY-MM-DD` of `YYYY-MM-DDTHH:MM:SSZ`, UTC; the text itself when
/// shorter).
pub(super) fn day_of(stored: &str) -> &str {
    stored.get(..10).unwrap_or(stored)
}

/// Whether a stored date (`YYYY-MM-DDTHH:MM:SSZ`) is a day alone: one given without a time of
/// day is stored as its midnight, UTC (a time given as that midnight is kept a second later).
pub fn is_day_alone(stored: &str) -> bool {
    stored.get(10..) == Some("T00:00:00Z")
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Now, UTC, in the stored form `YYYY-MM-DDTHH:MM:SSZ`: the date of a live trial, measured now.
pub fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Today's date, UTC, as YYYY-MM-DD.
pub fn today_utc() -> String {
    day_utc(0)
}

/// Today's date on this computer's clock (its time zone: `TZ`, else the system's; UTC where
/// neither can be read), as YYYY-MM-DD: the label of a session that was not given one. The UTC
/// day would put a Sydney clinic's 09:00 visit into the session of the day before (22:00 UTC),
/// and a New York evening visit into the next morning's.
pub fn today_local() -> String {
    jiff::Zoned::now().date().to_string()
}

/// The date `days_from_today` days from today (negative: before), UTC, as YYYY-MM-DD.
pub fn day_utc(days_from_today: i64) -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64
        + days_from_today;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A session date a person gave, stored form (see [`parse_session_date`]).
pub(super) struct SessionDate {
    pub(super) at: String,
}

impl SessionDate {
    /// Whether this date cannot be the day of a session stored as `stored`: its day is that
    /// session's day in no time zone (see [`on_day_somewhere`]). A time given (UTC) is judged by
    /// its day alike: a session made at 23:00 UTC takes a recording of 00:30 the next day.
    /// (A session already there is never moved by a recording's date, only by re-dating.)
    pub(super) fn is_another_day_than(&self, stored: &str) -> bool {
        match (is_day_alone(&self.at), is_day_alone(stored)) {
            // Two calendar days: the same day or not.
            (true, true) => self.day() != day_of(stored),
            // A time against a day alone: the time must fall on that day in some time zone (a
            // Los Angeles afternoon is UTC's next day, and its live trials belong to the
            // session an upload dated that morning).
            (false, true) => !on_day_somewhere(&self.at, day_of(stored)),
            (_, false) => !on_day_somewhere(stored, self.day()),
        }
    }

    /// The refusal for saving this date into session `label`, stored as `stored`.
    pub(super) fn other_day(&self, label: &str, stored: &str) -> StoreError {
        StoreError::OtherDay {
            label: label.to_string(),
            stored: day_of(stored).to_string(),
            given: self.day().to_string(),
        }
    }

    pub(super) fn parse(text: &str) -> Result<SessionDate, DateError> {
        let mut at = parse_recording_date(text)?;
        let day_only = text.trim().trim_end_matches('Z').len() <= 10;
        // The stored form of a day alone is its midnight, UTC. A time given as exactly that (a
        // Sydney clinic's 11:00) is a time: kept one second later, so it orders the day's
        // sessions instead of counting as a day alone.
        if !day_only && at.ends_with("T00:00:00Z") {
            at.replace_range(17..19, "01");
        }
        Ok(SessionDate { at })
    }

    /// Today on this computer's calendar, a day alone.
    pub(super) fn today() -> SessionDate {
        SessionDate {
            at: format!("{}T00:00:00Z", today_local()),
        }
    }

    fn day(&self) -> &str {
        day_of(&self.at)
    }
}

/// Why a recording with no date is not saved into session `label` dated `stored`: the session
/// is not of today or the day before (a batch run across midnight) on this computer's calendar.
/// A time is read on that calendar too (a Sydney morning is the UTC day before).
pub(super) fn undated_other_day(label: &str, stored: &str) -> Option<StoreError> {
    let today = jiff::Zoned::now().date();
    let fits = calendar_day(stored)
        .and_then(|day| today.since(day).ok())
        .is_some_and(|since| (0..=1).contains(&since.get_days()));
    (!fits).then(|| StoreError::UndatedOtherDay {
        label: label.to_string(),
        stored: date_shown(stored),
        today: today.to_string(),
    })
}

/// A stored date's day on this computer's calendar (`YYYY-MM-DD`): a day alone is its own day;
/// a time, the day it falls on here. None when `stored` is not a date.
pub fn day_here(stored: &str) -> Option<String> {
    calendar_day(stored).map(|day| day.to_string())
}

/// A stored date's day on this computer's calendar: a day alone is its own day; a time, the day
/// it falls on here.
fn calendar_day(stored: &str) -> Option<jiff::civil::Date> {
    if is_day_alone(stored) {
        stored.get(..10)?.parse().ok()
    } else {
        let at: jiff::Timestamp = stored.parse().ok()?;
        Some(at.to_zoned(jiff::tz::TimeZone::system()).date())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session made at 23:00 UTC is the next morning in Sydney: that morning's recordings,
    /// dated by the clinic's own calendar, go into it; a day two days off does not.
    #[test]
    fn a_day_is_the_days_of_every_time_zone() {
        assert!(on_day_somewhere("2026-12-03T23:00:00Z", "2026-12-04"));
        assert!(on_day_somewhere("2026-12-03T23:00:00Z", "2026-12-03"));
        assert!(
            on_day_somewhere("2026-12-04T10:00:00Z", "2026-12-03"),
            "UTC-12's evening"
        );
        assert!(!on_day_somewhere("2026-12-03T09:00:00Z", "2026-12-04"));
        assert!(!on_day_somewhere("2026-12-05T13:00:00Z", "2026-12-04"));
        assert!(!on_day_somewhere("2026-11-03T10:00:00Z", "2026-11-05"));
        // Across a month, a year and a leap day.
        assert!(on_day_somewhere("2024-02-29T20:00:00Z", "2024-03-01"));
        assert!(on_day_somewhere("2025-12-31T22:00:00Z", "2026-01-01"));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    /// Which recordings belong to a session of a day: a day alone is a calendar day, a time any
    /// time zone's.
    #[test]
    fn a_session_of_a_day_takes_that_days_recordings_only() {
        let other = |given: &str, stored: &str| {
            SessionDate::parse(given)
                .unwrap()
                .is_another_day_than(stored)
        };
        let day = "2026-11-20T00:00:00Z";
        // A live trial at 16:30 in Los Angeles (00:30 UTC the next day): the morning upload's.
        assert!(!other("2026-11-21T00:30", day));
        assert!(!other("2026-11-20T09:00", day));
        // Another calendar day: the day before is refused as the day after is.
        assert!(other("2026-11-21", day));
        assert!(other("2026-11-19", day));
        assert!(!other("2026-11-20", day));
        assert!(other("2026-11-22T12:00", day));
        // A session with a time: a day alone or a time of that day somewhere.
        let time = "2026-03-05T23:00:00Z";
        assert!(!other("2026-03-06", time));
        assert!(!other("2026-03-06T00:30", time));
        assert!(other("2026-03-08", time));
    }

    #[test]
    fn a_time_of_midnight_utc_is_not_a_day_alone() {
        let day = SessionDate::parse("2026-11-20").unwrap();
        assert_eq!(day.at, "2026-11-20T00:00:00Z");
        for given in [
            "2026-11-20T00:00",
            "2026-11-20T00:00:00Z",
            "2026-11-20 00:00",
        ] {
            let time = SessionDate::parse(given).unwrap();
            assert_eq!(time.at, "2026-11-20T00:00:01Z", "{given}");
        }
        assert_eq!(
            SessionDate::parse("2026-11-20T09:15").unwrap().at,
            "2026-11-20T09:15:00Z"
        );
    }

    #[test]
    fn session_dates_are_checked() {
        assert_eq!(
            parse_session_date("2024-02-29").unwrap(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            parse_session_date("2026-11-30T09:15").unwrap(),
            "2026-11-30T09:15:00Z"
        );
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "30/11/2026",
            "yesterday",
            "",
            "2026-11-30T25:00",
        ] {
            assert!(parse_session_date(bad).is_err(), "{bad}");
        }
    }
}
