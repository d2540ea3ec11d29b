//! Allocation of large result buffers.
//!
//! A product's output is written once, in full, by the GEMM. Left to the allocator, a 32 MB output
//! takes 8,192 page faults of 4 KiB on its first write, which here costs 10-15% of a (4096, 512) @
//! (512, 2048) product. Transparent huge pages are `madvise`-only on the machines we measure on,
//! so, as NumPy does for its large arrays, buffers of 4 MiB and more are advised to use 2 MiB
//! pages before they are first touched.

use std::mem::MaybeUninit;

use ndarray::{Array, Dimension, ShapeBuilder};

use crate::error::{Error, ErrorKind, Result};
use crate::Scalar;

const HUGE_PAGE: usize = 2 << 20;

/// Buffers at least this large are advised to use huge pages.
const HUGE_PAGE_MIN_BYTES: usize = 2 * HUGE_PAGE;

/// A zero-filled array of `shape` (row-major), huge-page backed when large (on Linux).
pub(crate) fn zeros<T: Scalar, Sh: ShapeBuilder>(shape: Sh) -> Array<T, Sh::Dim>
where
    Sh::Dim: Dimension,
{
    let shape = shape.into_shape_with_order();
    let len = shape.raw_dim().size();
    if len.saturating_mul(std::mem::size_of::<T>()) < HUGE_PAGE_MIN_BYTES {
        return Array::zeros(shape);
    }
    let mut data: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(data.as_mut_ptr().cast(), len * std::mem::size_of::<T>());
    data.resize(len, T::zero());
    // The length matches the shape by construction.
    Array::from_shape_vec(shape, data).unwrap_or_else(|_| unreachable!("length equals shape size"))
}

/// An uninitialised array of `shape` (row-major) for a kernel that writes every element, without
/// the cost of zero-filling it first; huge-page backed when large (on Linux). The caller writes
/// each element, then calls `assume_init`.
pub(crate) fn uninit<T: Scalar, Sh: ShapeBuilder>(shape: Sh) -> Array<MaybeUninit<T>, Sh::Dim>
where
    Sh::Dim: Dimension,
{
    let shape = shape.into_shape_with_order();
    let len = shape.raw_dim().size();
    let mut data: Vec<MaybeUninit<T>> = Vec::with_capacity(len);
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(data.as_mut_ptr().cast(), bytes);
    }
    // SAFETY: the capacity is `len`, and `MaybeUninit` elements need no initialisation.
    unsafe { data.set_len(len) };
    // The length matches the shape by construction.
    Array::from_shape_vec(shape, data).unwrap_or_else(|_| unreachable!("length equals shape size"))
}

/// The first `len` items of `items` in a new vector, huge-page backed when large (on Linux).
/// Running out of memory is an [`ErrorKind::InvalidArgument`] error naming `op`, not an abort.
pub(crate) fn try_collect<T>(
    op: &'static str,
    len: usize,
    items: impl Iterator<Item = T>,
) -> Result<Vec<T>> {
    let mut data: Vec<T> = Vec::new();
    data.try_reserve_exact(len).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            op,
            format!("cannot allocate {len} elements: {e}"),
        )
    })?;
    let bytes = len * std::mem::size_of::<T>();
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(data.as_mut_ptr().cast(), bytes);
    }
    data.extend(items.take(len));
    Ok(data)
}

/// Reserves room for `additional` more items in `v` and, when the buffer is large, advises huge
/// pages for it (on Linux): pages not yet touched are then backed by 2 MiB pages when first
/// written. For buffers read at random (a search graph's vectors and links), this spares a
/// TLB miss and a page walk on most reads.
pub(crate) fn reserve_huge<T>(v: &mut Vec<T>, additional: usize) {
    v.reserve(additional);
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes >= HUGE_PAGE_MIN_BYTES {
        advise_huge_pages(v.as_mut_ptr().cast(), bytes);
    }
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation of `bytes` bytes at `ptr`; MADV_HUGEPAGE
        // only changes how the kernel backs those pages, never their contents. Failure (a kernel
        // without THP) leaves ordinary pages, so the result is ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}
