//! Plots of a tuning (plotters): the signal's timeline with thresholds,
//! alert states and marks, and the sweep curve. PNG or SVG by the file's
//! extension; text uses DejaVu Sans embedded in the binary, so no system
//! fonts are needed.

mod sweep;
mod timeline;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;

use crate::replay::Series;
use crate::tune::Tuning;

pub use sweep::draw_sweep;
pub use timeline::draw_timeline;

/// Pixels of a timeline plot; the sweep is smaller.
pub const TIMELINE_SIZE: (u32, u32) = (1600, 1000);
pub const SWEEP_SIZE: (u32, u32) = (1200, 900);

pub const FONT: &str = "sans-serif";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    pub fn of(path: &Path) -> Result<ImageFormat, String> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(ImageFormat::Png),
            Some("svg") => Ok(ImageFormat::Svg),
            _ => Err(format!(
                "{}: a plot is written as .png or .svg",
                path.display()
            )),
        }
    }
}

/// Where the sweep plot goes when the timeline goes to `path`:
/// `tune.png` → `tune-sweep.png`.
pub fn sweep_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("plot");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("png");
    path.with_file_name(format!("{stem}-sweep.{ext}"))
}

/// Which series to draw: by default the `top` most relevant.
#[derive(Debug, Clone, Default)]
pub struct PlotOptions {
    /// Only series whose labels include all of these pairs (any of the sets).
    pub label_sets: Vec<Vec<(String, String)>>,
    pub top: usize,
}

/// Writes the timeline to `path` and the sweep curve beside it; returns the
/// files written.
pub fn write_plots(
    tuning: &Tuning,
    series: &[Series],
    path: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, String> {
    let format = ImageFormat::of(path)?;
    let sweep = sweep_path(path);
    render(format, path, TIMELINE_SIZE, |root| {
        draw_timeline(root, tuning, series, options)
    })?;
    render(format, &sweep, SWEEP_SIZE, |root| draw_sweep(root, tuning))?;
    Ok(vec![path.to_path_buf(), sweep])
}

/// Draws onto a PNG or SVG file of `size`.
pub fn render(
    format: ImageFormat,
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), String>,
) -> Result<(), String> {
    register_fonts();
    let failed = |e: String| format!("writing the plot {}: {e}", path.display());
    match format {
        ImageFormat::Png => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw(&Area::Bitmap(root.clone())).map_err(failed)?;
            root.present().map_err(|e| failed(e.to_string()))
        }
        ImageFormat::Svg => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw(&Area::Svg(root.clone())).map_err(failed)?;
            root.present().map_err(|e| failed(e.to_string()))
        }
    }
}

/// The two backends behind one type; the drawing code is generic over the
/// backend and dispatched once.
pub enum Area<'a> {
    Bitmap(DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>),
    Svg(DrawingArea<SVGBackend<'a>, plotters::coord::Shift>),
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The bytes are DejaVu's own; registering cannot fail for them, and
        // if it did, text would be missing rather than the run failing.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Axis labels in UTC: `Tue 11-17` at midnight on a multi-day axis,
/// `11-17 12:00` elsewhere on it, `14:30` on a close-up.
pub(crate) fn axis_time(ms: i64, days: bool) -> String {
    let full = crate::time::format_utc(ms); // 2026-11-17T14:00:00Z
    let (date, time) = full.split_once('T').unwrap_or((&full, ""));
    let hm = time.get(..5).unwrap_or(time);
    let md = date.get(5..).unwrap_or(date);
    if !days {
        hm.to_string()
    } else if ms.rem_euclid(86_400_000) == 0 {
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        let day = ms.div_euclid(86_400_000).rem_euclid(7) as usize;
        format!("{} {md}", WEEKDAYS[day])
    } else {
        format!("{md} {hm}")
    }
}

/// A time axis (ms since the epoch) whose ticks fall on round UTC times:
/// midnights for a week, whole hours or half hours for a close-up.
#[derive(Debug, Clone)]
pub(crate) struct TimeAxis {
    pub from: i64,
    pub to: i64,
}

/// Tick spacings on a time axis, in minutes.
const TICK_MINUTES: [i64; 14] = [
    1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200,
];

impl TimeAxis {
    /// The spacing of at most `n` ticks.
    pub fn tick_ms(&self, n: usize) -> i64 {
        let span = (self.to - self.from).max(1);
        TICK_MINUTES
            .iter()
            .map(|m| m * 60_000)
            .find(|step| span / step < n.max(1) as i64)
            .unwrap_or(span)
    }

    /// Whether ticks at this spacing need the date, not only the time.
    pub fn ticks_span_days(&self) -> bool {
        self.to - self.from > 86_400_000
    }
}

impl plotters::coord::ranged1d::Ranged for TimeAxis {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = i64;

    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        let span = (self.to - self.from).max(1) as f64;
        let frac = (*value - self.from) as f64 / span;
        let pixels = (limit.1 - limit.0) as f64;
        (limit.0 as f64 + frac * pixels).round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<i64> {
        let step = self.tick_ms(hint.max_num_points());
        let first = (self.from + step - 1).div_euclid(step) * step;
        (0..)
            .map(|k| first + k * step)
            .take_while(|t| *t <= self.to)
            .collect()
    }

    fn range(&self) -> std::ops::Range<i64> {
        self.from..self.to
    }
}

impl plotters::coord::ranged1d::ValueFormatter<i64> for TimeAxis {
    fn format(value: &i64) -> String {
        axis_time(*value, true)
    }

    fn format_ext(&self, value: &i64) -> String {
        axis_time(*value, self.ticks_span_days())
    }
}

/// A drawing error as text.
pub(crate) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Colours that stay apart for a few series and print well.
pub(crate) const SERIES_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(148, 103, 189),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(0, 0, 0),
    RGBColor(227, 119, 194),
];
pub(crate) const TODAY: RGBColor = RGBColor(214, 39, 40);
pub(crate) const RECOMMENDED: RGBColor = RGBColor(44, 160, 44);
pub(crate) const PENDING: RGBColor = RGBColor(255, 152, 0);
pub(crate) const INCIDENT: RGBColor = RGBColor(66, 133, 244);
pub(crate) const FALSE_POSITIVE: RGBColor = RGBColor(233, 30, 140);

#[cfg(test)]
mod tests;
