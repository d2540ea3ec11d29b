//! Bounded top-k selection with FAISS-compatible ordering and ties broken by the lower id.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::Scalar;

/// A candidate: its "goodness" (the score, negated for distances, so larger is always nearer),
/// its id and the row it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate<T> {
    pub good: T,
    pub id: u64,
}

impl<T: Scalar> PartialEq for Candidate<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T: Scalar> Eq for Candidate<T> {}
impl<T: Scalar> PartialOrd for Candidate<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Scalar> Ord for Candidate<T> {
    /// Greater means worse: lower goodness, or equal goodness and a larger id. The heap's
    /// maximum is then the worst candidate kept, the one to evict.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .good
            .partial_cmp(&self.good)
            .unwrap_or(Ordering::Equal)
            .then(self.id.cmp(&other.id))
    }
}

/// The best `k` candidates seen so far.
#[derive(Clone, Debug)]
pub(crate) struct TopK<T: Scalar> {
    k: usize,
    heap: BinaryHeap<Candidate<T>>,
    /// The goodness of the worst kept candidate once the heap is full (−∞ before).
    threshold: T,
}

impl<T: Scalar> TopK<T> {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
            threshold: T::neg_infinity(),
        }
    }

    /// Whether a candidate of this goodness could enter (a cheap test before `push`).
    #[inline]
    pub(crate) fn may_enter(&self, good: T) -> bool {
        good >= self.threshold
    }

    /// Offers a candidate; keeps it if it is among the best `k`.
    #[inline]
    pub(crate) fn push(&mut self, cand: Candidate<T>) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(cand);
        } else if let Some(worst) = self.heap.peek() {
            if cand < *worst {
                self.heap.pop();
                self.heap.push(cand);
            } else {
                return;
            }
        }
        if self.heap.len() == self.k {
            if let Some(worst) = self.heap.peek() {
                self.threshold = worst.good;
            }
        }
    }

    /// The kept candidates, nearest first.
    pub(crate) fn into_sorted(self) -> Vec<Candidate<T>> {
        self.heap.into_sorted_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_with_ties_to_the_lower_id() {
        let mut top = TopK::<f32>::new(3);
        for (id, good) in [(5, 1.0), (1, 3.0), (9, 2.0), (2, 2.0), (7, 3.0), (0, 0.5)] {
            if top.may_enter(good) {
                top.push(Candidate { good, id });
            }
        }
        let ids: Vec<u64> = top.into_sorted().iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![1, 7, 2]);
    }
}
