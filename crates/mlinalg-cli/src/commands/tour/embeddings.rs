//! Word embeddings as vectors: a 2-D PCA map of clustered vectors, and why one-hot codes carry
//! no notion of similarity.

use super::util::text;
use crate::report::{Cell, Color, Figure, Section, Table};
use mlinalg::geometry::one_hot;
use mlinalg::ndarray::{Array1, Array2, Axis};
use mlinalg::pca::Pca;
use mlinalg::random::Rng;
use mlinalg::vector::{cdist, cosine_similarity};

/// Words and the group each belongs to: its vector is the group's centre, a shared "gender" or
/// "species" offset, and a little noise.
const WORDS: [(&str, usize); 12] = [
    ("king", 0),
    ("queen", 0),
    ("man", 0),
    ("woman", 0),
    ("prince", 0),
    ("princess", 0),
    ("cat", 1),
    ("dog", 1),
    ("kitten", 1),
    ("puppy", 1),
    ("quantum", 2),
    ("electron", 2),
];

/// Synthetic 64-d "embeddings" with a cluster per topic and a shared gender direction.
fn embeddings(dim: usize) -> mlinalg::Result<Array2<f64>> {
    let mut rng = Rng::seed(7);
    let centres = rng.normal_matrix::<f64>(3, dim)?;
    let gender: Array1<f64> = rng.normal_matrix::<f64>(1, dim)?.row(0).to_owned() * 0.6;
    let royal: Array1<f64> = rng.normal_matrix::<f64>(1, dim)?.row(0).to_owned() * 0.6;
    let young: Array1<f64> = rng.normal_matrix::<f64>(1, dim)?.row(0).to_owned() * 0.5;
    let noise = rng.normal_matrix::<f64>(WORDS.len(), dim)? * 0.15;
    let mut x = Array2::zeros((WORDS.len(), dim));
    for (i, (word, group)) in WORDS.iter().enumerate() {
        let mut v = centres.row(*group).to_owned() + noise.row(i);
        if matches!(*word, "queen" | "woman" | "princess") {
            v += &gender;
        }
        if matches!(*word, "king" | "queen" | "prince" | "princess") {
            v += &royal;
        }
        if matches!(*word, "prince" | "princess" | "kitten" | "puppy") {
            v += &young;
        }
        x.row_mut(i).assign(&v);
    }
    Ok(x)
}

/// A PCA map of 12 words; king − man + woman ≈ queen; one-hot vs dense similarity.
pub fn section() -> mlinalg::Result<Section> {
    let mut s = Section::new(
        "embeddings",
        "Embeddings: meaning as position",
        "Dense embeddings place related words near each other, so distances and cosines carry meaning; one-hot codes put every pair of words at the same distance. (The vectors here are synthetic, 64-d: three topic clusters with shared 'gender', 'royal' and 'young' directions, in the spirit of word2vec.)",
    );
    let x = embeddings(64)?;
    let pca = Pca::new().n_components(2).fit(&x)?;
    let map = pca.transform(&x)?;
    let colors = [Color::BLUE, Color::ORANGE, Color::GREEN];
    let points: Vec<(f64, f64)> = map.axis_iter(Axis(0)).map(|r| (r[0], r[1])).collect();
    let mut fig = Figure::new(460.0, 360.0);
    fig.fit(&points, 0.8).labels("PC1", "PC2");
    for ((word, group), &p) in WORDS.iter().zip(&points) {
        fig.point(p, colors[*group], *word);
    }
    s.figure(
        fig,
        format!(
            "The 12 word vectors projected on their first two principal components ({:.0}% of the variance): people, animals and physics form three clusters.",
            100.0 * pca.explained_variance_ratio().sum()
        ),
    );

    let row = |w: &str| -> Array1<f64> {
        let i = WORDS.iter().position(|(x, _)| *x == w).unwrap_or(0);
        x.row(i).to_owned()
    };
    let analogy = row("king") - row("man") + row("woman");
    let mut ranked: Vec<(&str, f64)> = WORDS
        .iter()
        .filter(|(w, _)| !matches!(*w, "king" | "man" | "woman"))
        .map(|(w, _)| Ok((*w, cosine_similarity(&analogy, &row(w))?)))
        .collect::<mlinalg::Result<_>>()?;
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut t = Table::new(["rank", "word", "cosine with king − man + woman"])
        .caption("Vector arithmetic on the synthetic embeddings");
    for (i, (w, c)) in ranked.iter().take(3).enumerate() {
        t.row([Cell::Count(i as u64 + 1), text(*w), Cell::Num(*c)]);
    }
    s.table(t);

    let trio = ["cat", "dog", "quantum"];
    let hot = one_hot::<f64>(WORDS.len(), &[6, 7, 10])?;
    let dense = Array2::from_shape_fn((3, x.ncols()), |(i, j)| row(trio[i])[j]);
    let hot_d = cdist(&hot, &hot)?;
    let dense_d = cdist(&dense, &dense)?;
    let mut t = Table::new([
        "pair",
        "one-hot distance",
        "one-hot cosine",
        "dense distance",
        "dense cosine",
    ])
    .caption("One-hot codes say only 'different'; dense vectors say how different");
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        t.row([
            text(format!("{} – {}", trio[a], trio[b])),
            Cell::Num(hot_d[[a, b]]),
            Cell::Num(cosine_similarity(&hot.row(a), &hot.row(b))?),
            Cell::Num(dense_d[[a, b]]),
            Cell::Num(cosine_similarity(&dense.row(a), &dense.row(b))?),
        ]);
    }
    s.table(t);
    s.note("Every pair of distinct one-hot vectors is at distance √2 ≈ 1.414 with cosine 0, however related the words are.");
    Ok(s)
}
