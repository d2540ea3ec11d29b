//! PCA: the directions of greatest variance, as the eigenvectors of the covariance matrix.

use super::util::{matrix, text, vector, xy};
use crate::report::{Cell, Color, Figure, Section, Table};
use mlinalg::decomp::eigh;
use mlinalg::matrix::mm;
use mlinalg::ndarray::{concatenate, Axis};
use mlinalg::pca::Pca;
use mlinalg::random::Rng;

/// 200 correlated 2-D points (y ≈ 2x plus noise): PC1 explains ≈ 97% along ≈ [0.45, 0.89], the
/// same axis whether found by eigh of the covariance or by `Pca`.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "pca",
        "PCA: principal axes of correlated data",
        "Centre the data, form the covariance matrix C = XᵀX/(n−1), and take its eigenvectors: they are the principal axes, and each eigenvalue is the variance along its axis.",
    );
    let mut rng = Rng::seed(42);
    let t = rng.normal_matrix::<f64>(200, 1)?;
    let noise = rng.normal_matrix::<f64>(200, 2)? * 0.4;
    let x = concatenate![Axis(1), t.clone(), &t * 2.0] + noise;

    let mean = x.mean_axis(Axis(0)).unwrap_or_default();
    let centred = &x - &mean;
    let cov = mm(&centred.t(), &centred)? / (x.nrows() as f64 - 1.0);
    let e = eigh(&cov)?;
    let mut c = Table::new(["quantity", "value"]).caption("By hand: eigh of the covariance matrix");
    c.row([text("mean"), vector(&mean)]);
    c.row([text("covariance C"), matrix(&cov)]);
    c.row([text("eigenvalues (ascending)"), vector(&e.eigenvalues)]);
    c.row([text("eigenvectors (columns)"), matrix(&e.eigenvectors)]);
    s.table(c);

    let pca = Pca::new().n_components(2).fit(&x)?;
    let mut p = Table::new(["component", "direction", "variance", "explained"])
        .caption("mlinalg::pca::Pca (signs as scikit-learn's svd_flip)");
    for (i, row) in pca.components().axis_iter(Axis(0)).enumerate() {
        p.row([
            text(format!("PC{}", i + 1)),
            vector(&row),
            Cell::Num(pca.explained_variance()[i]),
            text(format!("{:.1}%", 100.0 * pca.explained_variance_ratio()[i])),
        ]);
    }
    s.table(p);

    let points: Vec<(f64, f64)> = x.axis_iter(Axis(0)).map(|r| xy(&r)).collect();
    let mut fig = Figure::new(420.0, 420.0);
    fig.fit(&points, 0.3).equal_aspect().labels("x₁", "x₂");
    for &pt in &points {
        fig.point(pt, Color::GREY, "");
    }
    let centre = xy(&mean);
    let colors = [Color::RED, Color::GREEN];
    for (i, row) in pca.components().axis_iter(Axis(0)).enumerate() {
        let len = 2.0 * pca.explained_variance()[i].sqrt();
        let (dx, dy) = xy(&row);
        fig.arrow(
            centre,
            (centre.0 + len * dx, centre.1 + len * dy),
            colors[i],
            format!("PC{}", i + 1),
        );
    }
    s.figure(fig, "The data (grey) with its principal axes from the mean, each two standard deviations long: PC1 runs along the line y ≈ 2x, PC2 across it.");
    Ok(s)
}
