//! SVG figures written by hand: a data-space canvas with a grid, axes and tick labels, on which
//! arrows, lines, polygons, points and labels are drawn in data coordinates.
//!
//! Why not `plotters`: these figures are geometry (arrows tip to tail, a projection with its
//! perpendicular, a parallelogram) drawn with equal units on both axes, which plotters has no
//! primitive for either; and plotters' SVG backend writes text as `<text>` elements that the
//! browser renders with its own fonts, so the font it requires to be embedded (~750 KB) would
//! only serve its label-width estimates. This module is a few hundred lines, has no dependencies
//! and writes small, deterministic SVG.
//!
//! ```
//! use mlinalg_cli::report::{Color, Figure};
//! let mut fig = Figure::new(360.0, 360.0);
//! fig.fit(&[(0.0, 0.0), (4.0, 1.0)], 0.5).equal_aspect();
//! fig.arrow((0.0, 0.0), (4.0, 1.0), Color::BLUE, "a + b");
//! let svg: String = fig.to_svg();
//! ```

use super::{format, html::escape};
use std::fmt::Write;

/// A colour as an SVG colour string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color(pub &'static str);

impl Color {
    /// Blue.
    pub const BLUE: Color = Color("#1f77b4");
    /// Orange.
    pub const ORANGE: Color = Color("#ff7f0e");
    /// Green.
    pub const GREEN: Color = Color("#2ca02c");
    /// Red.
    pub const RED: Color = Color("#d62728");
    /// Purple.
    pub const PURPLE: Color = Color("#9467bd");
    /// Grey.
    pub const GREY: Color = Color("#7f7f7f");
    /// Near-black for text and axes.
    pub const INK: Color = Color("#222222");
}

/// Where the axis lines are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Through the origin when it is in view (geometric figures), else at the frame's edge.
    Origin,
    /// Along the bottom and left edges of the plot area (charts).
    Frame,
}

#[derive(Clone, Debug)]
enum Item {
    Line {
        from: (f64, f64),
        to: (f64, f64),
        color: Color,
        width: f64,
        dashed: bool,
    },
    Arrow {
        from: (f64, f64),
        to: (f64, f64),
        color: Color,
        label: String,
        dashed: bool,
    },
    Polygon {
        points: Vec<(f64, f64)>,
        color: Color,
        fill_opacity: f64,
        dashed: bool,
    },
    Polyline {
        points: Vec<(f64, f64)>,
        color: Color,
        width: f64,
    },
    Point {
        at: (f64, f64),
        color: Color,
        label: String,
    },
    Text {
        at: (f64, f64),
        text: String,
        color: Color,
    },
    /// A filled rectangle between two data corners (a heatmap cell), with centred text.
    Cell {
        from: (f64, f64),
        to: (f64, f64),
        fill: String,
        text: String,
        text_color: Color,
    },
}

/// A figure: a canvas of `width` × `height` pixels showing the data rectangle `x` × `y`.
#[derive(Clone, Debug)]
pub struct Figure {
    width: f64,
    height: f64,
    x: (f64, f64),
    y: (f64, f64),
    axes: Axes,
    x_label: String,
    y_label: String,
    legend: Vec<(Color, String)>,
    items: Vec<Item>,
}

/// Margins of the plot area inside the canvas, in pixels: left, right, top, bottom.
const MARGIN: (f64, f64, f64, f64) = (44.0, 14.0, 14.0, 34.0);

impl Figure {
    /// A blank figure showing [-1, 1] × [-1, 1].
    pub fn new(width: f64, height: f64) -> Self {
        Figure {
            width,
            height,
            x: (-1.0, 1.0),
            y: (-1.0, 1.0),
            axes: Axes::Origin,
            x_label: String::new(),
            y_label: String::new(),
            legend: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Sets the data ranges shown.
    pub fn ranges(&mut self, x: (f64, f64), y: (f64, f64)) -> &mut Self {
        self.x = x;
        self.y = y;
        self
    }

    /// Sets the data ranges to hold all `points` (and the origin) with `pad` data units around.
    pub fn fit(&mut self, points: &[(f64, f64)], pad: f64) -> &mut Self {
        let finite = points.iter().filter(|p| p.0.is_finite() && p.1.is_finite());
        let (mut x0, mut x1, mut y0, mut y1) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
        for &(x, y) in finite {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        self.x = (x0 - pad, x1 + pad);
        self.y = (y0 - pad, y1 + pad);
        self
    }

    /// Widens one of the ranges so that a unit is as long on the x axis as on the y axis
    /// (circles stay circles, right angles stay right).
    pub fn equal_aspect(&mut self) -> &mut Self {
        let (pw, ph) = self.plot_size();
        let (xs, ys) = (self.x.1 - self.x.0, self.y.1 - self.y.0);
        if xs <= 0.0 || ys <= 0.0 {
            return self;
        }
        let (kx, ky) = (pw / xs, ph / ys);
        if kx > ky {
            let extra = pw / ky - xs;
            self.x = (self.x.0 - extra / 2.0, self.x.1 + extra / 2.0);
        } else {
            let extra = ph / kx - ys;
            self.y = (self.y.0 - extra / 2.0, self.y.1 + extra / 2.0);
        }
        self
    }

    /// Chooses where the axis lines go.
    pub fn axes(&mut self, axes: Axes) -> &mut Self {
        self.axes = axes;
        self
    }

    /// Axis titles.
    pub fn labels(&mut self, x: impl Into<String>, y: impl Into<String>) -> &mut Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Adds a legend entry (drawn top-left).
    pub fn legend(&mut self, color: Color, text: impl Into<String>) -> &mut Self {
        self.legend.push((color, text.into()));
        self
    }

    /// An arrow from `from` to `to`, labelled near its tip.
    pub fn arrow(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        color: Color,
        label: impl Into<String>,
    ) -> &mut Self {
        self.push_arrow(from, to, color, label.into(), false)
    }

    /// A dashed arrow (a vector drawn away from the origin, e.g. tip to tail).
    pub fn dashed_arrow(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        color: Color,
        label: impl Into<String>,
    ) -> &mut Self {
        self.push_arrow(from, to, color, label.into(), true)
    }

    fn push_arrow(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        color: Color,
        label: String,
        dashed: bool,
    ) -> &mut Self {
        self.items.push(Item::Arrow {
            from,
            to,
            color,
            label,
            dashed,
        });
        self
    }

    /// A straight segment.
    pub fn line(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        color: Color,
        dashed: bool,
    ) -> &mut Self {
        self.items.push(Item::Line {
            from,
            to,
            color,
            width: 1.5,
            dashed,
        });
        self
    }

    /// A closed polygon, filled with `color` at `fill_opacity` and outlined.
    pub fn polygon(
        &mut self,
        points: &[(f64, f64)],
        color: Color,
        fill_opacity: f64,
        dashed: bool,
    ) -> &mut Self {
        self.items.push(Item::Polygon {
            points: points.to_vec(),
            color,
            fill_opacity,
            dashed,
        });
        self
    }

    /// An open polyline (a curve through points).
    pub fn polyline(&mut self, points: &[(f64, f64)], color: Color, width: f64) -> &mut Self {
        self.items.push(Item::Polyline {
            points: points.to_vec(),
            color,
            width,
        });
        self
    }

    /// A dot with an optional label.
    pub fn point(&mut self, at: (f64, f64), color: Color, label: impl Into<String>) -> &mut Self {
        self.items.push(Item::Point {
            at,
            color,
            label: label.into(),
        });
        self
    }

    /// A text label at a data position.
    pub fn text(&mut self, at: (f64, f64), text: impl Into<String>, color: Color) -> &mut Self {
        self.items.push(Item::Text {
            at,
            text: text.into(),
            color,
        });
        self
    }

    /// A heatmap of `values` (rows top to bottom): cell (i, j) covers x ∈ [j, j+1] and
    /// y ∈ [rows−1−i, rows−i], shaded from white (0) to blue (the maximum) and labelled with its
    /// value (two decimals). Sets the data ranges to the grid; NaN cells are grey.
    pub fn heatmap(&mut self, values: &[Vec<f64>]) -> &mut Self {
        let rows = values.len();
        let cols = values.iter().map(Vec::len).max().unwrap_or(0);
        let top = values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        self.ranges((0.0, cols.max(1) as f64), (0.0, rows.max(1) as f64));
        for (i, row) in values.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let y = (rows - 1 - i) as f64;
                let (fill, text_color) = if v.is_finite() {
                    let t = if top > 0.0 {
                        (v / top).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    // White → #1f4e9c, linear in each channel.
                    let mix = |hi: f64, lo: f64| (hi + (lo - hi) * t).round() as u8;
                    let fill = format!(
                        "#{:02x}{:02x}{:02x}",
                        mix(255.0, 31.0),
                        mix(255.0, 78.0),
                        mix(255.0, 156.0)
                    );
                    (
                        fill,
                        if t > 0.55 {
                            Color("#ffffff")
                        } else {
                            Color::INK
                        },
                    )
                } else {
                    ("#bbbbbb".to_string(), Color::INK)
                };
                self.items.push(Item::Cell {
                    from: (j as f64, y),
                    to: (j as f64 + 1.0, y + 1.0),
                    fill,
                    text: if v.is_finite() {
                        format!("{v:.2}")
                    } else {
                        "–".to_string()
                    },
                    text_color,
                });
            }
        }
        self
    }

    fn plot_size(&self) -> (f64, f64) {
        (
            (self.width - MARGIN.0 - MARGIN.1).max(1.0),
            (self.height - MARGIN.2 - MARGIN.3).max(1.0),
        )
    }

    /// Data → pixel coordinates.
    fn px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let (pw, ph) = self.plot_size();
        let sx = (x - self.x.0) / (self.x.1 - self.x.0);
        let sy = (y - self.y.0) / (self.y.1 - self.y.0);
        (MARGIN.0 + sx * pw, MARGIN.2 + (1.0 - sy) * ph)
    }

    /// Renders the figure as a standalone `<svg>` element (no external references).
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
        self.draw_grid(&mut s);
        let _ = writeln!(s, r#"<g stroke-linecap="round">"#);
        for item in &self.items {
            self.draw_item(&mut s, item);
        }
        s.push_str("</g>\n");
        self.draw_legend(&mut s);
        s.push_str("</svg>");
        s
    }

    fn draw_grid(&self, s: &mut String) {
        let (pw, ph) = self.plot_size();
        let (left, top) = (MARGIN.0, MARGIN.2);
        let (right, bottom) = (left + pw, top + ph);
        let xt = ticks(self.x.0, self.x.1, (pw / 45.0).max(2.0) as usize);
        let yt = ticks(self.y.0, self.y.1, (ph / 45.0).max(2.0) as usize);
        s.push_str("<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n");
        for &t in &xt {
            let (x, _) = self.px((t, 0.0));
            let _ = writeln!(
                s,
                r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}"/>"#
            );
        }
        for &t in &yt {
            let (_, y) = self.px((0.0, t));
            let _ = writeln!(
                s,
                r#"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}"/>"#
            );
        }
        s.push_str("</g>\n");
        // Axis lines: through the origin when in view (Origin), else along the frame.
        let inside = |v: f64, r: (f64, f64)| r.0 <= v && v <= r.1;
        let ax_y = match self.axes {
            Axes::Origin if inside(0.0, self.y) => self.px((0.0, 0.0)).1,
            _ => bottom,
        };
        let ax_x = match self.axes {
            Axes::Origin if inside(0.0, self.x) => self.px((0.0, 0.0)).0,
            _ => left,
        };
        let ink = Color::INK.0;
        let _ = writeln!(
            s,
            r#"<g stroke="{ink}" stroke-width="1"><line x1="{left:.1}" y1="{ax_y:.1}" x2="{right:.1}" y2="{ax_y:.1}"/><line x1="{ax_x:.1}" y1="{top:.1}" x2="{ax_x:.1}" y2="{bottom:.1}"/></g>"#
        );
        // Tick labels along the bottom and the left edge, so they never cover the drawing.
        let _ = writeln!(s, r##"<g fill="#555" font-size="10">"##);
        for &t in &xt {
            let (x, _) = self.px((t, 0.0));
            let _ = writeln!(
                s,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                bottom + 13.0,
                format::num(t)
            );
        }
        for &t in &yt {
            let (_, y) = self.px((0.0, t));
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                left - 5.0,
                y + 3.5,
                format::num(t)
            );
        }
        s.push_str("</g>\n");
        if !self.x_label.is_empty() {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{ink}">{}</text>"#,
                left + pw / 2.0,
                bottom + 28.0,
                escape(&self.x_label)
            );
        }
        if !self.y_label.is_empty() {
            let (cx, cy) = (12.0, top + ph / 2.0);
            let _ = writeln!(
                s,
                r#"<text x="{cx}" y="{cy:.1}" text-anchor="middle" fill="{ink}" transform="rotate(-90 {cx} {cy:.1})">{}</text>"#,
                escape(&self.y_label)
            );
        }
    }

    fn draw_item(&self, s: &mut String, item: &Item) {
        let dash = |d: bool| if d { r#" stroke-dasharray="5 4""# } else { "" };
        match item {
            Item::Line {
                from,
                to,
                color,
                width,
                dashed,
            } => {
                let (a, b) = (self.px(*from), self.px(*to));
                let _ = writeln!(
                    s,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="{width}"{}/>"#,
                    a.0,
                    a.1,
                    b.0,
                    b.1,
                    color.0,
                    dash(*dashed)
                );
            }
            Item::Arrow {
                from,
                to,
                color,
                label,
                dashed,
            } => {
                let (a, b) = (self.px(*from), self.px(*to));
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let len = dx.hypot(dy);
                if len < 1e-9 {
                    let _ = writeln!(
                        s,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                        a.0, a.1, color.0
                    );
                } else {
                    let (ux, uy) = (dx / len, dy / len);
                    let head = 10.0_f64.min(len * 0.5);
                    // Shaft stops at the base of the head so a thick line does not poke through.
                    let base = (b.0 - ux * head, b.1 - uy * head);
                    let (nx, ny) = (-uy * head * 0.4, ux * head * 0.4);
                    let _ = writeln!(
                        s,
                        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="2.2"{}/>"#,
                        a.0,
                        a.1,
                        base.0,
                        base.1,
                        color.0,
                        dash(*dashed)
                    );
                    let _ = writeln!(
                        s,
                        r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{}"/>"#,
                        b.0,
                        b.1,
                        base.0 + nx,
                        base.1 + ny,
                        base.0 - nx,
                        base.1 - ny,
                        color.0
                    );
                    if !label.is_empty() {
                        // Solid arrows (vectors from the origin) are labelled beyond the tip;
                        // dashed ones (drawn tip to tail) at their middle, beside the shaft, so
                        // the label does not sit on the tip of the vector they end at.
                        let (lx, ly, anchor) = if *dashed {
                            let (mx, my) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                            let (nx, ny) = if uy > 0.0 { (uy, -ux) } else { (-uy, ux) };
                            let anchor = if nx > 0.3 {
                                "start"
                            } else if nx < -0.3 {
                                "end"
                            } else {
                                "middle"
                            };
                            (mx + nx * 8.0, my + ny * 8.0 + 4.0, anchor)
                        } else {
                            if ux.abs() <= 0.3 {
                                // Near-vertical: beside the tip, clear of the shaft and the axis.
                                (b.0 + 7.0, b.1 + uy * 2.0 + 4.0, "start")
                            } else {
                                let anchor = if ux > 0.0 { "start" } else { "end" };
                                (b.0 + ux * 10.0, b.1 + uy * 10.0 + 4.0, anchor)
                            }
                        };
                        let _ = writeln!(
                            s,
                            r#"<text x="{lx:.1}" y="{ly:.1}" text-anchor="{anchor}" fill="{}" font-weight="bold">{}</text>"#,
                            color.0,
                            escape(label)
                        );
                    }
                }
            }
            Item::Polygon {
                points,
                color,
                fill_opacity,
                dashed,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|&p| {
                        let q = self.px(p);
                        format!("{:.1},{:.1}", q.0, q.1)
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    r#"<polygon points="{}" fill="{}" fill-opacity="{fill_opacity}" stroke="{}" stroke-width="1.5"{}/>"#,
                    pts.join(" "),
                    color.0,
                    color.0,
                    dash(*dashed)
                );
            }
            Item::Polyline {
                points,
                color,
                width,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .filter(|p| p.0.is_finite() && p.1.is_finite())
                    .map(|&p| {
                        let q = self.px(p);
                        format!("{:.1},{:.1}", q.0, q.1)
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{width}"/>"#,
                    pts.join(" "),
                    color.0
                );
            }
            Item::Point { at, color, label } => {
                let p = self.px(*at);
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"/>"#,
                    p.0, p.1, color.0
                );
                if !label.is_empty() {
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" fill="{}">{}</text>"#,
                        p.0 + 6.0,
                        p.1 - 6.0,
                        color.0,
                        escape(label)
                    );
                }
            }
            Item::Cell {
                from,
                to,
                fill,
                text,
                text_color,
            } => {
                let (a, b) = (self.px(*from), self.px(*to));
                let (x, y) = (a.0.min(b.0), a.1.min(b.1));
                let (w, h) = ((a.0 - b.0).abs(), (a.1 - b.1).abs());
                let _ = writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}" stroke="#ffffff" stroke-width="1"/>"##
                );
                if !text.is_empty() {
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{}">{}</text>"#,
                        x + w / 2.0,
                        y + h / 2.0 + 3.5,
                        text_color.0,
                        escape(text)
                    );
                }
            }
            Item::Text { at, text, color } => {
                let p = self.px(*at);
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{}">{}</text>"#,
                    p.0,
                    p.1,
                    color.0,
                    escape(text)
                );
            }
        }
    }

    fn draw_legend(&self, s: &mut String) {
        if self.legend.is_empty() {
            return;
        }
        let (x, mut y) = (MARGIN.0 + 8.0, MARGIN.2 + 6.0);
        let longest = self
            .legend
            .iter()
            .map(|(_, t)| t.chars().count())
            .max()
            .unwrap_or(0) as f64;
        let _ = writeln!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="white" fill-opacity="0.85" stroke="#ccc"/>"##,
            x - 4.0,
            y - 2.0,
            longest * 6.6 + 30.0,
            self.legend.len() as f64 * 16.0 + 4.0
        );
        for (color, text) in &self.legend {
            let _ = writeln!(
                s,
                r#"<rect x="{x:.1}" y="{:.1}" width="14" height="4" fill="{}"/><text x="{:.1}" y="{:.1}" fill="{}">{}</text>"#,
                y + 6.0,
                color.0,
                x + 20.0,
                y + 11.0,
                Color::INK.0,
                escape(text)
            );
            y += 16.0;
        }
    }
}

/// Tick positions at "nice" steps (1, 2 or 5 × 10^k) covering [lo, hi] with about `target` ticks.
pub fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|i| i as f64 * step)
        .map(|t| if t.abs() < step * 1e-9 { 0.0 } else { t })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks() {
        assert_eq!(
            ticks(-3.0, 3.0, 6),
            vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
        );
        assert_eq!(
            ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(ticks(-0.5, 9.5, 4), vec![0.0, 5.0]);
        assert!(ticks(1.0, 1.0, 5).is_empty());
        assert!(ticks(f64::NAN, 1.0, 5).is_empty());
    }

    #[test]
    fn equal_aspect_equalises_units() {
        let mut f = Figure::new(400.0, 300.0);
        f.ranges((0.0, 1.0), (0.0, 1.0)).equal_aspect();
        let (a, b) = (f.px((0.0, 0.0)), f.px((1.0, 1.0)));
        assert!(((b.0 - a.0) - (a.1 - b.1)).abs() < 1e-9);
    }

    #[test]
    fn renders_standalone_svg() {
        let mut f = Figure::new(300.0, 300.0);
        f.fit(&[(1.0, 2.0), (3.0, -1.0)], 0.5).equal_aspect();
        f.arrow((0.0, 0.0), (1.0, 2.0), Color::BLUE, "a")
            .dashed_arrow((1.0, 2.0), (4.0, 1.0), Color::ORANGE, "b");
        f.polygon(
            &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)],
            Color::GREEN,
            0.2,
            false,
        );
        f.legend(Color::BLUE, "a < b & c");
        let svg = f.to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(svg.contains("<polygon") && svg.contains("stroke-dasharray"));
        assert!(!svg.contains("href"), "no external references");
    }
}
