use super::*;
use crate::promql::Comparison;
use crate::replay::plan::{IntervalFrom, Plan, PlanMode};
use crate::replay::Grid;
use crate::rules::Duration;
use crate::tune::{self, FalsePositive, Incident, Marks, TuneOptions};

const MIN: i64 = 60_000;

/// Two pools over a day: a false positive at 03:00, incidents at 14:00 and 20:00.
fn tuning() -> (Tuning, Vec<Series>) {
    let mut www = vec![0.3; 1440];
    for (k, v) in www.iter_mut().enumerate() {
        *v += 0.1 * ((k as f64) / 90.0).sin();
    }
    for x in &mut www[180..184] {
        *x = 0.86;
    }
    for x in &mut www[840..880] {
        *x = 0.97;
    }
    for x in &mut www[1200..1215] {
        *x = 0.95;
    }
    let mut api = vec![0.2; 1440];
    for x in &mut api[600..700] {
        *x = f64::NAN; // a gap
    }
    let series = vec![
        Series {
            labels: vec![("pool".into(), "www".into())],
            values: www,
        },
        Series {
            labels: vec![("pool".into(), "api".into())],
            values: api,
        },
    ];
    let plan = Plan {
        file: "f.yaml".into(),
        line: 1,
        group: "g".into(),
        alertname: "FPMPoolSaturation".into(),
        query: "busy".into(),
        written: "busy".into(),
        expr: "busy > 0.8".into(),
        mode: PlanMode::Split {
            op: Comparison::Gt,
            threshold: 0.8,
        },
        interval: Duration::from_secs(60),
        interval_from: IntervalFrom::Group,
        query_offset: Duration::ZERO,
        group_labels: Vec::new(),
        limit: 0,
        inlined: Vec::new(),
        not_inlined: Vec::new(),
        reads_recorded: Vec::new(),
        for_: Duration::from_secs(120),
        keep_firing_for: Duration::ZERO,
        static_labels: Vec::new(),
    };
    let marks = Marks {
        incidents: vec![
            Incident {
                start_ms: 840 * MIN,
                end_ms: 880 * MIN,
                note: Some("pool exhausted".into()),
            },
            Incident {
                start_ms: 1200 * MIN,
                end_ms: 1215 * MIN,
                note: None,
            },
        ],
        false_positives: vec![FalsePositive {
            at_ms: 183 * MIN,
            end_ms: None,
            note: Some("nightly job".into()),
        }],
    };
    let grid = Grid {
        start_ms: 1_795_000_000_000 - 1_795_000_000_000 % 86_400_000,
        step_ms: MIN,
        len: 1440,
    };
    let shift = grid.start_ms;
    let marks = Marks {
        incidents: marks
            .incidents
            .into_iter()
            .map(|i| Incident {
                start_ms: i.start_ms + shift,
                end_ms: i.end_ms + shift,
                ..i
            })
            .collect(),
        false_positives: marks
            .false_positives
            .into_iter()
            .map(|f| FalsePositive {
                at_ms: f.at_ms + shift,
                ..f
            })
            .collect(),
    };
    let t = tune::tune(&plan, grid, &series, &marks, &TuneOptions::default()).unwrap();
    assert!(t.recommended.is_some());
    (t, series)
}

fn options() -> PlotOptions {
    PlotOptions {
        label_sets: Vec::new(),
        top: 4,
    }
}

/// Width, height, and the share of pixels that are not white.
fn read_png(path: &Path) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let total = (info.width * info.height) as f64;
    let inked = pixels.filter(|p| p[..3].iter().any(|c| *c < 250)).count() as f64;
    (info.width, info.height, inked / total)
}

/// Pixels in a region that are of a colour close to `c`.
fn count_colour(path: &Path, c: RGBColor) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| {
            (p[0] as i32 - c.0 as i32).abs() < 8
                && (p[1] as i32 - c.1 as i32).abs() < 8
                && (p[2] as i32 - c.2 as i32).abs() < 8
        })
        .count()
}

#[test]
fn png_plots_have_the_size_asked_and_ink_in_every_colour_that_means_something() {
    let (t, series) = tuning();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tune.png");
    let written = write_plots(&t, &series, &path, &options()).unwrap();
    assert_eq!(
        written,
        vec![path.clone(), dir.path().join("tune-sweep.png")]
    );
    let (w, h, ink) = read_png(&path);
    assert_eq!((w, h), TIMELINE_SIZE);
    assert!(ink > 0.05 && ink < 0.9, "timeline ink {ink}");
    // Today's firing (red), the recommendation's (green), the first series (blue).
    assert!(count_colour(&path, TODAY) > 200);
    assert!(count_colour(&path, RECOMMENDED) > 200);
    assert!(count_colour(&path, SERIES_COLOURS[0]) > 500);
    let (w, h, ink) = read_png(&written[1]);
    assert_eq!((w, h), SWEEP_SIZE);
    assert!(ink > 0.03 && ink < 0.9, "sweep ink {ink}");
    assert!(count_colour(&written[1], TODAY) > 50);
}

#[test]
fn text_is_drawn_with_the_embedded_font() {
    // Without a font plotters draws no text at all: the title band must
    // have dark pixels.
    let (t, series) = tuning();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.png");
    write_plots(&t, &series, &path, &options()).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let row = info.width as usize * info.color_type.samples();
    let title_band = &buf[..row * 36];
    let dark = title_band
        .chunks(info.color_type.samples())
        .filter(|p| p[..3].iter().all(|c| *c < 80))
        .count();
    assert!(dark > 500, "title pixels {dark}");
}

#[test]
fn svg_plots_are_well_formed_with_the_size_asked() {
    let (t, series) = tuning();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tune.svg");
    let written = write_plots(&t, &series, &path, &options()).unwrap();
    for (file, size) in written.iter().zip([TIMELINE_SIZE, SWEEP_SIZE]) {
        let text = std::fs::read_to_string(file).unwrap();
        let mut reader = quick_xml::Reader::from_str(&text);
        let (mut texts, mut shapes, mut root_size) = (0, 0, None);
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    let name = e.name().as_ref().to_vec();
                    let attr = |key: &[u8]| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == key)
                            .map(|a| String::from_utf8_lossy(&a.value).to_string())
                    };
                    match name.as_slice() {
                        b"svg" => root_size = Some((attr(b"width"), attr(b"height"))),
                        b"text" => texts += 1,
                        b"polyline" | b"path" | b"rect" | b"circle" | b"line" => shapes += 1,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        assert_eq!(
            root_size,
            Some((Some(size.0.to_string()), Some(size.1.to_string())))
        );
        assert!(texts > 10, "{} has {texts} texts", file.display());
        assert!(shapes > 20, "{} has {shapes} shapes", file.display());
    }
}

#[test]
fn chosen_label_sets_and_unknown_extensions() {
    let (t, series) = tuning();
    let dir = tempfile::tempdir().unwrap();
    let err = write_plots(&t, &series, &dir.path().join("t.jpg"), &options()).unwrap_err();
    assert!(err.contains(".png or .svg"), "{err}");
    let only_api = PlotOptions {
        label_sets: vec![vec![("pool".into(), "api".into())]],
        top: 4,
    };
    let path = dir.path().join("api.svg");
    write_plots(&t, &series, &path, &only_api).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("pool=&quot;api&quot;") || text.contains("pool=\"api\""));
    assert!(
        !text.contains("pool=&quot;www") && !text.contains("pool=\"www"),
        "only the chosen series is drawn"
    );
}

#[test]
fn sweep_path_sits_beside_the_timeline() {
    assert_eq!(
        sweep_path(Path::new("docs/tune.png")),
        Path::new("docs/tune-sweep.png")
    );
}
