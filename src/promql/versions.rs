//! The Prometheus releases whose verdict firedrill gives, and what each one
//! changed in what parses: one row per change, read from Prometheus's own
//! source (the file or pull request is named in the row). The gates of
//! `promql::parse` ask this table, so a new release is a new row (and a new
//! entry in [`RELEASES`]); docs/versions.md says how to add one.

use std::fmt;

/// A Prometheus release: `2` stands for the 2.x line as a whole (2.42 to
/// 2.55 parse alike without feature flags), `3.x` for one minor release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrometheusVersion {
    pub major: u8,
    pub minor: u8,
}

impl PrometheusVersion {
    /// The 2.x line.
    pub const V2: PrometheusVersion = PrometheusVersion::new(2, 55);
    /// The long-term-support line (supported to July 2027).
    pub const LTS: PrometheusVersion = PrometheusVersion::new(3, 13);
    /// The newest stable release, the default verdict.
    pub const NEWEST: PrometheusVersion = PrometheusVersion::new(3, 16);

    pub const fn new(major: u8, minor: u8) -> Self {
        PrometheusVersion { major, minor }
    }

    pub fn is_2(self) -> bool {
        self.major == 2
    }

    /// Whether this release has what `since` brought (always false on 2.x
    /// for what came in 3.x).
    pub fn has(self, since: PrometheusVersion) -> bool {
        self >= since
    }
}

impl Default for PrometheusVersion {
    fn default() -> Self {
        PrometheusVersion::NEWEST
    }
}

impl fmt::Display for PrometheusVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_2() {
            write!(f, "2")
        } else {
            write!(f, "{}.{}", self.major, self.minor)
        }
    }
}

/// The releases `--prometheus-version` takes, oldest first.
pub const RELEASES: &[(PrometheusVersion, &str)] = &[
    (PrometheusVersion::V2, "2.x (2.42 to 2.55)"),
    (
        PrometheusVersion::new(3, 13),
        "3.13, the long-term-support line",
    ),
    (PrometheusVersion::new(3, 14), "3.14"),
    (PrometheusVersion::new(3, 15), "3.15"),
    (
        PrometheusVersion::new(3, 16),
        "3.16, the newest stable release",
    ),
];

/// Reads `2`, `2.53`, `3`, `3.13`, `v3.16.0`, `3.16.1`: `3` alone is the
/// newest stable 3.x; a 3.x release firedrill does not tell apart is
/// refused with the list of those it does.
pub fn parse_version(text: &str) -> Result<PrometheusVersion, String> {
    let trimmed = text.trim().trim_start_matches('v');
    let mut parts = trimmed.split('.');
    let major = parts.next().and_then(|p| p.parse::<u8>().ok());
    let minor = parts.next().map(|p| p.parse::<u8>().ok());
    let known = || {
        RELEASES
            .iter()
            .map(|(v, _)| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (major, minor) {
        (Some(2), None | Some(Some(_))) => Ok(PrometheusVersion::V2),
        (Some(3), None) => Ok(PrometheusVersion::NEWEST),
        (Some(3), Some(Some(minor))) => {
            let wanted = PrometheusVersion::new(3, minor);
            if RELEASES.iter().any(|(v, _)| *v == wanted) {
                Ok(wanted)
            } else if wanted > PrometheusVersion::NEWEST {
                Err(format!(
                    "Prometheus {wanted} is not a stable release firedrill knows (the newest is {}); known: {}",
                    PrometheusVersion::NEWEST,
                    known()
                ))
            } else {
                Err(format!(
                    "firedrill does not tell Prometheus {wanted} apart; give the nearest newer one it knows: {}",
                    known()
                ))
            }
        }
        _ => Err(format!(
            "unknown Prometheus version {text:?}; firedrill gives the verdict of {}",
            known()
        )),
    }
}

/// What a release changed in what parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A function exists from this release on, behind
    /// `promql-experimental-functions` when `experimental`.
    FunctionAdded {
        name: &'static str,
        experimental: bool,
    },
    /// An experimental function no longer needs the flag.
    FunctionStable { name: &'static str },
    /// A feature flag is on for good from this release (the flag stays
    /// accepted and does nothing).
    FeatureAlwaysOn { feature: &'static str },
}

/// One row: a change, the release that made it, and where it is written.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub since: PrometheusVersion,
    pub change: Change,
    pub source: &'static str,
}

/// Every change between the releases of [`RELEASES`], in release order.
/// What 3.13 itself parses is the baseline (promql-parser's grammar and the
/// rewrites of `promql::rewrite`).
pub const CHANGES: &[Row] = &[
    Row {
        since: PrometheusVersion::new(3, 14),
        change: Change::FeatureAlwaysOn {
            feature: "promql-duration-expr",
        },
        source: "CHANGELOG 3.14.0 (#19033); cmd/promtool/main.go sets ExperimentalDurationExpr",
    },
    Row {
        since: PrometheusVersion::new(3, 14),
        change: Change::FunctionStable {
            name: "first_over_time",
        },
        source: "CHANGELOG 3.14.0 (#19093); promql/parser/functions.go",
    },
    Row {
        since: PrometheusVersion::new(3, 14),
        change: Change::FunctionAdded {
            name: "start_timestamp",
            experimental: true,
        },
        source: "CHANGELOG 3.14.0 (#19089); promql/parser/functions.go",
    },
    Row {
        since: PrometheusVersion::new(3, 16),
        change: Change::FeatureAlwaysOn {
            feature: "promql-extended-range-selectors",
        },
        source: "pull request #19697, merged 2026-09-14 after the 3.15 branch (2026-09-09): `anchored` and `smoothed` stable and always on",
    },
    Row {
        since: PrometheusVersion::new(3, 16),
        change: Change::FunctionAdded {
            name: "integral",
            experimental: true,
        },
        source: "reported for 3.16 (issue #34) and in promql-parser 0.11's table; absent from promql/parser/functions.go up to main of 2026-08-21",
    },
];

/// Whether `feature` is on for good in `version`.
pub fn always_on(version: PrometheusVersion, feature: &str) -> bool {
    !version.is_2()
        && CHANGES.iter().any(|r| {
            version.has(r.since)
                && matches!(r.change, Change::FeatureAlwaysOn { feature: f } if f == feature)
        })
}

/// How `version` knows a function promql-parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionStatus {
    /// As promql-parser has it (`experimental` from its table).
    AsParsed,
    Experimental,
    Stable,
    /// Not yet in that release.
    Unknown,
}

/// What `version` (3.x) makes of the function `name`, where the table says.
pub fn function(version: PrometheusVersion, name: &str) -> FunctionStatus {
    let mut status = FunctionStatus::AsParsed;
    for row in CHANGES {
        match row.change {
            Change::FunctionAdded {
                name: n,
                experimental,
            } if n == name => {
                status = if !version.has(row.since) {
                    FunctionStatus::Unknown
                } else if experimental {
                    FunctionStatus::Experimental
                } else {
                    FunctionStatus::Stable
                };
            }
            Change::FunctionStable { name: n } if n == name => {
                status = if version.has(row.since) {
                    FunctionStatus::Stable
                } else {
                    FunctionStatus::Experimental
                };
            }
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_users_write_them() {
        let v = |t: &str| parse_version(t).map(|v| v.to_string());
        assert_eq!(v("2").unwrap(), "2");
        assert_eq!(v("2.53").unwrap(), "2");
        assert_eq!(v("3").unwrap(), "3.16");
        assert_eq!(v("3.13").unwrap(), "3.13");
        assert_eq!(v("v3.16.0").unwrap(), "3.16");
        assert_eq!(v("3.14.1").unwrap(), "3.14");
        assert!(v("3.17").unwrap_err().contains("not a stable release"));
        assert!(v("3.10").unwrap_err().contains("nearest newer"));
        assert!(v("4").unwrap_err().contains("unknown Prometheus version"));
        assert!(v("three").is_err());
    }

    #[test]
    fn the_table_answers_per_release() {
        let v313 = PrometheusVersion::new(3, 13);
        let v314 = PrometheusVersion::new(3, 14);
        assert!(!always_on(v313, "promql-duration-expr"));
        assert!(always_on(v314, "promql-duration-expr"));
        assert!(!always_on(PrometheusVersion::V2, "promql-duration-expr"));
        assert!(!always_on(
            PrometheusVersion::new(3, 15),
            "promql-extended-range-selectors"
        ));
        assert!(always_on(
            PrometheusVersion::NEWEST,
            "promql-extended-range-selectors"
        ));
        assert_eq!(
            function(v313, "first_over_time"),
            FunctionStatus::Experimental
        );
        assert_eq!(function(v314, "first_over_time"), FunctionStatus::Stable);
        assert_eq!(function(v313, "start_timestamp"), FunctionStatus::Unknown);
        assert_eq!(
            function(v314, "start_timestamp"),
            FunctionStatus::Experimental
        );
        assert_eq!(function(v314, "rate"), FunctionStatus::AsParsed);
        // Rows are in release order and every release is one firedrill takes.
        for pair in CHANGES.windows(2) {
            assert!(pair[0].since <= pair[1].since);
        }
        for row in CHANGES {
            assert!(RELEASES.iter().any(|(v, _)| *v == row.since), "{row:?}");
        }
    }
}
