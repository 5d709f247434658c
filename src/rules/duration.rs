//! Prometheus durations (`1h30m`, `90s`, `0`), parsed as `model.ParseDuration` does.

use std::fmt;

/// A non-negative duration in milliseconds, Prometheus's resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    pub millis: u64,
}

/// The largest duration Go's `time.Duration` holds (about 292 years).
const MAX_MILLIS: u128 = (i64::MAX as u128) / 1_000_000;

const UNITS: [(&str, u128); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

impl Duration {
    pub const ZERO: Duration = Duration { millis: 0 };

    pub fn from_secs(secs: u64) -> Self {
        Duration {
            millis: secs * 1000,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.millis == 0
    }

    /// Parses a Prometheus duration. Units go from largest to smallest, each
    /// at most once; `0` alone is allowed without a unit.
    pub fn parse(text: &str) -> Result<Duration, String> {
        if text.is_empty() {
            return Err("empty duration string".into());
        }
        if text == "0" {
            return Ok(Duration::ZERO);
        }
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut next_unit = 0;
        let mut total: u128 = 0;
        while pos < bytes.len() {
            let digits_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            if pos == digits_start {
                return Err(format!("not a valid duration string: {text:?}"));
            }
            let unit_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
                pos += 1;
            }
            let unit = &text[unit_start..pos];
            let Some(offset) = UNITS[next_unit..].iter().position(|(u, _)| *u == unit) else {
                return Err(format!("not a valid duration string: {text:?}"));
            };
            let unit_index = next_unit + offset;
            next_unit = unit_index + 1;
            let number: u128 = text[digits_start..unit_start]
                .parse()
                .map_err(|_| format!("duration out of range: {text:?}"))?;
            total = number
                .checked_mul(UNITS[unit_index].1)
                .and_then(|v| v.checked_add(total))
                .filter(|&v| v <= MAX_MILLIS)
                .ok_or_else(|| format!("duration out of range: {text:?}"))?;
        }
        Ok(Duration {
            millis: total as u64,
        })
    }
}

impl fmt::Display for Duration {
    /// Prints the shortest Prometheus form (`1h30m`), as `model.Duration` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis as u128;
        for (unit, size) in UNITS {
            // Prometheus prints weeks and years only when they divide evenly.
            if (unit == "y" || unit == "w") && !rest.is_multiple_of(size) {
                continue;
            }
            let n = rest / size;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                rest -= n * size;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_forms() {
        assert_eq!(Duration::parse("1h30m").unwrap().millis, 5_400_000);
        assert_eq!(Duration::parse("90s").unwrap().millis, 90_000);
        assert_eq!(Duration::parse("0").unwrap(), Duration::ZERO);
        assert_eq!(Duration::parse("0s").unwrap(), Duration::ZERO);
        assert_eq!(Duration::parse("1w2d").unwrap().millis, 9 * 86_400_000);
        assert_eq!(Duration::parse("500ms").unwrap().millis, 500);
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        for bad in [
            "",
            "5",
            "1.5m",
            "m",
            "5m1h",
            "1h1h",
            "-5m",
            "5 m",
            "1mo",
            "99999999999999999999y",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(Duration::parse("300y")
            .unwrap_err()
            .contains("out of range"));
    }

    #[test]
    fn displays_shortest_form() {
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "1m30s");
        assert_eq!(Duration::parse("1w").unwrap().to_string(), "1w");
        assert_eq!(Duration::parse("8d").unwrap().to_string(), "8d");
    }
}
