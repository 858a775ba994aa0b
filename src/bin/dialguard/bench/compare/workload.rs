//! What every `--compare` participant is asked, identically: the registry sample, the
//! membership queries with their true answers, and the cap schedule (which number is
//! reserved at which instant, op by op) with the answer the cap rule must give. Also
//! dialguard itself as a participant: a guard holding only the sample as a registry, and
//! one holding only the cap rule, so both sides answer exactly the same question.

use std::collections::HashSet;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::lists::NumberSet;
use dialguard::lists::synthetic::{SplitMix, clustered};
use dialguard::policy::compile_str;
use dialguard::{Decision, Number, Reason};
use jiff::Timestamp;

use super::Peer;

/// At most this many attempts per number…
pub(super) const CAP_MAX: u32 = 3;
/// …within this rolling window (seconds, exact elapsed time).
pub(super) const CAP_WITHIN: i64 = 600;
/// Each number is reserved this many times, this far apart: with 3 in 10 minutes and
/// attempts every 2 minutes, attempts 4 and 5 are refused and the 6th falls exactly on
/// the window's edge (the first attempt has just aged out), so an off-by-one shows.
pub(super) const CAP_ATTEMPTS: usize = 8;
pub(super) const CAP_STEP: i64 = 120;
/// Numbers reserved in turn before the next attempt on each (so consecutive ops are on
/// different numbers, as on a dialer).
pub(super) const CAP_BLOCK: usize = 1024;

pub(super) struct Workload {
    /// The registry sample every participant holds, sorted.
    pub registry: Vec<u64>,
    pub queries: Vec<Number>,
    /// Whether each query is in the registry sample (computed with a binary search).
    pub truth: Vec<bool>,
    /// Distinct numbers the cap ops cycle through (at least two blocks).
    pub cap_pool: Vec<Number>,
    /// The first cap op's instant (a whole minute: history keeps minute stamps).
    pub t0: i64,
    /// Whether the cap admits attempt r of a number (the rule applied by hand).
    pub pattern: [bool; CAP_ATTEMPTS],
}

/// `want` numbers spread evenly over `registry` (all of it when smaller), sorted.
pub(crate) fn sample(registry: &[u64], want: usize) -> Vec<u64> {
    let mut out: Vec<u64> = if registry.len() <= want {
        registry.to_vec()
    } else {
        (0..want)
            .map(|i| registry[i * registry.len() / want])
            .collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

impl Workload {
    pub(super) fn new(
        registry: Vec<u64>,
        queries: usize,
        country: Option<&str>,
        seed: u64,
        now: i64,
    ) -> Result<Workload, String> {
        if registry.is_empty() {
            return Err("--compare needs a registry: add --synthetic N".into());
        }
        let mut rng = SplitMix(seed ^ 0x0063_6f6d_7061_7265);
        let fresh = clustered(queries.max(2 * CAP_BLOCK), country, &mut rng);
        let len = u64::try_from(registry.len()).unwrap_or(u64::MAX);
        // Half registry hits, half fresh numbers (a few of which may be hits too).
        let queries: Vec<Number> = (0..queries)
            .map(|i| {
                if i % 2 == 0 {
                    let k = usize::try_from(rng.below(len)).unwrap_or(0);
                    registry[k.min(registry.len() - 1)]
                } else {
                    fresh[i]
                }
            })
            .filter_map(Number::from_e164_digits)
            .collect();
        if queries.is_empty() {
            return Err("--compare: no valid numbers to query".into());
        }
        let truth = queries
            .iter()
            .map(|n| registry.binary_search(&n.get()).is_ok())
            .collect();
        let mut seen = HashSet::new();
        let cap_pool: Vec<Number> = fresh
            .iter()
            .filter(|d| seen.insert(**d))
            .filter_map(|d| Number::from_e164_digits(*d))
            .collect();
        if cap_pool.len() < 2 * CAP_BLOCK {
            return Err(format!(
                "--compare: only {} distinct numbers for the cap (need {}); raise --queries",
                cap_pool.len(),
                2 * CAP_BLOCK
            ));
        }
        Ok(Workload {
            registry,
            queries,
            truth,
            cap_pool,
            t0: now - now.rem_euclid(60),
            pattern: pattern(),
        })
    }

    /// Cap op `i`: the number and the instant. Blocks of `CAP_BLOCK` numbers take
    /// `CAP_ATTEMPTS` turns, each turn `CAP_STEP` later; the next block starts after the
    /// last turn, so instants never go back. With at least two blocks in the pool, a
    /// number comes back more than a window after its last attempt, so its answer
    /// depends only on its turn (`pattern`).
    pub(super) fn cap_op(&self, i: usize) -> (Number, i64, usize) {
        let per_block = CAP_BLOCK * CAP_ATTEMPTS;
        let (block, within) = (i / per_block, i % per_block);
        let (turn, k) = (within / CAP_BLOCK, within % CAP_BLOCK);
        let n = self.cap_pool[(block * CAP_BLOCK + k) % self.cap_pool.len()];
        let steps = i64::try_from(block * CAP_ATTEMPTS + turn).unwrap_or(i64::MAX);
        (
            n,
            self.t0.saturating_add(steps.saturating_mul(CAP_STEP)),
            turn,
        )
    }
}

/// The cap applied by hand to one number's attempts: an attempt at `t` counts while
/// `t' > t - CAP_WITHIN` (docs/policy.md: exact elapsed time).
fn pattern() -> [bool; CAP_ATTEMPTS] {
    let mut out = [false; CAP_ATTEMPTS];
    let mut admitted: Vec<i64> = Vec::new();
    for (r, slot) in out.iter_mut().enumerate() {
        let t = i64::try_from(r).unwrap_or(0) * CAP_STEP;
        let live = admitted.iter().filter(|&&a| a > t - CAP_WITHIN).count();
        *slot = live < CAP_MAX as usize;
        if *slot {
            admitted.push(t);
        }
    }
    out
}

/// dialguard as a participant: the registry sample alone (membership) and the cap
/// alone (reservations), in memory.
pub(super) struct Dialguard {
    registry: Guard,
    cap: Guard,
    now: Timestamp,
    batch: Vec<Decision>,
}

impl Dialguard {
    pub(super) fn new(w: &Workload, now: Timestamp) -> Result<Dialguard, String> {
        let policy = |body: &str| {
            let text = format!("[policy]\nname = \"bench-compare\"\n{body}");
            let snap = compile_str(&text, "bench-compare.toml".as_ref(), now.as_second())
                .map_err(|e| format!("the comparison's own policy: {e}"))?;
            Ok::<_, String>(snap)
        };
        let set = NumberSet::from_numbers(w.registry.clone());
        let registry = policy("")?.with_extra_registry("compare-registry", set);
        let cap = policy(&format!(
            "[[cap]]\nid = \"compare-cap\"\napplies_to = [\"*\"]\nmax = {CAP_MAX}\n\
             within = \"{CAP_WITHIN}s\"\nkey = \"number\"\ncount = \"attempts\"\n"
        ))?;
        let open = |snap| {
            Guard::with_snapshot(snap, GuardOptions::default())
                .map(|(g, _)| g)
                .map_err(|e| e.to_string())
        };
        Ok(Dialguard {
            registry: open(registry)?,
            cap: open(cap)?,
            now,
            batch: vec![Decision::ALLOW; super::BATCH],
        })
    }
}

/// A registry hit is a deny for reason `registry`; any other answer is not a hit (an
/// error would show up as a disagreement, never as a silent pass).
fn is_hit(d: &Decision) -> bool {
    d.reason() == Some(Reason::Registry)
}

impl Peer for Dialguard {
    fn name(&self) -> &'static str {
        "dialguard"
    }

    fn about(&self) -> serde_json::Value {
        serde_json::json!({"store": "in process, in memory: check_number, check_batch, check_and_reserve"})
    }

    fn contains(&mut self, n: Number) -> Result<bool, String> {
        Ok(is_hit(
            &self.registry.check_number(n, &CallContext::new(self.now)),
        ))
    }

    fn contains_batch(&mut self, ns: &[Number], out: &mut [bool]) -> Result<(), String> {
        let ctx = CallContext::new(self.now);
        self.registry.check_batch(ns, &ctx, &mut self.batch);
        for (o, d) in out.iter_mut().zip(&self.batch) {
            *o = is_hit(d);
        }
        Ok(())
    }

    fn reserve(&mut self, n: Number, t: i64, _op: usize) -> Result<bool, String> {
        let at = Timestamp::from_second(t).map_err(|e| format!("cap instant {t}: {e}"))?;
        Ok(self
            .cap
            .check_and_reserve(n, &CallContext::new(at))
            .attempt
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_pattern_refuses_two_and_admits_on_the_window_edge() {
        // 0, 2, 4 admitted; 6, 8 refused; 10 (the first aged out exactly) admitted.
        assert_eq!(
            pattern(),
            [true, true, true, false, false, true, true, true]
        );
    }

    #[test]
    fn a_sample_spreads_over_the_registry() {
        let reg: Vec<u64> = (0..100).collect();
        assert_eq!(sample(&reg, 4), vec![0, 25, 50, 75]);
        assert_eq!(sample(&reg, 1000).len(), 100);
    }
}
