//! Line charts drawn on the server as SVG (no charting code in the browser's bundle). Each line
//! has its own dash pattern and is named at its end, so a chart reads without colour; the numbers
//! go in a table beside it.

use std::fmt::Write;

/// One line: its name, its dash pattern (SVG `stroke-dasharray`, empty for solid), its points
/// (time in ms, value).
pub struct Line {
    pub label: String,
    pub dash: &'static str,
    pub points: Vec<(i64, f64)>,
}

/// Solid, dashed, dotted: the patterns lines take in turn.
pub const DASHES: [&str; 3] = ["", "6 4", "2 3"];

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 104.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;
/// The least distance between two line names.
const LABEL_GAP: f64 = 12.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v` (at least 1).
fn nice_max(v: f64) -> f64 {
    let v = v.max(1.0);
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * magnitude >= v {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A number as an axis shows it.
fn figure(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A table of `columns` and `rows` as HTML, its caption hidden but read aloud.
pub fn table(caption: &str, columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!(
        r#"<table><caption class="visually-hidden">{}</caption><thead><tr>"#,
        escape(caption)
    );
    for c in columns {
        let _ = write!(out, r#"<th scope="col">{}</th>"#, escape(c));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for v in row {
            let _ = write!(out, "<td>{}</td>", escape(v));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// An SVG line chart of `lines` from `from_ms` to `to_ms` (buckets of `bucket_ms`: a gap longer
/// than one bucket breaks a line). `ticks` label the time axis: (ms, text).
pub fn svg(
    title: &str,
    lines: &[Line],
    from_ms: i64,
    to_ms: i64,
    bucket_ms: i64,
    ticks: &[(i64, String)],
) -> String {
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let y_max = nice_max(top);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let span = (to_ms - from_ms).max(1) as f64;
    let x = |t: i64| LEFT + (t - from_ms) as f64 / span * plot_w;
    let y = |v: f64| TOP + plot_h - (v / y_max).clamp(0.0, 1.0) * plot_h;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    // Value axis: 0, half, top.
    for v in [0.0, y_max / 2.0, y_max] {
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            figure(v),
            y = y(v),
        );
    }
    for (t, text) in ticks {
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x(*t),
            HEIGHT - 8.0,
            escape(text)
        );
    }
    for (i, line) in lines.iter().enumerate() {
        let mut runs: Vec<Vec<(i64, f64)>> = Vec::new();
        for &(t, v) in &line.points {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|&(last, _)| t - last <= bucket_ms) => {
                    run.push((t, v))
                }
                _ => runs.push(vec![(t, v)]),
            }
        }
        let dash = if line.dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{}""#, line.dash)
        };
        for run in &runs {
            // A lone point is drawn as a short stroke across its bucket.
            let points: Vec<(i64, f64)> = if run.len() == 1 {
                vec![run[0], (run[0].0 + bucket_ms, run[0].1)]
            } else {
                run.clone()
            };
            let path: Vec<String> = points
                .iter()
                .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
                .collect();
            let _ = write!(
                out,
                r#"<polyline class="line line-{i}" fill="none"{dash} points="{}"/>"#,
                path.join(" ")
            );
        }
    }
    // Each line is named at its end; names of lines that end close together are spread apart.
    let mut labels: Vec<(f64, f64, String)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let &(t, v) = line.points.last()?;
            let text = format!(
                r#"<text class="label label-{i}" x="{:.1}" y="{{Y}}">{} {}</text>"#,
                x(t).min(WIDTH - RIGHT) + 6.0,
                escape(&line.label),
                figure((v * 10.0).round() / 10.0)
            );
            Some((y(v) + 4.0, 0.0, text))
        })
        .collect();
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut floor = f64::MIN;
    for label in &mut labels {
        label.1 = label.0.max(floor);
        floor = label.1 + LABEL_GAP;
    }
    // Pushed below the plot: shift the lowest back up.
    let overflow = labels
        .last()
        .map_or(0.0, |l| (l.1 - (HEIGHT - BOTTOM)).max(0.0));
    for (_, at, text) in &labels {
        out.push_str(&text.replace("{Y}", &format!("{:.1}", at - overflow)));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_named_patterned_and_broken_at_gaps() {
        let lines = [
            Line {
                label: "allocated".into(),
                dash: DASHES[0],
                points: vec![(0, 1.0), (60_000, 2.0), (240_000, 3.0), (300_000, 3.0)],
            },
            Line {
                label: "<idle>".into(),
                dash: DASHES[1],
                points: vec![(0, 3.0)],
            },
        ];
        let svg = svg("GPUs", &lines, 0, 300_000, 60_000, &[(0, "-5 m".into())]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>GPUs</title>"));
        // Two runs for the first line (a gap of 3 minutes), one for the second.
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert!(svg.contains(r#"stroke-dasharray="6 4""#));
        assert!(svg.contains("allocated 3"));
        assert!(svg.contains("&lt;idle&gt; 3"));
        // Names of lines that end together are apart.
        let ys: Vec<f64> = svg
            .match_indices("class=\"label")
            .map(|(at, _)| {
                let rest = &svg[at..];
                let y = rest.split("y=\"").nth(1).and_then(|r| r.split('"').next());
                y.and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
            })
            .collect();
        assert_eq!(ys.len(), 2);
        assert!((ys[0] - ys[1]).abs() >= LABEL_GAP - 0.05, "{ys:?}");
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(120.0), 200.0);
    }
}
