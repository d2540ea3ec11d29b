//! Matrices as linear transformations: W·x, matrix products, composition, and what a 2×2
//! matrix does to the unit square.

use super::util::{matrix, shape, text, to2, vector, xy};
use crate::report::{Cell, Color, Figure, Section, Table};
use mlinalg::matrix::{allclose, det, matmul, matvec, mm};
use mlinalg::ndarray::{array, Axis};
use mlinalg::random::Rng;

/// W@x = [2, 7, 5]; [[1,2,3],[4,5,6]]@[[7,8],[9,10],[11,12]]; (2×3)@(4×2) fails; B(Ax) = (BA)x;
/// the unit square under [[2, 1], [0.5, 1.5]].
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "matrices",
        "Matrices as transformations, and their composition",
        "W·x maps x into a new space, one dot product per row of W; applying A then B is the single matrix BA, as long as the inner dimensions agree.",
    );

    // Matrix-vector: each output is a row of W dotted with x.
    let w = array![
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0]
    ];
    let x = array![2.0, 3.0, 4.0, 5.0];
    let y = matvec(&w, &x)?;
    let mut t = Table::new(["W (3×4)", "x", "W @ x"]).caption("Matrix-vector product: ℝ⁴ → ℝ³");
    t.row([matrix(&w), vector(&x), vector(&y)]);
    s.table(t);
    let mut rows =
        Table::new(["output", "row of W", "row @ x"]).caption("The same, one dot product per row");
    for (i, row) in w.axis_iter(Axis(0)).enumerate() {
        let yi = matmul(&row, &x)?.iter().copied().next().unwrap_or(f64::NAN);
        rows.row([text(format!("y[{i}]")), vector(&row), Cell::Num(yi)]);
    }
    s.table(rows);

    // Matrix-matrix.
    let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let b = array![[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]];
    let ab = mm(&a, &b)?;
    let mut t = Table::new(["A", "B", "A @ B", "shapes"])
        .caption("Matrix-matrix product: (m,k) @ (k,n) = (m,n)");
    t.row([
        matrix(&a),
        matrix(&b),
        matrix(&ab),
        text("(2, 3) @ (3, 2) = (2, 2)"),
    ]);
    s.table(t);
    let bad = mlinalg::ndarray::Array2::<f64>::zeros((4, 2));
    match mm(&a, &bad) {
        Err(e) => s.error("A (2, 3) @ zeros (4, 2)", &e),
        Ok(r) => s.note(format!(
            "unexpected: (2, 3) @ (4, 2) gave shape {:?}",
            r.shape()
        )),
    };

    // Composition with seeded random matrices: B(Ax) == (BA)x.
    let mut rng = Rng::seed(0);
    let a_map = rng.normal_matrix::<f64>(4, 3)?;
    let b_map = rng.normal_matrix::<f64>(2, 4)?;
    let xr = rng.normal::<f64>(&[3], 0.0, 1.0)?;
    let xr = super::util::to1(xr)?;
    let ba = mm(&b_map, &a_map)?;
    let two_step = matvec(&b_map, &matvec(&a_map, &xr)?)?;
    let one_step = matvec(&ba, &xr)?;
    let mut c = Table::new(["expression", "shape", "value"])
        .caption("Composition: A: ℝ³ → ℝ⁴, then B: ℝ⁴ → ℝ² (seeded normal entries)");
    c.row([text("BA = B @ A"), shape(&ba), matrix(&ba)]);
    c.row([text("B @ (A @ x)"), shape(&two_step), vector(&two_step)]);
    c.row([text("(B @ A) @ x"), shape(&one_step), vector(&one_step)]);
    c.row([
        text("allclose"),
        text(""),
        Cell::Bool(allclose(&two_step, &one_step, 1e-5, 1e-8)?),
    ]);
    s.table(c);

    // The unit square under M: corners as columns, transformed in one product.
    let m = array![[2.0, 1.0], [0.5, 1.5]];
    let square = array![[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]];
    let image = to2(matmul(&m, &square)?)?;
    let area = det(&m)?;
    let mut u = Table::new(["corner", "M @ corner"])
        .caption("The unit square under M = [[2, 1], [0.5, 1.5]]");
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (corner, img) in square.axis_iter(Axis(1)).zip(image.axis_iter(Axis(1))) {
        u.row([vector(&corner), vector(&img)]);
        before.push(xy(&corner));
        after.push(xy(&img));
    }
    u.row([text("area scale det(M)"), Cell::Num(area)]);
    s.table(u);

    let mut fig = Figure::new(380.0, 380.0);
    let mut pts = before.clone();
    pts.extend(&after);
    fig.fit(&pts, 0.6).equal_aspect().labels("x", "y");
    fig.polygon(&before, Color::BLUE, 0.15, true)
        .polygon(&after, Color::ORANGE, 0.25, false);
    let (e1, e2) = (
        after.get(1).copied().unwrap_or_default(),
        after.get(3).copied().unwrap_or_default(),
    );
    fig.arrow((0.0, 0.0), e1, Color::RED, "M e₁")
        .arrow((0.0, 0.0), e2, Color::GREEN, "M e₂");
    fig.legend(Color::BLUE, "unit square")
        .legend(Color::ORANGE, "M · square");
    s.figure(fig, "The unit square (blue, dashed) and its image under M (orange): the columns of M are where e₁ and e₂ land; lines stay lines and the origin stays put.");
    Ok(s)
}
