//! [`NumberSet`]: an exact, immutable set of numbers with optional registration dates.

use crate::Number;

/// Marks "in the set, no date" in the date column.
const NO_DATE: i32 = i32::MIN;

/// Exact immutable set of numbers, optionally with a registration date (local day
/// number: days since 1970-01-01) per number.
///
/// ```
/// use dialguard::{Number, lists::NumberSet};
/// let set = NumberSet::from_dated(vec![(390212345678, Some(20_000)), (12125550100, None)]);
/// let n = Number::from_e164_digits(390212345678).unwrap();
/// assert!(set.contains(n));
/// assert_eq!(set.registered_on(n), Some(Some(20_000)));
/// ```
#[derive(Clone, Debug, Default)]
pub struct NumberSet {
    nums: Vec<u64>,
    dates: Option<Vec<i32>>,
}

impl NumberSet {
    /// Builds a set from E.164 digit values (any order, duplicates allowed).
    pub fn from_numbers(mut numbers: Vec<u64>) -> NumberSet {
        numbers.sort_unstable();
        numbers.dedup();
        numbers.shrink_to_fit();
        NumberSet {
            nums: numbers,
            dates: None,
        }
    }

    /// Builds a set with registration dates. A number listed twice keeps the
    /// earliest date, and an undated entry counts as earliest of all (unknown
    /// registration date = registered since forever, the conservative reading).
    pub fn from_dated(mut entries: Vec<(u64, Option<i32>)>) -> NumberSet {
        // Option's order puts None first, so the first entry per number is the one kept.
        entries.sort_unstable();
        entries.dedup_by_key(|e| e.0);
        let nums = entries.iter().map(|e| e.0).collect();
        let dates = entries.iter().map(|e| e.1.unwrap_or(NO_DATE)).collect();
        NumberSet {
            nums,
            dates: Some(dates),
        }
    }

    /// True when `n` is in the set.
    #[inline]
    pub fn contains(&self, n: Number) -> bool {
        self.nums.binary_search(&n.get()).is_ok()
    }

    /// `None` when `n` is not in the set; `Some(date)` when it is, with its
    /// registration day number if the list gave one.
    pub fn registered_on(&self, n: Number) -> Option<Option<i32>> {
        let i = self.nums.binary_search(&n.get()).ok()?;
        let d = self.dates.as_ref().and_then(|d| d.get(i).copied());
        Some(d.filter(|&d| d != NO_DATE))
    }

    /// Number of distinct numbers.
    pub fn len(&self) -> usize {
        self.nums.len()
    }

    /// True when the set has no numbers.
    pub fn is_empty(&self) -> bool {
        self.nums.is_empty()
    }

    /// Heap bytes held by the set.
    pub fn heap_bytes(&self) -> usize {
        self.nums.capacity() * 8 + self.dates.as_ref().map_or(0, |d| d.capacity() * 4)
    }
}
