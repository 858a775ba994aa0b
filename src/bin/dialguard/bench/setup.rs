//! The bench's data: the policy with its synthetic registry (and, for hot swaps, a second
//! copy), the numbers to check, a synthetic contact history, and the answer every query
//! must get, computed before the timed runs.

use std::path::Path;
use std::time::Instant;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::{HistoryStore, NewEvent, Query, Tag};
use dialguard::lists::NumberSet;
use dialguard::lists::synthetic::{SplitMix, clustered};
use dialguard::number::{self, Number};
use dialguard::policy::{self, Snapshot};
use dialguard::{Decision, Verdict};
use jiff::Timestamp;

use super::BenchArgs;

/// The registry the bench adds and swaps is this list of the policy.
pub(super) const SYNTHETIC: &str = "synthetic-registry";

pub(super) struct Setup {
    pub guard: Guard,
    pub queries: Vec<Number>,
    /// The two registry copies swapped in turn (empty without `--swap-every-ms`).
    pub copies: Vec<NumberSet>,
    pub caller_id: Option<Number>,
    pub registry_len: usize,
    pub registry_bytes: usize,
    pub setup_seconds: f64,
    /// The registry sample `--compare` peers hold (empty without `--compare`).
    pub compare_sample: Vec<u64>,
}

impl Setup {
    pub(super) fn build(
        a: &BenchArgs,
        policy_path: &Path,
        now: Timestamp,
    ) -> Result<Setup, String> {
        let built = Instant::now();
        let snap = policy::compile_file(policy_path, Timestamp::now().as_second())
            .map_err(|e| e.to_string())?;
        let country = snap.default_country().map(|c| c.iso());
        let mut rng = SplitMix(a.seed);
        let (snap, registry, copies, registry_bytes) = with_registry(a, snap, country, &mut rng)?;
        let registry_len = snap.list_sizes().map(|(_, _, n)| n).sum::<usize>();
        let caller_id = a
            .caller_id
            .as_deref()
            .map(|c| {
                number::parse(c, snap.default_country()).map_err(|e| format!("--caller-id: {e}"))
            })
            .transpose()?;
        let queries = queries(a, &snap, &registry, country, &mut rng)?;
        let compare_sample = if a.compare.is_empty() {
            Vec::new()
        } else {
            super::compare::sample(
                registry.get(..a.synthetic).unwrap_or(&registry),
                a.compare_numbers,
            )
        };
        drop(registry);
        let (guard, _) =
            Guard::with_snapshot(snap, GuardOptions::default()).map_err(|e| e.to_string())?;
        add_history(a, &guard, country, &mut rng, now.as_second());
        Ok(Setup {
            guard,
            queries,
            copies,
            caller_id,
            registry_len,
            registry_bytes,
            setup_seconds: built.elapsed().as_secs_f64(),
            compare_sample,
        })
    }

    /// Verdict counts over the first 100,000 queries (what the policy answers).
    pub(super) fn verdicts_first_100k(&self, ctx: &CallContext<'_>) -> [u64; 3] {
        let mut verdicts = [0u64; 3];
        for n in self.queries.iter().take(100_000) {
            let v = match self.guard.check_number(*n, ctx).verdict() {
                Verdict::Allow => 0,
                Verdict::Deny => 1,
                Verdict::Defer => 2,
            };
            verdicts[v] += 1;
        }
        verdicts
    }

    /// The expected answer of every query under each registry copy (the same twice
    /// without swaps); checks do not record, so the answer at `now` is fixed. Empty with
    /// `--reserve`, whose answers change as attempts are recorded. Leaves copy 1 in force.
    pub(super) fn expected(
        &self,
        reserve: bool,
        ctx: &CallContext<'_>,
    ) -> Result<Vec<[Decision; 2]>, String> {
        if reserve {
            return Ok(Vec::new());
        }
        let first: Vec<Decision> = self
            .queries
            .iter()
            .map(|n| self.guard.check_number(*n, ctx))
            .collect();
        if self.copies.is_empty() {
            return Ok(first.into_iter().map(|d| [d, d]).collect());
        }
        self.guard
            .swap_list(SYNTHETIC, self.copies[1].clone(), None)
            .map_err(|e| format!("swap: {e}"))?;
        Ok(self
            .queries
            .iter()
            .zip(first)
            .map(|(n, d0)| [d0, self.guard.check_number(*n, ctx)])
            .collect())
    }
}

/// The synthetic registry added to the policy: the numbers drawn, the copies to swap
/// and the set's bytes. With swaps, copy 0 holds the first `synthetic` numbers and
/// copy 1 drops the first quarter of those and adds a quarter of fresh ones.
fn with_registry(
    a: &BenchArgs,
    snap: Snapshot,
    country: Option<&str>,
    rng: &mut SplitMix,
) -> Result<(Snapshot, Vec<u64>, Vec<NumberSet>, usize), String> {
    if a.synthetic == 0 {
        if a.swap_every_ms > 0 {
            return Err(
                "--swap-every-ms needs --synthetic N (the registry that is swapped)".into(),
            );
        }
        return Ok((snap, Vec::new(), Vec::new(), 0));
    }
    let extra = if a.swap_every_ms > 0 {
        (a.synthetic / 4).max(1)
    } else {
        0
    };
    let numbers = clustered(a.synthetic + extra, country, rng);
    let set = NumberSet::from_numbers(numbers[..a.synthetic].to_vec());
    let bytes = set.heap_bytes();
    let mut copies = Vec::new();
    if a.swap_every_ms > 0 {
        copies.push(set.clone());
        copies.push(NumberSet::from_numbers(numbers[extra..].to_vec()));
    }
    Ok((
        snap.with_extra_registry(SYNTHETIC, set),
        numbers,
        copies,
        bytes,
    ))
}

/// The numbers to check: from `--numbers`, else synthetic, half of them registry hits.
fn queries(
    a: &BenchArgs,
    snap: &Snapshot,
    registry: &[u64],
    country: Option<&str>,
    rng: &mut SplitMix,
) -> Result<Vec<Number>, String> {
    let queries: Vec<Number> = match &a.numbers {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(|l| number::parse(l, snap.default_country()).ok())
                .collect()
        }
        None => {
            let fresh = clustered(a.queries, country, rng);
            let len = u64::try_from(registry.len()).unwrap_or(u64::MAX);
            (0..a.queries)
                .map(|i| {
                    if i % 2 == 0 && !registry.is_empty() {
                        let k = usize::try_from(rng.below(len)).unwrap_or(0);
                        registry[k.min(registry.len() - 1)]
                    } else {
                        fresh[i]
                    }
                })
                .filter_map(Number::from_e164_digits)
                .collect()
        }
    };
    if queries.is_empty() {
        return Err("no valid numbers to check".into());
    }
    Ok(queries)
}

/// `--history N` numbers with 1–3 past attempts each, in the last hours before `t0`.
fn add_history(a: &BenchArgs, guard: &Guard, country: Option<&str>, rng: &mut SplitMix, t0: i64) {
    if a.history == 0 {
        return;
    }
    let q = Query {
        campaign: Tag::of(&a.campaign),
        subject: Tag::NONE,
        live_agent: true,
    };
    for (i, d) in clustered(a.history, country, rng).iter().enumerate() {
        let Some(n) = Number::from_e164_digits(*d) else {
            continue;
        };
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        for k in 0..(1 + i % 3) {
            let at = t0 - 3600 * (k + 1) - (i % 3600);
            let _ = guard
                .history()
                .with_events(n, at, &mut |_| Some(NewEvent::attempt(&q)));
        }
    }
}

/// Numbers whose answer differs between the copies: right after each swap they must
/// answer as the copy just put in force.
pub(super) fn probes(
    queries: &[Number],
    expected: &[[Decision; 2]],
) -> Vec<(Number, [Decision; 2])> {
    queries
        .iter()
        .zip(expected)
        .filter(|(_, e)| e[0] != e[1])
        .map(|(n, e)| (*n, *e))
        .take(64)
        .collect()
}
