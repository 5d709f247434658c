//! The timeline: the signal of the most relevant series over the window,
//! today's and the recommended threshold, incidents and false positives,
//! and below each chart a strip of when the alert was pending and firing,
//! today and with the recommendation. Under the whole window, a close-up of
//! each mark (up to three), where a four-minute false positive is visible.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    axis_time, err, Area, PlotOptions, TimeAxis, FALSE_POSITIVE, FONT, INCIDENT, PENDING,
    RECOMMENDED, SERIES_COLOURS, TODAY,
};
use crate::promql::Comparison;
use crate::replay::{Series, Timeline};
use crate::tune::{marks::short_utc, snippet::number, Tuning};

pub fn draw_timeline(
    area: &Area<'_>,
    tuning: &Tuning,
    series: &[Series],
    options: &PlotOptions,
) -> Result<(), String> {
    match area {
        Area::Bitmap(root) => timeline(root, tuning, series, options),
        Area::Svg(root) => timeline(root, tuning, series, options),
    }
}

/// A time span to show in close-up, and its caption.
struct Zoom {
    from: i64,
    to: i64,
    caption: String,
}

fn timeline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Tuning,
    series: &[Series],
    options: &PlotOptions,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let window = (t.grid.start_ms, t.grid.at(t.grid.len));
    let title = format!(
        "{}: {} to {} (UTC)",
        t.plan.alertname,
        short_utc(window.0),
        short_utc(window.1)
    );
    let body = root
        .titled(&title, (FONT, 28).into_font().style(FontStyle::Bold))
        .map_err(err)?;
    let chosen = choose_series(t, series, options);
    let zooms = zooms(t, window);
    let (main, rest) = if zooms.is_empty() {
        (body.clone(), None)
    } else {
        let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 * 56 / 100);
        (top, Some(bottom))
    };
    let subtitle = format!(
        "{} of {} series{}",
        chosen.len(),
        t.series,
        match &t.plan.mode {
            crate::replay::plan::PlanMode::Split { .. } =>
                ", the signal (the expression without its comparison)",
            crate::replay::plan::PlanMode::Whole { .. } => ", the whole expression's value",
        }
    );
    panel(&main, t, &chosen, window, &subtitle, true, true)?;
    if let Some(rest) = rest {
        let cells = rest.split_evenly((1, zooms.len()));
        for (cell, zoom) in cells.iter().zip(&zooms) {
            panel(
                cell,
                t,
                &chosen,
                (zoom.from, zoom.to),
                &zoom.caption,
                false,
                false,
            )?;
        }
    }
    Ok(())
}

/// The series worth showing: those named by `--plot-series`, else the
/// strongest during the marks, then overall, on the side that fires.
fn choose_series<'a>(t: &Tuning, series: &'a [Series], options: &PlotOptions) -> Vec<&'a Series> {
    if !options.label_sets.is_empty() {
        return series
            .iter()
            .filter(|s| {
                options
                    .label_sets
                    .iter()
                    .any(|set| set.iter().all(|pair| s.labels.contains(pair)))
            })
            .collect();
    }
    let sign = match t.op() {
        Some(Comparison::Lt | Comparison::Le) => -1.0,
        _ => 1.0,
    };
    let grid = t.grid;
    let index = |ms: i64| ((ms - grid.start_ms).max(0) / grid.step_ms.max(1)) as usize;
    let spans: Vec<(usize, usize)> = t
        .incidents
        .iter()
        .map(|i| (i.start_ms, i.end_ms))
        .chain(t.false_positives.iter().map(|f| f.window))
        .map(|(a, b)| (index(a), index(b).min(grid.len)))
        .collect();
    let peak = |values: &[f64]| {
        values
            .iter()
            .filter(|v| !v.is_nan())
            .map(|v| sign * v)
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let mut ranked: Vec<(f64, f64, &Series)> = series
        .iter()
        .map(|s| {
            let in_marks = spans
                .iter()
                .filter(|(a, b)| a < b)
                .map(|&(a, b)| peak(&s.values[a..b]))
                .fold(f64::NEG_INFINITY, f64::max);
            (in_marks, peak(&s.values), s)
        })
        .filter(|(_, overall, _)| overall.is_finite())
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    ranked
        .into_iter()
        .take(options.top.max(1))
        .map(|(_, _, s)| s)
        .collect()
}

/// Close-ups: the false positives first, then the incidents; three at most.
fn zooms(t: &Tuning, window: (i64, i64)) -> Vec<Zoom> {
    let hour = 3_600_000;
    let around = |a: i64, b: i64| {
        let pad = (b - a).max(hour / 2) * 2;
        ((a - pad).max(window.0), (b + pad).min(window.1))
    };
    let mut out: Vec<Zoom> = Vec::new();
    for fp in &t.false_positives {
        let (from, to) = around(fp.window.0, fp.window.1);
        let note = fp
            .mark
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        out.push(Zoom {
            from,
            to,
            caption: format!("false positive {}{note}", short_utc(fp.mark.at_ms)),
        });
    }
    for inc in &t.incidents {
        let (from, to) = around(inc.start_ms, inc.end_ms);
        let note = inc
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        out.push(Zoom {
            from,
            to,
            caption: format!("{}{note}", inc.describe()),
        });
    }
    out.truncate(3);
    out
}

/// One chart: the signal over `[from, to)` and, under it, the states strip.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Tuning,
    chosen: &[&Series],
    (from, to): (i64, i64),
    caption: &str,
    with_day: bool,
    legend: bool,
) -> Result<(), String> {
    let height = area.dim_in_pixel().1;
    let (chart_area, strip_area) = area.split_vertically(height * 80 / 100);
    let today = t.today().candidate().threshold;
    let recommended = t
        .recommendation()
        .filter(|_| t.recommended != Some(0))
        .and_then(|r| r.candidate().threshold);
    let (lo, hi) = y_range(t, chosen, (from, to), [today, recommended]);
    let label_font = (FONT, if with_day { 16 } else { 14 });
    // About 9 pixels a character at this size: a long note is cut to fit.
    let fits = (area.dim_in_pixel().0 / 9).max(10) as usize;
    let caption = if caption.chars().count() > fits {
        let cut: String = caption.chars().take(fits - 3).collect();
        format!("{}...", cut.trim_end())
    } else {
        caption.to_string()
    };
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(&caption, (FONT, if with_day { 20 } else { 17 }))
        .margin_left(10)
        .margin_right(40)
        .margin_top(6)
        .x_label_area_size(if with_day { 28 } else { 24 })
        .y_label_area_size(if with_day { 96 } else { 90 })
        .build_cartesian_2d(TimeAxis { from, to }, lo..hi)
        .map_err(err)?;
    let days = TimeAxis { from, to }.ticks_span_days();
    chart
        .configure_mesh()
        .x_labels(if with_day { 10 } else { 5 })
        .y_labels(6)
        .x_label_formatter(&|ms| axis_time(*ms, days))
        .y_label_formatter(&|v| short_number(*v))
        .label_style(label_font)
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;
    // Marks behind everything.
    for inc in &t.incidents {
        if inc.end_ms > from && inc.start_ms < to {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(inc.start_ms.max(from), lo), (inc.end_ms.min(to), hi)],
                    INCIDENT.mix(0.18).filled(),
                )))
                .map_err(err)?;
        }
    }
    for fp in &t.false_positives {
        let (a, b) = fp.window;
        if b > from && a < to {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a.max(from), lo), (b.min(to), hi)],
                    FALSE_POSITIVE.mix(0.16).filled(),
                )))
                .map_err(err)?;
        }
        if (from..to).contains(&fp.mark.at_ms) {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(fp.mark.at_ms, lo), (fp.mark.at_ms, hi)],
                    FALSE_POSITIVE.stroke_width(2),
                )))
                .map_err(err)?;
        }
    }
    let px = chart_area.dim_in_pixel().0.max(100) as usize;
    let names = distinguishing_labels(chosen);
    for (i, s) in chosen.iter().enumerate() {
        let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
        let segments = decimate(t, &s.values, (from, to), px);
        let mut first = true;
        for segment in segments {
            // One pixel: plotters' bitmap backend draws thicker near-vertical
            // segments with stray spikes.
            let drawn = chart
                .draw_series(LineSeries::new(segment, colour.stroke_width(1)))
                .map_err(err)?;
            if first && legend {
                drawn.label(names[i].clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            }
            first = false;
        }
    }
    let op = t.op().map(|o| o.symbol()).unwrap_or("");
    for (value, colour, name) in [
        (today, TODAY, "today"),
        (recommended, RECOMMENDED, "recommended"),
    ] {
        let Some(v) = value else { continue };
        let drawn = chart
            .draw_series(DashedLineSeries::new(
                vec![(from, v), (to, v)],
                10,
                6,
                colour.stroke_width(2),
            ))
            .map_err(err)?;
        if legend {
            drawn
                .label(format!("{name}: {op} {}", number(v)))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
    }
    if legend {
        // Marks and states in the legend, drawn as their swatches.
        if !t.incidents.is_empty() {
            chart
                .draw_series(std::iter::empty::<Rectangle<(i64, f64)>>())
                .map_err(err)?
                .label("incident (marked)")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], INCIDENT.mix(0.35).filled())
                });
        }
        if !t.false_positives.is_empty() {
            chart
                .draw_series(std::iter::empty::<Rectangle<(i64, f64)>>())
                .map_err(err)?
                .label("false positive (marked)")
                .legend(|(x, y)| {
                    Rectangle::new(
                        [(x, y - 6), (x + 20, y + 6)],
                        FALSE_POSITIVE.mix(0.35).filled(),
                    )
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FONT, 15))
            .draw()
            .map_err(err)?;
    }
    states_strip(&strip_area, t, (from, to), with_day)
}

/// Two rows under a chart: when the alert was pending and firing today,
/// and with the recommendation.
fn states_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Tuning,
    (from, to): (i64, i64),
    with_day: bool,
) -> Result<(), String> {
    let rows: Vec<(&str, &[Timeline], RGBColor)> = match t.recommended {
        Some(i) if i != 0 => vec![
            ("today", &t.today_timelines, TODAY),
            ("recommended", &t.recommended_timelines, RECOMMENDED),
        ],
        _ => vec![("today", &t.today_timelines, TODAY)],
    };
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(40)
        .y_label_area_size(if with_day { 96 } else { 90 })
        .build_cartesian_2d(TimeAxis { from, to }, 0.0..n)
        .map_err(err)?;
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .disable_y_mesh()
        .y_labels(rows.len() * 2 + 1)
        .y_label_formatter(&|v| {
            // Row r spans [n-1-r, n-r); its name sits at the middle.
            let r = n - 0.5 - v;
            let ri = r.round();
            if (r - ri).abs() < 0.01 && ri >= 0.0 && (ri as usize) < names.len() {
                names[ri as usize].to_string()
            } else {
                String::new()
            }
        })
        .label_style((FONT, 13))
        .draw()
        .map_err(err)?;
    for (r, (_, timelines, colour)) in rows.iter().enumerate() {
        let top = n - r as f64 - 0.15;
        let bottom = n - r as f64 - 0.85;
        let clip = |(a, b): (i64, i64)| (a.max(from), b.min(to));
        let boxes = |intervals: Vec<(i64, i64)>, style: ShapeStyle| {
            intervals
                .into_iter()
                .map(clip)
                .filter(|(a, b)| a < b)
                .map(move |(a, b)| Rectangle::new([(a, bottom), (b, top)], style))
                .collect::<Vec<_>>()
        };
        let pending: Vec<(i64, i64)> = timelines
            .iter()
            .flat_map(|l| l.pending.iter().copied())
            .collect();
        let firing: Vec<(i64, i64)> = timelines
            .iter()
            .flat_map(|l| l.firing.iter().copied())
            .collect();
        chart
            .draw_series(boxes(pending, PENDING.mix(0.7).filled()))
            .map_err(err)?;
        chart
            .draw_series(boxes(firing, colour.filled()))
            .map_err(err)?;
    }
    // A hairline per row so an empty row still reads as "never fired".
    for r in 0..rows.len() {
        let y = n - r as f64 - 0.5;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(from, y), (to, y)],
                RGBColor(200, 200, 200).stroke_width(1),
            )))
            .map_err(err)?;
    }
    Ok(())
}

fn y_range(
    t: &Tuning,
    chosen: &[&Series],
    (from, to): (i64, i64),
    lines: [Option<f64>; 2],
) -> (f64, f64) {
    let grid = t.grid;
    let a = ((from - grid.start_ms).max(0) / grid.step_ms.max(1)) as usize;
    let b = (((to - grid.start_ms).max(0) / grid.step_ms.max(1)) as usize).min(grid.len);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in chosen {
        for v in s.values[a.min(b)..b].iter().filter(|v| v.is_finite()) {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    for v in lines.into_iter().flatten().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - span * 0.06, hi + span * 0.1)
}

/// Points of one series over `[from, to)`, at most about two per pixel:
/// each bucket keeps its lowest and highest sample (in time order), so
/// spikes survive. Gaps (no sample) split the line.
fn decimate(t: &Tuning, values: &[f64], (from, to): (i64, i64), px: usize) -> Vec<Vec<(i64, f64)>> {
    let grid = t.grid;
    let step = grid.step_ms.max(1);
    let a = ((from - grid.start_ms).max(0) / step) as usize;
    let b = (((to - grid.start_ms).max(0) + step - 1) / step) as usize;
    let b = b.min(values.len());
    if a >= b {
        return Vec::new();
    }
    let bucket = (b - a).div_ceil(2 * px).max(1);
    let mut segments: Vec<Vec<(i64, f64)>> = Vec::new();
    let mut current: Vec<(i64, f64)> = Vec::new();
    let mut k = a;
    while k < b {
        let end = (k + bucket).min(b);
        let mut lowest: Option<usize> = None;
        let mut highest: Option<usize> = None;
        let mut gap = false;
        for j in k..end {
            let v = values[j];
            if !v.is_finite() {
                gap = true;
                continue;
            }
            if lowest.is_none_or(|l| v < values[l]) {
                lowest = Some(j);
            }
            if highest.is_none_or(|h| v > values[h]) {
                highest = Some(j);
            }
        }
        let mut picks: Vec<usize> = lowest.into_iter().chain(highest).collect();
        picks.sort_unstable();
        picks.dedup();
        for j in picks {
            current.push((grid.at(j), values[j]));
        }
        if gap && !current.is_empty() {
            segments.push(std::mem::take(&mut current));
        }
        k = end;
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

/// Each series named by the labels that tell it from the others shown (all
/// of them when one is shown).
fn distinguishing_labels(chosen: &[&Series]) -> Vec<String> {
    chosen
        .iter()
        .map(|s| {
            let varying: Vec<(String, String)> = s
                .labels
                .iter()
                .filter(|(k, v)| {
                    k != "__name__"
                        && (chosen.len() == 1
                            || chosen.iter().any(|o| {
                                o.labels.iter().find(|(ok, _)| ok == k).map(|(_, ov)| ov) != Some(v)
                            }))
                })
                .cloned()
                .collect();
            series_label(&varying)
        })
        .collect()
}

fn series_label(labels: &[(String, String)]) -> String {
    let inner: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k != "__name__")
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    let text = format!("{{{}}}", inner.join(", "));
    if text.chars().count() > 70 {
        let cut: String = text.chars().take(67).collect();
        format!("{cut}...}}")
    } else {
        text
    }
}

/// Axis numbers without float noise: 0.85, 1.2k, 3M.
pub(crate) fn short_number(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.3}"))
    }
}
