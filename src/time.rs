//! Times as Prometheus's API takes them (RFC 3339 or unix seconds), and
//! HTTP dates (`Retry-After`).

/// Milliseconds since the epoch from `2026-11-01T00:00:00Z`,
/// `2026-11-01T02:00:00+02:00`, `2026-11-19T03:12Z`, `1793491200(.5)`, or
/// a bare date, `2026-11-20`, which is its midnight UTC.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs.abs() < 1e13 {
            return Ok((secs * 1000.0).round() as i64);
        }
    }
    let bad = || {
        format!("{text:?} is neither RFC 3339 (2026-11-01T00:00:00Z), a date (2026-11-01) nor unix seconds")
    };
    let (date, rest) = match t.split_once(['T', 't', ' ']) {
        Some(parts) => parts,
        // A date alone: midnight UTC, as people mean it in a flag.
        None if t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') => (t, "00:00Z"),
        None => return Err(bad()),
    };
    let mut d = date.split('-');
    let (y, m, day) = match (d.next(), d.next(), d.next(), d.next()) {
        (Some(y), Some(m), Some(day), None) => (
            y.parse::<i64>().map_err(|_| bad())?,
            m.parse::<i64>().map_err(|_| bad())?,
            day.parse::<i64>().map_err(|_| bad())?,
        ),
        _ => return Err(bad()),
    };
    let (clock, offset_s) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(at) = rest.rfind(['+', '-']) {
        let (c, off) = rest.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
        (
            c,
            sign * (oh.parse::<i64>().map_err(|_| bad())? * 3600
                + om.parse::<i64>().map_err(|_| bad())? * 60),
        )
    } else {
        return Err(format!("{text:?}: give a time zone (Z or +hh:mm)"));
    };
    let mut parts = clock.split(':');
    let h = parts
        .next()
        .ok_or_else(bad)?
        .parse::<i64>()
        .map_err(|_| bad())?;
    let min = parts
        .next()
        .ok_or_else(bad)?
        .parse::<i64>()
        .map_err(|_| bad())?;
    let sec = parts
        .next()
        .map_or(Ok(0.0), |s| s.parse::<f64>().map_err(|_| bad()))?;
    if parts.next().is_some()
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || h > 23
        || min > 59
        || !(0.0..61.0).contains(&sec)
    {
        return Err(bad());
    }
    let days = days_from_civil(y, m, day);
    let secs = days * 86_400 + h * 3600 + min * 60 - offset_s;
    Ok(secs * 1000 + (sec * 1000.0).round() as i64)
}

/// Milliseconds since the epoch from an HTTP date (`Retry-After`,
/// RFC 9110's IMF-fixdate: `Wed, 21 Oct 2015 07:28:00 GMT`).
pub fn parse_http_date(text: &str) -> Option<i64> {
    let rest = text.trim().split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let (day, month, year, clock, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if zone != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| *x == month)? as i64 + 1;
    let mut hms = clock.split(':').map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (hms.next()??, hms.next()??, hms.next()??);
    let days = days_from_civil(year.parse().ok()?, m, day.parse().ok()?);
    Some((days * 86_400 + h * 3600 + min * 60 + sec) * 1000)
}

/// Formats milliseconds since the epoch as RFC 3339 UTC (`2026-11-19T03:12:00Z`).
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let frac = ms.rem_euclid(1000);
    let clock = format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{clock}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{clock}.{frac:03}Z")
    }
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_unix() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            parse_time("2026-11-25T14:12:00Z").unwrap(),
            1_795_615_920_000
        );
        assert_eq!(
            parse_time("2026-11-25T16:12:00+02:00").unwrap(),
            1_795_615_920_000
        );
        assert_eq!(parse_time("2026-11-25T14:12Z").unwrap(), 1_795_615_920_000);
        assert_eq!(parse_time("1795615920").unwrap(), 1_795_615_920_000);
        assert_eq!(
            parse_time("2000-02-29T00:00:00.5Z").unwrap(),
            951_782_400_500
        );
        assert!(parse_time("yesterday").is_err());
        // A bare date is its midnight UTC.
        assert_eq!(
            parse_time("2026-11-20").unwrap(),
            parse_time("2026-11-20T00:00:00Z").unwrap()
        );
        assert!(parse_time("2026-13-20").is_err());
        assert!(parse_time("2026-11").is_err());
        assert!(parse_time("2026-11-25T14:12:00").is_err());
    }

    #[test]
    fn http_dates_and_utc_round_trip() {
        assert_eq!(
            parse_http_date("Wed, 25 Nov 2026 14:12:00 GMT"),
            Some(1_795_615_920_000)
        );
        assert_eq!(parse_http_date("120"), None);
        assert_eq!(parse_http_date("Wed, 25 Nov 2026 14:12:00 CET"), None);
        for ms in [0, 951_782_400_500, 1_795_615_920_000, -86_400_000] {
            assert_eq!(parse_time(&format_utc(ms)).unwrap(), ms);
        }
        assert_eq!(format_utc(1_795_615_920_000), "2026-11-25T14:12:00Z");
    }
}
