//! Number → region and candidate time zones: one binary search over the flattened
//! prefix segments compiled by build.rs.

use super::tables::{ENTRIES, NONE, REGION_ZZ, SEG_BLOCK, SEG_ENTRY, SEG_START, ZONE_SETS};
use super::{Number, RegionId, ZoneId};

/// Where a number is: its region and the time zones it may be in. Callers must require a
/// calling window to hold in *all* `zones` (more than one when the data cannot tell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub region: RegionId,
    pub zones: &'static [ZoneId],
}

const POW10: [u64; 16] = {
    let mut t = [1u64; 16];
    let mut i = 1;
    while i < 16 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Region and candidate zones of `n`. Never fails: the longest known prefix answers, down
/// to the calling-code row; a number under no assigned calling code gets region `ZZ` and
/// *all* zones (no window can be shown to hold, which is the safe answer).
///
/// ```
/// use dialguard::number::{locate, parse};
/// let loc = locate(parse("+39 02 1234 5678", None).unwrap());
/// assert_eq!(loc.region.code(), "IT");
/// assert_eq!(loc.zones.iter().map(|z| z.name()).collect::<Vec<_>>(), ["Europe/Rome"]);
/// ```
pub fn locate(n: Number) -> Location {
    let digits = n.digit_count();
    // Pad to 15 digits so every prefix is an interval of one integer space.
    let x = n.get() * POW10[(15 - digits) as usize];
    // The 4-digit block narrows the search to a handful of segments (a few hundred at
    // most, under the densest NANP area codes).
    let block = (x / 100_000_000_000) as usize;
    let lo = usize::from(SEG_BLOCK[block]);
    let hi = usize::from(SEG_BLOCK[block + 1]);
    let i = lo + SEG_START[lo..=hi].partition_point(|&s| s <= x);
    let mut e = SEG_ENTRY[i.saturating_sub(1)];
    while e != NONE {
        let entry = &ENTRIES[usize::from(e)];
        // A prefix longer than the number matched only because of the zero padding.
        if u32::from(entry.len) <= digits {
            return Location {
                region: RegionId(entry.region),
                zones: ZONE_SETS[usize::from(entry.zones)],
            };
        }
        e = entry.parent;
    }
    Location {
        region: RegionId(REGION_ZZ),
        zones: ZONE_SETS[0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 4-digit block index must give the same segment as a search of the whole array.
    #[test]
    fn block_index_agrees_with_full_search() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let mut probes: Vec<u64> = SEG_START
            .iter()
            .flat_map(|&s| [s, s.saturating_sub(1)])
            .collect();
        for _ in 0..20_000 {
            // splitmix64
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            probes.push((z ^ (z >> 31)) % 1_000_000_000_000_000);
        }
        probes.push(999_999_999_999_999);
        for p in probes {
            let full = SEG_START.partition_point(|&s| s <= p) - 1;
            let block = (p / 100_000_000_000) as usize;
            let (lo, hi) = (
                usize::from(SEG_BLOCK[block]),
                usize::from(SEG_BLOCK[block + 1]),
            );
            let fast = lo + SEG_START[lo..=hi].partition_point(|&s| s <= p) - 1;
            assert_eq!(fast, full, "padded value {p}");
        }
    }
}
