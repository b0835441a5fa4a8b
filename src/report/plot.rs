//! The angle over time, with the frames that counted, the hold and the result marked.

use std::sync::Once;

use image::RgbImage;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::{DrawError, FONT_TTF};
use crate::angles::AngleSeries;
use crate::protocols::{self, Measurement, Protocol};

static REGISTER_FONT: Once = Once::new();

pub(crate) fn register_font() {
    REGISTER_FONT.call_once(|| {
        // The compiled-in font always parses; should it not, plotters falls back to no text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_TTF);
    });
}

/// What to draw.
pub struct AnglePlot<'a> {
    pub title: &'a str,
    /// Axis label, for example "left hip_flexion (deg)".
    pub y_label: &'a str,
    pub time_s: &'a [f64],
    /// Every frame's angle, degrees (NaN where unknown).
    pub all: &'a [f32],
    /// Whether each frame counted (met the protocol's criteria).
    pub valid: &'a [bool],
    /// The held interval, seconds, and the result, degrees.
    pub hold: Option<(f64, f64)>,
    pub result_deg: Option<f32>,
    /// Written in red under the title: why there is no result.
    pub note: Option<&'a str>,
}

/// The plot of `result`, a result of `protocol`'s main measure measured over `series`: the
/// angle over time (seconds), the frames that counted, the hold and the value, or why there is
/// none. 1200 x 600 pixels.
pub fn result_plot(
    protocol: &Protocol,
    series: &AngleSeries,
    result: &Measurement,
) -> Result<RgbImage, DrawError> {
    let measure = protocol
        .measure_named(&result.measure)
        .unwrap_or_else(|| protocol.main_measure());
    let side = result.side;
    let values: Vec<f32> = measure.values(series, side).collect();
    let valid = protocols::valid_frames(protocol, series, side);
    let title = format!(
        "{} · {} {} · {}",
        protocol.id,
        side.name(),
        result.measure,
        result.source
    );
    let y_label = format!("{} (deg)", result.measure);
    let note = result
        .refusal
        .as_ref()
        .map(|refusal| format!("no result: {}", refusal.reason));
    let plot = AnglePlot {
        title: &title,
        y_label: &y_label,
        time_s: &series.time_s,
        all: &values,
        valid: &valid,
        hold: result.hold_start_s.zip(result.hold_end_s),
        result_deg: result.value_deg,
        note: note.as_deref(),
    };
    render_angle_plot(&plot, 1200, 600)
}

/// Renders the plot to an RGB picture `width` x `height` pixels.
pub fn render_angle_plot(plot: &AnglePlot, width: u32, height: u32) -> Result<RgbImage, DrawError> {
    register_font();
    let failed = |e: &dyn std::fmt::Display| DrawError::new("angle plot", e);
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(&e))?;
        let finite: Vec<f32> = plot.all.iter().copied().filter(|v| v.is_finite()).collect();
        let (lo, hi) = finite
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let (lo, hi) = if finite.is_empty() {
            (0.0, 90.0)
        } else {
            (lo - 5.0, hi + 5.0)
        };
        let t_end = plot.time_s.last().copied().unwrap_or(1.0).max(1e-3);
        let mut chart = ChartBuilder::on(&root)
            .caption(plot.title, ("sans-serif", 26))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t_end, lo as f64..hi as f64)
            .map_err(|e| failed(&e))?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc(plot.y_label)
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .draw()
            .map_err(|e| failed(&e))?;
        if let Some((start, end)) = plot.hold {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(start, lo as f64), (end, hi as f64)],
                    RGBColor(200, 240, 200).filled(),
                )))
                .map_err(|e| failed(&e))?
                .label("hold")
                .legend(|(x, y)| {
                    Rectangle::new(
                        [(x, y - 6), (x + 16, y + 6)],
                        RGBColor(200, 240, 200).filled(),
                    )
                });
        }
        // Every frame in grey; the frames that counted in blue, broken where they do not.
        let points = |keep: &dyn Fn(usize) -> bool| -> Vec<Vec<(f64, f64)>> {
            let mut runs = vec![Vec::new()];
            for (i, (&t, &v)) in plot.time_s.iter().zip(plot.all).enumerate() {
                if v.is_finite() && keep(i) {
                    if let Some(run) = runs.last_mut() {
                        run.push((t, v as f64));
                    }
                } else if runs.last().is_some_and(|r| !r.is_empty()) {
                    runs.push(Vec::new());
                }
            }
            runs
        };
        for (n, run) in points(&|_| true).into_iter().enumerate() {
            let series = chart
                .draw_series(LineSeries::new(
                    run,
                    RGBColor(170, 170, 170).stroke_width(2),
                ))
                .map_err(|e| failed(&e))?;
            if n == 0 {
                series.label("all frames").legend(|(x, y)| {
                    PathElement::new(
                        [(x, y), (x + 16, y)],
                        RGBColor(170, 170, 170).stroke_width(2),
                    )
                });
            }
        }
        let valid = |i: usize| plot.valid.get(i).copied().unwrap_or(false);
        for (n, run) in points(&valid).into_iter().enumerate() {
            let series = chart
                .draw_series(LineSeries::new(run, BLUE.stroke_width(3)))
                .map_err(|e| failed(&e))?;
            if n == 0 {
                series
                    .label("frames that count")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE.stroke_width(3)));
            }
        }
        if let Some(result) = plot.result_deg {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, result as f64), (t_end, result as f64)],
                    RED.stroke_width(2),
                ))
                .map_err(|e| failed(&e))?
                .label(format!("result {result:.1} deg"))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 16))
            .draw()
            .map_err(|e| failed(&e))?;
        if let Some(note) = plot.note {
            let style = TextStyle::from(("sans-serif", 18)).color(&RGBColor(200, 30, 30));
            root.draw_text(note, &style, (90, 44))
                .map_err(|e| failed(&e))?;
        }
        root.present().map_err(|e| failed(&e))?;
    }
    RgbImage::from_raw(width, height, buffer)
        .ok_or_else(|| failed(&"the plot buffer has the wrong size"))
}
