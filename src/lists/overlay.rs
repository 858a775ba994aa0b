//! [`OptOutOverlay`]: opt-outs received while a compiled snapshot is serving.

use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;

use super::consent::seeded_hasher;
use crate::Number;
use crate::history::NumberHasher;

/// Opt-outs added at run time. An insert is visible to the next `contains` on every
/// thread (DashMap shard locks give the ordering), without recompiling a set. The
/// guard checks it beside the compiled opt-out set and folds it into the next compile
/// (persist it with [`OptOutOverlay::snapshot`]).
///
/// ```
/// use dialguard::{Number, lists::OptOutOverlay};
/// let overlay = OptOutOverlay::new();
/// let n = Number::from_e164_digits(12125550100).unwrap();
/// assert!(overlay.insert(n, 1_790_000_000));
/// assert!(overlay.contains(n));
/// ```
#[derive(Debug)]
pub struct OptOutOverlay {
    /// number → when the opt-out was received (Unix seconds).
    map: DashMap<u64, i64, NumberHasher>,
    /// Entry count, so the common case (an empty overlay) costs one atomic load.
    count: AtomicUsize,
}

impl Default for OptOutOverlay {
    fn default() -> Self {
        Self::new()
    }
}

impl OptOutOverlay {
    /// An empty overlay.
    pub fn new() -> Self {
        OptOutOverlay {
            map: DashMap::with_hasher(seeded_hasher()),
            count: AtomicUsize::new(0),
        }
    }

    /// Records that `n` opted out at `at` (Unix seconds). Returns true when `n` was
    /// new; when it was already present the earlier instant is kept.
    pub fn insert(&self, n: Number, at: i64) -> bool {
        use dashmap::mapref::entry::Entry;
        match self.map.entry(n.get()) {
            Entry::Occupied(mut e) => {
                if at < *e.get() {
                    e.insert(at);
                }
                false
            }
            Entry::Vacant(e) => {
                e.insert(at);
                // Counted while the shard lock is held, so a reader that sees the
                // count also sees the entry.
                self.count.fetch_add(1, Ordering::Release);
                true
            }
        }
    }

    /// True when `n` opted out.
    #[inline]
    pub fn contains(&self, n: Number) -> bool {
        self.count.load(Ordering::Acquire) != 0 && self.map.contains_key(&n.get())
    }

    /// When `n` opted out, if it did.
    pub fn opted_out_at(&self, n: Number) -> Option<i64> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.map.get(&n.get()).map(|e| *e.value())
    }

    /// Number of opted-out numbers.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// True when nobody opted out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of all entries, sorted by number, for persistence or for folding into
    /// the next compiled set.
    pub fn snapshot(&self) -> Vec<(Number, i64)> {
        let mut v: Vec<(Number, i64)> = self
            .map
            .iter()
            .filter_map(|e| Number::from_e164_digits(*e.key()).map(|n| (n, *e.value())))
            .collect();
        v.sort_unstable();
        v
    }

    /// Same as [`snapshot`](Self::snapshot), as an iterator.
    pub fn iter(&self) -> std::vec::IntoIter<(Number, i64)> {
        self.snapshot().into_iter()
    }
}
