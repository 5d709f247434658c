//! `firedrill tune` end to end on the shipped example: the recommendation
//! after the fixture's false positive, checked against `simulate`'s own
//! replay of the recommended rule; marks from flags and from a file; the
//! report formats and plots; and the inputs that must fail clearly.

mod common;

use common::*;

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

const FP: &str = "2026-11-19T03:12Z";
const INCIDENTS: [&str; 2] = ["2026-11-17T14:00Z/40m", "2026-11-20T09:30Z/15m"];

fn tune_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "tune".into(),
        root("rules/prometheusrule-fpm.yaml"),
        "--alert".into(),
        "FPMPoolSaturation".into(),
        "--data".into(),
        root("fixtures/wecare-7d.parquet"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    firedrill(&refs)
}

fn tune_json(extra: &[&str]) -> serde_json::Value {
    let mut extra = extra.to_vec();
    extra.extend(["--format", "json"]);
    let out = run(&tune_args(&extra));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn flag_marks() -> Vec<&'static str> {
    vec![
        "--false-positive",
        FP,
        "--incident",
        INCIDENTS[0],
        "--incident",
        INCIDENTS[1],
    ]
}

/// Seconds since the epoch of `2026-11-DDTHH:MMZ`.
fn secs(day: i64, hour: i64, minute: i64) -> i64 {
    1_795_046_400 + (day - 19) * 86_400 + hour * 3600 + minute * 60
}

#[test]
fn the_recommendation_silences_the_false_positive_and_keeps_every_incident() {
    let json = tune_json(&flag_marks());
    let candidates = json["candidates"].as_array().unwrap();
    let today = &candidates[0];
    assert_eq!(
        (today["threshold"].as_f64(), today["for_seconds"].as_f64()),
        (Some(0.8), Some(120.0))
    );
    assert_eq!(today["quiet"][0], false, "today's rule paged at night");
    let rec = &candidates[json["recommended"].as_u64().expect("a recommendation") as usize];
    assert_eq!(rec["meets_every_mark"], true);
    let threshold = rec["threshold"].as_f64().unwrap();
    let for_s = rec["for_seconds"].as_f64().unwrap();

    // Replay the recommended rule with `simulate` and read its own firing
    // intervals: quiet during the night's episode, firing in both incidents.
    let out = firedrill(&[
        "simulate",
        &root("rules/prometheusrule-fpm.yaml"),
        "--alert",
        "FPMPoolSaturation",
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--threshold",
        &threshold.to_string(),
        "--for",
        &format!("{for_s}s"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sim: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let replayed = sim["rules"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["threshold"].as_f64() == Some(threshold) && c["for_seconds"].as_f64() == Some(for_s)
        })
        .expect("the recommended candidate replayed")
        .clone();
    let today_replayed = &sim["rules"][0]["candidates"][0];
    let firing = |c: &serde_json::Value| -> Vec<(i64, i64)> {
        c["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["firing"].as_array().unwrap().clone())
            .map(|iv| (iv[0].as_i64().unwrap(), iv[1].as_i64().unwrap()))
            .collect()
    };
    let overlaps =
        |c: &serde_json::Value, (a, b): (i64, i64)| firing(c).iter().any(|&(s, e)| s < b && a < e);
    let night = (secs(19, 3, 0), secs(19, 3, 30));
    assert!(
        overlaps(today_replayed, night),
        "today's rule fired at night"
    );
    assert!(
        !overlaps(&replayed, night),
        "the recommendation is quiet at night"
    );
    assert!(overlaps(&replayed, (secs(17, 14, 0), secs(17, 14, 40))));
    assert!(overlaps(&replayed, (secs(20, 9, 30), secs(20, 9, 45))));
    // Its page count is the replay's, too.
    assert_eq!(rec["pages"], replayed["pages"]);
    // And the snippet carries the recommended values.
    let snippet = json["snippet"].as_str().unwrap();
    assert!(snippet.contains(&format!("> {threshold}")), "{snippet}");
    assert!(
        snippet.starts_with("- alert: FPMPoolSaturation\n"),
        "{snippet}"
    );
}

#[test]
fn marks_from_the_shipped_file_equal_marks_from_flags() {
    let from_flags = tune_json(&flag_marks());
    let from_file = tune_json(&["--marks", &root("rules/incidents.toml")]);
    assert_eq!(from_flags["candidates"], from_file["candidates"]);
    assert_eq!(from_flags["recommended"], from_file["recommended"]);
    assert_eq!(
        from_file["false_positives"][0]["note"],
        "nightly export job, paged the on-call for nothing"
    );
}

#[test]
fn markdown_report_links_the_plots_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("tune.png");
    let mut extra = flag_marks();
    let png_arg = png.to_str().unwrap().to_string();
    extra.extend(["--format", "markdown", "--plot", &png_arg]);
    let out = run(&tune_args(&extra));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("### firedrill tune: `FPMPoolSaturation`"),
        "{text}"
    );
    assert!(text.contains("| `> 0.8 for 2m (today)` |"), "{text}");
    assert!(
        text.contains("```yaml\n- alert: FPMPoolSaturation"),
        "{text}"
    );
    assert!(
        text.contains(&format!("![timeline]({})", png.display())),
        "{text}"
    );
    let sweep = dir.path().join("tune-sweep.png");
    assert!(
        text.contains(&format!("![sweep]({})", sweep.display())),
        "{text}"
    );
    for (file, size) in [(&png, (1600u32, 1000u32)), (&sweep, (1200, 900))] {
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((w, h), size);
    }
}

#[test]
fn human_output_puts_today_first_and_offers_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("candidates.parquet");
    let mut extra = flag_marks();
    let table_arg = parquet.to_str().unwrap().to_string();
    extra.extend(["--out", &table_arg]);
    let out = run(&tune_args(&extra));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let table: Vec<&str> = text.lines().filter(|l| l.contains(" for ")).collect();
    assert!(table[0].contains("(today)"), "{text}");
    assert!(
        table[1].starts_with('*'),
        "the recommendation is marked: {text}"
    );
    assert!(text.contains("Recommended: threshold `> 0.8` →"), "{text}");
    assert!(text.contains("labels and annotations unchanged"), "{text}");
    // The signal, written over three lines in the rule (`expr: |`), is
    // shown on one, as simulate shows it.
    let signal: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("signal"))
        .take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with("window"))
        .collect();
    assert_eq!(
        signal.concat().split_whitespace().collect::<Vec<_>>().join(" "),
        "signal sum by (namespace, pod) (phpfpm_active_processes{namespace=\"ecommercen-clients-wecare\"}) / sum by (namespace, pod) (phpfpm_total_processes{namespace=\"ecommercen-clients-wecare\"}) > 0.8",
        "{text}"
    );
    assert!(
        signal.iter().all(|l| !l.trim_start().starts_with('/')),
        "a line of the rule's own layout: {text}"
    );
    // Every candidate as a row of the Parquet table, the recommended one flagged.
    use polars::prelude::*;
    let frame = ParquetReader::new(std::fs::File::open(&parquet).unwrap())
        .finish()
        .unwrap();
    let json = tune_json(&flag_marks());
    assert_eq!(frame.height(), json["candidates"].as_array().unwrap().len());
    let recommended = frame.column("recommended").unwrap().bool().unwrap();
    let index = json["recommended"].as_u64().unwrap() as usize;
    assert_eq!(recommended.get(index), Some(true));
    assert_eq!(recommended.sum(), Some(1));
    assert!(frame.column("incident_2_delay_ms").is_ok());
}

#[test]
fn a_false_positive_inside_an_incident_is_a_named_conflict_with_exit_1() {
    let out = run(&tune_args(&[
        "--false-positive",
        "2026-11-17T14:10Z",
        "--incident",
        INCIDENTS[0],
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("No candidate meets every mark"), "{text}");
    assert!(text.contains("cannot be told apart"), "{text}");
    assert!(text.contains("overlaps the incident"), "{text}");
}

#[test]
fn an_alert_that_never_fired_on_a_flat_signal_is_reported_as_such() {
    let out = firedrill(&[
        "tune",
        &root("rules"),
        "--alert",
        "MariaDBDown",
        "--data",
        &root("fixtures/wecare-7d.parquet"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("never fired"), "{text}");
    assert!(text.contains("flat at 1"), "{text}");
    assert!(text.contains("No recommendation"), "{text}");
    assert!(text.contains("nothing to silence"), "{text}");
}

#[test]
fn a_whole_expression_tunes_for_only_and_plots_as_svg() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("w.svg");
    let out = firedrill(&[
        "tune",
        &root("rules"),
        "--alert",
        "Watchdog",
        "--data",
        &root("fixtures/wecare-7d.parquet"),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("only `for` and `keep_firing_for` are tuned"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") && text.contains("Watchdog"),
        "{}",
        &text[..200]
    );
    assert!(dir.path().join("w-sweep.svg").is_file());
}

#[test]
fn bad_input_fails_clearly_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            tune_args(&["--incident", "2026-12-01T00:00Z/10m"]),
            "lies outside the replayed window",
        ),
        (
            tune_args(&["--false-positive", "2026-11-10T03:00Z"]),
            "lies outside the replayed window",
        ),
        (
            tune_args(&["--incident", "2026-11-17T14:00Z"]),
            "start and length",
        ),
        (
            tune_args(&["--false-positive", "yesterday"]),
            "neither RFC 3339",
        ),
        (tune_args(&["--plot", "t.jpg"]), ".png or .svg"),
        (
            vec![
                "tune".into(),
                root("rules"),
                "--data".into(),
                root("fixtures/wecare-7d.parquet"),
            ],
            "give --alert NAME",
        ),
        (
            vec![
                "tune".into(),
                root("rules"),
                "--alert".into(),
                "Nope".into(),
                "--data".into(),
                root("fixtures/wecare-7d.parquet"),
            ],
            "no alerting rule named \"Nope\"",
        ),
    ];
    for (args, expected) in cases {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    // A marks file with a mistake: its place is shown.
    let marks = dir.path().join("marks.toml");
    std::fs::write(
        &marks,
        "[[incident]]\nstart = \"2026-11-17T14:00Z\"\nduraton = \"40m\"\n",
    )
    .unwrap();
    let out = run(&tune_args(&["--marks", marks.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("duraton"), "{err}");
    assert!(err.contains("marks.toml:3:1"), "{err}");
    assert!(!dir.path().join("t.jpg").exists());
}

#[test]
fn without_marks_the_shipped_week_gets_the_sweep_and_no_recommendation() {
    // The busy/total ratio never exceeds 1: `> 1` would never fire, and
    // "fewest pages" used to recommend it.
    let json = tune_json(&[]);
    assert_eq!(json["objective"], "survey");
    assert!(json["recommended"].is_null(), "{json:#}");
    assert!(json["snippet"].is_null());
    let candidates = json["candidates"].as_array().unwrap();
    for c in &candidates[1..] {
        let th = c["threshold"].as_f64().unwrap();
        assert!(th < 1.0, "{th}: no sample is above 1");
    }
    for i in json["shortlist"].as_array().unwrap() {
        let c = &candidates[i.as_u64().unwrap() as usize];
        assert!(c["pages"].as_u64().unwrap() > 0, "{c}");
    }
    // Today's six pages, listed so they can be marked.
    let pages = json["today_pages"].as_array().unwrap();
    assert_eq!(pages.len() as u64, candidates[0]["pages"].as_u64().unwrap());
    assert_eq!(pages.len(), 6);

    let out = run(&tune_args(&[]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("No recommendation"), "{text}");
    assert!(!text.contains("Recommended"), "{text}");
    assert!(!text.contains("> 1 "), "{text}");
    assert!(text.contains("Today's rule paged 6 times"), "{text}");
    assert!(text.contains("2026-11-19 03:14"), "{text}");
    assert!(text.contains("--false-positive"), "{text}");
}

#[test]
fn with_only_the_false_positive_the_smallest_change_keeps_the_other_pages() {
    let json = tune_json(&["--false-positive", FP]);
    assert_eq!(json["objective"], "keep_other_pages");
    let rec = &json["candidates"][json["recommended"].as_u64().unwrap() as usize];
    let today = &json["candidates"][0];
    assert_eq!(rec["quiet"], serde_json::json!([true]));
    // Today's six pages: the false positive and five others, all kept.
    assert_eq!(today["pages"], 6);
    assert_eq!(rec["other_pages_kept"], 5);
    // The smallest change: today's `for`, the lowest threshold that is quiet.
    assert_eq!(rec["for_seconds"], today["for_seconds"]);
    let th = rec["threshold"].as_f64().unwrap();
    let [lo, _hi] = [0, 1].map(|i| json["equivalent_thresholds"][i].as_f64().unwrap());
    assert_eq!(th, lo);
    for c in json["candidates"].as_array().unwrap() {
        let quiet = c["quiet"][0].as_bool().unwrap();
        let same_timing = c["for_seconds"] == today["for_seconds"];
        let t = c["threshold"].as_f64().unwrap();
        if quiet && same_timing && t >= 0.8 && c["pages"].as_u64().unwrap() > 0 {
            assert!(t >= th, "{t} is nearer today's and quiet too");
        }
    }
    // Every verdict has its reason.
    for c in json["candidates"].as_array().unwrap() {
        assert!(!c["verdict"].as_str().unwrap().is_empty(), "{c}");
    }

    let text = stdout(&run(&tune_args(&["--false-positive", FP])));
    assert!(
        text.contains("keeps 5 of today's 6 pages; it loses none outside the false positive"),
        "{text}"
    );
    assert!(text.contains("presumed real"), "{text}");
}

#[test]
fn the_chosen_threshold_is_the_middle_the_text_names() {
    let json = tune_json(&flag_marks());
    let rec = &json["candidates"][json["recommended"].as_u64().unwrap() as usize];
    let th = rec["threshold"].as_f64().unwrap();
    let [lo, hi] = [0, 1].map(|i| json["equivalent_thresholds"][i].as_f64().unwrap());
    assert!(lo < th && th < hi, "{lo} {th} {hi}");
    assert!(((lo + hi) / 2.0 - th).abs() < 1e-9, "{lo} {th} {hi}");
    for c in json["candidates"].as_array().unwrap() {
        assert!(!c["verdict"].as_str().unwrap().is_empty(), "{c}");
    }
    let text = stdout(&run(&tune_args(&flag_marks())));
    assert!(
        text.contains(&format!("{th}, the middle, keeps a margin")),
        "{text}"
    );
}
