//! Neural-network linear algebra: the building blocks of a transformer as plain functions on
//! `ndarray` arrays, with PyTorch's semantics where PyTorch has the function.
//!
//! | module | what |
//! |---|---|
