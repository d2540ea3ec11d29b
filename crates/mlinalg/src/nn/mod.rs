//! Neural-network linear algebra: the building blocks of a transformer as plain functions on
//! `ndarray` arrays, with PyTorch's semantics where PyTorch has the function.
//!
//! | module | what |
//! |---|---|
//! | [`attention`] | `scaled_dot_product_attention` (PyTorch's, as a fused kernel with an online softmax: masks, causal, GQA), `attention_weights` |

pub mod attention;
