//! The synthetic queries the whole-check benches share: 2^20 US numbers, half drawn from
//! the registry (hits), half fresh clustered numbers (mostly misses).

use dialguard::Number;
use dialguard::lists::synthetic::{SplitMix, clustered};

pub fn half_registered(registry: &[u64], rng: &mut SplitMix) -> Vec<Number> {
    let fresh = clustered(1 << 20, Some("US"), rng);
    (0..1usize << 20)
        .map(|k| {
            if k % 2 == 0 {
                registry[rng.below(registry.len() as u64) as usize]
            } else {
                fresh[k]
            }
        })
        .filter_map(Number::from_e164_digits)
        .collect()
}
