//! Alertmanager's time intervals (`timeinterval/timeinterval.go`): the
//! `time_intervals` a route mutes in (`mute_time_intervals`) or is active in
//! only (`active_time_intervals`). An interval holds a time when every part
//! it sets holds (times of day, weekdays, days of the month, months, years),
//! read in its `location` (UTC when unset); a named set of intervals holds
//! when any of them does.

use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;

/// One interval of a `time_intervals` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeInterval {
    /// `[start, end)` minutes of the day.
    pub times: Option<Vec<(u32, u32)>>,
    /// Inclusive, 0 = Sunday.
    pub weekdays: Option<Vec<(u32, u32)>>,
    /// Inclusive; negative counts from the month's end (-1 = last day).
    pub days_of_month: Option<Vec<(i32, i32)>>,
    /// Inclusive, 1 = January.
    pub months: Option<Vec<(u32, u32)>>,
    pub years: Option<Vec<(i32, i32)>>,
    pub location: Option<Tz>,
}

impl TimeInterval {
    /// Whether the instant `ms` (Unix milliseconds) is inside.
    pub fn contains(&self, ms: i64) -> bool {
        let tz = self.location.unwrap_or(Tz::UTC);
        let Some(t) = tz.timestamp_millis_opt(ms).single() else {
            return false;
        };
        if let Some(times) = &self.times {
            let minute = t.hour() * 60 + t.minute();
            if !times.iter().any(|(s, e)| minute >= *s && minute < *e) {
                return false;
            }
        }
        if let Some(days) = &self.days_of_month {
            let in_month = days_in_month(t.year(), t.month()) as i32;
            let day = t.day() as i32;
            let within = days.iter().any(|&(b, e)| {
                let begin = if b < 0 { in_month + b + 1 } else { b };
                let end = if e < 0 { in_month + e + 1 } else { e };
                if begin > in_month {
                    return false;
                }
                let begin = begin.clamp(-in_month, in_month);
                let end = end.clamp(-in_month, in_month);
                day >= begin && day <= end
            });
            if !within {
                return false;
            }
        }
        if let Some(months) = &self.months {
            if !months
                .iter()
                .any(|(b, e)| t.month() >= *b && t.month() <= *e)
            {
                return false;
            }
        }
        if let Some(weekdays) = &self.weekdays {
            let day = t.weekday().num_days_from_sunday();
            if !weekdays.iter().any(|(b, e)| day >= *b && day <= *e) {
                return false;
            }
        }
        if let Some(years) = &self.years {
            if !years.iter().any(|(b, e)| t.year() >= *b && t.year() <= *e) {
                return false;
            }
        }
        true
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    chrono::NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day())
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `a` or `a:b`, lower-cased, each side read by `member`.
fn range<T: Copy>(
    text: &str,
    member: impl Fn(&str) -> Result<T, String>,
) -> Result<(T, T), String> {
    let text = text.to_lowercase();
    match text.split_once(':') {
        Some((a, b)) => {
            if b.contains(':') {
                return Err(format!("couldn't parse range {text}, invalid format"));
            }
            Ok((member(a)?, member(b)?))
        }
        None => {
            let v = member(&text)?;
            Ok((v, v))
        }
    }
}

fn int(text: &str) -> Result<i32, String> {
    text.parse::<i32>()
        .map_err(|_| format!("strconv.Atoi: parsing {text:?}: invalid syntax"))
}

/// A `weekdays` item: `monday`, `monday:friday`.
pub fn parse_weekdays(text: &str) -> Result<(u32, u32), String> {
    let (b, e) = range(text, |s| {
        WEEKDAYS
            .iter()
            .position(|d| *d == s)
            .map(|i| i as u32)
            .ok_or_else(|| format!("{s} is not a valid weekday"))
    })?;
    if b > e {
        return Err("start day cannot be before end day".into());
    }
    Ok((b, e))
}

/// A `days_of_month` item: `1`, `1:5`, `-3:-1`.
pub fn parse_days_of_month(text: &str) -> Result<(i32, i32), String> {
    let (b, e) = range(text, int)?;
    for v in [b, e] {
        if v == 0 || !(-31..=31).contains(&v) {
            return Err(format!("{v} is not a valid day of the month: out of range"));
        }
    }
    if b < 0 && e > 0 {
        return Err("end day must be negative if start day is negative".into());
    }
    let check = |v: i32| if v < 0 { 28 + v } else { v };
    if check(b) > check(e) {
        return Err(format!("end day {e} is always before start day {b}"));
    }
    Ok((b, e))
}

/// A `months` item: `january`, `1:3`, `may:august`.
pub fn parse_months(text: &str) -> Result<(u32, u32), String> {
    let (b, e) = range(text, |s| match MONTHS.iter().position(|m| *m == s) {
        Some(i) => Ok(i as i32 + 1),
        None => s
            .parse::<i32>()
            .map_err(|_| format!("{s} is not a valid month")),
    })?;
    if b > e {
        return Err(format!(
            "end month {} is before start month {}",
            month_name(e),
            month_name(b)
        ));
    }
    if !(1..=12).contains(&b) || !(1..=12).contains(&e) {
        return Err(format!("{text} is not a valid month: out of range"));
    }
    Ok((b as u32, e as u32))
}

fn month_name(m: i32) -> &'static str {
    MONTHS.get((m - 1) as usize).copied().unwrap_or("")
}

/// A `years` item: `2026`, `2026:2027`.
pub fn parse_years(text: &str) -> Result<(i32, i32), String> {
    let (b, e) = range(text, int)?;
    if b > e {
        return Err(format!("end year {e} is before start year {b}"));
    }
    Ok((b, e))
}

/// A `times` item's `start_time`/`end_time`: `HH:MM`, `24:00` allowed.
pub fn parse_time_of_day(text: &str) -> Result<u32, String> {
    let bad = || format!("couldn't parse timestamp {text}, invalid format");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if (h > 23 || m > 59) && !(h == 24 && m == 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A `location`: an IANA zone name (`Local` is the machine's, which replay
/// cannot know: refused).
pub fn parse_location(text: &str) -> Result<Tz, String> {
    if text == "UTC" || text.is_empty() {
        return Ok(Tz::UTC);
    }
    text.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn business_hours_in_a_location() {
        let hours = TimeInterval {
            times: Some(vec![(
                parse_time_of_day("09:00").unwrap(),
                parse_time_of_day("17:00").unwrap(),
            )]),
            weekdays: Some(vec![parse_weekdays("Monday:Friday").unwrap()]),
            location: Some(parse_location("Europe/Berlin").unwrap()),
            ..TimeInterval::default()
        };
        // 2026-12-07 is a Monday; 08:30 UTC is 09:30 in Berlin (CET, +1).
        assert!(hours.contains(at("2026-12-07T08:30:00Z")));
        assert!(!hours.contains(at("2026-12-07T07:30:00Z")));
        // 16:59 Berlin is in, 17:00 is out (the end is exclusive).
        assert!(hours.contains(at("2026-12-07T15:59:00Z")));
        assert!(!hours.contains(at("2026-12-07T16:00:00Z")));
        // Saturday.
        assert!(!hours.contains(at("2026-12-05T10:00:00Z")));
    }

    #[test]
    fn negative_days_count_from_the_end_of_the_month() {
        let last_days = TimeInterval {
            days_of_month: Some(vec![parse_days_of_month("-3:-1").unwrap()]),
            ..TimeInterval::default()
        };
        assert!(last_days.contains(at("2026-02-26T12:00:00Z")));
        assert!(!last_days.contains(at("2026-02-25T12:00:00Z")));
        assert!(last_days.contains(at("2026-12-29T12:00:00Z")));
        assert!(!last_days.contains(at("2026-12-28T12:00:00Z")));
    }

    #[test]
    fn bad_items_are_refused_as_alertmanager_words_them() {
        assert_eq!(
            parse_weekdays("friday:monday").unwrap_err(),
            "start day cannot be before end day"
        );
        assert_eq!(
            parse_weekdays("funday").unwrap_err(),
            "funday is not a valid weekday"
        );
        assert!(parse_days_of_month("0").is_err());
        assert!(parse_days_of_month("-1:5").is_err());
        assert_eq!(
            parse_months("march:january").unwrap_err(),
            "end month january is before start month march"
        );
        assert_eq!(parse_months("may:8").unwrap(), (5, 8));
        assert!(parse_time_of_day("9:00").is_err());
        assert_eq!(parse_time_of_day("24:00").unwrap(), 1440);
        assert!(parse_time_of_day("24:01").is_err());
        assert!(parse_location("Mars/Olympus").is_err());
    }
}
