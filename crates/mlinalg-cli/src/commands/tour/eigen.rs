//! Eigenvectors: the directions a matrix only stretches, A·v = λ·v.

use super::util::{matrix, text, vector, xy};
use crate::report::{Cell, Color, Figure, Section, Table};
use mlinalg::decomp::{eig, eigh};
use mlinalg::matrix::matvec;
use mlinalg::ndarray::{array, Array1, Axis};
use mlinalg::vector::norm;
use mlinalg::vector::Norm;

/// [[3, 1], [1, 3]]: λ = 4 along [1, 1]/√2 and 2 along [1, −1]/√2, with A·v = λ·v checked;
/// [[2, 1], [0.5, 1.5]]: λ = 2.5 and 1, its eigen-directions drawn with the unit circle's image.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "eigen",
        "Eigenvectors: the directions a matrix only stretches",
        "An eigenvector v of A keeps its direction: A·v = λ·v, and the eigenvalue λ is the stretch. For a symmetric matrix the eigenvectors are orthogonal, the axes along which the matrix acts as pure scaling.",
    );

    let a = array![[3.0, 1.0], [1.0, 3.0]];
    let e = eigh(&a)?;
    let mut t = Table::new(["λ", "v", "A·v", "λ·v", "‖A·v − λ·v‖"])
        .caption("eigh([[3, 1], [1, 3]]): eigenvalues ascending, as NumPy");
    for (lambda, v) in e.eigenvalues.iter().zip(e.eigenvectors.axis_iter(Axis(1))) {
        let av = matvec(&a, &v)?;
        let lv = &v * *lambda;
        let residual = norm(&(&av - &lv), Norm::L2)?;
        t.row([
            Cell::Num(*lambda),
            vector(&v),
            vector(&av),
            vector(&lv),
            Cell::Num(residual),
        ]);
    }
    s.table(t);

    // A non-symmetric transform: eig gives real eigenvalues here, eigenvectors not orthogonal.
    let m = array![[2.0, 1.0], [0.5, 1.5]];
    let f = eig(&m)?;
    let mut u =
        Table::new(["λ", "v (unit norm)", "M·v"]).caption("eig(M) for M = [[2, 1], [0.5, 1.5]]");
    let mut directions = Vec::new();
    for (lambda, v) in f.eigenvalues.iter().zip(f.eigenvectors.axis_iter(Axis(1))) {
        let re: Array1<f64> = v.iter().map(|z| z.re).collect();
        let mv = matvec(&m, &re)?;
        u.row([
            if lambda.im == 0.0 {
                Cell::Num(lambda.re)
            } else {
                text(format!("{lambda}"))
            },
            vector(&re),
            vector(&mv),
        ]);
        directions.push((lambda.re, xy(&re)));
    }
    u.row([text("M"), matrix(&m), text("")]);
    s.table(u);

    // The unit circle and its image: an ellipse whose eigen-directions are only stretched.
    let circle: Vec<(f64, f64)> = (0..=72)
        .map(|i| {
            let t = i as f64 / 72.0 * std::f64::consts::TAU;
            (t.cos(), t.sin())
        })
        .collect();
    let image: Vec<(f64, f64)> = circle
        .iter()
        .map(|&(x, y)| (m[[0, 0]] * x + m[[0, 1]] * y, m[[1, 0]] * x + m[[1, 1]] * y))
        .collect();
    let mut fig = Figure::new(400.0, 400.0);
    let mut pts = image.clone();
    pts.extend(&circle);
    fig.fit(&pts, 0.4).equal_aspect().labels("x", "y");
    fig.polyline(&circle, Color::BLUE, 1.2)
        .polyline(&image, Color::ORANGE, 1.5);
    let colors = [Color::RED, Color::GREEN];
    for ((lambda, (x, y)), color) in directions.iter().zip(colors) {
        fig.dashed_arrow((0.0, 0.0), (*x, *y), color, "v").arrow(
            (0.0, 0.0),
            (lambda * x, lambda * y),
            color,
            format!("λ = {lambda:.3}"),
        );
    }
    fig.legend(Color::BLUE, "unit circle")
        .legend(Color::ORANGE, "M · circle");
    s.figure(fig, "The unit circle (blue) and its image under M (orange). Each eigenvector (dashed) is mapped onto its own line, stretched by its eigenvalue (solid): 2.5 and 1.");
    Ok(s)
}
