//! Alertmanager's own configuration fixtures (config/testdata of
//! prometheus/alertmanager, and the configurations written inside
//! config/config_test.go's tests, vendored under
//! tests/corpus/alertmanager-config-testdata with that test's verdicts):
//! firedrill refuses exactly what Alertmanager (main) refuses, in its
//! words and at its line, and accepts the rest.
//! Debian's amtool 0.25 is run on each file too, pinning down where it
//! differs from main (integrations and settings added since).

mod common;

use firedrill::alertmanager::config::load;
use firedrill::source::SourceFile;

/// The verdicts of one section of expectations.json: `files` (the
/// testdata files) or `inline` (the Go tests' own configurations).
fn expectations(section: &str) -> Vec<(String, serde_json::Value)> {
    let dir = common::corpus().join("alertmanager-config-testdata");
    let text = std::fs::read_to_string(dir.join("expectations.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json[section]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn read(file: &str) -> String {
    let path = common::corpus()
        .join("alertmanager-config-testdata")
        .join(file);
    std::fs::read_to_string(path).unwrap()
}

/// How many of `cases` firedrill refuses; panics where its verdict,
/// message or line is not Alertmanager's.
fn refused_as_alertmanager_refuses(cases: &[(String, serde_json::Value)]) -> usize {
    let mut refused = 0;
    for (file, verdict) in cases {
        let text = read(file);
        let expected = verdict["main"].as_str().unwrap();
        match (load(&text), expected) {
            (Ok(_), "ok") => {}
            (Ok(_), _) => {
                panic!("{file}: Alertmanager refuses it ({expected}), firedrill accepts it")
            }
            (Err(e), "ok") => panic!("{file}: Alertmanager accepts it, firedrill says {e:?}"),
            (Err(e), _) => {
                refused += 1;
                // A decoding error's "line N:" is firedrill's place.
                let (line, message) =
                    match expected.strip_prefix("yaml: unmarshal errors:\n  line ") {
                        Some(rest) => {
                            let (n, message) = rest.split_once(": ").unwrap();
                            (Some(n.parse::<usize>().unwrap()), message)
                        }
                        None => (None, expected),
                    };
                assert_eq!(e.message, message, "{file}");
                if let Some(line) = line {
                    let source = SourceFile::new(file.as_str(), text.clone());
                    assert_eq!(source.line_col(e.span.start).line, line, "{file}");
                }
            }
        }
    }
    refused
}

#[test]
fn alertmanagers_own_fixtures_get_alertmanagers_verdict() {
    let files = expectations("files");
    assert_eq!(files.len(), 46, "every file of config/testdata");
    assert_eq!(refused_as_alertmanager_refuses(&files), 26);
}

#[test]
fn alertmanagers_own_test_configurations_get_its_verdict() {
    let inline = expectations("inline");
    assert_eq!(
        inline.len(),
        30,
        "every configuration written in config_test.go"
    );
    assert_eq!(refused_as_alertmanager_refuses(&inline), 20);
}

#[test]
fn amtool_025_refuses_what_came_after_it() {
    common::tools::require("amtool", "prometheus-alertmanager");
    let dir = common::corpus().join("alertmanager-config-testdata");
    let mut newer = Vec::new();
    for (file, verdict) in expectations("files")
        .into_iter()
        .chain(expectations("inline"))
    {
        let accepted = std::process::Command::new("amtool")
            .arg("check-config")
            .arg(dir.join(&file))
            .output()
            .unwrap()
            .status
            .success();
        let recorded = verdict["amtool-0.25"].as_str().unwrap() == "ok";
        assert_eq!(accepted, recorded, "{file}: amtool 0.25");
        // 0.25 never accepts what main refuses: main only added.
        if accepted {
            assert_eq!(verdict["main"], "ok", "{file}");
        } else if verdict["main"] == "ok" {
            newer.push(file);
        }
    }
    // Mattermost, Rocket.Chat, Slack app tokens, global Telegram and
    // WeChat secrets, SMTP auth secrets, Teams v2, receiver and route
    // labels: all after 0.25.
    assert_eq!(newer.len(), 16, "{newer:?}");
}

#[test]
fn time_intervals_parse_and_hold_as_alertmanagers_own_tests_say() {
    // timeinterval/timeinterval_test.go's cases, each the interval `t` of
    // a minimal configuration: its error, or the times it must contain
    // and exclude.
    let path = common::corpus().join("alertmanager-config-testdata/time_intervals.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 23);
    let (mut refused, mut times) = (0, 0);
    for case in cases {
        let name = case["go_test"].as_str().unwrap();
        let loaded = load(case["config"].as_str().unwrap());
        if let Some(expected) = case["error"].as_str() {
            let e = loaded.expect_err(name);
            assert_eq!(e.message, expected, "{name}");
            refused += 1;
            continue;
        }
        let config = loaded.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let intervals = &config.time_intervals["t"];
        for (key, inside) in [("contains", true), ("excludes", false)] {
            for at in case[key].as_array().unwrap() {
                let ms = at["ms"].as_i64().unwrap();
                let held = intervals.iter().any(|i| i.contains(ms));
                assert_eq!(held, inside, "{name}: {key} {}", at["time"]);
                times += 1;
            }
        }
    }
    assert_eq!(refused, 15);
    assert_eq!(times, 21);
}

#[test]
fn routing_trees_route_as_alertmanagers_own_tests_say() {
    // dispatch/route_test.go's three trees (match/match_re, matchers, and
    // both mixed) and, for each label set, the routes reached in order,
    // their inherited options and their keys.
    use firedrill::alertmanager::route::{LabelSet, Route};
    let path = common::corpus().join("alertmanager-config-testdata/routes.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let default_ms = |v: &serde_json::Value, default: u64| v.as_u64().unwrap_or(default);
    let mut checked = 0;
    for tree in json["trees"].as_array().unwrap() {
        let name = tree["go_test"].as_str().unwrap();
        let config =
            load(tree["config"].as_str().unwrap()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let root = Route::new(&config.route);
        for case in tree["cases"].as_array().unwrap() {
            let labels: LabelSet = case["labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let reached = root.matching(&labels);
            let expected = case["routes"].as_array().unwrap();
            assert_eq!(reached.len(), expected.len(), "{name} {labels:?}");
            for ((route, want), key) in reached
                .iter()
                .zip(expected)
                .zip(case["keys"].as_array().unwrap())
            {
                let at = format!("{name} {labels:?} {}", route.key);
                assert_eq!(
                    route.opts.receiver,
                    want["receiver"].as_str().unwrap(),
                    "{at}"
                );
                let all = want["group_by_all"].as_bool().unwrap();
                let mut group_by = route.opts.group_by.clone();
                if let Some(by) = &mut group_by {
                    by.sort();
                }
                let want_by: Option<Vec<String>> = (!all).then(|| {
                    want["group_by"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|l| l.as_str().unwrap().to_string())
                        .collect()
                });
                assert_eq!(group_by, want_by, "{at}");
                assert_eq!(
                    route.opts.group_wait.millis,
                    default_ms(&want["group_wait_ms"], 30_000),
                    "{at}"
                );
                assert_eq!(
                    route.opts.group_interval.millis,
                    default_ms(&want["group_interval_ms"], 300_000),
                    "{at}"
                );
                assert_eq!(
                    route.opts.repeat_interval.millis,
                    default_ms(&want["repeat_interval_ms"], 4 * 3_600_000),
                    "{at}"
                );
                assert_eq!(route.key, key.as_str().unwrap(), "{at}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 27);
}
