//! Neural-network linear algebra: the building blocks of a transformer as plain functions on
//! `ndarray` arrays, with PyTorch's semantics where PyTorch has the function.
//!
//! | module | what |
//! |---|---|
//! | [`softmax`] | `softmax`, `log_softmax`, `logsumexp` along any axis, stable for huge and infinite logits |
//! | [`activation`] | `relu`, `sigmoid`, `silu`, `gelu` (erf and tanh forms) and their derivatives |
//! | [`normalization`] | `layer_norm`, `rms_norm` over trailing dimensions |
//! | [`linear`] | `Linear` (`nn.Linear`), `FeedForward`, collapsing stacked linear layers |
//! | [`lora`] | `LoraLinear`: PEFT's initialisation, forward, merge/unmerge, parameter budgets |
//! | [`jacobian`] | numerical Jacobians, `jvp`/`vjp`, analytic Jacobians of softmax and activations |
//! | [`attention`] | `scaled_dot_product_attention` (PyTorch's, as a fused kernel with an online softmax: masks, causal, GQA), `attention_weights` |
//! | [`multi_head`] | `MultiHeadAttention` (`nn.MultiheadAttention`): projections, head split/merge, causal or masked |

pub mod activation;
pub mod attention;
pub mod jacobian;
pub mod linear;
pub mod lora;
pub mod multi_head;
pub mod normalization;
pub mod softmax;
