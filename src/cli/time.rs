//! Times as Prometheus's API takes them: RFC 3339 or unix seconds.

/// Milliseconds since the epoch from `2026-11-01T00:00:00Z`,
/// `2026-11-01T02:00:00+02:00`, `2026-11-19T03:12Z`, or `1793491200(.5)`.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs.abs() < 1e13 {
            return Ok((secs * 1000.0).round() as i64);
        }
    }
    let bad = || format!("{text:?} is neither RFC 3339 (2026-11-01T00:00:00Z) nor unix seconds");
    let (date, rest) = t.split_once(['T', 't', ' ']).ok_or_else(bad)?;
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

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert!(parse_time("2026-11-25T14:12:00").is_err());
    }
}
