//! The sweep curve: pages in the window and firing time against the
//! threshold, one line per `for`, on log scales (a low threshold pages
//! hundreds of times; the interesting choices page a handful). Candidates
//! that meet every mark are filled dots, the others hollow; today's rule and
//! the recommendation are ringed and named; the thresholds tied with the
//! recommendation are shaded.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::timeline::short_number;
use super::{err, Area, FONT, RECOMMENDED, SERIES_COLOURS, TODAY};
use crate::rules::Duration;
use crate::tune::{Scored, Tuning};

pub fn draw_sweep(area: &Area<'_>, tuning: &Tuning) -> Result<(), String> {
    match area {
        Area::Bitmap(root) => sweep(root, tuning),
        Area::Svg(root) => sweep(root, tuning),
    }
}

/// What is on the x axis: thresholds when they were swept, else `for`.
#[derive(Clone, Copy, PartialEq)]
enum Axis {
    Threshold,
    For,
}

fn sweep<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, t: &Tuning) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let mut thresholds: Vec<f64> = t
        .candidates
        .iter()
        .filter_map(|s| s.candidate().threshold)
        .collect();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let axis = if thresholds.len() >= 2 {
        Axis::Threshold
    } else {
        Axis::For
    };
    // Only the keep_firing_for of the recommendation (else today's): one
    // line per `for` stays readable.
    let keep = t
        .recommendation()
        .unwrap_or_else(|| t.today())
        .candidate()
        .keep_firing_for
        .millis;
    let shown: Vec<&Scored> = t
        .candidates
        .iter()
        .filter(|s| s.candidate().keep_firing_for.millis == keep)
        .collect();
    let x_of = |s: &Scored| match axis {
        Axis::Threshold => s.candidate().threshold.unwrap_or(0.0),
        Axis::For => s.candidate().for_.millis as f64 / 60_000.0,
    };
    let (x0, x1) = shown
        .iter()
        .map(|s| x_of(s))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let pad = if x1 > x0 { (x1 - x0) * 0.03 } else { 1.0 };
    let x_range = (x0 - pad)..(x1 + pad);
    let title = format!(
        "{}: {} over {}",
        t.plan.alertname,
        match axis {
            Axis::Threshold => "pages and firing time by threshold and `for`",
            Axis::For => "pages and firing time by `for`",
        },
        Duration {
            millis: (t.grid.len as u64 * t.grid.step_ms.max(0) as u64).max(1)
        }
    );
    let body = root
        .titled(&title, (FONT, 26).into_font().style(FontStyle::Bold))
        .map_err(err)?;
    let (upper, lower) = body.split_vertically(body.dim_in_pixel().1 / 2);
    let pages = |s: &Scored| s.outcome.pages as f64;
    let hours = |s: &Scored| s.outcome.firing_ms as f64 / 3_600_000.0;
    panel(
        &upper,
        t,
        &shown,
        x_range.clone(),
        axis,
        "pages in the window",
        &pages,
        true,
    )?;
    panel(
        &lower,
        t,
        &shown,
        x_range,
        axis,
        "firing time (hours)",
        &hours,
        false,
    )
}

#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Tuning,
    shown: &[&Scored],
    x_range: std::ops::Range<f64>,
    axis: Axis,
    what: &str,
    y_of: &dyn Fn(&Scored) -> f64,
    legend: bool,
) -> Result<(), String> {
    // Log scale; zero is drawn at the floor.
    let positive: Vec<f64> = shown.iter().map(|s| y_of(s)).filter(|y| *y > 0.0).collect();
    let top = positive.iter().copied().fold(1.0, f64::max) * 2.0;
    let floor = positive
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(1.0)
        * 0.5;
    let floor = if floor.is_finite() { floor } else { 0.5 };
    let y = |s: &Scored| y_of(s).max(floor);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range.clone(), (floor..top).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(match axis {
            Axis::Threshold => format!(
                "threshold x (the rule fires when the signal {} x)",
                t.op().map(|o| o.symbol()).unwrap_or("")
            ),
            Axis::For => "for (minutes)".to_string(),
        })
        .y_desc(what)
        .x_label_formatter(&|v| short_number(*v))
        .y_label_formatter(&|v| {
            if *v <= floor * 1.0001 {
                "0".into()
            } else {
                short_number(*v)
            }
        })
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;
    if let (Axis::Threshold, Some((lo, hi))) = (axis, t.equivalent) {
        if hi > lo {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(lo, floor), (hi, top)],
                    RECOMMENDED.mix(0.12).filled(),
                )))
                .map_err(err)?;
        }
    }
    let x_of = |s: &Scored| match axis {
        Axis::Threshold => s.candidate().threshold.unwrap_or(0.0),
        Axis::For => s.candidate().for_.millis as f64 / 60_000.0,
    };
    // One line per `for` (threshold axis), or one line (for axis).
    let groups = line_groups(t, shown, axis);
    for (i, &for_ms) in groups.iter().enumerate() {
        let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
        let mut points: Vec<&Scored> = shown
            .iter()
            .copied()
            .filter(|s| axis == Axis::For || s.candidate().for_.millis == for_ms)
            .collect();
        points.sort_by(|a, b| x_of(a).total_cmp(&x_of(b)));
        let line: Vec<(f64, f64)> = points.iter().map(|s| (x_of(s), y(s))).collect();
        let drawn = chart
            .draw_series(LineSeries::new(line, colour.stroke_width(2)))
            .map_err(err)?;
        if legend && axis == Axis::Threshold {
            let name = if for_ms == 0 {
                "for 0s".to_string()
            } else {
                format!("for {}", Duration { millis: for_ms })
            };
            drawn.label(name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
            });
        }
        chart
            .draw_series(points.iter().map(|s| {
                let style = if s.meets_every_mark() {
                    colour.filled()
                } else {
                    WHITE.filled()
                };
                EmptyElement::at((x_of(s), y(s)))
                    + Circle::new((0, 0), 4, style)
                    + Circle::new((0, 0), 4, colour.stroke_width(1))
            }))
            .map_err(err)?;
    }
    let mut rings = vec![(t.today(), TODAY, "today")];
    if let Some(r) = t.recommendation().filter(|_| t.recommended != Some(0)) {
        rings.push((r, RECOMMENDED, "recommended"));
    }
    for (s, colour, name) in rings {
        let at = (x_of(s), y(s));
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(at)
                    + Circle::new((0, 0), 10, colour.stroke_width(3))
                    + Text::new(
                        name.to_string(),
                        (12, -22),
                        (FONT, 16).into_font().color(&colour),
                    ),
            ))
            .map_err(err)?;
    }
    if legend {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(err)?
            .label("filled: meets every mark")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, BLACK.filled()));
        if axis == Axis::Threshold && t.equivalent.is_some_and(|(lo, hi)| hi > lo) {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label("thresholds as good as the recommended")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], RECOMMENDED.mix(0.3).filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FONT, 15))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// The `for` values drawn as lines: today's and the recommended one first,
/// then the others in order, six at most so colours stay apart.
fn line_groups(t: &Tuning, shown: &[&Scored], axis: Axis) -> Vec<u64> {
    if axis == Axis::For {
        return vec![0];
    }
    let mut all: Vec<u64> = shown.iter().map(|s| s.candidate().for_.millis).collect();
    all.sort_unstable();
    all.dedup();
    let mut chosen = vec![t.today().candidate().for_.millis];
    if let Some(r) = t.recommendation() {
        chosen.push(r.candidate().for_.millis);
    }
    chosen.extend(all);
    let mut out: Vec<u64> = Vec::new();
    for f in chosen {
        if !out.contains(&f) && out.len() < 6 {
            out.push(f);
        }
    }
    out.sort_unstable();
    out
}
