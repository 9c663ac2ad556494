//! Twelve months as an SVG line chart, drawn on the server: black on white,
//! satisfaction a solid line with filled dots, the bad-review rate a dashed
//! line with hollow squares, every value written beside its point, so the
//! chart reads the same printed in black and white.

use std::fmt::Write;

use tiyan_services::assessment::TrendPoint;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 56.0;

/// The chart; `labels` are (title, satisfaction, bad-review rate, ratings) in the page's language.
pub fn trend_svg(points: &[TrendPoint], labels: [&str; 4]) -> String {
    let [title, satisfaction, bad_rate, ratings] = labels;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / points.len().max(1) as f64;
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);
    let y = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" font-family="sans-serif" font-size="11">"#,
        escape(title)
    );
    let _ = write!(s, r##"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>"##);
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" stroke="#bbb" stroke-width="0.5"/><text x="{}" y="{}" text-anchor="end">{v}%</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y(v) + 4.0,
            y = y(v)
        );
    }
    let line = |value: fn(&TrendPoint) -> Option<f64>| -> String {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, p) in points.iter().enumerate() {
            match value(p) {
                Some(v) => {
                    let _ = write!(d, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(v));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    };
    let _ = write!(
        s,
        r##"<path d="{}" fill="none" stroke="#000" stroke-width="2"/><path d="{}" fill="none" stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
        line(|p| p.satisfaction),
        line(|p| p.bad_rate)
    );
    for (i, p) in points.iter().enumerate() {
        if let Some(v) = p.satisfaction {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#000"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{v:.1}</text>"##,
                x(i),
                y(v),
                x(i),
                y(v) - 7.0
            );
        }
        if let Some(v) = p.bad_rate {
            let _ = write!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="#fff" stroke="#000"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-style="italic">{v:.1}</text>"##,
                x(i) - 3.5,
                y(v) - 3.5,
                x(i),
                y(v) + 15.0
            );
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{}</text><text x="{:.1}" y="{}" text-anchor="middle" fill="#333">{}</text>"##,
            x(i),
            HEIGHT - BOTTOM + 16.0,
            p.month,
            x(i),
            HEIGHT - BOTTOM + 30.0,
            p.ratings
        );
    }
    let legend_y = HEIGHT - 8.0;
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{}" y1="{legend_y}" y2="{legend_y}" stroke="#000" stroke-width="2"/><text x="{}" y="{}">{}</text><line x1="{}" x2="{}" y1="{legend_y}" y2="{legend_y}" stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{}" y="{}">{}</text><text x="{}" y="{}">{}</text></svg>"##,
        LEFT + 24.0,
        LEFT + 30.0,
        legend_y + 4.0,
        escape(satisfaction),
        LEFT + 200.0,
        LEFT + 224.0,
        LEFT + 230.0,
        legend_y + 4.0,
        escape(bad_rate),
        LEFT + 420.0,
        legend_y + 4.0,
        escape(ratings)
    );
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiyan_core::assessment::Month;

    #[test]
    fn every_month_is_labelled_and_a_gap_lifts_the_pen() {
        let m = Month { year: 2026, month: 1 };
        let points = vec![
            TrendPoint { month: m, ratings: 10, satisfaction: Some(90.0), bad_rate: Some(10.0) },
            TrendPoint { month: m.next(), ratings: 0, satisfaction: None, bad_rate: None },
            TrendPoint { month: m.next().next(), ratings: 5, satisfaction: Some(80.0), bad_rate: Some(0.0) },
        ];
        let svg = trend_svg(&points, ["t<", "s", "b", "n"]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(">2026-01<") && svg.contains(">2026-02<") && svg.contains(">2026-03<"));
        assert!(svg.contains(">90.0<") && svg.contains(">80.0<"));
        assert_eq!(svg.matches('M').count(), 4, "two pieces per line: {svg}");
        assert!(svg.contains("t&lt;"));
    }
}
