//! The machine's own yardsticks, measured in the same run as the checks: a dependent
//! DRAM miss (a pointer chase over a random single cycle of cache lines spread over
//! `--machine-mb` of memory, so every step misses every cache and, at 4 KiB pages, the
//! TLB) and a dependent lookup in a plain `std::collections::HashMap<u64, u64>` of up to
//! 16 M entries. Absolute times on shared VMs move from day to day; a check's latency
//! as a multiple of these does not move with them.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use dialguard::lists::synthetic::SplitMix;

/// Steps of each chase (about a second at DRAM latency).
const STEPS: usize = 2_000_000;
/// One node per cache line.
const LINE_WORDS: usize = 8;

pub(super) struct Machine {
    memory_mb: usize,
    dram_miss_ns: f64,
    map_entries: usize,
    map_lookup_ns: f64,
}

impl Machine {
    /// `ns` as a multiple of one dependent DRAM miss.
    pub(super) fn in_misses(&self, ns: u32) -> f64 {
        round2(f64::from(ns) / self.dram_miss_ns.max(f64::MIN_POSITIVE))
    }

    /// `ns` as a multiple of one dependent hash-map lookup.
    pub(super) fn in_map_lookups(&self, ns: u32) -> f64 {
        round2(f64::from(ns) / self.map_lookup_ns.max(f64::MIN_POSITIVE))
    }

    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "memory_mb": self.memory_mb,
            "dram_miss_ns": round2(self.dram_miss_ns),
            "map_entries": self.map_entries,
            "map_lookup_ns": round2(self.map_lookup_ns),
            "map_lookup_in_dram_misses": round2(self.map_lookup_ns / self.dram_miss_ns.max(f64::MIN_POSITIVE)),
        })
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(super) fn measure(memory_mb: usize, seed: u64) -> Machine {
    let mut rng = SplitMix(seed ^ 0x006d_6163_6869_6e65);
    let dram_miss_ns = dram_miss(memory_mb, &mut rng);
    let map_entries = ((memory_mb << 20) / 128).clamp(1024, 16 << 20);
    let map_lookup_ns = map_lookup(map_entries, &mut rng);
    Machine {
        memory_mb,
        dram_miss_ns,
        map_entries,
        map_lookup_ns,
    }
}

/// Nanoseconds per step of a chase through a random single cycle (Sattolo's shuffle)
/// of `memory_mb` MiB of cache lines.
fn dram_miss(memory_mb: usize, rng: &mut SplitMix) -> f64 {
    let nodes = ((memory_mb << 20) / (LINE_WORDS * 8)).max(2);
    let mut order: Vec<u32> = (0..u32::try_from(nodes).unwrap_or(u32::MAX)).collect();
    for i in (1..order.len()).rev() {
        let j = usize::try_from(rng.below(i as u64)).unwrap_or(0);
        order.swap(i, j);
    }
    // order[] is a single cycle: node k's successor is order[k].
    let mut lines = vec![0u64; order.len() * LINE_WORDS];
    for (k, next) in order.iter().enumerate() {
        lines[k * LINE_WORDS] = u64::from(*next);
    }
    drop(order);
    let mut at = 0usize;
    // Warm the TLB and the branch predictor on a short prefix, then time.
    for _ in 0..10_000 {
        at = usize::try_from(lines[at * LINE_WORDS]).unwrap_or(0);
    }
    let started = Instant::now();
    for _ in 0..STEPS {
        at = usize::try_from(lines[at * LINE_WORDS]).unwrap_or(0);
    }
    let ns = started.elapsed().as_nanos() as f64 / STEPS as f64;
    black_box(at);
    ns
}

/// Nanoseconds per dependent lookup (each key is the value found before) in a map of
/// `entries` random keys forming one cycle.
fn map_lookup(entries: usize, rng: &mut SplitMix) -> f64 {
    let keys: Vec<u64> = (0..entries).map(|_| rng.next_u64()).collect();
    let mut map: HashMap<u64, u64> = HashMap::with_capacity(entries);
    for (i, k) in keys.iter().enumerate() {
        map.insert(*k, keys[(i + 1) % entries]);
    }
    let mut key = keys[0];
    drop(keys);
    for _ in 0..10_000 {
        key = map.get(&key).copied().unwrap_or(key);
    }
    let started = Instant::now();
    for _ in 0..STEPS {
        key = map.get(&key).copied().unwrap_or(key);
    }
    let ns = started.elapsed().as_nanos() as f64 / STEPS as f64;
    black_box(key);
    ns
}
