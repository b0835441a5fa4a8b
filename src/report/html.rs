//! The subject report: one self-contained HTML file (no external assets) with every session's
//! results, the before/after comparison, and a trend chart per measure.

use std::fmt::Write as _;

use base64::Engine as _;
use plotters::prelude::*;

use super::plot::register_font;
use super::DrawError;
use crate::angles::Side;
use crate::protocols::Warning;
use crate::store::{Comparison, Picture, SubjectExport, Uncompared};

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One measure's values over the sessions, for its chart: (session label, value).
pub struct Trend<'a> {
    pub title: String,
    pub points: Vec<(&'a str, Option<f32>)>,
    /// The first session's value and the MDC95 around it: changes inside the band are within
    /// measurement error.
    pub band: Option<(f32, f32)>,
}

/// One trend per protocol, measure and side with a value, in the order first seen: each
/// session's mean of its values, and the MDC95 band from `comparisons` when one is there.
pub fn trends_of<'a>(history: &'a SubjectExport, comparisons: &[Comparison]) -> Vec<Trend<'a>> {
    let mut keys: Vec<(&str, &str, Side)> = Vec::new();
    for s in &history.sessions {
        for m in &s.measurements {
            let key = (m.protocol.as_str(), m.measure.as_str(), m.side);
            if m.value_deg.is_some() && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.iter()
        .map(|&(protocol, measure, side)| {
            let points = history
                .sessions
                .iter()
                .map(|s| {
                    let values: Vec<f32> = s
                        .measurements
                        .iter()
                        .filter(|m| {
                            m.protocol == protocol && m.measure == measure && m.side == side
                        })
                        .filter_map(|m| m.value_deg)
                        .collect();
                    (
                        s.label.as_str(),
                        (!values.is_empty()).then(|| crate::stats::mean(&values)),
                    )
                })
                .collect::<Vec<_>>();
            let band = comparisons
                .iter()
                .find(|c| c.protocol == protocol && c.measure == measure && c.side == side)
                .and_then(|c| c.mdc95_deg.map(|m| (c.before_deg, m)));
            Trend {
                title: format!("{protocol} · {} {measure}", side.name()),
                points,
                band,
            }
        })
        .collect()
}

/// Draws a trend chart as PNG bytes.
/// Widest session label on a trend chart's axis, characters (longer ones end in `…`).
const X_LABEL_CHARS: usize = 14;

/// Width of one character of the axis labels (15-pixel sans-serif), pixels, with room to spare.
const X_LABEL_CHAR_PX: u32 = 9;

/// The sessions' labels as the x axis shows them, over `plot_px` pixels: every k-th label
/// (counted back from the last session, which is always shown), so that none overlaps the next
/// (with 40 sessions they ran into one another), the others empty.
fn x_labels(sessions: &[&str], plot_px: u32) -> Vec<String> {
    let shortened: Vec<String> = sessions
        .iter()
        .map(|label| {
            if label.chars().count() > X_LABEL_CHARS {
                let kept: String = label.chars().take(X_LABEL_CHARS - 1).collect();
                format!("{kept}…")
            } else {
                (*label).to_string()
            }
        })
        .collect();
    let widest = shortened
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0) as u32;
    let label_px = (widest + 2) * X_LABEL_CHAR_PX;
    let n = shortened.len() as u32;
    // Labels sit one slot apart (plot width / sessions): every k-th is as wide as a label.
    let every = (label_px * n).div_ceil(plot_px.max(1)).max(1) as usize;
    let last = shortened.len().saturating_sub(1);
    shortened
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            if (last - i).is_multiple_of(every) {
                label
            } else {
                String::new()
            }
        })
        .collect()
}

pub fn trend_png(trend: &Trend, width: u32, height: u32) -> Result<Vec<u8>, DrawError> {
    register_font();
    let failed = |e: &dyn std::fmt::Display| DrawError::new("trend chart", e);
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(&e))?;
        // Only finite values can be placed on an axis (an infinite one would never end it).
        let values: Vec<f32> = trend
            .points
            .iter()
            .filter_map(|p| p.1)
            .filter(|v| v.is_finite())
            .collect();
        let (mut lo, mut hi) = values
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        if let Some((base, mdc)) = trend.band {
            lo = lo.min(base - mdc);
            hi = hi.max(base + mdc);
        }
        if values.is_empty() {
            (lo, hi) = (0.0, 90.0);
        }
        let n = trend.points.len().max(1);
        let labels = x_labels(
            &trend.points.iter().map(|p| p.0).collect::<Vec<_>>(),
            // (The plot's width: the chart's less the y axis's labels and the margins.)
            width.saturating_sub(150),
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(&trend.title, ("sans-serif", 22))
            .margin(14)
            // Room for half the last session's label, centred on the axis's last point.
            .margin_right(14 + X_LABEL_CHARS as u32 * X_LABEL_CHAR_PX / 2)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(
                -0.5f64..(n as f64 - 0.5),
                (lo - 5.0) as f64..(hi + 5.0) as f64,
            )
            .map_err(|e| failed(&e))?;
        chart
            .configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 0.01 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("degrees")
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| failed(&e))?;
        if let Some((base, mdc)) = trend.band {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [
                        (-0.5, (base - mdc) as f64),
                        (n as f64 - 0.5, (base + mdc) as f64),
                    ],
                    RGBColor(225, 225, 225).filled(),
                )))
                .map_err(|e| failed(&e))?
                .label("within MDC95 of the first session")
                .legend(|(x, y)| {
                    Rectangle::new(
                        [(x, y - 6), (x + 16, y + 6)],
                        RGBColor(225, 225, 225).filled(),
                    )
                });
        }
        let points: Vec<(f64, f64)> = trend
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.1.map(|v| (i as f64, v as f64)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(3)))
            .map_err(|e| failed(&e))?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 6, BLUE.filled())),
            )
            .map_err(|e| failed(&e))?
            .label("result")
            .legend(|(x, y)| Circle::new((x + 8, y), 5, BLUE.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| failed(&e))?;
        root.present().map_err(|e| failed(&e))?;
    }
    let image = image::RgbImage::from_raw(width, height, buffer)
        .ok_or_else(|| failed(&"the chart buffer has the wrong size"))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| failed(&e))?;
    Ok(png)
}

/// How every report [`subject_report`] writes begins: a file that begins otherwise is not one.
const REPORT_START: &str =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gonio report: ";

/// Whether the file at `path` is a report gonio wrote, which writing a new one may replace. A
/// missing file is not one; anything else (a database, a recording, a page of another program)
/// is never replaced by a report.
pub fn is_report_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut start = vec![0u8; REPORT_START.len()];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == REPORT_START.as_bytes())
}

/// The two sessions a report compares, and what a reader must know about the comparison (the
/// order of the sessions in doubt, or named against their dates): said under its heading.
pub struct ComparedPair<'a> {
    pub before: &'a str,
    pub after: &'a str,
    pub notes: Vec<String>,
}

/// Builds the report page. `pictures` holds each measurement's evidence picture, per session
/// and in the same order as `history` (see [`crate::store::Store::pictures`]).
pub fn subject_report(
    history: &SubjectExport,
    pictures: &[Vec<Option<Picture>>],
    comparisons: &[Comparison],
    not_compared: &[Uncompared],
    pair: &ComparedPair,
    trends: &[Trend],
) -> Result<String, DrawError> {
    let (before, after) = (pair.before, pair.after);
    let mut html = String::new();
    let title = format!("gonio report: {}", escape(&history.subject));
    let _ = write!(
        html,
        "{REPORT_START}{}</title><style>\
         body{{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}} table{{border-collapse:collapse;margin:1em 0}}\
         th,td{{border:1px solid #bbb;padding:4px 8px;text-align:left}} td.n{{text-align:right}}\
         .improved{{color:#17702b;font-weight:bold}} .declined{{color:#b3261e;font-weight:bold}} img{{max-width:100%}}\
         .note{{color:#555;font-size:90%}}</style></head><body><h1>{title}</h1>",
        escape(&history.subject)
    );
    let _ = write!(
        html,
        "<p>{} sessions. Generated by gonio {}.</p>",
        history.sessions.len(),
        env!("CARGO_PKG_VERSION")
    );
    let _ = write!(
        html,
        "<h2>Before ({}) against after ({})</h2>",
        escape(before),
        escape(after)
    );
    for note in &pair.notes {
        let _ = write!(
            html,
            "<p class=note><strong>Note:</strong> {}</p>",
            escape(note)
        );
    }
    if comparisons.is_empty() {
        html.push_str("<p>No measure has a result in both sessions.</p>");
    } else {
        html.push_str("<table><tr><th>protocol</th><th>side</th><th>measure</th><th>before (deg)</th><th>after (deg)</th><th>change (deg)</th><th>MDC95 (deg)</th><th>verdict</th><th>lowest grade</th></tr>");
        for c in comparisons {
            let class = match c.verdict {
                crate::store::Verdict::Improved => "improved",
                crate::store::Verdict::Declined => "declined",
                _ => "",
            };
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=n>{:.1}</td><td class=n>{:.1}</td><td class=n>{:+.1}</td><td class=n>{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
                escape(&c.protocol),
                c.side.name(),
                escape(&c.measure),
                c.before_deg,
                c.after_deg,
                c.change_deg,
                c.mdc95_deg.map_or("-".to_string(), |m| format!("{m:.1}")),
                c.verdict.text(),
                c.lowest_quality.name()
            );
        }
        html.push_str("</table><p class=note>A change no larger than the MDC95 (1.96 × √2 × SEM) is within measurement error. MDC sources: ");
        let mut sources: Vec<String> = comparisons
            .iter()
            .map(|c| {
                format!(
                    "{} {}: {}",
                    escape(&c.protocol),
                    escape(&c.measure),
                    escape(&c.mdc_source)
                )
            })
            .collect();
        sources.dedup();
        html.push_str(&sources.join("; "));
        html.push_str(".</p>");
    }
    if !not_compared.is_empty() {
        html.push_str("<p>Not compared:</p><ul>");
        for u in not_compared {
            let _ = write!(html, "<li>{}</li>", escape(&u.to_string()));
        }
        html.push_str("</ul>");
    }
    html.push_str("<h2>Trend over all sessions</h2>");
    for trend in trends {
        let png = trend_png(trend, 900, 380)?;
        let _ = write!(
            html,
            "<p><img alt=\"{}\" src=\"data:image/png;base64,{}\"></p>",
            escape(&trend.title),
            base64::engine::general_purpose::STANDARD.encode(png)
        );
    }
    // The evidence pictures (kept in the database, or still where analyze wrote them), shrunk
    // to keep the file small.
    let mut evidence = String::new();
    for (s, kept) in history.sessions.iter().zip(pictures) {
        for (m, picture) in s.measurements.iter().zip(kept) {
            let Some(picture) = picture
                .as_ref()
                .and_then(|p| image::load_from_memory(&p.bytes).ok())
            else {
                continue;
            };
            let thumbnail = picture.thumbnail(480, 480).to_rgb8();
            let mut png = Vec::new();
            if thumbnail
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .is_ok()
            {
                let _ = write!(
                    evidence,
                    "<figure style=\"display:inline-block;margin:0 1em 1em 0\"><img alt=\"evidence\" src=\"data:image/png;base64,{}\"><figcaption>{}: {} {} {}</figcaption></figure>",
                    base64::engine::general_purpose::STANDARD.encode(png),
                    escape(&s.label),
                    escape(&m.protocol),
                    m.side.name(),
                    escape(&m.measure)
                );
            }
        }
    }
    if !evidence.is_empty() {
        html.push_str("<h2>Evidence</h2>");
        html.push_str(&evidence);
    }
    html.push_str("<h2>Sessions</h2><table><tr><th>session</th><th>date</th><th>notes</th></tr>");
    for s in &history.sessions {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.label),
            escape(&crate::store::date_shown(&s.started_at)),
            escape(s.notes.as_deref().unwrap_or(""))
        );
    }
    html.push_str("</table>");
    html.push_str("<h2>Every result</h2><table><tr><th>session</th><th>date</th><th>protocol</th><th>side</th><th>measure</th><th>result (deg)</th><th>peak (deg)</th><th>hold (s)</th><th>quality</th><th>warnings</th></tr>");
    for s in &history.sessions {
        for m in &s.measurements {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{:.1}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.label),
                escape(&crate::store::date_shown(&s.started_at)),
                escape(&m.protocol),
                m.side.name(),
                escape(&m.measure),
                m.value_deg.map_or("-".to_string(), |v| format!("{v:.1}")),
                m.peak_deg.map_or("-".to_string(), |v| format!("{v:.1}")),
                m.hold_s,
                m.value_deg.map_or("no result", |_| m.quality.name()),
                escape(&Warning::join(&m.warnings, "; "))
            );
        }
    }
    html.push_str("</table></body></html>\n");
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With 40 sessions the labels ran into one another: those shown are at least a label's
    /// width apart, the last session always among them.
    #[test]
    fn a_trend_charts_labels_do_not_overlap() {
        let names: Vec<String> = (1..=40).map(|k| format!("session-{k:02}")).collect();
        let sessions: Vec<&str> = names.iter().map(String::as_str).collect();
        for plot_px in [540, 800] {
            let shown = x_labels(&sessions, plot_px);
            let at: Vec<usize> = (0..40).filter(|&i| !shown[i].is_empty()).collect();
            assert_eq!(at.last(), Some(&39), "{shown:?}");
            let slot_px = plot_px as f32 / 40.0;
            for pair in at.windows(2) {
                let apart_px = (pair[1] - pair[0]) as f32 * slot_px;
                assert!(
                    apart_px >= 10.0 * X_LABEL_CHAR_PX as f32,
                    "{plot_px}: {shown:?}"
                );
            }
            assert!(at.len() >= 4, "{shown:?}");
        }
        // Few sessions: every label, long ones shortened.
        let shown = x_labels(&["before", "after treatment with the therapist"], 800);
        assert_eq!(shown, ["before", "after treatme…"]);
    }
}
