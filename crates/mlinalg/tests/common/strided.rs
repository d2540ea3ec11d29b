//! Arrays of a given logical shape held in one of several memory layouts, for property tests
//! of functions that must give the same answer on any layout.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};
use proptest::prelude::*;

/// An array of a given logical shape in one of five layouts: 0 standard, 1 transposed (all axes
/// reversed), 2 every other element (step 2 on every axis), 3 reversed (negative strides),
/// 4 broadcast (stride 0 along one axis, chosen by the seed).
#[derive(Debug, Clone)]
pub struct Strided {
    pub base: ArrayD<f64>,
    pub layout: u8,
    pub shape: Vec<usize>,
}

/// The number of layouts of [`Strided`] (layouts are `0..LAYOUTS`).
pub const LAYOUTS: u8 = 5;

impl Strided {
    /// The base array for `view()` to have `shape` in `layout`. Its elements are `value(state)`
    /// for the successive states of a xorshift64 generator seeded with `seed | 1`.
    pub fn new(shape: Vec<usize>, layout: u8, seed: u64, value: fn(u64) -> f64) -> Self {
        let base_shape: Vec<usize> = match layout {
            1 => shape.iter().rev().copied().collect(),
            2 => shape.iter().map(|&d| 2 * d).collect(),
            4 if !shape.is_empty() => {
                let mut s = shape.clone();
                s[(seed as usize) % shape.len()] = 1;
                s
            }
            _ => shape.clone(),
        };
        let mut state = seed | 1;
        let base = ArrayD::from_shape_simple_fn(IxDyn(&base_shape), || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            value(state)
        });
        Strided {
            base,
            layout,
            shape,
        }
    }

    pub fn view(&self) -> ArrayViewD<'_, f64> {
        match self.layout {
            1 => self.base.view().reversed_axes(),
            2 => {
                let mut v = self.base.view();
                for ax in 0..v.ndim() {
                    v.slice_axis_inplace(Axis(ax), Slice::new(0, None, 2));
                }
                v
            }
            3 => {
                let mut v = self.base.view();
                for ax in 0..v.ndim() {
                    v.invert_axis(Axis(ax));
                }
                v
            }
            4 => self.base.broadcast(IxDyn(&self.shape)).expect("broadcast"),
            _ => self.base.view(),
        }
    }
}

/// Strategy: an array of `shape` in a random layout with a random seed.
pub fn strided_of(shape: Vec<usize>, value: fn(u64) -> f64) -> impl Strategy<Value = Strided> {
    (0u8..LAYOUTS, any::<u64>())
        .prop_map(move |(layout, seed)| Strided::new(shape.clone(), layout, seed, value))
}
