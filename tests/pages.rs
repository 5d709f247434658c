//! `--alertmanager` on the shipped example, as a user runs it: `simulate`
//! counts the notifications of the Wecare team's rules/alertmanager.yml,
//! `tune` says which page the recommendation saves, `diff` says how often a
//! change pages, and the three agree with each other; bad configurations
//! and flags are refused at their place.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{firedrill, stderr, stdout};

fn root(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// `simulate` of the shipped rules and week through rules/alertmanager.yml.
fn simulate_shipped(extra: &[&str]) -> Output {
    let data = root("fixtures/wecare-7d.parquet");
    let rules = root("rules");
    let config = root("rules/alertmanager.yml");
    let mut args = vec![
        "simulate",
        &rules,
        "--data",
        &data,
        "--alertmanager",
        &config,
    ];
    args.extend(extra);
    firedrill(&args)
}

fn simulate_json(extra: &[&str]) -> serde_json::Value {
    let out = simulate_shipped(&[&["--format", "json"], extra].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Firing notifications to `receiver` with `alertname` firing in them.
fn pages_of(doc: &serde_json::Value, receiver: &str, alertname: &str) -> u64 {
    doc["alertmanager"]["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["receiver"] == receiver && n["status"] == "firing")
        .filter(|n| {
            n["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["status"] == "firing" && a["labels"]["alertname"] == alertname)
        })
        .count() as u64
}

#[test]
fn simulate_counts_what_each_receiver_was_sent() {
    let doc = simulate_json(&["--timezone", "Europe/Athens"]);
    let am = &doc["alertmanager"];
    assert_eq!(am["timezone"], "Europe/Athens");
    let notifications = am["notifications"].as_array().unwrap();
    // The receiver table is the notification list, counted.
    for r in am["receivers"].as_array().unwrap() {
        let name = r["receiver"].as_str().unwrap();
        let of = |status: &str| {
            notifications
                .iter()
                .filter(|n| n["receiver"] == name && n["status"] == status)
                .count() as u64
        };
        assert_eq!(r["firing"].as_u64(), Some(of("firing")), "{name}");
        assert_eq!(r["resolved"].as_u64(), Some(of("resolved")), "{name}");
        let nights = notifications
            .iter()
            .filter(|n| n["receiver"] == name && n["night"] == true)
            .count() as u64;
        assert_eq!(r["night"].as_u64(), Some(nights), "{name}");
    }
    // The alert table too: per alert and receiver, the notifications with
    // that alert firing, and the resolved ones telling of it with none of
    // it firing.
    let alerts = am["alerts"].as_array().unwrap();
    assert!(alerts.iter().any(|a| a["resolved"].as_u64().unwrap() > 0));
    for a in alerts {
        let (name, receiver) = (&a["alertname"], &a["receiver"]);
        let with = |status: &str| {
            notifications
                .iter()
                .filter(|n| n["receiver"] == *receiver)
                .filter(|n| {
                    let of = |s: &str| {
                        n["alerts"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x["status"] == s && x["labels"]["alertname"] == *name)
                    };
                    match status {
                        "firing" => of("firing"),
                        _ => of("resolved") && !of("firing"),
                    }
                })
                .count() as u64
        };
        assert_eq!(
            a["firing"].as_u64(),
            Some(with("firing")),
            "{name} {receiver}"
        );
        assert_eq!(
            a["resolved"].as_u64(),
            Some(with("resolved")),
            "{name} {receiver}"
        );
    }
    // PagerDuty makes `pager` the paging receiver; its firing notifications are the pages.
    let pager = am["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["receiver"] == "pager")
        .unwrap();
    assert_eq!(pager["pages"], true);
    assert_eq!(am["pages"], pager["firing"]);
    // Grouping: fewer pages than firing episodes of the alerts routed there.
    let episodes: u64 = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["candidates"][0]["pages"].as_u64().unwrap())
        .sum();
    assert!(am["pages"].as_u64().unwrap() < episodes);
    // Watchdog goes to the heartbeat hook, never to the pager; warnings of
    // the chat route at night in Athens are muted.
    assert_eq!(pages_of(&doc, "pager", "Watchdog"), 0);
    assert!(pages_of(&doc, "heartbeat", "Watchdog") > 0);
    for n in notifications
        .iter()
        .filter(|n| n["receiver"] == "wecare-chat")
    {
        assert_eq!(n["night"], false, "{n}");
    }
    // Every notification's group key is the route's and the alerts' group_by values.
    for n in notifications {
        let key = n["group_key"].as_str().unwrap();
        let alertname = n["alerts"][0]["labels"]["alertname"].as_str().unwrap();
        assert!(key.contains(&format!("alertname=\"{alertname}\"")), "{key}");
    }

    // The human output shows the same table.
    let out = simulate_shipped(&[]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{} of them pages (firing notifications to pager)",
            am["pages"]
        )),
        "{text}"
    );
    assert!(text.contains("pager (pages)"), "{text}");
}

#[test]
fn the_ranking_leads_with_the_pages_alertmanager_sent() {
    // Each fired alert's `paged` is its firing notifications to the
    // paging receiver (pager), counted from the notification list; the
    // order is by it, then by firing episodes.
    let doc = simulate_json(&[]);
    let fired = doc["ranking"]["fired"].as_array().unwrap();
    assert!(fired.len() > 3);
    let keys: Vec<(u64, u64)> = fired
        .iter()
        .map(|r| {
            let name = r["alertname"].as_str().unwrap();
            let paged = r["paged"].as_u64().unwrap();
            assert_eq!(paged, pages_of(&doc, "pager", name), "{name}");
            (paged, r["pages"].as_u64().unwrap())
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{keys:?}");
    assert!(keys.iter().any(|&(paged, _)| paged == 0));
    // Without the configuration there is no `paged`, and the order is by
    // firing episodes, then firing time: some alert that paged nobody
    // came before one that paged.
    let (rules, data) = (root("rules"), root("fixtures/wecare-7d.parquet"));
    let out = firedrill(&["simulate", &rules, "--data", &data, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plain: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plain = plain["ranking"]["fired"].as_array().unwrap();
    assert!(plain.iter().all(|r| r.get("paged").is_none()));
    let paged_of = |name: &serde_json::Value| {
        fired.iter().find(|r| r["alertname"] == *name).unwrap()["paged"]
            .as_u64()
            .unwrap()
    };
    let position = |name: &serde_json::Value| fired.iter().position(|r| r["alertname"] == *name);
    let overtaken = plain.iter().enumerate().any(|(i, earlier)| {
        plain[i + 1..].iter().any(|later| {
            paged_of(&later["alertname"]) > paged_of(&earlier["alertname"])
                && position(&later["alertname"]) < position(&earlier["alertname"])
        })
    });
    assert!(overtaken, "the pages changed no place in the order");
}

#[test]
fn tune_reports_the_page_it_would_have_saved_and_diff_agrees() {
    let rules = root("rules");
    let data = root("fixtures/wecare-7d.parquet");
    let config = root("rules/alertmanager.yml");
    let marks = root("rules/incidents.toml");
    let tune: Vec<&str> = vec![
        "tune",
        &rules,
        "--alert",
        "FPMPoolSaturation",
        "--data",
        &data,
        "--marks",
        &marks,
        "--alertmanager",
        &config,
    ];
    let out = firedrill(&[tune.as_slice(), &["--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tuned: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let am = &tuned["alertmanager"];
    let paged = |i: u64| {
        am["by_candidate"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["candidate"] == i)
            .unwrap()["pages"]
            .as_u64()
            .unwrap()
    };
    let recommended = tuned["recommended"].as_u64().unwrap();
    let today = paged(0);
    let after = paged(recommended);
    // Today's pages are what simulate counts for the alert at the pager.
    let alone = simulate_json(&["--alert", "FPMPoolSaturation"]);
    assert_eq!(today, pages_of(&alone, "pager", "FPMPoolSaturation"));
    // The false positive paged: the recommendation saves that page.
    assert_eq!(today - after, 1, "today {today}, recommended {after}");

    let human = firedrill(&tune);
    assert!(
        stdout(&human).contains("1 page saved"),
        "{}",
        stdout(&human)
    );

    // The same change as a pull request: diff says how often it pages.
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let copy = |name: &str| {
        std::fs::create_dir_all(dir.join("rules")).unwrap();
        std::fs::copy(root(&format!("rules/{name}")), dir.join("rules").join(name)).unwrap();
    };
    for name in ["prometheusrule-fpm.yaml", "alertmanager.yml"] {
        copy(name);
    }
    let git = |args: &[&str]| common::git::git(dir, args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    let threshold = tuned["candidates"][recommended as usize]["threshold"]
        .as_f64()
        .unwrap();
    let file = dir.join("rules/prometheusrule-fpm.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("> 0.8\n", &format!("> {threshold}\n"), 1),
    )
    .unwrap();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .current_dir(dir)
        .args([
            "diff",
            "rules",
            "--base",
            "HEAD",
            "--data",
            &data,
            "--alertmanager",
            "rules/alertmanager.yml",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let markdown = stdout(&out);
    assert!(
        markdown.contains(&format!(
            "pages `pager` {} instead of {today}",
            if after == 1 {
                "once".to_string()
            } else {
                format!("{after} times")
            }
        )),
        "{markdown}"
    );
}

#[test]
fn a_bad_configuration_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("alertmanager.yml");
    let text = std::fs::read_to_string(root("rules/alertmanager.yml"))
        .unwrap()
        .replace("      receiver: heartbeat", "      receiver: heartbaet");
    std::fs::write(&broken, &text).unwrap();
    let line = text.lines().position(|l| l.contains("heartbaet")).unwrap() + 1;
    let out = firedrill(&[
        "simulate",
        &root("rules"),
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--alertmanager",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("alertmanager.yml:{line}:17")),
        "{err}"
    );
    assert!(
        err.contains("undefined receiver \"heartbaet\" used in route"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    // In a Secret, the place is in the Secret's own lines.
    let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alertmanager-main\nstringData:\n  alertmanager.yaml: |\n{indented}"
    );
    let secret_file = dir.path().join("secret.yaml");
    std::fs::write(&secret_file, secret).unwrap();
    let out = firedrill(&[
        "lint",
        &root("rules"),
        "--alertmanager",
        secret_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!("secret.yaml:{}:21", line + 6)),
        "{}",
        stdout(&out)
    );

    // A receiver named as paging that the configuration lacks; a zone nobody has.
    for (flag, value, says) in [
        (
            "--page-receiver",
            "oncall",
            "--page-receiver \"oncall\": no such receiver",
        ),
        ("--timezone", "Mars/Olympus", "unknown time zone"),
    ] {
        let out = simulate_shipped(&[flag, value]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn the_shipped_routes_send_every_alert_somewhere() {
    let out = firedrill(&[
        "lint",
        &root("rules"),
        "--alertmanager",
        &root("rules/alertmanager.yml"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn lint_checks_an_alertmanager_configuration_alone() {
    // As `amtool check-config` does: no rule files given.
    let out = firedrill(&["lint", "--alertmanager", &root("rules/alertmanager.yml")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "All checks passed: the Alertmanager configuration {}.",
            root("rules/alertmanager.yml")
        )),
        "{}",
        stdout(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("alertmanager.yml");
    let text = std::fs::read_to_string(root("rules/alertmanager.yml"))
        .unwrap()
        .replace("      receiver: heartbeat", "      receiver: heartbaet");
    std::fs::write(&broken, &text).unwrap();
    let line = text.lines().position(|l| l.contains("heartbaet")).unwrap() + 1;
    let out = firedrill(&["lint", "--alertmanager", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains(&format!("alertmanager.yml:{line}:17")),
        "{said}"
    );
    assert!(
        said.contains("Found 1 error in the Alertmanager configuration"),
        "{said}"
    );
    // Neither rules nor a configuration: a usage error naming both.
    let out = firedrill(&["lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--alertmanager FILE alone"),
        "{}",
        stderr(&out)
    );
}
